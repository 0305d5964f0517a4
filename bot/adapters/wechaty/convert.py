"""From the SDK's objects to the neutral contract: message kinds, mentions, timestamps, room events.

A mixin of WechatyAdapter (adapter.py): the conversion reads the adapter's names and rooms.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime
from typing import Any

from bot.core.messages import ChatEvent, IncomingMessage, MessageKind, Seen
from bot.core.settings import Settings

log = logging.getLogger("bot.adapters.wechaty.adapter")

AT_SEPARATOR = "\u2005"  # WeChat puts this (or a space) after an @name
ROOM_SUFFIX = "@chatroom"


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


class Conversion:
    """The adapter's state the conversion reads (set in WechatyAdapter.__init__ and at login)."""

    settings: Settings
    _bot: Any
    _names: dict[str, str]
    _rooms: set[str]
    _self_id: str
    _self_name: str

    def _is_room(self, chat_id: str) -> bool:
        return chat_id in self._rooms or chat_id.endswith(ROOM_SUFFIX)

    async def _read_room_event(self, kind: str, payload: Any) -> ChatEvent | None:
        """The bot added to a room, removed from it, or a room renamed."""
        bot = self._bot
        if kind == "room-join" and self._self_id in (payload.invited_ids or []):
            what = "joined"
        elif kind == "room-leave" and self._self_id in (payload.removed_ids or []):
            what = "left"
        elif kind == "room-topic":
            what = "topic"
        else:
            return None
        room_id = payload.room_id
        self._rooms.add(room_id)
        topic = getattr(payload, "new_topic", "") or ""
        if not topic and bot is not None:
            with contextlib.suppress(Exception):
                room = bot.Room.load(room_id)
                await room.ready()
                topic = await room.topic()
        return ChatEvent(kind=what, chat_id=room_id, topic=topic or "", timestamp=datetime.now(UTC))

    async def _read_roster(self) -> ChatEvent | None:
        """Every room (id, topic) and contact (id, name, alias) this login shows; None when the connection
        went before the lists were read (the next login reads them again)."""
        bot = self._bot
        if bot is None:
            return None
        puppet = bot.puppet
        rooms, contacts = [], []
        try:
            for room_id in await puppet.room_list():
                payload = await puppet.room_payload(room_id)
                self._rooms.add(room_id)
                rooms.append(Seen(room_id, payload.topic or ""))
            for contact_id in await puppet.contact_list():
                if contact_id == self._self_id:
                    continue
                payload = await puppet.contact_payload(contact_id)
                contacts.append(Seen(contact_id, payload.name or "", payload.alias or ""))
        except Exception as exc:  # grpclib / SDK errors: no roster this time, the old ids stay bound
            log.warning("wechaty: the rooms and contacts of this login could not be read: %s", exc)
            return None
        log.info("wechaty: this login shows %d rooms and %d contacts", len(rooms), len(contacts))
        return ChatEvent("roster", "", "", datetime.now(UTC), rooms=tuple(rooms), contacts=tuple(contacts))

    async def _convert(self, bot: Any, msg: Any) -> IncomingMessage | None:
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
                names.append(await self._contact_name(bot, pid))
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

    async def _contact_name(self, bot: Any, person_id: str) -> str:
        if person_id in self._names:
            return self._names[person_id]
        name = person_id
        with contextlib.suppress(Exception):
            contact = bot.Contact.load(person_id)
            await contact.ready()
            name = contact.name or person_id
        self._names[person_id] = name
        return name
