"""Who is who: roles, names, who holds which level of which grid, and who may touch a ticket."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.settings import Community, Grid, Person, Settings
from storage.records import Ticket

COMMUNITY_WIDE = frozenset({"secretary", "street_center", "supervisor"})
# who posts notices, sign-ups and polls (#20), in chat and on the page: a grid worker within their own grid
POSTERS = COMMUNITY_WIDE | {"grid_worker"}
ROLE_NAMES = {
    "grid_worker": "网格员",
    "area_cadre": "片区负责人",
    "secretary": "社区书记",
    "street_center": "街道网格中心",
    "supervisor": "督导",
    "property": "物业",
    "department": "职能部门",
    "verifier": "核查员",
}


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


@dataclass(frozen=True)
class Reach:
    """The tickets one person may see and act on, in chat and on the page alike (README "Reach").

    A ticket is in reach when its community is one of `community_ids`, its grid one of `grid_ids`
    (None: any grid) and its category one of `categories` (None: any) — or when the person holds it.
    """

    person_id: str
    community_ids: tuple[str, ...] = ()
    grid_ids: tuple[str, ...] | None = ()
    categories: tuple[str, ...] | None = None

    def covers(self, ticket: Ticket) -> bool:
        if ticket.holder_id == self.person_id:
            return True
        return (
            ticket.community_id in self.community_ids
            and (self.grid_ids is None or ticket.grid_id in self.grid_ids)
            and (self.categories is None or ticket.category in self.categories)
        )


def routed_categories(settings: Settings, person: Person) -> tuple[str, ...]:
    """The categories whose tickets go straight to this property company or department (`route_to:`)."""
    if person.role == "property":
        return tuple(k for k, c in settings.categories.items() if c.route_to == "property")
    if person.role == "department":
        return tuple(
            k for k, c in settings.categories.items() if c.route_to == "department" and c.department == person.id
        )
    return ()


def serves(person: Person, grid: Grid) -> bool:
    """The grid roles: a grid's workers, its area cadre, its property company."""
    if person.role == "grid_worker":
        return person.id in grid.workers
    if person.role == "area_cadre":
        return person.id == grid.area_cadre
    if person.role == "property":
        return person.id == grid.property_company
    return False


def reach(settings: Settings, person_id: str) -> Reach:
    """A grid worker their grid, an area cadre their grids, a secretary the community, the street center and
    supervisors every community they are listed in; a property company the tickets routed to it in its grids,
    a department those routed to it in its communities; a verifier only what it holds (it checks results
    with /核查, community-wide). Everyone also reaches the tickets they hold, and nothing else."""
    p = settings.people_by_id.get(person_id)
    if p is None:
        return Reach(person_id)
    if p.role in COMMUNITY_WIDE:
        return Reach(person_id, tuple(c.id for c in communities_of(settings, person_id)), None)
    if p.role == "department":
        own = tuple(c.id for c in communities_of(settings, person_id))
        return Reach(person_id, own, None, routed_categories(settings, p))
    grids = [g for g in settings.grids_by_id.values() if serves(p, g)]
    communities = tuple(dict.fromkeys(settings.community_of_grid[g.id].id for g in grids))
    categories = routed_categories(settings, p) if p.role == "property" else None
    return Reach(person_id, communities, tuple(g.id for g in grids), categories)


def can_act_on(settings: Settings, person_id: str, ticket: Ticket) -> bool:
    return reach(settings, person_id).covers(ticket)


def shares_community(settings: Settings, one: str, other: str) -> bool:
    return bool({c.id for c in communities_of(settings, one)} & {c.id for c in communities_of(settings, other)})
