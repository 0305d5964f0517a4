"""Who is alerted for an emergency, and what the staff chat is told.

One path for a new urgent ticket (intake.acknowledge) and for an ordinary ticket that a neighbour's
emergency report about the same thing raises to urgent (joining.py): the same people are woken either way.
"""

from __future__ import annotations

from bot.core.settings import Community
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import to_staff
from handlers.domain.people import name_of
from storage import records as r


def on_duty(deps: Deps) -> list[str]:
    """The duty roster (值班表): named dates first, then weekdays, then the default."""
    local = deps.now.astimezone(deps.settings.tz)
    day, weekday = local.date(), local.isoweekday()
    roster = deps.settings.duty_roster
    for match in (
        [e.person for e in roster if day in e.dates],
        [e.person for e in roster if weekday in e.weekdays],
        [e.person for e in roster if e.default],
    ):
        if match:
            return match
    return []


def alerted(deps: Deps, ticket: r.Ticket) -> list[str]:
    """The holder, the grid's workers and area cadre, and off duty the roster too; stand-ins for those on leave."""
    grid = deps.settings.grids_by_id.get(ticket.grid_id)
    people = [ticket.holder_id, *(grid.workers if grid else []), grid.area_cadre if grid else ""]
    if deps.calendar.is_off_duty(deps.now):
        people += on_duty(deps)  # nights, weekends and holidays
    covered = [tickets.covering(deps, p) for p in dict.fromkeys(people) if p]
    return list(dict.fromkeys(covered))


def advice(deps: Deps, lang: str = "zh") -> str:
    """The emergency advice, in English for a resident who wrote in English."""
    return deps.settings.emergency_advice_en if lang == "en" else deps.settings.emergency_advice


def names(deps: Deps, people: list[str]) -> str:
    return "、".join(name_of(deps.settings, p) for p in people)


def sound(deps: Deps, ticket: r.Ticket, community: Community, notice: str, people: list[str]) -> None:
    """The staff chat hears of the emergency with everyone alerted @-mentioned."""
    to_staff(deps, community.staff_chat, notice, people, ticket_id=ticket.id)
