"""Who sees what on the page: the same reach as the chat commands (handlers/domain/people.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.settings import Community, Grid, Person, Settings
from handlers.domain.people import COMMUNITY_WIDE, ROLE_NAMES, communities_of, reach
from storage.web_queries import Scope


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


def viewer_for(settings: Settings, person_id: str) -> Viewer | None:
    """The page shows exactly the chat commands' reach (handlers/domain/people.py `reach`)."""
    person = settings.people_by_id.get(person_id)
    if person is None:
        return None
    r = reach(settings, person_id)
    communities = tuple(communities_of(settings, person_id))
    if r.grid_ids is None:
        grids = tuple(g for c in settings.all_communities if c.id in r.community_ids for g in c.grids)
    else:
        grids = tuple(settings.grids_by_id[g] for g in r.grid_ids)
    scope = Scope(community_ids=r.community_ids, grid_ids=r.grid_ids, categories=r.categories, holder_id=person_id)
    return Viewer(person=person, communities=communities, grids=grids, scope=scope)
