"""Issue #19's headline: `gridbot replay` ÷ the durable echo bot (bench/durable_echo.py) on one log,
each timed as a whole process from start to exit (start-up included), in the same run.

The log: 20,000 messages, one a second, across 100 groups (5 communities × 10 grids × 2 groups), about
one in five a complaint (tests/genlog.py). Both processes write a fresh SQLite file.

    python bench/echo_ratio.py [--messages 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import children_cpu, load, machine, say
from tests.genlog import chat_log, district, write_log

ROOT = Path(__file__).resolve().parents[1]


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, dict[str, object]]:
    """Wall seconds, CPU seconds (the process's own, user and system) and its last stdout line's JSON."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    last = done.stdout.strip().splitlines()[-1]
    return seconds, children_cpu() - cpu, json.loads(last)


def measure(messages: int, rounds: int, tmp: Path) -> dict[str, float]:
    d = district(5, 10, 2)
    config = d.write(tmp / "district.yaml")
    log = write_log(chat_log(d, messages, numbered_commands=False, span=timedelta(seconds=messages)), tmp / "log.jsonl")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GRIDBOT_NOW", None)
    echo_best = gridbot_best = echo_cpu = gridbot_cpu = float("inf")
    summary: dict[str, object] = {}
    for i in range(rounds):  # alternated, the best of each: the machine is shared and noisy
        db = tmp / f"echo{i}.db"
        seconds, cpu, _ = _timed([sys.executable, "bench/durable_echo.py", str(log), str(db)], env)
        echo_best, echo_cpu = min(echo_best, seconds), min(echo_cpu, cpu)
        url = f"sqlite:///{tmp / f'gridbot{i}.db'}"
        seconds, cpu, summary = _timed(
            [sys.executable, "-m", "bot.cli", "replay", str(log), "--config", str(config), "--db", url], env
        )
        gridbot_best, gridbot_cpu = min(gridbot_best, seconds), min(gridbot_cpu, cpu)
    return {
        "messages": messages,
        "echo_per_s": messages / echo_best,
        "gridbot_per_s": messages / gridbot_best,
        "ratio": echo_best / gridbot_best,
        # CPU seconds: what another tenant of a shared host takes away shows in wall time far more
        "echo_per_cpu_s": messages / echo_cpu,
        "gridbot_per_cpu_s": messages / gridbot_cpu,
        "cpu_ratio": echo_cpu / gridbot_cpu,
        "gridbot_tickets": float(summary.get("tickets", 0)),  # type: ignore[arg-type]
    }


def headline(figures: dict[str, float]) -> str:
    return (
        f"HEADLINE: gridbot replay {figures['gridbot_per_s']:,.0f} msg/s ÷ durable echo bot "
        f"{figures['echo_per_s']:,.0f} msg/s = {figures['ratio']:.2f} (whole processes, "
        f"{figures['messages']:,.0f} messages, SQLite; goal ≥ 0.5); by CPU time: "
        f"{figures['gridbot_per_cpu_s']:,.0f} ÷ {figures['echo_per_cpu_s']:,.0f} msg per CPU-second = "
        f"{figures['cpu_ratio']:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    say(machine() + f", {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        figures = measure(args.messages, args.rounds, Path(tmp))
    say(headline(figures))
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
