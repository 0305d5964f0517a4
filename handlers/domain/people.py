"""Who is who: roles, names, who holds which level of which grid, and who may touch a ticket."""

from __future__ import annotations

from bot.core.settings import Community, Grid, Person, Settings
from storage.records import Ticket

COMMUNITY_WIDE = frozenset({"secretary", "street_center", "supervisor"})


def person(settings: Settings, person_id: str) -> Person | None:
    return settings.people_by_id.get(person_id)


def name_of(settings: Settings, person_id: str, fallback: str = "") -> str:
    p = settings.people_by_id.get(person_id)
    return p.name if p else (fallback or person_id)


def titled(name: str, title: str) -> str:
    """ "片区负责人 王片长"; the name alone where the title says nothing more (an account named 街道网格中心)."""
    return name if not title or title == name else f"{title} {name}"


def name_with_title(name: str, title: str) -> str:
    """ "王片长（片区负责人）"; the name alone where the title is the name itself."""
    return name if not title or title == name else f"{name}（{title}）"


def is_staff(settings: Settings, person_id: str) -> bool:
    return person_id in settings.people_by_id


def grids_of(settings: Settings, person_id: str) -> list[Grid]:
    return [g for g in settings.grids_by_id.values() if person_id in g.workers or person_id == g.area_cadre]


def communities_of(settings: Settings, person_id: str) -> list[Community]:
    return settings.community_of_person(person_id)


def holder_for_level(settings: Settings, grid: Grid | None, community: Community, level: int) -> str:
    """The person who holds level `level` for this grid; "" when nobody is configured."""
    role = settings.level(level).role if settings.ladder else "grid_worker"
    if role == "grid_worker" and grid is not None:
        return grid.workers[0]
    if role == "area_cadre" and grid is not None:
        return grid.area_cadre
    if role == "secretary":
        return community.secretary
    if role == "street_center":
        return community.street_center
    if role == "property" and grid is not None:
        return grid.property_company
    return ""


def resolve_holder(settings: Settings, grid: Grid | None, community: Community, level: int) -> tuple[int, str]:
    """Walk up from `level` to the first level that has someone (a grid without an area cadre skips L2)."""
    top = settings.top_level
    current = level
    while current <= top:
        who = holder_for_level(settings, grid, community, current)
        if who:
            return current, who
        current += 1
    # nobody configured anywhere above: the secretary, or the first person of the community
    fallback = community.secretary or (community.people[0].id if community.people else "")
    return min(level, top), fallback


def can_act_on(settings: Settings, person_id: str, ticket: Ticket) -> bool:
    """Reach: a worker their grid's tickets, a cadre their area's, a secretary the community's."""
    if ticket.holder_id == person_id:
        return True
    p = settings.people_by_id.get(person_id)
    if p is None:
        return False
    in_community = any(c.id == ticket.community_id for c in communities_of(settings, person_id))
    if p.role in COMMUNITY_WIDE:
        return in_community
    grid = settings.grids_by_id.get(ticket.grid_id)
    if grid is None:
        return False
    if p.role == "grid_worker":
        return person_id in grid.workers
    if p.role == "area_cadre":
        return person_id == grid.area_cadre
    if p.role == "property":
        return person_id == grid.property_company
    return False


def reachable_grid_ids(settings: Settings, person_id: str) -> list[str] | None:
    """Grid ids a person sees; None means every grid of their communities."""
    p = settings.people_by_id.get(person_id)
    if p is None:
        return []
    if p.role in COMMUNITY_WIDE:
        return None
    return [g.id for g in grids_of(settings, person_id)]
