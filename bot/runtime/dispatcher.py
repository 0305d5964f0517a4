"""Drains the outbox into the adapter: retries failures, paces bursts, never resends blindly.

A row is marked `sending` (committed) before the platform call. If the process
dies during the call, the row stays `sending`; at the next start it becomes
`unknown` and the staff chat is asked to check, because a chat platform cannot
tell a resend from a new message. A call that was issued and lost its answer
(time-out, connection dropped mid-call: `SendError(uncertain=True)`) is treated
the same way at once; a send that certainly did not go out is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.messages import OutgoingMessage
from bot.core.port import Adapter, SendError
from bot.core.settings import Settings
from handlers.domain import account_limits
from handlers.domain.worktime import WorkCalendar
from storage.records import OutboxItem
from storage.retry import short, wait_for_db
from storage.states import OutboxState
from storage.store import Store
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
# how long the day's send count (account_limits) is kept between counts from the outbox
RECOUNT = timedelta(minutes=1)


class Pacer:
    """Sliding one-minute windows, per chat and overall, so a burst never looks like spam."""

    def __init__(self, per_chat: int, overall: int) -> None:
        self.per_chat = per_chat
        self.overall = overall
        self._all: deque[float] = deque()
        self._chats: dict[str, deque[float]] = {}

    def wait_time(self, chat_id: str, now: float) -> float:
        for window, limit in ((self._all, self.overall), (self._chats.setdefault(chat_id, deque()), self.per_chat)):
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= limit:
                return 60.0 - (now - window[0])
        return 0.0

    def record(self, chat_id: str, now: float) -> None:
        self._all.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        adapter: Adapter,
        clock: Clock,
        settings: Settings,
        *,
        paced: bool,
        to_platform: Callable[[OutgoingMessage], OutgoingMessage] = lambda out: out,
    ) -> None:
        self.store = store
        # stable keys → this login's platform ids, at the last moment (handlers/domain/identity.py)
        self.to_platform = to_platform
        self.adapter = adapter
        self.clock = clock
        self.settings = settings
        self.pacer = Pacer(settings.outbox.per_chat_per_minute, settings.outbox.global_per_minute) if paced else None
        self._wake = asyncio.Event()
        # this account speaks (#18): another bot account in the same groups sends while this one stands by
        # (bot/runtime/speaking.py sets it; a standby starts silent)
        self.speaking = not settings.account.standby
        self.consecutive_failures = 0
        # this local day's sends: counted from the outbox at the first drain of a day and again at most once a
        # RECOUNT (sends of another process of the same account are seen then), and kept by this one's sends
        # in between: the count was a statement and a commit of its own before every reply
        self._sent_today = 0
        self._counted: tuple[datetime, datetime] | None = None  # (the day counted, when)
        self._calendar = WorkCalendar.from_settings(settings)  # a held post waits out the next night too
        # at the last claim that found nothing: the store's outbox write count and when the next held row is due
        self._quiet: tuple[int, datetime | None] | None = None
        # the last post that went out, not yet marked `sent`: the mark rides in the next claim's commit.
        # Until then the row stays `sending`, so a crash before that commit leaves it as a crash during the
        # send does (reported at start-up, never resent), and only that one row: the next is claimed after
        self._unmarked: tuple[int, datetime] | None = None
        self._offline = False  # the adapter was not connected at the last drain

    def reconfigure(self, settings: Settings) -> None:
        """A config reload: new texts, retry limit and pacing (the pacing windows start afresh)."""
        old = self.settings.outbox
        self.settings = settings
        self._calendar = WorkCalendar.from_settings(settings)
        if self.pacer is not None and settings.outbox != old:
            self.pacer = Pacer(settings.outbox.per_chat_per_minute, settings.outbox.global_per_minute)

    def poke(self) -> None:
        self._wake.set()

    def _nothing_due(self) -> bool:
        """No row can be due: this process wrote nothing to the outbox since a claim found nothing there, and
        the held row that claim saw (if any) is not due yet. Rows another process queued are not seen here."""
        if self._quiet is None:
            return False
        writes, held = self._quiet
        return writes == self.store.outbox_writes and (held is None or self.clock.now() < held)

    async def drain(self, limit: int = 200, *, after_turn: bool = False) -> int:
        """Send everything due now; returns how many went out.

        `after_turn` (replay and tests, after a message's turn): skip the claim when nothing can be due
        (`_nothing_due`); a turn that queued a reply has moved the store's outbox count, so it goes out now.
        An account that stands by (`speaking` False) sends nothing: the rows wait for the speaking one."""
        if not self.speaking or (after_turn and self._nothing_due()):
            return 0
        if not self._connected():
            return 0
        self.store.lease.hold()
        try:
            return await self._drain(limit)
        finally:
            if self._unmarked is not None:  # the drain ended without another claim: the mark on its own
                await wait_for_db(self._mark_sent_alone, "outbox sent")

    def _connected(self) -> bool:
        """Whether the adapter is logged in and connected now. While it is not, nothing is claimed: a send
        into a dropped connection fails, spends one of the row's attempts and puts it behind a back-off (a
        gateway down for ten minutes would fail every reply for good), or, into a gateway that stopped
        answering, hangs until the send times out. The rows wait; the next login pokes the drain. Another
        account that takes over meanwhile finds them untouched."""
        health = self.adapter.health()
        if health.live:
            self._offline = False
            return True
        if not self._offline:  # once per episode, not at every wake-up
            log.info("outbox waits: the adapter is not connected (%s)", health.detail)
            self._offline = True
        return False

    async def _drain(self, limit: int) -> int:
        sent = 0
        # another account took over mid-drain: what is left is its to send; the connection dropped: the rest waits
        while self.speaking and self._connected():
            now = self.clock.now()
            day = account_limits.day_start(now, self.settings)
            if self._counted is None or self._counted[0] != day or now - self._counted[1] >= RECOUNT:
                with self.store.begin() as uow:  # the first drain, midnight passed, or a while since
                    self._sent_today = uow.outbox.sent_since(day, self.settings.account.id)
                self._counted = (day, now)
            writes = self.store.outbox_writes
            held: datetime | None = None
            # one row at a time: a row is `sending` only while its own call is under way, so after a
            # crash exactly that one is uncertain and every row behind it is sent normally
            with self.store.begin() as uow:
                marked = self._mark_sent(uow)
                claimed = uow.outbox.claim(now, limit=1, owner=self.store.lease.owner, account=self.settings.account.id)
                batch = [
                    (self._named(uow, item.message()), item.attempts)
                    for item in claimed
                    if not self._held(uow, item, now)
                ]
                # (a claimed row held at the day's limit is pending again, for the next day: claim on)
                if not claimed:
                    held = uow.outbox.next_time()  # the limit's holds included
            if marked:
                self._unmarked = None  # committed with this claim
                writes += 1  # (this commit's own mark is no write of a turn: it does not wake the next claim)
            if not claimed:
                self._quiet = (writes, held)
                return sent
            for out, attempts in batch:
                if self.pacer is not None:
                    delay = self.pacer.wait_time(out.chat_id, time.monotonic())
                    if delay > 0:
                        await asyncio.sleep(delay)
                ok = await self._send_one(out, attempts)
                sent += ok
                self._sent_today += ok
        return sent

    def _mark_sent(self, uow: UnitOfWork) -> bool:
        if self._unmarked is None:
            return False
        outbox_id, at = self._unmarked
        uow.outbox.finish(outbox_id, state=OutboxState.SENT, at=at)
        return True

    async def _mark_sent_alone(self) -> None:
        with self.store.begin() as uow:
            self._mark_sent(uow)
        self._unmarked = None

    def _held(self, uow: UnitOfWork, item: OutboxItem, now: datetime) -> bool:
        """At the day's messages limit a residents' group post that is not urgent waits for the next day."""
        if self._sent_today < self.settings.account_limits.messages_per_day:
            return False
        if not account_limits.is_held_at_limit(uow, self.settings, item):
            return False
        until = self._calendar.quiet_end(account_limits.next_day(now, self.settings))
        uow.outbox.hold(item.id, until=until, attempts=item.attempts - 1)
        log.info("outbox %s held until %s: %d messages sent today (account_limits)", item.id, until, self._sent_today)
        return True

    def _named(self, uow: UnitOfWork, out: OutgoingMessage) -> OutgoingMessage:
        """The message with the names its mentions render with: staff from config, residents as they last
        wrote (stored), so a restarted console shows `@刘先生`, not the id it never saw typed."""
        if not out.mention_ids or not self.adapter.mentions_by_stored_name:
            return out
        people = self.settings.people_by_id
        stored = uow.messages.names_of(m for m in out.mention_ids if m not in people)
        names = tuple(people[m].name if m in people else stored.get(m, "") for m in out.mention_ids)
        return replace(out, mention_names=names)

    async def _send_one(self, out: OutgoingMessage, attempts: int) -> bool:
        if out.outbox_id is None:
            raise ValueError("the dispatcher sends only messages claimed from the outbox")
        outbox_id, chat_id, text = out.outbox_id, out.chat_id, out.text
        try:
            await self.adapter.send(self.to_platform(out))
        except (SendError, OSError, TimeoutError) as exc:
            self.consecutive_failures += 1
            if isinstance(exc, SendError) and exc.uncertain:  # it may have gone out: a person checks, no resend
                log.warning("outbox %s: the answer to its send was lost (%s); not resent, staff asked", outbox_id, exc)
                why = f"answer lost during the send: {exc}"

                async def report() -> None:
                    with self.store.begin() as uow:
                        self._report_unknown(uow, outbox_id, chat_id, text, why)

                await wait_for_db(report, f"outbox {outbox_id} unknown")
                return False
            final = attempts >= self.settings.outbox.max_attempts
            retry = self.clock.now() + timedelta(seconds=min(600, 5 * 2 ** (attempts - 1)))
            log.warning(
                "send %s to %s failed (attempt %s%s): %s",
                outbox_id,
                chat_id,
                attempts,
                ", giving up" if final else "",
                exc,
            )
            error = str(exc)

            async def settle() -> None:
                with self.store.begin() as uow:
                    uow.outbox.finish(
                        outbox_id,
                        state=OutboxState.FAILED if final else OutboxState.PENDING,
                        at=self.clock.now(),
                        error=error,
                        retry_at=None if final else retry,
                    )

            # not sent, for certain: a database that blinks now must not leave the row `sending` (reported at
            # the next start as perhaps sent, and never tried again)
            await wait_for_db(settle, f"outbox {outbox_id} not sent")
            return False
        self.consecutive_failures = 0
        if self.pacer is not None:
            self.pacer.record(chat_id, time.monotonic())

        # the message is out: `sent` is written with the next claim (or alone when the drain ends), and kept
        # in memory until then even if the database blinks now
        self._unmarked = (outbox_id, self.clock.now())
        return True

    def _report_unknown(self, uow: UnitOfWork, outbox_id: int, chat_id: str, text: str, why: str) -> None:
        """Mark the row `unknown` (never resent) and ask each community's staff chat to check the chat."""
        now = self.clock.now()
        uow.outbox.finish(outbox_id, state=OutboxState.UNKNOWN, at=now, error=why)
        group, person = uow.chats.get(chat_id), self.settings.people_by_id.get(chat_id)
        where = (group.topic if group else "") or self.settings.group_names.get(chat_id) or (person and person.name)
        note = self.settings.texts.send_unknown.format(chat=where or chat_id, text=text[:60])
        staff_chats = dict.fromkeys(c.staff_chat for c in self.settings.all_communities if c.staff_chat)
        for chat in staff_chats:
            uow.outbox.enqueue(
                OutgoingMessage(chat_id=chat, text=note), at=now, dedupe_key=f"unknown:{outbox_id}:{chat}"
            )

    def recover_stranded(self) -> int:
        """Rows left `sending` by a dead process: mark `unknown` and ask staff to check them."""
        with self.store.begin() as uow:
            stranded = uow.outbox.stranded(self.store.lease)
            for item in stranded:
                self._report_unknown(uow, item.id, item.chat_id, item.text, "process stopped during the send")
                log.warning("outbox %s was being sent when the process stopped; not resent, staff asked", item.id)
        return len(stranded)

    async def run_forever(self, idle_seconds: float = 5.0) -> None:
        """Live mode: drain, then sleep until poked or a held message comes due."""
        while True:
            before = self._quiet
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; retrying shortly")
            if self._quiet is not None and self._quiet is not before:
                # the drain ended at a claim that found nothing, and read the next due time in that claim's
                # commit (no await since, so nothing was queued after it): not a transaction of its own again
                nxt = self._quiet[1]
            else:
                try:
                    with self.store.begin() as uow:
                        nxt = uow.outbox.next_time()
                except Exception as exc:  # the database is away (the drain failed for it too): look again later
                    log.warning("outbox: the next due time could not be read (%s); looking again shortly", short(exc))
                    nxt = None
            wait = idle_seconds
            # standing by, due rows are not this one's; not connected, the login pokes: no busy wait either way
            if nxt is not None and self.speaking and not self._offline:
                wait = max(0.05, min(wait, (nxt - self.clock.now()).total_seconds()))
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that arrives as the wake-up
            # does (a poke at shutdown), and the loop would never end
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
