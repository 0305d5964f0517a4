"""Shared bits for benchmark scripts: the machine line every figure is printed with."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from datetime import datetime
from typing import Any


def machine() -> str:
    return (
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.machine()}, {platform.system()} {platform.release()})"
    )


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_cpu() -> float:
    """CPU seconds (user and system) of the child processes that have exited and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def say(line: str) -> None:
    print(line, flush=True)
    sys.stdout.flush()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


class DbTimer:
    """Sums the time spent inside the database driver's execute calls; keeps statements over 50 ms."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.seconds = 0.0
        self.statements = 0
        self.slow: list[tuple[float, str, Any]] = []
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        took = time.perf_counter() - self._started.pop()
        self.seconds += took
        self.statements += 1
        if took > 0.05 and not statement.lstrip().upper().startswith("EXPLAIN"):
            self.slow.append((took, statement, parameters))

    def reset(self) -> None:
        self.seconds, self.statements, self.slow = 0.0, 0, []


def digest_runs(store: Any, settings: Any, community: Any, now: datetime, runs: int = 5) -> list[dict[str, Any]]:
    """Each period's digest of `community` composed `runs` times: the median run by database time."""
    from handlers.jobs.digest import PERIODS, compose

    timer = DbTimer(store.engine)
    medians = []
    for period in PERIODS:
        measured = []
        for _ in range(runs):
            timer.reset()
            wall = time.perf_counter()
            with store.begin() as uow:
                digest = compose(uow, settings, community, period, now)
            measured.append(
                {
                    "period": period,
                    "db": timer.seconds,
                    "wall": time.perf_counter() - wall,
                    "statements": timer.statements,
                    "slow": list(timer.slow),
                    "counts": digest.text.split("\n")[1],
                }
            )
        medians.append(sorted(measured, key=lambda m: m["db"])[len(measured) // 2])
    return medians
