"""A grid gets a new worker: the old worker's open tickets in that grid move to the new one.

Compared with what the database last recorded, so the change is acted on whether it arrives by a
config reload or with a restart, once, even with several bot processes on one database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers import tickets
from handlers.deps import Deps
from handlers.outbound import to_staff
from handlers.people import name_of
from storage import records as r
from storage import staffing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reassigned:
    grid_id: str
    previous: str
    holder: str
    ticket_ids: tuple[int, ...]


def reassign_changed_workers(deps: Deps) -> list[Reassigned]:
    """Move open tickets of workers who left their grid; record the current workers."""
    settings = deps.settings
    staffing.lock(deps.repo)
    last = staffing.last_workers(deps.repo)
    current = {g.id: g.workers[0] for g in settings.grids_by_id.values()}
    moves: list[Reassigned] = []
    for grid_id, previous in (last or {}).items():
        grid = settings.grids_by_id.get(grid_id)
        if grid is None or previous in grid.workers:
            continue  # a grid no longer configured keeps its tickets; a worker still listed keeps theirs
        holder = tickets.covering(deps, grid.workers[0])
        found = deps.repo.tickets(states=r.HELD_STATES, holder_id=previous, grid_ids=[grid_id])
        if not found:
            continue
        note = f"{name_of(settings, previous)} → {name_of(settings, holder)}"
        ids = tuple(tickets.hand_over(deps, found, holder, "reassigned", note=note, previous=previous, grid=grid_id))
        community = settings.community_of_grid[grid_id]
        to_staff(
            deps,
            community.staff_chat,
            deps.texts.reassigned_to_you.format(
                grid=grid.name,
                previous=name_of(settings, previous),
                count=len(ids),
                tickets="、".join(f"#{i}" for i in ids),
            ),
            [holder],
        )
        moves.append(Reassigned(grid_id, previous, holder, ids))
        log.info("grid %s: worker %s -> %s; %d open tickets moved: %s", grid_id, previous, holder, len(ids), ids)
    staffing.save_workers(deps.repo, {**(last or {}), **current})  # a grid left out for a while is remembered
    return moves
