"""Who sees what on the page: the same reach as the chat commands (handlers/domain/people.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.settings import Community, Grid, Person, Settings
from handlers.domain.people import COMMUNITY_WIDE, communities_of
from storage.web_queries import Scope

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


@dataclass(frozen=True)
class Viewer:
    person: Person
    communities: tuple[Community, ...]
    grids: tuple[Grid, ...]  # the grids whose tickets they see
    scope: Scope

    @property
    def id(self) -> str:
        return self.person.id

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.person.role, self.person.role)

    @property
    def wide(self) -> bool:
        return self.person.role in COMMUNITY_WIDE


def _own_grids(settings: Settings, person: Person) -> list[Grid]:
    out = []
    for grid in settings.grids_by_id.values():
        if person.role == "grid_worker" and person.id in grid.workers:
            out.append(grid)
        elif person.role == "area_cadre" and person.id == grid.area_cadre:
            out.append(grid)
        elif person.role == "property" and person.id == grid.property_company:
            out.append(grid)
    return out


def viewer_for(settings: Settings, person_id: str) -> Viewer | None:
    """A grid worker sees their grid, a cadre their grids, a secretary the community, the street center and
    supervisors every community they belong to; everyone also sees the tickets they hold."""
    person = settings.people_by_id.get(person_id)
    if person is None:
        return None
    communities = tuple(communities_of(settings, person_id))
    if person.role in COMMUNITY_WIDE:
        grids = tuple(g for c in communities for g in c.grids)
        scope = Scope(community_ids=tuple(c.id for c in communities), grid_ids=None, holder_id=person_id)
    else:
        own = _own_grids(settings, person)
        grids = tuple(own)
        scope = Scope(
            community_ids=tuple(settings.community_of_grid[g.id].id for g in own),
            grid_ids=tuple(g.id for g in own),
            holder_id=person_id,
        )
    return Viewer(person=person, communities=communities, grids=grids, scope=scope)
