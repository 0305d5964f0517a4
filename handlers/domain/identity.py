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

from bot.core.identity import GROUP
from bot.core.messages import Seen


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
