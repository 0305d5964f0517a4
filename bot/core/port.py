"""The narrow port every chat adapter implements (console, memory, wechaty)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.messages import ChatEvent, IncomingMessage, OutgoingMessage

OnMessage = Callable[[IncomingMessage], Awaitable[None]]
OnChatEvent = Callable[[ChatEvent], Awaitable[None]]


class SendError(Exception):
    """A send did not succeed.

    Certain (the default): it did not go out (not connected, the platform refused it); the outbox retries.
    `uncertain=True`: the call was issued and its answer was lost (timeout, connection dropped mid-call):
    the message may have gone out, so it is not resent but reported to the staff chat.
    """

    def __init__(self, *args: object, uncertain: bool = False) -> None:
        super().__init__(*args)
        self.uncertain = uncertain


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
