"""Stand-ins (/代班): who may cover for whom, the hand-over, and the hand-back when the period ends.

A stand-in is a colleague of the same community in a role that can do the absent person's work (the same
role, or the level above on the same ladder). They hold the absent person's open tickets for the period and
cannot pass them on to a third person; when the period is over the sweep gives back every ticket the
stand-in still holds for them — handed over, or arrived meanwhile for the absent person (`end_expired`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import private
from handlers.domain.people import ROLE_NAMES, name_of, shares_community
from storage.records import Ticket
from storage.states import ACTIVE_STATES

MAX_DAYS = 90  # a longer absence is a new grid worker (管理 page), not a stand-in
# the roles that may cover for each role: the same work, or the level above it
COVERS = {
    "grid_worker": ("grid_worker", "area_cadre", "secretary"),
    "area_cadre": ("area_cadre", "secretary"),
    "secretary": ("secretary", "street_center"),
    "street_center": ("street_center",),
    "supervisor": ("supervisor",),
    "property": ("property",),
    "department": ("department",),
    "verifier": ("verifier", "secretary"),
}


def covered_by(deps: Deps, person_id: str) -> list[str]:
    """The people `person_id` is standing in for today (config `standins:` and /代班)."""
    today = deps.now.astimezone(deps.settings.tz).date()
    found = [s.person for s in deps.settings.standins if s.by == person_id and s.until >= today]
    found += [absent for absent, by in deps.uow.directory.standins(deps.now).items() if by == person_id]
    return list(dict.fromkeys(found))


def refusal(deps: Deps, person_id: str, by_id: str) -> str:
    """Why `by_id` cannot stand in for `person_id` ("" when they can)."""
    texts, settings = deps.texts, deps.settings
    me, by = settings.people_by_id[person_id], settings.people_by_id[by_id]
    if by_id == person_id:
        return texts.err_standin_self
    if not shares_community(settings, person_id, by_id):
        return texts.err_standin_community.format(name=by.name)
    if by.role not in COVERS.get(me.role, (me.role,)):
        allowed = "、".join(ROLE_NAMES.get(r, r) for r in COVERS.get(me.role, (me.role,)))
        return texts.err_standin_role.format(
            name=by.name, role=ROLE_NAMES.get(by.role, by.role), mine=ROLE_NAMES.get(me.role, me.role), allowed=allowed
        )
    covering = covered_by(deps, person_id)
    if covering:  # no onward delegation: what they hold for others stays with them
        return texts.err_standin_onward.format(who="、".join(name_of(settings, p) for p in covering))
    if tickets.covering(deps, by_id) != by_id:  # away themselves: the tickets would sit with nobody
        return texts.err_standin_away.format(name=by.name)
    return ""


def start(deps: Deps, person_id: str, by_id: str, until: datetime) -> int:
    """`by_id` covers for `person_id` until `until` (exclusive); their open tickets move over. Returns how many."""
    previous = deps.uow.directory.standins(deps.now).get(person_id)
    if previous is not None and previous != by_id:
        _give_back(deps, person_id, previous)  # a new stand-in replaces the old one: nothing stays behind
    deps.uow.directory.set_standin(person_id, by_id, until, set_by=person_id, at=deps.now)
    mine = deps.uow.tickets.find(states=ACTIVE_STATES, holder_id=person_id)
    moved = len(tickets.hand_over(deps, mine, by_id, "standin", person_id, note=name_of(deps.settings, by_id)))
    last_day = (until - timedelta(days=1)).strftime("%m-%d")
    private(
        deps,
        by_id,
        deps.texts.standin_notice.format(who=name_of(deps.settings, person_id), count=moved, until=last_day),
    )
    return moved


def _theirs(deps: Deps, ticket: Ticket, person_id: str, by_id: str) -> bool:
    """The stand-in holds it for `person_id`: handed over by /代班, or it arrived while they were away and
    the ladder would have given it to them."""
    grid = deps.settings.grids_by_id.get(ticket.grid_id)
    community = tickets.community_of(deps, ticket)
    if tickets.ladder_holder(deps, grid, community, ticket.level, ticket.category)[1] == person_id:
        return True
    return any(
        e.action == "standin" and e.actor_id == person_id and json.loads(e.data or "{}").get("to") == by_id
        for e in deps.uow.tickets.events(ticket.id)
    )


def _give_back(deps: Deps, person_id: str, by_id: str) -> list[int]:
    """The tickets `by_id` still holds for `person_id` go back to `person_id`."""
    back = []
    for found in deps.uow.tickets.find(states=ACTIVE_STATES, holder_id=by_id):
        ticket = deps.uow.tickets.get(found.id, lock=True)
        if ticket is not None and ticket.holder_id == by_id and _theirs(deps, ticket, person_id, by_id):
            back.append(ticket)
    return tickets.hand_over(deps, back, person_id, "standin_ended", note=name_of(deps.settings, by_id))


def end_expired(deps: Deps) -> int:
    """Every stand-in whose period is over: the tickets the stand-in still holds from the hand-over go back
    to the person who was away (each with a `standin_ended` row), who is told privately. Returns how many."""
    returned = 0
    for person_id, by_id in deps.uow.directory.ended_standins(deps.now):
        ids = _give_back(deps, person_id, by_id)
        deps.uow.directory.drop_standin(person_id, by_id)
        if ids and person_id in deps.settings.people_by_id:
            numbers = "、".join(f"#{i}" for i in ids)
            text = deps.texts.standin_ended.format(by=name_of(deps.settings, by_id), count=len(ids), tickets=numbers)
            private(deps, person_id, text)
        returned += len(ids)
    return returned
