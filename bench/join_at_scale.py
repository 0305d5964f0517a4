"""The join's candidate tickets at a district's year of tickets: a group's recent tickets of one category,
what every report that might join one asks (storage/repos/tickets.py `in_chat`).

.venv/bin/python bench/join_at_scale.py [--tickets 100000] [--calls 300]

Seeds SQLite (the schema as a new database gets it) with N tickets in 500 groups and five categories over a
year, nearly all closed, then times the repository call in a turn, with the index migration 0018 added and
with it dropped (as every database before 0018 was), in one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.common import load, machine, say
from storage.states import ACTIVE_STATES, TicketState
from storage.store import Store

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CATEGORIES = ("noise", "occupation", "repairs", "safety", "sanitation")
GROUPS = 500
INDEX = "ix_tickets_chat_category_created"


def seed(store: Store, count: int) -> None:
    batch: list[dict[str, object]] = []
    for i in range(count):
        created = NOW - timedelta(minutes=(i * 5) % (365 * 24 * 60))
        recent = i % 997 == 0  # a few open ones, reported in the last day
        batch.append(
            {
                "community_id": f"c{i % 5}",
                "grid_id": f"g{i % 125}",
                "chat_id": f"room_{i % GROUPS}",
                "chat_topic": "楼栋群",
                "reporter_id": f"wxid_r{i}",
                "reporter_name": "居民",
                "category": CATEGORIES[(i // GROUPS) % len(CATEGORIES)],
                "urgency": "normal",
                "state": TicketState.ACCEPTED if recent else TicketState.CLOSED,
                "level": 1,
                "holder_id": "wxid_w",
                "text": "楼下狗叫",
                "result": "",
                "created_at": NOW - timedelta(hours=i % 20) if recent else created,
                "updated_at": created,
                "level_since": created,
                "rating": "",
                "version": 0,
            }
        )
        if len(batch) == 5000:
            with store.begin() as uow:
                uow.tickets.add_many(batch)
            batch = []
    with store.begin() as uow:
        uow.tickets.add_many(batch)


def timed(store: Store, calls: int) -> tuple[float, int]:
    """Median ms of one `in_chat` call, and the tickets the calls found."""
    took, found = [], 0
    for i in range(calls):
        chat, category = f"room_{(i * 7) % GROUPS}", CATEGORIES[i % len(CATEGORIES)]
        with store.begin() as uow:
            started = time.perf_counter()
            found += len(uow.tickets.in_chat(chat, category, states=ACTIVE_STATES, since=NOW - timedelta(days=3)))
            took.append(time.perf_counter() - started)
    return statistics.median(took) * 1000, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/scale.db")
        seed(store, args.tickets)
        with_index, found = timed(store, args.calls)
        with store.engine.begin() as conn:
            conn.execute(text(f"DROP INDEX {INDEX}"))
        without, found_without = timed(store, args.calls)
        assert found == found_without, "the same tickets either way"
        store.dispose()
    say(
        f"join candidates (a group's recent tickets of one category), {args.tickets:,} tickets in {GROUPS} groups, "
        f"SQLite, median of {args.calls}: {without:.2f} ms without {INDEX} (before migration 0018), "
        f"{with_index:.3f} ms with it ({found} tickets found in the calls); {load()}"
    )
    say(machine())


if __name__ == "__main__":
    main()
