"""The narrow port every chat adapter implements (console, memory, wechaty)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.messages import ChatEvent, IncomingMessage, OutgoingMessage
from bot.core.settings import Settings

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


@dataclass(frozen=True)
class AdapterHealth:
    """What `gridbot health` and the staff chat are told about the platform connection."""

    connected: bool
    detail: str = ""
    # logged in and connected at this moment, without health's grace period: what the speaking lease follows
    # (bot/runtime/speaking.py): an account that is not live does not renew it, and another may take over
    live: bool = True


class Adapter(Protocol):
    """Every capability the runtime uses is here: nothing is looked up with getattr.

    Signals are the runtime's: SIGTERM / SIGINT call `stop()`, SIGHUP reloads and calls
    `reload_settings()`. An adapter never installs signal handlers of its own.
    """

    name: str
    # renders an @-mention with the name the bot stored for the person (the console, which knows only what
    # was typed since it started); an adapter that looks names up on the platform (wechaty) needs none, and
    # the outbox then reads none before each send
    mentions_by_stored_name: bool

    async def run(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        """Deliver inbound messages until the platform input ends or `stop()` is called."""

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver one message; raise `SendError` when it did not go out."""

    async def stop(self) -> None:
        """Ask `run` to return."""

    def display_name(self, person_id: str) -> str:
        """The name to render an @-mention with (adapters that render mentions themselves)."""

    def health(self) -> AdapterHealth:
        """The connection as the adapter sees it (adapters without one are always connected)."""

    def reload_settings(self, settings: Settings) -> None:
        """A config reload: new staff names and group topics take effect without a restart."""
