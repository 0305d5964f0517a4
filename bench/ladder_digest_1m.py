"""The ladder sweep and the daily digest at 1,000,000 tickets on PostgreSQL.

A district's year (10 communities × 10 grids, tests/genlog.py's district config): 1,000,000 tickets
evenly over the year before `now`; those of the last 10 hours still open (accepted, their next
timer in the future), the rest closed with their timeline (created, accepted, resolved, mostly
rated: ≈4 event rows per ticket). The rows are made in the database (INSERT … SELECT over
generate_series), not through the pipeline. A throwaway server (tests/pgserver.py), fresh schema
through the migrations, ANALYZE after the load.

Figures: one sweep tick with nothing due (median of 5), one with 1,000 due (their deadline passed:
1,000 escalations with events and messages), and one community's digest (day, week, month):
database time (every statement's execution, SQLAlchemy cursor events) and wall time of composing
its text. Statements slower than 50 ms are printed with their EXPLAIN.

    python bench/ladder_digest_1m.py [--tickets 1000000] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.common import DbTimer, digest_runs, load, machine, say
from bot.core.clock import FakeClock
from bot.core.settings import load_settings
from bot.runtime.app import build_services
from handlers.jobs.sweep import run_sweep
from tests.genlog import district

TZ = ZoneInfo("Asia/Shanghai")
COMMUNITIES, GRIDS = 10, 10
CATEGORIES = ("noise", "parking", "sanitation", "repairs", "neighbor", "pets", "occupation", "other")


SEED_TICKETS = """
INSERT INTO tickets (community_id, grid_id, chat_id, chat_topic, reporter_id, reporter_name, category, urgency,
                     state, level, holder_id, text, result, created_at, updated_at, level_since, first_response_at,
                     resolved_at, closed_at, deadline_at, remind_at, next_due_at, rating, version)
SELECT 'c' || c, 'c' || c || 'g' || g, 'room_c' || c || 'g' || g || '_' || (i % 2), '网格群', 'wxid_r' || (i % 5000),
       '居民', (ARRAY['noise','parking','sanitation','repairs','neighbor','pets','occupation','other'])[1 + i % 8],
       'normal',
       CASE WHEN is_open THEN 'accepted' ELSE 'closed' END, 1, 'wxid_w_c' || c || 'g' || g,
       '楼下狗叫，晚上睡不着', CASE WHEN is_open THEN '' ELSE '已处理' END,
       created, created + interval '1 hour', created, created + interval '1 hour',
       CASE WHEN is_open THEN NULL ELSE created + (1 + i % 20) * interval '1 hour' END,
       CASE WHEN is_open THEN NULL ELSE created + (3 + i % 20) * interval '1 hour' END,
       CASE WHEN is_open THEN :now + interval '2 hours' + (i % 600) * interval '1 minute' END,
       CASE WHEN is_open THEN :now + interval '1 hour' + (i % 600) * interval '1 minute' END,
       CASE WHEN is_open THEN :now + interval '1 hour' + (i % 600) * interval '1 minute' END,
       CASE WHEN is_open OR i % 7 = 0 THEN '' WHEN i % 10 = 1 THEN 'basic' ELSE 'satisfied' END, 0
FROM (
  SELECT i, i % :communities AS c, (i / :communities) % :grids AS g,
         :now - (:count - i) * (interval '365 days' / :count) AS created,
         (:now - (:count - i) * (interval '365 days' / :count)) > :now - interval '10 hours' AS is_open
  FROM generate_series(1, :count) AS i
) AS s
"""

SEED_EVENTS = [
    """INSERT INTO events (ticket_id, at, actor_id, actor_name, action, note, data, level)
       SELECT id, created_at, reporter_id, '', 'created', '', '{"category": "' || category || '"}', 1 FROM tickets""",
    """INSERT INTO events (ticket_id, at, actor_id, actor_name, action, note, data, level)
       SELECT id, first_response_at, holder_id, '', 'accepted', '', '', 1 FROM tickets""",
    """INSERT INTO events (ticket_id, at, actor_id, actor_name, action, note, data, level)
       SELECT id, resolved_at, holder_id, '', 'resolved', '',
              '{"on_time": ' || CASE WHEN resolved_at <= created_at + interval '12 hours' THEN 'true' ELSE 'false' END
              || '}', 1
       FROM tickets WHERE resolved_at IS NOT NULL""",
    """INSERT INTO events (ticket_id, at, actor_id, actor_name, action, note, data, level)
       SELECT id, closed_at, reporter_id, '', 'rated', '', '{"rating": "' || rating || '"}', 1
       FROM tickets WHERE rating <> ''""",
]


def seed(engine: Any, count: int, now: datetime) -> tuple[int, int]:
    naive = now.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(text(SEED_TICKETS), {"now": naive, "count": count, "communities": COMMUNITIES, "grids": GRIDS})
        for stmt in SEED_EVENTS:
            conn.execute(text(stmt))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        tickets = int(conn.execute(text("SELECT count(*) FROM tickets")).scalar_one())
        events = int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    return tickets, events


def explain_slow(engine: Any, timer: DbTimer) -> None:
    for took, statement, params in sorted(timer.slow, key=lambda s: -s[0])[:3]:
        say(f"  slow statement ({took * 1000:.0f} ms): {' '.join(statement.split())[:300]}")
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            cur = raw.cursor()
            cur.execute("EXPLAIN ANALYZE " + statement, params)
            for (line,) in cur.fetchall()[:14]:
                say(f"    {line}")


async def sweep_figures(settings: Any, url: str, now: datetime, due: int) -> None:
    services = build_services(settings, db_url=url, clock=FakeClock(now, TZ))
    engine = services.store.engine
    timer = DbTimer(engine)
    await run_sweep(services, limit=10_000)  # warm: connections, the purge bookkeeping
    idle = []
    for _ in range(5):
        timer.reset()
        started = time.perf_counter()
        handled = await run_sweep(services, limit=10_000)
        idle.append((time.perf_counter() - started, timer.seconds, timer.statements, handled))
    wall, db, statements, handled = sorted(idle)[len(idle) // 2]
    open_count = int(services.store.peek(text("SELECT count(*) FROM tickets WHERE state = 'accepted'"))[0][0])
    say(
        f"sweep tick, nothing due ({open_count:,} open tickets): {wall * 1000:.1f} ms "
        f"({db * 1000:.1f} ms database time, {statements} statements; median of 5)"
    )
    explain_slow(engine, timer)
    naive = now.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE tickets SET next_due_at = :due, deadline_at = :due, remind_at = NULL "
                "WHERE id IN (SELECT id FROM tickets WHERE state = 'accepted' ORDER BY id LIMIT :n)"
            ),
            {"due": naive - timedelta(seconds=30), "n": due},
        )
    timer.reset()
    started = time.perf_counter()
    handled = await run_sweep(services, limit=10_000)
    wall = time.perf_counter() - started
    say(
        f"sweep tick, {handled:,} due (escalations with events and messages): {wall:.2f} s "
        f"({wall / max(1, handled) * 1000:.2f} ms per ticket; {timer.seconds:.2f} s database time, "
        f"{timer.statements:,} statements)"
    )
    explain_slow(engine, timer)
    services.store.dispose()


def digest_figures(settings: Any, url: str, now: datetime) -> None:
    from storage.store import Store

    store = Store(url)
    timer = DbTimer(store.engine)
    for run in digest_runs(store, settings, settings.all_communities[0], now):
        say(
            f"{run['period']:5} digest of one community: {run['db'] * 1000:7.1f} ms database time "
            f"({run['statements']} statements), {run['wall'] * 1000:7.1f} ms in all — {run['counts']}"
        )
        timer.slow = run["slow"]
        explain_slow(store.engine, timer)
    store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", default="", help="an empty PostgreSQL database (default: a throwaway server)")
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    say(machine() + f", {load()}")
    now = datetime(2026, 11, 23, 7, 30, tzinfo=TZ)
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        config = district(COMMUNITIES, GRIDS, 2).write(Path(tmp_name) / "district.yaml")
        settings = load_settings(config, env={})
        url = args.db
        if not url:
            from tests.pgserver import PgServer

            server = stack.enter_context(PgServer())
            url = server.create_database("bench")
        from storage.store import Store

        store = Store(url)  # the schema, through the migrations
        started = time.perf_counter()
        tickets, events = seed(store.engine, args.tickets, now)
        store.dispose()
        say(f"seeded {tickets:,} tickets and {events:,} event rows in {time.perf_counter() - started:.0f} s")
        digest_figures(settings, url, now)
        asyncio.run(sweep_figures(settings, url, now, args.due))
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
