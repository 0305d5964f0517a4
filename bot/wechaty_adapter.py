"""The Wechaty adapter: WeChat through a Wechaty puppet service (gRPC), behind the same port as the others.

The only module that imports `wechaty` (after `bot.wechaty_compat` made it importable). It connects to
`WECHATY_PUPPET_SERVICE_ENDPOINT` with `WECHATY_PUPPET_SERVICE_TOKEN`; without an endpoint it refuses
to start rather than let the SDK look the token up online.

One connection is one fresh `Wechaty` object. When the service is not up yet, or the event stream
drops, the object is thrown away and a new one connects after a back-off (one log line per attempt).
The SDK's own `Wechaty.start()` is not used: on errors it sleeps a minute, prints, or stops the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.messages import ChatEvent, IncomingMessage, MessageKind, OutgoingMessage
from bot.port import OnChatEvent, OnMessage, SendError
from bot.settings import ConfigError, Settings
from bot.wechaty_compat import load_wechaty

log = logging.getLogger(__name__)

AT_SEPARATOR = "\u2005"  # WeChat puts this (or a space) after an @name
ROOM_SUFFIX = "@chatroom"


@dataclass(frozen=True)
class AdapterHealth:
    connected: bool
    detail: str


def _kind(type_name: str) -> MessageKind:
    """Map the SDK's MessageType name (MESSAGE_TYPE_TEXT …) to the neutral kind."""
    return {
        "MESSAGE_TYPE_TEXT": MessageKind.TEXT,
        "MESSAGE_TYPE_IMAGE": MessageKind.IMAGE,
        "MESSAGE_TYPE_AUDIO": MessageKind.VOICE,
        "MESSAGE_TYPE_LOCATION": MessageKind.LOCATION,
        "MESSAGE_TYPE_EMOTICON": MessageKind.EMOTICON,
        "MESSAGE_TYPE_RECALLED": MessageKind.RECALLED,
    }.get(type_name, MessageKind.OTHER)


def strip_mentions(text: str, names: list[str]) -> str:
    """Remove `@name` (followed by WeChat's U+2005, a space or the end) for each mentioned name."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = re.sub(f"@{re.escape(name)}(?:{AT_SEPARATOR}| |$)", "", text)
    return text.strip()


def to_datetime(timestamp: float) -> datetime:
    """Puppet timestamps come in seconds or milliseconds."""
    if timestamp <= 0:
        return datetime.now(UTC)
    if timestamp > 2145888000:  # later than 2038 in seconds: it is milliseconds
        timestamp = timestamp / 1000
    return datetime.fromtimestamp(timestamp, UTC)


class WechatyAdapter:
    name = "wechaty"

    def __init__(self, settings: Settings, env: Mapping[str, str]) -> None:
        self.settings = settings
        self.endpoint = env.get("WECHATY_PUPPET_SERVICE_ENDPOINT", "").strip()
        self.token = env.get("WECHATY_PUPPET_SERVICE_TOKEN", "").strip()
        if not self.endpoint:
            raise ConfigError(
                "adapter wechaty: set WECHATY_PUPPET_SERVICE_ENDPOINT (host:port of the puppet service); "
                "the online token lookup is never used"
            )
        if not self.token:
            raise ConfigError("adapter wechaty: set WECHATY_PUPPET_SERVICE_TOKEN (the puppet service's token)")
        self.cfg = settings.wechaty
        self._sdk: Any = None
        self._bot: Any = None
        self._self_id = ""
        self._self_name = ""
        self._connected = False
        self._detail = "not connected yet"
        self._down_since = time.monotonic()
        self._logged_in_this_session = False
        self._stopping: asyncio.Event | None = None
        self._session_task: asyncio.Task[None] | None = None
        self._names: dict[str, str] = {p.id: p.name for p in settings.people_by_id.values()}
        self._rooms: set[str] = set(settings.group_names) | set(settings.grid_of_group)
        self._rooms |= {c.staff_chat for c in settings.all_communities if c.staff_chat}

    # -- the port ------------------------------------------------------------------------------

    def display_name(self, person_id: str) -> str:
        return self._names.get(person_id, person_id)

    def health(self) -> AdapterHealth:
        """Not connected counts only after a grace period: start-up and a quick reconnect are normal."""
        if self._connected:
            return AdapterHealth(True, self._detail)
        down = time.monotonic() - self._down_since
        if down < self.cfg.health_grace_seconds:
            return AdapterHealth(True, f"connecting ({self._detail})")
        return AdapterHealth(False, f"{self._detail}, for {down:.0f} s")

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._session_task is not None:
            self._session_task.cancel()

    async def run(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        self._sdk = load_wechaty(self.settings.data_dir / "wechaty", log_level="error")
        self._stopping = asyncio.Event()
        self._install_signal_handlers()
        inbox: asyncio.Queue[IncomingMessage | ChatEvent] = asyncio.Queue()
        consumer = asyncio.create_task(self._consume(inbox, on_message, on_chat_event), name="wechaty-inbox")
        attempt = 0
        try:
            while not self._stopping.is_set():
                attempt += 1
                log.info("wechaty: connecting to the puppet service at %s (attempt %d)", self.endpoint, attempt)
                self._session_task = asyncio.create_task(self._session(inbox), name="wechaty-session")
                try:
                    await self._session_task
                    reason = "the event stream ended"
                except asyncio.CancelledError:
                    if not self._stopping.is_set():
                        raise
                    reason = "stopping"
                except Exception as exc:  # the SDK raises anything from grpclib, OSError to its own errors
                    reason = f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}"
                finally:
                    self._session_task = None
                    await self._close_bot()
                if self._logged_in_this_session:
                    attempt = 1  # it was up: the back-off starts again from the bottom
                self._connected = False
                self._detail = f"disconnected from {self.endpoint}: {reason}"
                if self._stopping.is_set():
                    break
                delay = min(self.cfg.reconnect_max_seconds, self.cfg.reconnect_min_seconds * 2 ** (attempt - 1))
                log.warning(
                    "wechaty: puppet service at %s unavailable (%s); reconnecting in %.1f s (attempt %d)",
                    self.endpoint,
                    reason,
                    delay,
                    attempt + 1,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        finally:
            await inbox.join()
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            log.info("wechaty: adapter stopped")

    async def send(self, message: OutgoingMessage) -> None:
        bot = self._bot
        if bot is None or not self._connected:
            raise SendError(f"not connected to the puppet service ({self._detail})")
        try:
            await asyncio.wait_for(self._send(bot, message), timeout=self.cfg.send_timeout_seconds)
        except SendError:
            raise
        except TimeoutError as exc:
            raise SendError(f"send timed out after {self.cfg.send_timeout_seconds:.0f} s") from exc
        except Exception as exc:  # grpclib / SDK errors: the outbox retries
            raise SendError(f"{type(exc).__name__}: {exc}") from exc

    async def _consume(
        self, inbox: asyncio.Queue[IncomingMessage | ChatEvent], on_message: OnMessage, on_chat_event: OnChatEvent
    ) -> None:
        """One at a time, in arrival order: the SDK hands each event to its own task."""
        while True:
            item = await inbox.get()
            try:
                if isinstance(item, IncomingMessage):
                    await on_message(item)
                else:
                    await on_chat_event(item)
            except Exception:
                log.exception("wechaty: handling %s failed", item)
            finally:
                inbox.task_done()

    # -- connection ----------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT end `run` cleanly, so what is queued goes out and the exit status is 0."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(self.stop()))

    def _new_bot(self) -> Any:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from wechaty_puppet import PuppetOptions

        sdk = self._sdk
        options = sdk.WechatyOptions(
            puppet="wechaty-puppet-service",
            # always an explicit PuppetOptions (see bot/wechaty_compat.py); the endpoint is always given,
            # so the SDK never fetches one from the online token service
            puppet_options=PuppetOptions(end_point=self.endpoint, token=self.token),
            host="127.0.0.1",
            port=self.cfg.plugin_port,
            # an in-memory scheduler: the SDK's default keeps jobs in SQLite under CACHE_DIR
            scheduler=AsyncIOScheduler(),
        )
        return sdk.Wechaty(options)

    async def _session(self, inbox: asyncio.Queue[IncomingMessage | ChatEvent]) -> None:
        """One connection: returns (or raises) when it is over."""
        self._logged_in_this_session = False
        bot = self._new_bot()
        self._bot = bot
        await bot.init_puppet()
        await bot.init_puppet_event_bridge(bot.puppet)

        async def on_login(contact: Any) -> None:
            self._self_id = contact.contact_id
            self._logged_in_this_session = True
            self._self_name = contact.name or ""
            self._connected = True
            self._detail = f"logged in as {self._self_name or self._self_id}"
            log.info("wechaty: logged in as %s (%s)", self._self_name, self._self_id)

        async def on_logout(contact: Any) -> None:
            if self._connected:
                self._down_since = time.monotonic()
            self._connected = False
            self._detail = "logged out"
            log.warning("wechaty: logged out (%s)", getattr(contact, "contact_id", ""))

        async def on_message(msg: Any) -> None:
            try:
                converted = await self._convert(msg)
            except Exception:
                log.exception("wechaty: could not read message %s; skipped", getattr(msg, "message_id", "?"))
                return
            if converted is not None:
                await inbox.put(converted)

        async def on_room_join(room: Any, invitees: list[Any], inviter: Any, date: datetime) -> None:
            if self._self_id in {c.contact_id for c in invitees}:
                await inbox.put(await self._room_event("joined", room, ""))

        async def on_room_leave(room: Any, leavers: list[Any], remover: Any, date: datetime) -> None:
            if self._self_id in {c.contact_id for c in leavers}:
                await inbox.put(await self._room_event("left", room, ""))

        async def on_room_topic(room: Any, new_topic: str, old_topic: str, changer: Any, date: datetime) -> None:
            await inbox.put(await self._room_event("topic", room, new_topic))

        async def on_error(payload: Any) -> None:
            log.warning("wechaty: puppet service error: %s", payload)

        bot.on("login", on_login)
        bot.on("logout", on_logout)
        bot.on("message", on_message)
        bot.on("room-join", on_room_join)
        bot.on("room-leave", on_room_leave)
        bot.on("room-topic", on_room_topic)
        bot.on("error", on_error)
        # blocks while the event stream lasts; raises when the service is unreachable
        await bot.puppet.start()

    async def _close_bot(self) -> None:
        bot, self._bot = self._bot, None
        if self._connected:
            self._down_since = time.monotonic()
        self._connected = False
        if bot is None:
            return
        puppet = getattr(bot, "_puppet", None)
        if puppet is None:
            return
        # close our side only: the puppet's stop RPC would also stop the service's puppet (log it out)
        with contextlib.suppress(Exception):
            puppet._event_stream.remove_all_listeners()
        channel = getattr(puppet, "channel", None)
        if channel is not None:
            with contextlib.suppress(Exception):
                channel.close()
        with contextlib.suppress(Exception):
            bot._plugin_manager.scheduler.shutdown(wait=False)

    # -- conversion ----------------------------------------------------------------------------

    async def _room_event(self, kind: str, room: Any, topic: str) -> ChatEvent:
        self._rooms.add(room.room_id)
        if not topic:
            with contextlib.suppress(Exception):
                topic = await room.topic()
        return ChatEvent(kind=kind, chat_id=room.room_id, topic=topic or "", timestamp=datetime.now(UTC))

    async def _convert(self, msg: Any) -> IncomingMessage | None:
        """The neutral message, or None for the bot's own messages."""
        payload = msg.payload
        talker_id = payload.from_id
        if not talker_id or talker_id == self._self_id:
            return None  # what the bot itself said comes back as a message event
        talker = msg.talker()
        with contextlib.suppress(Exception):
            await talker.ready()
        talker_name = getattr(talker.payload, "name", "") if talker.payload is not None else ""
        self._names.setdefault(talker_id, talker_name or talker_id)
        room = msg.room()
        topic = ""
        chat_id = talker_id
        if room is not None:
            chat_id = room.room_id
            self._rooms.add(chat_id)
            with contextlib.suppress(Exception):
                await room.ready()
                topic = await room.topic()
        kind = _kind(getattr(payload.type, "name", str(payload.type)))
        mention_ids = [m for m in (payload.mention_ids or []) if m]
        mentions_bot = bool(self._self_id) and self._self_id in mention_ids
        others = tuple(m for m in mention_ids if m != self._self_id)
        text = payload.text or ""
        ref = ""
        if kind == MessageKind.TEXT:
            names = [self._self_name, self.settings.bot.name] if mentions_bot else []
            for pid in others:
                names.append(await self._contact_name(pid))
            text = strip_mentions(text, names)
        elif kind == MessageKind.RECALLED:
            ref, text = text.strip(), ""  # the platform id of the withdrawn message
        elif kind in (MessageKind.IMAGE, MessageKind.VOICE):
            ref, text = f"wechaty:{payload.id}", ""
        elif kind == MessageKind.LOCATION:
            ref = text or f"wechaty:{payload.id}"
        else:
            text = ""
        return IncomingMessage(
            message_id=payload.id,
            chat_id=chat_id,
            chat_topic=topic,
            sender_id=talker_id,
            sender_name=talker_name or talker_id,
            text=text,
            timestamp=to_datetime(float(payload.timestamp or 0)),
            mentions=others,
            mentions_bot=mentions_bot,
            kind=kind,
            ref=ref,
        )

    async def _contact_name(self, person_id: str) -> str:
        if person_id in self._names:
            return self._names[person_id]
        name = person_id
        with contextlib.suppress(Exception):
            contact = self._bot.Contact.load(person_id)
            await contact.ready()
            name = contact.name or person_id
        self._names[person_id] = name
        return name

    # -- sending -------------------------------------------------------------------------------

    def _is_room(self, chat_id: str) -> bool:
        return chat_id in self._rooms or chat_id.endswith(ROOM_SUFFIX)

    async def _send(self, bot: Any, message: OutgoingMessage) -> None:
        if self._is_room(message.chat_id):
            target = bot.Room.load(message.chat_id)
        else:
            target = bot.Contact.load(message.chat_id)
        await target.ready()
        if message.image_path:
            from wechaty_puppet import FileBox

            await target.say(FileBox.from_file(message.image_path))
        if not message.text:
            return
        if self._is_room(message.chat_id):
            # room.say puts "@name" in front of the text for every mentioned id itself
            await target.say(message.text, mention_ids=list(message.mention_ids) or None)
        else:
            await target.say(message.text)
