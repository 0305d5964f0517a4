"""The web overview over 100,000 tickets in SQLite: database time and whole build time per view.

A street of 5 communities × 10 grids, a year of tickets (most closed, some open and overdue), with
their created / escalated / resolved / rated events. Database time is the time spent in the storage
query functions of one overview (building each statement, executing it, fetching every row). The page
remembers the 积分 of the month's days that have ended (storage/point_cache.py): the first view after
the page starts counts the whole month, later ones only today plus a look at the events added since.

Usage: .venv/bin/python bench/overview_100k.py [--tickets N] [--runs N] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, say
from bot.core.settings import Settings, load_settings
from storage import overview_queries, point_cache, stats
from storage.store import Store
from storage.writes import NewEvent
from web import overview
from web.reach import viewer_for

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
CATEGORIES = ["noise", "parking", "sanitation", "repairs", "neighbor", "pets", "occupation", "other"]


def street(tmp: Path) -> Settings:
    communities = []
    for c in range(5):
        people = [
            {"id": f"sec{c}", "name": f"书记{c}", "role": "secretary"},
            {"id": "center", "name": "街道中心", "role": "street_center"},
            {"id": "super", "name": "督导", "role": "supervisor"},
        ]
        grids = []
        for g in range(10):
            people.append({"id": f"w{c}_{g}", "name": f"网格员{c}-{g}", "role": "grid_worker"})
            grids.append(
                {"id": f"g{c}_{g}", "name": f"第{c}-{g}网格", "worker": f"w{c}_{g}", "groups": [f"room{c}_{g}"]}
            )
        communities.append({"id": f"c{c}", "name": f"社区{c}", "secretary": f"sec{c}", "street_center": "center",
                            "people": people, "grids": grids})  # fmt: skip
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump({"communities": communities}, allow_unicode=True), encoding="utf-8")
    return load_settings(path, env={})


def seed(store: Store, count: int) -> None:
    rnd = random.Random(8)
    tickets: list[dict[str, Any]] = []
    events: list[NewEvent] = []
    for i in range(1, count + 1):
        c, g = rnd.randrange(5), rnd.randrange(10)
        created = NOW - timedelta(minutes=rnd.randrange(365 * 24 * 60))
        age = NOW - created
        active = rnd.random() < (0.5 if age < timedelta(days=3) else 0.02)
        deadline = created + timedelta(hours=12)
        escalated = rnd.random() < 0.2
        row: dict[str, Any] = {
            "id": i, "community_id": f"c{c}", "grid_id": f"g{c}_{g}", "chat_id": f"room{c}_{g}",
            "chat_topic": f"{c}-{g}栋",
            "reporter_id": f"r{i}", "reporter_name": "居民", "category": rnd.choice(CATEGORIES), "urgency": "normal",
            "level": 2 if escalated else 1, "holder_id": f"w{c}_{g}", "text": "楼道灯坏了", "result": "",
            "created_at": created, "updated_at": created, "level_since": created, "rating": "", "version": 0,
        }  # fmt: skip
        events.append(NewEvent(ticket_id=i, at=created, action="created"))
        if escalated:
            events.append(NewEvent(ticket_id=i, at=deadline, action="escalated", level=2))
        if active:
            row.update(state=rnd.choice(["open", "accepted"]), deadline_at=deadline, next_due_at=deadline)
        else:
            done = created + timedelta(hours=rnd.uniform(1, 30))
            rating = rnd.choice(["satisfied", "satisfied", "basic", "unsatisfied", ""])
            row.update(
                state="closed", resolved_at=done, closed_at=done, updated_at=done, result="已处理", rating=rating
            )
            events.append(NewEvent(ticket_id=i, at=done, action="resolved", actor_id=row["holder_id"], note="已处理",
                                   level=row["level"], data={"on_time": done <= deadline}))  # fmt: skip
            if rating:
                rated_at = done + timedelta(hours=1)
                events.append(NewEvent(ticket_id=i, at=rated_at, action="rated", actor_id=f"r{i}",
                                       data={"rating": rating}))  # fmt: skip
        tickets.append(row)
        if len(tickets) == 10_000:
            with store.begin() as uow:
                uow.tickets.add_many(tickets)
                uow.tickets.add_events(events)
            tickets, events = [], []
    with store.begin() as uow:
        uow.tickets.add_many(tickets)
        uow.tickets.add_events(events)


class DbTimer:
    """Time spent in the storage query functions the overview calls: statement, execution and every row
    fetched (SQLite computes much of a GROUP BY while rows are fetched, so cursor.execute alone undercounts)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.queries = 0
        self.parts: dict[str, list[float]] = {}
        for module, names in (
            (overview_queries, ["headline", "overdue_tickets", "per_category", "per_grid", "daily_new_closed"]),
            (stats, ["point_counts"]),
            (point_cache, ["events_since"]),
        ):
            for name in names:
                setattr(module, name, self._timed(name, getattr(module, name)))

    def _timed(self, name: str, func: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent = time.perf_counter() - t0
                self.total += spent
                self.queries += 1
                self.parts.setdefault(name, []).append(spent)

        return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = street(Path(tmp))
        store = Store(args.db or f"sqlite:///{tmp}/overview.db")
        started = time.perf_counter()
        seed(store, args.tickets)
        say(f"seeded {args.tickets:,} tickets in {time.perf_counter() - started:.1f} s ({store.engine.dialect.name})")
        timer = DbTimer()
        for who, label in (("super", "supervisor, whole street"), ("sec0", "secretary, one community"),
                           ("w0_0", "grid worker, one grid")):  # fmt: skip
            viewer = viewer_for(settings, who)
            assert viewer is not None
            db_times, totals = [], []
            past = point_cache.PastPoints()  # what the page keeps between refreshes: the month's ended days' 积分
            first = 0.0
            for run in range(args.runs + 1):
                timer.total, timer.queries = 0.0, 0
                t0 = time.perf_counter()
                with store.begin() as uow:
                    data = overview.build(uow, settings, viewer, NOW, past)
                if run == 0:  # the first view after the page started: nothing remembered yet
                    first = timer.total
                    timer.parts.clear()
                    continue
                totals.append(time.perf_counter() - t0)
                db_times.append(timer.total)
            say(
                f"overview, {label}: database {statistics.median(db_times) * 1000:.1f} ms "
                f"(best {min(db_times) * 1000:.1f}; first view after start {first * 1000:.1f}) "
                f"({timer.queries} query functions), whole build {statistics.median(totals) * 1000:.1f} ms "
                f"(median of {args.runs}); open {data['numbers']['open']:,}, overdue {data['numbers']['overdue']:,}"
            )
            say("    " + ", ".join(f"{n} {statistics.median(v) * 1000:.1f}" for n, v in timer.parts.items()) + " (ms)")
        store.dispose()
    say(machine() + ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
