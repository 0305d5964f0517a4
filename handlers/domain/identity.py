"""Ids that change: stable keys inside, the platform's ids of this login at the edge (README "Ids that change").

With WeChat's free web protocol every login gives rooms and contacts new ids. Everything the bot stores
(config's groups and people, tickets, reporters, follow-ups, /绑定 bindings) keeps a stable key: config's
id or topic, or the first id seen. `bot.core.identity.IdentityMap` turns the platform's ids into keys and
back at the edge, so nothing stored has to move at a re-login.

At each login the adapter reports the rooms and contacts it sees (`ChatEvent("roster")`) and `match`
finds each known group and person again: groups by exact topic, people by alias / remark, then by
display name. A name that fits several is refused (staff confirm with /绑定) rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.identity import GROUP, PERSON, IdentityMap
from bot.core.messages import IncomingMessage, Seen
from nlp.commands import looks_like_command
from storage.records import StoredMessage
from storage.uow import UnitOfWork

BY = "gridbot"  # the actor of a re-binding the bot made itself (the change log's actor_id)


@dataclass(frozen=True)
class Known:
    """A group or person the bot must find again: its key, and the names it may be found by."""

    key: str
    name: str  # a group's topic, a person's display name
    alias: str = ""


@dataclass
class Matching:
    """What a roster re-binds: key → (new platform id, how it was found); and what it cannot."""

    bound: dict[str, tuple[str, str]] = field(default_factory=dict)
    ambiguous: dict[str, int] = field(default_factory=dict)  # key → how many fit
    missing: list[str] = field(default_factory=list)


def match(kind: str, known: Iterable[Known], seen: Iterable[Seen], current: Mapping[str, str]) -> Matching:
    """Find each known key's platform id among what the login shows. `current`: key → its platform id
    before this login. A key whose id is still there stays; a seen id already held by a key is not
    offered to another; groups go by exact topic, people by alias, then display name; several fits refuse."""
    known = list(known)
    seen = list(seen)
    present = {s.id for s in seen}
    held = {current.get(k.key, k.key) for k in known} & present
    result = Matching()
    for item in known:
        if current.get(item.key, item.key) in present:
            continue
        free = [s for s in seen if s.id not in held]
        for how, want in _rules(kind, item):
            found = [s for s in free if want and (s.alias if how == "alias" else s.name) == want]
            if len(found) == 1:
                result.bound[item.key] = (found[0].id, how)
                held.add(found[0].id)
                break
            if len(found) > 1:
                result.ambiguous[item.key] = len(found)
                break
        else:
            result.missing.append(item.key)
    return result


def _rules(kind: str, item: Known) -> list[tuple[str, str]]:
    """In order: a group by its exact topic; a person by alias / remark, then by display name."""
    if kind == GROUP:
        return [("topic", item.name)]
    return [("alias", item.alias), ("name", item.name)]


def learn_from_copy(
    uow: UnitOfWork,
    account: str,
    mine: IdentityMap,
    copy: IncomingMessage,
    original: tuple[StoredMessage, str],
    at: datetime,
) -> bool:
    """A group message this account stored as another account's copy (`original`: that message and its account)
    says, in this account's ids, who wrote it and where. Learnt only from an id this account has no key for (it
    came in as a raw platform id, not translated). Whether anything was."""
    message, theirs = original
    learnt = False
    # the writer: a resident first seen by the other account after this account's login has that account's id
    # of her as her key; from this copy on she is hers here too, and her rating through this account reaches
    # her ticket before its next login. A row this account has for her with another id is from a login that
    # did not find her (a person has one id a login): this copy's id replaces it.
    # Copies pair by what both accounts see (topic, name, text, time), not by id: where two writers in the room
    # share the name, a pairing may be of two people's "收到", and learning from it would swap them.
    key, here = message.sender_id, copy.sender_id
    if (
        key != here
        and mine.platform_of(PERSON, here) == here
        and len(uow.messages.writers_named(message.chat_id, message.sender_name, theirs)) == 1
    ):
        uow.identities.bind(account, PERSON, key, here, at=at, by=BY, how="copy")
        learnt = True
    # the room: only where the other account re-keyed the original's room after storing it (a /绑定 of a known
    # group handled there first); a room is not otherwise guessed from a copy, since two rooms may share a topic
    if not looks_like_command(message.text):
        return learnt  # the common case: no look at the other account's map
    room = uow.identities.key_of(theirs, GROUP, message.chat_id) or message.chat_id
    here = copy.chat_id
    if room not in (message.chat_id, here) and mine.platform_of(GROUP, here) == here:
        uow.identities.bind(account, GROUP, room, here, at=at, by=BY, how="/绑定")
        return True
    _follow_grid(uow, message.chat_id, here, copy.chat_topic, at)
    return learnt


def _follow_grid(uow: UnitOfWork, their_room: str, my_room: str, topic: str, at: datetime) -> None:
    """A room outside config that each account keeps under its own key: a grid the other account's row has
    (a /绑定 网格 handled there) and this account's row has not is this room's grid here too."""
    if their_room == my_room:
        return
    theirs, mine = uow.chats.get(their_room), uow.chats.get(my_room)
    if theirs is not None and theirs.grid_id and (mine is None or not mine.grid_id):
        uow.chats.upsert(my_room, at, topic=topic, grid_id=theirs.grid_id, active=True)
