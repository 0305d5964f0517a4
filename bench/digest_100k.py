"""Database time of the supervisors' digests over 100,000 tickets in SQLite (day, week, month).

A year of one community's work (100,000 tickets, ≈5 timeline rows each): most closed on time and
rated, some reopened, escalated or reworked, the last days' tickets still open, some overdue.
Database time is the sum of every statement's execution (SQLAlchemy cursor events) while one
digest text is composed; the wall time adds the Python that words it. No chart is drawn.

Usage: .venv/bin/python bench/digest_100k.py [--tickets N] [--db URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Unpack
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.common import digest_runs, machine, say
from bot.core.settings import load_settings
from storage.store import Store
from storage.writes import EventData, NewEvent

TZ = ZoneInfo("Asia/Shanghai")
CONFIG = Path(__file__).resolve().parent.parent / "tests" / "data" / "config.yaml"
CATEGORIES = ("noise", "parking", "sanitation", "repairs", "neighbor", "pets", "occupation", "other")
GRIDS = (("g10", "wxid_zhangyan", "room_tiancheng_3"), ("g11", "wxid_li", "room_jingyuan_2"))
BATCH = 5000


def _event(ticket_id: int, action: str, at: datetime, actor: str = "", **data: Unpack[EventData]) -> NewEvent:
    return NewEvent(ticket_id=ticket_id, action=action, at=at, actor_id=actor, data=data or None)


def seed(store: Store, count: int, now: datetime) -> int:
    """`count` tickets spread over the year before `now`; returns how many event rows were written."""
    rnd = random.Random(6)
    span = timedelta(days=365).total_seconds()
    tickets: list[dict[str, Any]] = []
    events: list[NewEvent] = []
    written = 0
    for i in range(count):
        tid = i + 1
        created = now - timedelta(seconds=span * (count - i) / count)
        grid, worker, chat = GRIDS[i % 2]
        age = now - created
        escalated = rnd.random() < 0.08
        response = created + timedelta(minutes=rnd.randint(5, 600))
        resolved = created + timedelta(hours=rnd.uniform(1, 30 if escalated else 11))
        is_open = resolved > now or (age < timedelta(hours=36) and rnd.random() < 0.5)
        deadline = created + timedelta(hours=12)
        events.append(_event(tid, "created", created, category=CATEGORIES[i % len(CATEGORIES)]))
        events.append(_event(tid, "accepted", response, worker))
        if escalated:
            events.append(_event(tid, "escalated", deadline, "", level_to=2))
        state, rating, closed = "accepted", "", None
        if not is_open:
            state = "closed"
            events.append(_event(tid, "resolved", resolved, worker, on_time=resolved <= deadline and not escalated))
            roll = rnd.random()
            rating = "satisfied" if roll < 0.7 else "basic" if roll < 0.8 else "unsatisfied" if roll < 0.85 else ""
            if rating:
                events.append(_event(tid, "rated", resolved + timedelta(hours=2), f"wxid_r{i}", rating=rating))
            if rating == "unsatisfied":
                events.append(_event(tid, "reopened", resolved + timedelta(hours=2), f"wxid_r{i}"))
            closed = resolved + timedelta(hours=2)
        tickets.append(
            {
                "community_id": "default",
                "grid_id": grid,
                "chat_id": chat,
                "chat_topic": "美景天城3栋",
                "reporter_id": f"wxid_r{i}",
                "reporter_name": "居民",
                "category": CATEGORIES[i % len(CATEGORIES)],
                "urgency": "normal",
                "state": state,
                "level": 2 if escalated and is_open else 1,
                "holder_id": "wxid_yanghx" if escalated and is_open else worker,
                "text": "楼下狗叫，电话13812345678",
                "result": "" if is_open else "已处理",
                "created_at": created,
                "updated_at": closed or response,
                "level_since": deadline if escalated else created,
                "first_response_at": response if response <= now else None,
                "resolved_at": None if is_open else resolved,
                "closed_at": closed,
                "deadline_at": (deadline + timedelta(hours=12) if escalated else deadline) if is_open else None,
                "next_due_at": None,
                "rating": rating,
                "version": 0,
            }
        )
        if len(tickets) == BATCH:
            with store.begin() as uow:
                uow.tickets.add_many(tickets)
                uow.tickets.add_events(events)
            written += len(events)
            tickets, events = [], []
    with store.begin() as uow:
        uow.tickets.add_many(tickets)
        uow.tickets.add_events(events)
    return written + len(events)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    settings = load_settings(CONFIG, env={})
    community = settings.all_communities[0]
    now = datetime(2026, 11, 23, 7, 30, tzinfo=TZ)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.db or f"sqlite:///{tmp}/digest.db")
        started = time.perf_counter()
        events = seed(store, args.tickets, now)
        say(f"seeded {args.tickets:,} tickets and {events:,} event rows in {time.perf_counter() - started:.1f} s")
        for run in digest_runs(store, settings, community, now):
            say(
                f"{run['period']:5} digest: {run['db'] * 1000:7.1f} ms database time ({run['statements']} statements), "
                f"{run['wall'] * 1000:7.1f} ms in all — {run['counts']}"
            )
        store.dispose()
    say(machine())


if __name__ == "__main__":
    main()
