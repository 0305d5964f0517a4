"""`gridbot replay`: a chat log through the full pipeline on the memory adapter, in simulated time.

The clock is set to each line's timestamp; between one line and the next the
sweep runs at its configured interval in simulated time (jumping straight to
the next minute at which something is due), so reminders and escalations
happen at the simulated minute they would have. Storage commits exactly as
in the live bot. The log's format, the `--sent` lines and the summary line are
described in the README ("Replay"); replay_io.py reads and writes them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.core.clock import FakeClock
from bot.core.messages import IncomingMessage
from bot.core.settings import Settings
from bot.runtime import collector
from bot.runtime.app import App, build_app
from bot.runtime.replay_io import BadLine, RecordingAdapter, open_sent, parse_line, settle_stranded
from handlers.domain.people import name_of
from storage.retry import wait_for_db

BATCH = 64  # messages a commit at most (group commit); about a sweep interval of a busy district's log


@dataclass
class ReplaySummary:
    messages: int = 0
    tickets: int = 0
    sent: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "tickets": self.tickets,
            "sent": self.sent,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }


def _lines(source: Path | Iterable[str]) -> Iterator[tuple[int, str]]:
    if isinstance(source, Path):
        with source.open(encoding="utf-8") as fh:
            yield from _lines(fh)
        return
    for number, raw in enumerate(source, start=1):
        if raw.strip():
            yield number, raw


async def replay(
    settings: Settings,
    log_path: Path | Iterable[str],
    *,
    db_url: str | None,
    sent_path: Path | None,
    errors: TextIO | None = None,
    send_delay: float = 0.0,
    instrument: Callable[[App], None] | None = None,
    batch: int | None = None,
) -> ReplaySummary:
    """`log_path` is a JSONL file, or lines produced as the replay goes (bench/ makes its log that way).
    `instrument` (bench/) sees the app once it is built, before the first message.

    Group commit (`batch`, default BATCH): consecutive messages up to the next sweep tick on the interval's
    grid, at most `batch` of them, are stored and handled in one transaction (handlers/group_commit.py);
    what they queued is drained after the commit, each message's posts at its own time. 1: each message
    stored and handled in commits of its own, as the live bot does."""
    batch = BATCH if batch is None else max(1, batch)
    errors = errors or sys.stderr
    started = time.perf_counter()
    summary = ReplaySummary()
    clock: FakeClock | None = None
    app: App | None = None
    adapter: RecordingAdapter | None = None
    interval = timedelta(seconds=settings.sweep_interval_seconds)
    next_tick: datetime | None = None
    out, last_sent = open_sent(sent_path) if sent_path else (None, None)
    written = 0
    waiting: list[IncomingMessage] = []  # the batch being gathered

    def flush_sent() -> None:
        nonlocal written
        if adapter is None:
            return
        adapter.sync()
        summary.sent += len(adapter.sent) - written
        written = len(adapter.sent)

    async def handle_waiting() -> None:
        assert app is not None
        assert clock is not None
        if batch == 1:
            for msg in waiting:
                if msg.timestamp >= clock.now():
                    clock.set(msg.timestamp)
                await app.receive(msg)
        else:
            await app.receive_batch(waiting, _OwnTimes(clock, waiting))
        summary.messages += len(waiting)
        waiting.clear()
        flush_sent()

    try:
        for number, raw in _lines(log_path):
            try:
                msg = parse_line(raw)
            except BadLine as exc:
                where = log_path if isinstance(log_path, Path) else "<lines>"
                errors.write(f"{where}:{number}: skipped: {exc}\n")
                summary.skipped += 1
                continue
            if clock is None:
                clock = FakeClock(msg.timestamp, settings.tz)
                adapter = RecordingAdapter(clock.now, out)
                adapter.send_delay = send_delay
                app = build_app(settings, adapter, db_url=db_url, clock=clock)
                if instrument is not None:
                    instrument(app)
                with app.services.store.begin() as uow:
                    before = uow.counts()["tickets"]
                    resumed = uow.messages.last_time()
                if resumed is not None and resumed < msg.timestamp:
                    # continuing an earlier replay: simulated time resumes where that one stopped,
                    # so every sweep tick in between still happens at its minute
                    clock.set(resumed)
                if out is not None:  # without a record of the platform, a stranded send is uncertain as live
                    settle_stranded(app.services.store, last_sent, clock.now())
                resume_at = clock.now()
                # what a killed batch's commit queued and its drain had not sent yet: at each post's own time
                await _drain_own_times(app, clock, resume_at)
                await app.start(at_own_time=_at_own_time(app, clock, resume_at))
                # repair ran earlier messages at their own times (never later ones): time goes on from here
                clock.set(resume_at)
                flush_sent()
                next_tick = _align(clock.now(), interval)
                collector.resume()  # built and repaired: collection goes on from here (bot/runtime/collector.py)
            assert app is not None
            assert next_tick is not None
            if waiting and (msg.timestamp >= next_tick or len(waiting) >= batch):
                await handle_waiting()  # a tick is due first (it sees what the batch committed), or the batch is full
            if not waiting:
                next_tick = await _advance(app, clock, next_tick, msg.timestamp, interval)
            waiting.append(msg)
        if waiting:
            await handle_waiting()
        if app is not None:
            with app.services.store.begin() as uow:
                summary.tickets = uow.counts()["tickets"] - before
            app.services.store.dispose()
    finally:
        if out is not None:
            out.close()
    summary.seconds = time.perf_counter() - started
    return summary


class _OwnTimes:
    """The clock for message i of a batch: its own time for its turn (never back before the last one's, as
    for messages handled one by one), and the same time again when what it queued is drained."""

    def __init__(self, clock: FakeClock, msgs: list[IncomingMessage]) -> None:
        self.clock = clock
        self.msgs = msgs
        self.times: dict[int, datetime] = {}

    def __call__(self, i: int) -> None:
        if i not in self.times:
            if self.msgs[i].timestamp >= self.clock.now():
                self.clock.set(self.msgs[i].timestamp)
            self.times[i] = self.clock.now()
        else:
            self.clock.set(self.times[i])


def _at_own_time(app: App, clock: FakeClock, start: datetime) -> Callable[[datetime], Awaitable[bool]]:
    """Start-up repair handles each stored-but-unhandled message at its own received time, and what the
    one before it queued goes out at that one's time, as in a replay that was never interrupted.

    Only messages up to `start`, this replay's own time: a later one is in its future. It is either
    another replay's on the same database, stored a moment ago and about to be handled there (taking it
    would run this replay's clock ahead of its own log, and every message after at the wrong time), or a
    line of this log stranded by a crash, handled when the log reaches it again."""

    async def at(when: datetime) -> bool:
        if when > start:
            return False
        await _drain_own_times(app, clock, when)
        clock.set(when)
        return True

    return at


async def _drain_own_times(app: App, clock: FakeClock, until: datetime) -> None:
    """Send what is queued and due by `until`, each post at the time it was queued for (its `not_before`),
    as the replay that queued it would have after each message's turn; the caller sets the clock after."""
    last: datetime | None = None
    while True:
        with app.services.store.begin() as uow:
            due = uow.outbox.next_time()
        if due is None or due > until or (last is not None and due <= last):
            return  # nothing more by then, or what is left is not this account's to send now
        clock.set(due)
        last = due
        await wait_for_db(app.dispatcher.drain, "outbox")


def _align(when: datetime, interval: timedelta) -> datetime:
    """The first sweep instant after `when` on the interval's grid (whole minutes by default)."""
    step = int(interval.total_seconds())
    epoch = int(when.timestamp())
    return datetime.fromtimestamp((epoch // step + 1) * step, when.tzinfo)


async def _advance(app: Any, clock: FakeClock, next_tick: datetime, until: datetime, interval: timedelta) -> datetime:
    """Run every sweep tick up to `until`, skipping quiet stretches where nothing can be due."""

    async def next_due() -> datetime | None:
        due: datetime | None = app.services.store.next_due_time()
        return due

    while next_tick <= until:
        due = await wait_for_db(next_due, "replay clock")
        if due is None or due > until:
            break
        if due > next_tick:  # jump to the first tick at or after the next due moment
            steps = -(-(due - next_tick) // interval)
            next_tick = next_tick + steps * interval
            if next_tick > until:
                break
        clock.set(next_tick)
        await app.tick()
        next_tick += interval
    # keep the tick grid: the next tick after `until`
    if next_tick <= until:
        steps = (until - next_tick) // interval + 1
        next_tick = next_tick + steps * interval
    return next_tick


def names_for(settings: Settings) -> Any:
    return lambda pid: name_of(settings, pid)
