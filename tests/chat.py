"""A conversation harness: push messages through the whole app, read what the memory adapter sent."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.adapters.memory import MemoryAdapter, Sent
from bot.core.clock import FakeClock
from bot.core.messages import IncomingMessage, MessageKind
from bot.core.settings import Settings
from bot.runtime.app import App

_ids = itertools.count(1)


@dataclass
class Chat:
    app: App
    adapter: MemoryAdapter
    clock: FakeClock
    settings: Settings
    residents: dict[str, str] = field(default_factory=dict)  # name → id for people not in config
    _seen: int = 0

    def person(self, who: str) -> tuple[str, str]:
        """(id, name) for a staff id, a staff name, or a resident's name."""
        people = self.settings.people_by_id
        if who in people:
            return who, people[who].name
        for p in people.values():
            if p.name == who:
                return p.id, p.name
        pid = self.residents.setdefault(who, f"wxid_res_{len(self.residents) + 1}")
        return pid, who

    def topic(self, chat_id: str) -> str:
        return self.settings.group_names.get(chat_id, chat_id)

    async def say(
        self,
        who: str,
        text: str,
        chat: str = "room_tiancheng_3",
        *,
        kind: MessageKind = MessageKind.TEXT,
        message_id: str | None = None,
        mentions: tuple[str, ...] = (),
        ref: str = "",
        quoted_id: str = "",
        media: bytes = b"",
    ) -> list[Sent]:
        """`who` writes `text` in `chat` ("private" for a private chat with the bot); returns what the bot sent."""
        pid, name = self.person(who)
        chat_id = pid if chat == "private" else chat
        msg = IncomingMessage(
            message_id=message_id or f"m{next(_ids)}",
            chat_id=chat_id,
            chat_topic="" if chat == "private" else self.topic(chat),
            sender_id=pid,
            sender_name=name,
            text=text,
            timestamp=self.clock.now(),
            mentions=mentions,
            kind=kind,
            ref=ref,
            quoted_id=quoted_id,
            media=media,
        )
        await self.app.receive(msg)
        return self.new()

    async def deliver(self, msg: IncomingMessage) -> list[Sent]:
        await self.app.receive(msg)
        return self.new()

    async def wait(self, delta: timedelta, step: timedelta = timedelta(minutes=1)) -> list[Sent]:
        """Let simulated time pass, running the sweep every `step` as the live bot would.

        Where the store says nothing is due before the next step (`Store.next_due_time`, which `gridbot
        replay` skips by too), the ticks of that stretch do nothing and are crossed at once, still on the
        `step` grid; one tick an hour stays for what only the date drives (the calendar warning, the purge,
        a stand-in's end, the limits' daily warning). Days of simulated time at one tick a minute cost
        thousands of sweeps (13 minutes for one test on PostgreSQL under load) and proved nothing more."""
        end = self.clock.now() + delta
        while self.clock.now() < end:
            now = self.clock.now()
            target = now + step
            due = self.app.services.store.next_due_time()
            if due is None or due > target:
                hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
                idle_until = min(due or end, hour, end)
                target = now + max(1, -(-(idle_until - now) // step)) * step
            self.clock.advance(min(target, end) - now)
            await self.app.tick()
        return self.new()

    async def at(self, when: datetime) -> list[Sent]:
        return await self.wait(when - self.clock.now())

    def new(self) -> list[Sent]:
        out = self.adapter.sent[self._seen :]
        self._seen = len(self.adapter.sent)
        return out

    def render(self, sent: Sent) -> str:
        return sent.rendered(lambda pid: self.person(pid)[1] if pid in self.settings.people_by_id else self._name(pid))

    def _name(self, pid: str) -> str:
        return next((n for n, i in self.residents.items() if i == pid), pid)

    def to(self, sent: list[Sent], chat_id: str) -> list[Sent]:
        return [s for s in sent if s.chat_id == chat_id]

    def id_of(self, who: str) -> str:
        return self.person(who)[0]
