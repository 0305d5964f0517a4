"""Which bot account speaks (#18): two accounts may sit in the same groups; exactly one sends.

Every process holds or watches the speaking lease (storage/repos/speaker.py) every third of
`account.takeover_seconds`. The holder renews it while its adapter is live (logged in, connected). Another
account takes it when it has seen the same beat for `takeover_seconds` by its own clock and is live itself,
or at once when the lease was given up (a clean stop). The taker sends what the outbox still holds: rows left
`sending` by a process that died are reported, never resent; retries the old account was waiting out come due
now; and the staff chat is told. No reply goes out twice: the outbox claim is a row lock and a state change,
whichever account claims. A single-account office configures nothing: its one process takes the free lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.messages import OutgoingMessage
from bot.core.port import Adapter
from bot.runtime.dispatcher import Dispatcher
from handlers.deps import Services
from storage.records import SpeakerLease
from storage.states import OutboxState
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Speaking:
    def __init__(self, services: Services, adapter: Adapter, dispatcher: Dispatcher, clock: Clock) -> None:
        self.services = services
        self.adapter = adapter
        self.dispatcher = dispatcher
        self.clock = clock
        self.started = clock.now()
        # the other account's lease as last seen, and since when (this process's clock) it has not moved
        self._seen: tuple[str, int] | None = None
        self._seen_at = self.started

    @property
    def interval(self) -> float:
        return self.services.settings.account.takeover_seconds / 3

    def _still(self, lease: SpeakerLease, now: datetime) -> timedelta:
        """How long this process has seen the lease stand still (not renewed)."""
        if self._seen != (lease.account, lease.beat):
            self._seen, self._seen_at = (lease.account, lease.beat), now
        return now - self._seen_at

    async def tick(self) -> bool:
        """Renew, take or watch the lease; whether this account speaks now (the dispatcher follows)."""
        account = self.services.settings.account
        takeover = timedelta(seconds=account.takeover_seconds)
        owner = self.services.store.lease.owner
        now = self.clock.now()
        live = self.adapter.health().live
        took: SpeakerLease | None = None
        with self.services.store.begin() as uow:
            lease = uow.speaker.get()
            if lease is not None and lease.account == account.id:
                # ours: renewed while live; not live, it stands still and another account may take it
                speaking = uow.speaker.renew(account.id, owner) if live else True
            else:
                free = lease is None or not lease.account
                still = self._still(lease, now) if lease is not None else timedelta(0)
                if free:  # a standby lets a speaking account starting beside it go first
                    may = not account.standby or now - self.started >= takeover
                else:
                    may = live and still >= takeover
                speaking = may and uow.speaker.take(account.id, owner, now, seen=lease)
                # from another account: not the first take of a new database, nor this account's own lease
                # again after its clean stop (a single-account office restarting)
                previous = (lease.account or lease.note) if lease is not None else ""
                if speaking and lease is not None and previous not in ("", account.id):
                    took = lease
                    self._took_over(uow, lease, still, now)
        if speaking != self.dispatcher.speaking:
            log.warning("account %s %s", account.id, "speaks now" if speaking else "stands by: another account speaks")
        self.dispatcher.speaking = speaking
        if took is not None:
            self.dispatcher.recover_stranded()  # a process that died mid-send: its row is reported, not resent
        if speaking:
            self.dispatcher.poke()
        return speaking

    def _took_over(self, uow: UnitOfWork, lease: SpeakerLease, still: timedelta, now: datetime) -> None:
        """In the taking turn: the old account's retries come due, and each staff chat is told."""
        settings = self.services.settings
        texts = settings.texts
        retried = uow.outbox.retry_now(now)
        pending = len(uow.outbox.items([OutboxState.PENDING]))
        if lease.account:
            previous, why = lease.account, texts.speaker_gone.format(seconds=round(still.total_seconds()))
        else:  # given up at a clean stop (Speaker.release keeps who gave it up in the note)
            previous, why = lease.note, texts.speaker_stopped
        log.warning(
            "account %s takes over speaking from account %s (%s); %d messages pending, %d retries due now",
            settings.account.id,
            previous,
            f"not renewed for {still.total_seconds():.0f} s" if lease.account else "given up",
            pending,
            retried,
        )
        note = texts.speaker_took_over.format(account=settings.account.id, previous=previous, why=why, pending=pending)
        for chat in dict.fromkeys(c.staff_chat for c in settings.all_communities if c.staff_chat):
            uow.outbox.enqueue(
                OutgoingMessage(chat_id=chat, text=note),
                at=now,
                dedupe_key=f"speaker:{settings.account.id}:{lease.beat}:{chat}",
            )

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except Exception:
                log.exception("speaking lease: the check failed; trying again shortly")

    def release(self) -> None:
        """A clean stop: the lease is given up, so that another account takes over at its next look."""
        account = self.services.settings.account
        with contextlib.suppress(Exception), self.services.store.begin() as uow:
            if uow.speaker.release(account.id):
                log.info("account %s: speaking lease given up", account.id)
        self.dispatcher.speaking = False
