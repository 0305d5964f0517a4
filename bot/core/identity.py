"""Stable keys inside, this login's platform ids at the edge (README "Ids that change").

With WeChat's free web protocol every login gives rooms and contacts new ids. What the bot stores keeps a
stable key (config's id or topic, or the first id seen); this map turns the platform's ids of an inbound
message into keys and the keys of an outbound one back into platform ids. handlers/domain/identity.py
finds the new ids at each login.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core.messages import ChatEvent, IncomingMessage, OutgoingMessage

GROUP, PERSON = "group", "person"


@dataclass
class IdentityMap:
    """(kind, key) → platform id of the re-mapped keys, and its inverse. Keys without a row are their own id."""

    platform: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._key = {(kind, pid): key for (kind, key), pid in self.platform.items()}

    def key_of(self, kind: str, platform_id: str) -> str:
        return self._key.get((kind, platform_id), platform_id)

    def platform_of(self, kind: str, key: str) -> str:
        found = self.platform.get((kind, key))
        if found is not None:
            return found
        # a key that was re-mapped away from its own id has no platform id of its own any more
        return "" if (kind, key) in self._key else key

    def inbound(self, msg: IncomingMessage) -> IncomingMessage:
        if not self.platform:
            return msg  # the common case: nothing was ever re-mapped
        sender = self.key_of(PERSON, msg.sender_id)
        chat = sender if msg.is_private else self.key_of(GROUP, msg.chat_id)
        mentions = tuple(self.key_of(PERSON, m) for m in msg.mentions)
        return replace(msg, chat_id=chat, sender_id=sender, mentions=mentions)

    def outbound(self, out: OutgoingMessage) -> OutgoingMessage:
        if not self.platform:
            return out
        chat = self.platform.get((GROUP, out.chat_id)) or self.platform.get((PERSON, out.chat_id)) or out.chat_id
        mentions = tuple(self.platform.get((PERSON, m), m) for m in out.mention_ids)
        return replace(out, chat_id=chat, mention_ids=mentions)

    def chat_event(self, event: ChatEvent) -> ChatEvent:
        return replace(event, chat_id=self.key_of(GROUP, event.chat_id)) if event.chat_id else event
