"""A login's roster: find every known group and person again under the ids of this login (#18 §3).

Each re-mapping is a row in `identities` and an event in the change log; the staff chat hears what was
re-bound and what was not (a topic two rooms share, a group or staff member not found). Tickets, reporters,
follow-ups and /绑定 bindings keep their stable keys, so nothing stored moves: the map does.
"""

from __future__ import annotations

from bot.core.identity import GROUP, PERSON, IdentityMap
from bot.core.messages import ChatEvent
from handlers.deps import Deps, Services
from handlers.domain.identity import Known, Matching, match
from handlers.domain.outbound import to_staff

BY = "gridbot"
SEVERAL = {2: "两", 3: "三", 4: "四", 5: "五"}


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
    for key, (platform_id, how) in found.bound.items():
        deps.uow.identities.bind(kind, key, platform_id, at=deps.now, by=BY, how=how)


def rebind(deps: Deps, event: ChatEvent) -> list[str]:
    """Re-bind from the roster; the lines for the staff chat (none when nothing changed)."""
    current = IdentityMap(deps.uow.identities.all())
    groups = known_groups(deps)
    staff, residents = known_people(deps)

    def now_of(kind: str, items: list[Known]) -> dict[str, str]:
        return {k.key: current.platform_of(kind, k.key) for k in items}

    g = match(GROUP, groups, event.rooms, now_of(GROUP, groups))
    people = [*staff, *residents]
    p = match(PERSON, people, event.contacts, now_of(PERSON, people))
    _save(deps, GROUP, g)
    _save(deps, PERSON, p)
    return _report(deps, groups, staff, g, p)


def _report(deps: Deps, groups: list[Known], staff: list[Known], g: Matching, p: Matching) -> list[str]:
    texts = deps.texts
    topic = {k.key: k.name for k in groups}
    staff_name = {k.key: k.name for k in staff}
    done = [texts.rebind_group.format(topic=topic[k]) for k in g.bound]
    done += [texts.rebind_person.format(name=staff_name[k]) for k in p.bound if k in staff_name]
    residents = sum(1 for k in p.bound if k not in staff_name)
    if residents:
        done.append(texts.rebind_residents.format(count=residents))
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
    return [texts.rebind_title, *lines] if lines else []


async def on_roster(event: ChatEvent, services: Services) -> None:
    with services.turn() as deps:
        lines = rebind(deps, event)
        if lines:
            for chat in dict.fromkeys(c.staff_chat for c in deps.settings.all_communities if c.staff_chat):
                to_staff(deps, chat, "\n".join(lines))
    load_identities(services)


def load_identities(services: Services) -> None:
    """The map the edge translates with, as stored now (also after another process re-bound)."""
    with services.store.begin() as uow:
        services.identity = IdentityMap(uow.identities.all())
