"""What deciding a join costs: one report against every open ticket of its group (issue 22 item 1).

.venv/bin/python bench/join_matter.py [--tickets 50] [--reports 2000]

Pure part: `nlp.matter` reading a report and comparing it with N open tickets' texts, with the tickets'
matters cached (as in the bot: a ticket's text is read once per process) and uncached (a fresh process,
or more open tickets than the cache holds). Whole turn: the bot with N open repair tickets in one group
(SQLite in a temporary directory), each further report timed from arrival to its reply queued, and the
share of that spent choosing the ticket to join. Half the further reports join a ticket, half match none
and open their own, so the group holds 50 open tickets at first and 150 at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import load, machine, say
from nlp import matter

THINGS = ["水管漏水了", "楼道灯不亮", "电梯坏了", "门禁刷不开", "暖气不热", "下水道堵了", "楼道的窗户关不上"]
TAIL = "，麻烦物业尽快派人处理一下，谢谢"


def ticket_texts(n: int) -> list[str]:
    """N different repair matters: one thing per unit and floor, some with the usual polite tail."""
    combos = itertools.product(range(1, 10), range(1, 30), THINGS)
    return [f"{u}单元{f}楼{t}{TAIL if i % 2 else ''}" for i, (u, f, t) in zip(range(n), combos, strict=False)]


def pure(tickets: list[str], reports: int) -> None:
    queries = [f"{u}单元{f}楼{t}" for u, f, t in itertools.product(range(10, 30), range(1, 30), THINGS)][:reports]
    for label, cached in (("cached", True), ("uncached", False)):
        matter.matter_of.cache_clear()
        for text in tickets:
            matter.matter_of(text)
        started = time.perf_counter()
        for query in queries:
            if not cached:
                matter.matter_of.cache_clear()
            report = matter.matter_of(query)
            for text in tickets:
                matter.compare(matter.matter_of(text), report, words_threshold=0.3)
        per = (time.perf_counter() - started) / len(queries)
        say(f"nlp.matter, one report against {len(tickets)} open tickets ({label} ticket matters): {per * 1e6:,.0f} µs")


CONFIG = Path(__file__).resolve().parent.parent / "tests" / "data" / "config.yaml"


async def turn(tickets: list[str], reports: int) -> None:
    from bot.adapters.memory import MemoryAdapter
    from bot.core.clock import FakeClock
    from bot.core.messages import IncomingMessage
    from bot.core.settings import load_settings
    from bot.runtime.app import build_app
    from handlers.resident import joining
    from tests.conftest import START, TZ

    spent = [0.0]
    choose = joining._best

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return choose(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    joining._best = timed  # type: ignore[assignment]
    settings = load_settings(CONFIG, env={})
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START, TZ)
        adapter = MemoryAdapter(clock.now)
        app = build_app(settings, adapter, db_url=f"sqlite:///{tmp}/bench.db", clock=clock)
        await app.start()
        ids = itertools.count()

        async def say_(text: str) -> float:
            n = next(ids)
            msg = IncomingMessage(
                message_id=f"b{n}",
                chat_id="room_tiancheng_3",
                chat_topic="美景天城3栋",
                sender_id=f"wxid_bench_{n}",
                sender_name=f"居民{n}",
                text=text,
                timestamp=clock.now(),
            )
            started = time.perf_counter()
            await app.receive(msg)
            clock.advance(timedelta(seconds=1))
            return time.perf_counter() - started

        for text in tickets:
            await say_(text)
        with app.services.store.begin() as uow:
            opened = uow.counts()["tickets"]
        say(f"{opened} tickets opened from {len(tickets)} different matters")
        spent[0] = 0.0
        durations = []
        for i in range(reports):
            # alternately a report that joins one of them and one that matches none (every candidate read)
            text = tickets[i % len(tickets)].split("，")[0] if i % 2 else f"{10 + i}单元{i % 29 + 1}楼电梯坏了"
            durations.append(await say_(text))
        app.services.store.dispose()
    total = sum(durations)
    say(
        f"whole turn, {len(tickets)}–{len(tickets) + reports // 2} open tickets in the group:"
        f" p50 {statistics.median(durations) * 1e3:.2f} ms,"
        f" mean {total / len(durations) * 1e3:.2f} ms; choosing the ticket to join {spent[0] / total:.1%} of it"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--reports", type=int, default=2000)
    args = parser.parse_args()
    say(machine())
    say(load())
    tickets = ticket_texts(args.tickets)
    pure(tickets, args.reports)
    asyncio.run(turn(tickets, min(args.reports, 200)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
