"""One deadline-sweep tick over 100,000 open tickets in SQLite: nothing due, and 1,000 due.

Usage: .venv/bin/python bench/sweep_100k.py [--tickets N] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, say
from bot.core.clock import FakeClock
from bot.core.settings import load_settings
from bot.runtime.app import build_services
from handlers.jobs.sweep import run_sweep

TZ = ZoneInfo("Asia/Shanghai")
CONFIG = Path(__file__).resolve().parent.parent / "tests" / "data" / "config.yaml"


def seed(services, count: int, now: datetime, due: int) -> None:  # type: ignore[no-untyped-def]
    batch: list[dict[str, object]] = []
    for i in range(count):
        created = now - timedelta(minutes=i % 600)
        next_due = now - timedelta(seconds=30) if i < due else now + timedelta(hours=1 + i % 11)
        batch.append(
            {
                "community_id": "default",
                "grid_id": "g10",
                "chat_id": "room_tiancheng_3",
                "chat_topic": "美景天城3栋",
                "reporter_id": f"wxid_r{i}",
                "reporter_name": "居民",
                "category": "noise",
                "urgency": "normal",
                "state": "accepted",
                "level": 1,
                "holder_id": "wxid_zhangyan",
                "text": "楼下狗叫",
                "result": "",
                "created_at": created,
                "updated_at": created,
                "level_since": created,
                "deadline_at": next_due + timedelta(hours=2),
                "remind_at": next_due,
                "next_due_at": next_due,
                "rating": "",
                "version": 0,
            }
        )
        if len(batch) == 5000:
            with services.store.begin() as uow:
                uow.tickets.add_many(batch)
            batch = []
    with services.store.begin() as uow:
        uow.tickets.add_many(batch)


async def tick(services) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    handled = await run_sweep(services, limit=10_000)
    return time.perf_counter() - started, handled


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    settings = load_settings(CONFIG, env={})
    now = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/sweep.db"
        for due in (0, 1000):
            services = build_services(
                settings, db_url=url if args.db else f"sqlite:///{tmp}/sweep{due}.db", clock=FakeClock(now, TZ)
            )
            seed(services, args.tickets, now, due)
            await tick(services)  # warm: caches, the purge bookkeeping
            if due:  # the warm tick handled them; seed a fresh 1,000 due for the measured tick
                services.store.dispose()
                services = build_services(settings, db_url=f"sqlite:///{tmp}/sweep{due}b.db", clock=FakeClock(now, TZ))
                seed(services, args.tickets, now, due)
            seconds, handled = await tick(services)
            say(f"sweep tick, {args.tickets:,} open tickets, {handled:,} due: {seconds * 1000:.1f} ms")
            services.store.dispose()
    say(machine())


if __name__ == "__main__":
    asyncio.run(main())
