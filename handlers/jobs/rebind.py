"""A login's roster: find every known group and person again under the ids of this login (#18 §3).

Each re-mapping is a row in `identities` (this account's map: each bot account has its own) and an event in the
change log; the staff chat hears what was re-bound and what was not (a topic two rooms share, a group, staff
member or resident not found). Tickets, reporters, follow-ups and /绑定 bindings keep their stable keys, so
nothing stored moves: the map does.
"""

from __future__ import annotations

import logging

from bot.core.identity import GROUP, PERSON, IdentityMap
from bot.core.messages import ChatEvent
from bot.core.settings_platform import SINGLE_ACCOUNT
from handlers.deps import Deps, Services
from handlers.domain.identity import BY, Known, Matching, match
from handlers.domain.outbound import to_staff
from handlers.domain.privacy import mask

log = logging.getLogger(__name__)
SEVERAL = {2: "两", 3: "三", 4: "四", 5: "五"}
RESIDENTS_NAMED = 10  # a login that lost more names the first ten and counts the rest: a staff line, not a list


def known_groups(deps: Deps) -> list[Known]:
    """Config's groups and staff chats with a topic, then every group the bot has been in (its last topic)."""
    topics = deps.settings.known_topics
    keys = [*deps.settings.grid_of_group, *(c.staff_chat for c in deps.settings.all_communities if c.staff_chat)]
    out = {k: topics[k] for k in keys if topics.get(k)}
    for group in deps.uow.chats.all():
        if group.active and group.topic:
            out.setdefault(group.chat_id, group.topic)
    return [Known(k, t) for k, t in out.items()]


def known_people(deps: Deps) -> tuple[list[Known], list[Known]]:
    """(staff from config with name and alias, residents a live ticket or follow-up waits on)."""
    staff = [Known(p.id, p.name, p.alias) for p in deps.settings.people_by_id.values()]
    residents = deps.uow.identities.residents()
    named = deps.uow.messages.names_of(pid for pid, name in residents.items() if not name)
    return staff, [
        Known(pid, name or named.get(pid, ""))
        for pid, name in residents.items()
        if pid not in deps.settings.people_by_id
    ]


def _save(deps: Deps, kind: str, found: Matching) -> None:
    account = deps.settings.account.id
    for key, (platform_id, how) in found.bound.items():
        deps.uow.identities.bind(account, kind, key, platform_id, at=deps.now, by=BY, how=how)


def _foreign(deps: Deps, kind: str, items: list[Known], mine: IdentityMap, configured: set[str]) -> set[str]:
    """The keys that are another bot account's ids, not this one's: a resident or group first seen (and only
    ever seen) by another account has that account's platform id as its key, which this account never had.
    Config's ids are every account's; a key this account re-mapped is its own."""
    account = deps.settings.account.id
    unmapped = [k.key for k in items if k.key not in configured and (kind, k.key) not in mine.platform]
    seen = deps.uow.identities.seen_by(kind, unmapped) if unmapped else {}
    return {key for key, accounts in seen.items() if account not in accounts and "" not in accounts}


def _current_ids(kind: str, items: list[Known], mine: IdentityMap, foreign: set[str]) -> dict[str, str]:
    """key → its platform id for this account before this login; a key without a row is its own id. Another
    account's key has no id here ("", never "still present"): it is found by topic / alias / name like any
    other, so a puppet whose ids happen to repeat across accounts cannot hand it someone else's contact."""
    return {k.key: "" if k.key in foreign else mine.platform_of(kind, k.key) for k in items}


def _one_row_a_room(groups: list[Known], foreign: set[str]) -> list[Known]:
    """A room both accounts joined outside config has a row of each account's (its first id there): this
    account looks for its own, and leaves the other's row of the same topic to the other account (two keys
    for one topic would refuse or, worse, bind the other's row in place of its own)."""
    own = {k.name for k in groups if k.key not in foreign}
    return [k for k in groups if k.key not in foreign or k.name not in own]


def _unchanged(found: Matching, mine: IdentityMap, kind: str) -> Matching:
    """A key found under its own id (the other account's id was this account's too: a puppet with stable ids)
    has nothing to store and nothing to say."""
    found.bound = {
        key: hit for key, hit in found.bound.items() if not (hit[0] == key and (kind, key) not in mine.platform)
    }
    return found


def rebind(deps: Deps, event: ChatEvent) -> list[str]:
    """Re-bind this account's map from its roster; the lines for the staff chat (none when nothing changed).
    The other accounts' maps are theirs: each process re-binds at its own login."""
    mine = IdentityMap(deps.uow.identities.all(deps.settings.account.id))
    groups = known_groups(deps)
    staff, residents = known_people(deps)
    configured = {*deps.settings.grid_of_group, *deps.settings.people_by_id}
    configured |= {c.staff_chat for c in deps.settings.all_communities if c.staff_chat}
    theirs = _foreign(deps, GROUP, groups, mine, configured)
    groups = _one_row_a_room(groups, theirs)
    g = match(GROUP, groups, event.rooms, _current_ids(GROUP, groups, mine, theirs))
    people = [*staff, *residents]
    p = match(
        PERSON,
        people,
        event.contacts,
        _current_ids(PERSON, people, mine, _foreign(deps, PERSON, people, mine, configured)),
    )
    g, p = _unchanged(g, mine, GROUP), _unchanged(p, mine, PERSON)
    _save(deps, GROUP, g)
    _save(deps, PERSON, p)
    return _report(deps, groups, staff, residents, g, p)


def _report(
    deps: Deps, groups: list[Known], staff: list[Known], residents: list[Known], g: Matching, p: Matching
) -> list[str]:
    texts = deps.texts
    topic = {k.key: k.name for k in groups}
    staff_name = {k.key: k.name for k in staff}
    done = [texts.rebind_group.format(topic=topic[k]) for k in g.bound]
    done += [texts.rebind_person.format(name=staff_name[k]) for k in p.bound if k in staff_name]
    found = sum(1 for k in p.bound if k not in staff_name)
    if found:
        done.append(texts.rebind_residents.format(count=found))
    lines = [texts.rebind_done.format(items="、".join(done))] if done else []
    lines += [
        texts.rebind_ambiguous_group.format(topic=topic[k], count=SEVERAL.get(n, n)) for k, n in g.ambiguous.items()
    ]
    lines += [texts.rebind_missing_group.format(topic=topic[k]) for k in g.missing]
    lines += [
        texts.rebind_ambiguous_person.format(name=staff_name[k], count=SEVERAL.get(n, n))
        for k, n in p.ambiguous.items()
        if k in staff_name
    ]
    lines += [texts.rebind_missing_person.format(name=staff_name[k]) for k in p.missing if k in staff_name]
    lost = [k for k in residents if k.key in p.ambiguous or k.key in p.missing]
    if lost:
        lines.append(texts.rebind_missing_residents.format(names=resident_names(deps, lost)))
    if not lines:
        return []
    account = deps.settings.account
    title = texts.rebind_title_account.format(account=account.id) if account.paired else texts.rebind_title
    return [title, *lines]


def resident_names(deps: Deps, lost: list[Known]) -> str:
    """周阿姨、孙大爷等12人: the names residents reported under, at most RESIDENTS_NAMED of them, never an id
    or a number (a name that is a phone number is counted, not shown)."""
    names = [k.name for k in lost if k.name and mask(k.name) == k.name]
    shown = list(dict.fromkeys(names))[:RESIDENTS_NAMED]
    if not shown:
        return deps.texts.rebind_residents.format(count=len(lost))
    if len(shown) == len(lost):
        return "、".join(shown)
    return deps.texts.rebind_residents_more.format(names="、".join(shown), count=len(lost))


async def on_roster(event: ChatEvent, services: Services) -> None:
    with services.turn() as deps:
        lines = rebind(deps, event)
        if lines:
            for chat in dict.fromkeys(c.staff_chat for c in deps.settings.all_communities if c.staff_chat):
                to_staff(deps, chat, "\n".join(lines))
    load_identities(services)


def load_identities(services: Services) -> None:
    """The map the edge translates with: this account's, as stored now (also after another process re-bound)."""
    account = services.settings.account
    with services.store.begin() as uow:
        # the speaking account renamed from the single account's default (README "Running a standby account"):
        # the map the last logins built stays its own, not a map nobody reads until a login finds names again
        moved = 0 if account.standby else uow.identities.adopt(account.id, SINGLE_ACCOUNT)
        services.identity = IdentityMap(uow.identities.all(account.id))
    if moved:
        log.warning("account %s takes over the id map of account %s (%d ids)", account.id, SINGLE_ACCOUNT, moved)
