"""Pipeline throughput: `gridbot replay` of a generated district log on SQLite and PostgreSQL, against the
bound the classifier alone sets on the same messages.

The log: 500 groups (5 communities × 25 grids × 4 groups), residents' small talk and about one
complaint in five (tests/genlog.py's texts), and grid workers' commands in private chat — /接单 on
their grid's newest open ticket, /办结 or /进展 on one they accepted, /上报, /我的. Commands name
tickets that exist: the log is made while a first, untimed replay runs (the generator looks at the
tickets that replay has opened so far), written to a file, and that file is then replayed, timed,
into a fresh SQLite file and a fresh PostgreSQL database (a throwaway server, tests/pgserver.py).

Per message, the replay's app reports (App.on_received) when the message arrived, when its turn
committed (its reply queued in the outbox) and when the outbox was drained (with group commit, the
messages of a batch arrive together: p50/p99 then include the wait for the batch's commit). Figures:
messages/s over the whole replay loop (sweep ticks and sends included, start-up excluded), and
p50/p99 of arrival → reply queued. The bound: normalise + segment + classify every message text of
the same log, no storage. Headline (issue #19): gridbot replay ÷ the durable echo bot as whole
processes on a 20,000-message log (bench/echo_ratio.py), printed first; then pipeline ÷ bound.

    python bench/pipeline_replay.py [--messages 100000] [--hours 36] [--skip-pg] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text

from bench.common import DbTimer, load, machine, peak_rss_mb, say
from bot.core.messages import IncomingMessage
from bot.core.settings import Settings, load_settings
from bot.runtime.app import App
from bot.runtime.replay import replay
from tests.genlog import CHATTER, COMPLAINTS, START, District, district

COMMUNITIES, GRIDS, GROUPS_PER_GRID = 5, 25, 4  # 500 groups
COMPLAINT_SHARE = 0.2
COMMAND_SHARE = 0.04


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Timings:
    """What App.on_received reports, message by message."""

    queued: list[float] = field(default_factory=list)  # arrival → reply queued (turn committed)
    first: float = 0.0
    last: float = 0.0
    in_messages: float = 0.0  # arrival → outbox drained, summed (the rest of the loop: sweep ticks, parsing)
    db: DbTimer | None = None
    commits: int = 0

    def __call__(self, msg: IncomingMessage, arrived: float, queued: float, drained: float) -> None:
        if not self.queued:
            self.first = arrived
        self.queued.append(queued - arrived)  # with group commit: from the batch's start to its commit
        # the messages of one batch share its arrival: each adds only the time after the one before it
        self.in_messages += drained - max(arrived, self.last)
        self.last = drained

    def rate(self) -> float:
        return len(self.queued) / (self.last - self.first)


class LogMaker:
    """The district's log, line by line, while an untimed replay runs: commands name real tickets."""

    def __init__(self, d: District, messages: int, seed: int = 11, hours: float = 36.0) -> None:
        self.d = d
        self.messages = messages
        self.hours = hours
        self.rng = random.Random(seed)
        self.app: App | None = None
        self.grids = sorted(d.worker_of_grid)
        self.said: set[tuple[str, str]] = set()  # (resident, text): nobody says the same thing twice

    def attach(self, app: App) -> None:
        self.app = app

    def _active(self, grid: str) -> list[tuple[int, str, str]]:
        assert self.app is not None
        with self.app.services.store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, state, holder_id FROM tickets WHERE grid_id = :g AND state IN ('open', 'accepted') "
                    "ORDER BY id DESC LIMIT 8"
                ),
                {"g": grid},
            ).all()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def _command(self, grid: str) -> str:
        worker = self.d.worker_of_grid[grid]
        active = self._active(grid)
        fresh = [tid for tid, state, _ in active if state == "open"]
        mine = [tid for tid, state, holder in active if state == "accepted" and holder == worker]
        roll = self.rng.random()
        if fresh and (roll < 0.5 or not mine):
            return f"/接单 {fresh[0]}"
        if mine and roll < 0.85:
            return f"/办结 {mine[-1]} 已上门处理，住户确认问题解决"
        if mine and roll < 0.95:
            return f"/进展 {mine[-1]} 已联系物业，明天上午处理"
        if roll < 0.97:
            return f"/上报 {self.rng.randint(1, 30)}栋楼道堆放杂物，巡查发现"
        return "/我的"

    def _resident(self, chat: str, pool: tuple[str, ...]) -> tuple[str, str]:
        for _ in range(20):
            sender = f"wxid_res_{chat}_{self.rng.randint(1, 40)}"
            said = self.rng.choice(pool).format(b=self.rng.randint(1, 30), u=self.rng.randint(1, 9))
            if pool is not COMPLAINTS or (sender, said) not in self.said:
                self.said.add((sender, said))
                return sender, said
        return sender, said

    def lines(self, out: Path) -> Iterator[str]:
        span = timedelta(hours=self.hours)
        step = span / max(1, self.messages)
        topics = self.d.config["group_names"]
        with out.open("w", encoding="utf-8") as fh:
            for i in range(self.messages):
                ts = START + step * i
                roll = self.rng.random()
                if roll < COMMAND_SHARE:
                    grid = self.rng.choice(self.grids)
                    worker = self.d.worker_of_grid[grid]
                    obj: dict[str, Any] = {
                        "id": f"m{i}",
                        "chat_id": worker,
                        "sender_id": worker,
                        "sender_name": f"网格员{grid}",
                        "text": self._command(grid),
                    }
                else:
                    chat = self.rng.choice(self.d.groups)
                    sender, said = self._resident(
                        chat, COMPLAINTS if roll < COMMAND_SHARE + COMPLAINT_SHARE else CHATTER
                    )
                    obj = {
                        "id": f"m{i}",
                        "chat_id": chat,
                        "chat_topic": topics.get(chat, ""),
                        "sender_id": sender,
                        "sender_name": f"居民{sender[-4:]}",
                        "text": said,
                    }
                obj["ts"] = ts.isoformat()
                line = json.dumps(obj, ensure_ascii=False) + "\n"
                fh.write(line)
                yield line


def outcome(url: str) -> dict[str, int]:
    from storage.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM tickets), "
                "(SELECT count(*) FROM events WHERE action = 'accepted'), "
                "(SELECT count(*) FROM events WHERE action = 'resolved'), "
                "(SELECT count(*) FROM events WHERE action = 'joined'), "
                "(SELECT count(*) FROM events WHERE action = 'escalated'), "
                "(SELECT count(*) FROM outbox)"
            )
        ).one()
    engine.dispose()
    keys = ("tickets", "accepted", "resolved", "joined", "escalated", "outbox")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def timed_replay(settings: Settings, log: Path, url: str, profile: Path | None) -> Timings:
    timings = Timings()

    def instrument(app: App) -> None:
        app.on_received = timings
        timings.db = DbTimer(app.services.store.engine)

        def committed(conn: Any) -> None:
            timings.commits += 1

        event.listen(app.services.store.engine, "commit", committed)

    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    summary = asyncio.run(replay(settings, log, db_url=url, sent_path=None, instrument=instrument))
    if profiler is not None:
        profiler.disable()
        assert profile is not None
        profiler.dump_stats(str(profile))
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(45)
        say(buf.getvalue())
    if summary.skipped:
        raise SystemExit(f"{summary.skipped} log lines skipped")
    return timings


def bound(settings: Settings, log: Path) -> float:
    """Messages per second through normalise + segment + classify alone, on the same texts."""
    from nlp.classifier import Classifier

    classifier = Classifier(settings.lexicon or None)
    texts = [json.loads(line)["text"] for line in log.open(encoding="utf-8")]
    classifier.classify(texts[0])
    best = 0.0
    for _ in range(2):  # the better of two passes: the machine is shared
        started = time.perf_counter()
        for t in texts:
            classifier.classify(t)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def report(name: str, timings: Timings, limit: float, result: dict[str, int]) -> None:
    rate = timings.rate()
    say(
        f"{name}: {len(timings.queued):,} messages at {rate:,.0f} messages/s; arrival → reply queued "
        f"p50 {percentile(timings.queued, 50) * 1000:.2f} ms, p99 {percentile(timings.queued, 99) * 1000:.2f} ms; "
        f"pipeline ÷ bound = {rate / limit:.4f}"
    )
    loop = timings.last - timings.first
    n = len(timings.queued)
    if timings.db is not None:
        say(
            f"{name}: where the time goes: {timings.in_messages / loop:.0%} in message turns (store, handle, send), "
            f"the rest in sweep ticks between them; database driver {timings.db.seconds / loop:.0%} of it; "
            f"{timings.db.statements / n:.1f} statements and {timings.commits / n:.1f} commits per message"
        )
    say(f"{name}: " + ", ".join(f"{k} {v:,}" for k, v in result.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument(
        "--hours",
        type=float,
        default=36.0,
        help="the log's span: 100,000 messages in 36 h is 46 a minute; a short run at that rate, e.g. "
        "--messages 5000 --hours 1.8, batches as many messages per commit (group commit: up to a sweep tick)",
    )
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    parser.add_argument("--profile", type=Path, help="cProfile the SQLite replay into this file")
    parser.add_argument("--log", type=Path, help="keep the generated log here; reuse it if it exists (same --messages)")
    parser.add_argument("--echo-messages", type=int, default=20_000, help="the headline's log (0: no headline)")
    args = parser.parse_args()
    say(machine() + f", {load()}")
    if args.echo_messages:
        from bench.echo_ratio import headline, measure

        with tempfile.TemporaryDirectory() as echo_tmp:
            say(headline(measure(args.echo_messages, 2, Path(echo_tmp))))
    d = district(COMMUNITIES, GRIDS, GROUPS_PER_GRID)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = d.write(tmp / "district.yaml")
        settings = load_settings(config, env={})
        log = args.log or tmp / "district.jsonl"
        reference: dict[str, int] | None = None
        if log.exists():
            say(f"log: {sum(1 for _ in log.open(encoding='utf-8')):,} messages in {len(d.groups)} groups, from {log}")
        else:
            started = time.perf_counter()
            maker = LogMaker(d, args.messages, hours=args.hours)
            made_url = f"sqlite:///{tmp}/made.db"
            made = asyncio.run(
                replay(settings, maker.lines(log), db_url=made_url, sent_path=None, instrument=maker.attach)
            )
            reference = outcome(made_url)
            say(
                f"log: {made.messages:,} messages in {len(d.groups)} groups, made in "
                f"{time.perf_counter() - started:.0f} s (an untimed replay)"
            )

        limit = bound(settings, log)
        say(f"bound: the classifier alone (normalise + segment + classify, no storage): {limit:,.0f} messages/s")

        sqlite_url = f"sqlite:///{tmp}/timed.db"
        timings = timed_replay(settings, log, sqlite_url, args.profile)
        result = outcome(sqlite_url)
        report("SQLite", timings, limit, result)
        if reference is not None and result != reference:
            say(f"WARNING: the timed replay differs from the one that made the log: {reference}")
        say(f"peak RSS of this process: {peak_rss_mb():.0f} MB")

        if not args.skip_pg:
            from tests.pgserver import PgServer

            with PgServer() as server:
                url = server.create_database("bench")
                timings = timed_replay(settings, log, url, None)
                pg_result = outcome(url)
                report("PostgreSQL", timings, limit, pg_result)
                if pg_result != result:
                    say("WARNING: the PostgreSQL replay differs from the SQLite one")
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
