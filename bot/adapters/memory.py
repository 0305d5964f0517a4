"""The memory adapter: records every send. For conversation tests, replay and benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.messages import IncomingMessage, OutgoingMessage
from bot.core.port import AdapterHealth, OnChatEvent, OnMessage, SendError
from bot.core.settings import Settings


@dataclass(frozen=True, slots=True)
class Sent:
    chat_id: str
    text: str
    mention_ids: tuple[str, ...]
    image_path: str
    at: datetime

    def rendered(self, names: Callable[[str], str]) -> str:
        """As it would show in WeChat: `@name ` for each mention, then the text."""
        return "".join(f"@{names(m)} " for m in self.mention_ids) + self.text


class MemoryAdapter:
    name = "memory"
    mentions_by_stored_name = False

    def __init__(self, now: Callable[[], datetime], names: Callable[[str], str] | None = None) -> None:
        self._now = now
        self._names = names or (lambda pid: pid)
        self.sent: list[Sent] = []
        self.fail_next = 0  # tests: make the next N sends fail (certainly not sent)
        self.lose_next = 0  # tests: the next N sends go out, then their answer is lost (uncertain)
        self.send_delay = 0.0  # seconds a send takes (replay --send-delay: a platform's latency)
        self.live = True  # tests: False plays an account logged out (the speaking lease is not renewed)
        self._inbox: asyncio.Queue[IncomingMessage | None] = asyncio.Queue()

    async def run(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        while (msg := await self._inbox.get()) is not None:
            await on_message(msg)

    async def inject(self, msg: IncomingMessage) -> None:
        await self._inbox.put(msg)

    async def send(self, message: OutgoingMessage) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise SendError("memory adapter told to fail")
        if self.send_delay > 0:
            await asyncio.sleep(self.send_delay)
        self.sent.append(Sent(message.chat_id, message.text, message.mention_ids, message.image_path, self._now()))
        if self.lose_next > 0:
            self.lose_next -= 1
            raise SendError("memory adapter told to lose the answer", uncertain=True)

    async def stop(self) -> None:
        await self._inbox.put(None)

    def display_name(self, person_id: str) -> str:
        return self._names(person_id)

    def health(self) -> AdapterHealth:
        return AdapterHealth(connected=True, detail="" if self.live else "logged out", live=self.live)

    def reload_settings(self, settings: Settings) -> None:
        """Nothing to follow: the memory adapter knows no names of its own."""
