"""The neutral message contract between adapters and handlers.

Adapters turn platform events into `IncomingMessage`; handlers never see a
platform object. What the bot says goes out as `OutgoingMessage` through the
outbox; its `text` never carries `@name` prefixes: each adapter renders them
from `mention_ids` (the Wechaty adapter as `room.say(text, mention_ids=...)` does).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    LOCATION = "location"
    EMOTICON = "emoticon"  # stickers
    RECALLED = "recalled"  # the sender withdrew (撤回) an earlier message
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    message_id: str  # the platform's id: dedupe key
    chat_id: str  # room id; equal to sender_id for a private chat with the bot
    chat_topic: str
    sender_id: str
    sender_name: str
    text: str  # @names of mentioned people already stripped by the adapter
    timestamp: datetime  # timezone-aware
    mentions: tuple[str, ...] = ()
    mentions_bot: bool = False
    kind: MessageKind = MessageKind.TEXT
    # image / voice / location: a stored reference (file path, url or platform id);
    # recalled: the platform id of the withdrawn message; quote: the quoted message id.
    ref: str = ""
    quoted_id: str = ""
    # image / voice: the file itself, when the adapter could fetch it. The bot stores it under a name of
    # its own (storage/media.py) before anything else; no name from the platform or a resident is kept.
    media: bytes = field(default=b"", repr=False)

    @property
    def is_private(self) -> bool:
        return self.chat_id == self.sender_id


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    chat_id: str
    text: str
    mention_ids: tuple[str, ...] = ()
    image_path: str = ""  # a PNG to send as an image (charts); text is its caption
    # the name each mentioned person is known by, as stored (parallel to mention_ids, "" where unknown):
    # for adapters that render mentions themselves, which know only who wrote since they started
    mention_names: tuple[str, ...] = ()
    outbox_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Seen:
    """A room or contact as the platform shows it at a login (its id may be new: README "Ids that change")."""

    id: str
    name: str  # a room's topic, a contact's display name
    alias: str = ""  # a contact's alias / remark (备注) given by the bot's account


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something about a chat rather than a message in it (room join / topic / leave), or, as "roster",
    every room and contact the account sees after a login (`rooms`, `contacts`; chat_id and topic empty)."""

    kind: str  # "joined" | "topic" | "left" | "roster"
    chat_id: str
    topic: str
    timestamp: datetime
    rooms: tuple[Seen, ...] = ()
    contacts: tuple[Seen, ...] = ()
