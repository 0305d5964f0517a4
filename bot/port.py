"""The narrow port every chat adapter implements (console, memory, wechaty)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.messages import ChatEvent, IncomingMessage, OutgoingMessage

OnMessage = Callable[[IncomingMessage], Awaitable[None]]
OnChatEvent = Callable[[ChatEvent], Awaitable[None]]


class SendError(Exception):
    """The platform refused or failed a send; the outbox will retry it."""


class Adapter(Protocol):
    name: str

    async def run(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        """Deliver inbound messages until the platform input ends or `stop()` is called."""

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver one message; raise `SendError` when it did not go out."""

    async def stop(self) -> None:
        """Ask `run` to return."""

    def display_name(self, person_id: str) -> str:
        """The name to render an @-mention with (adapters that render mentions themselves)."""
