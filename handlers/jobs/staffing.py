"""A grid gets a new worker: the old worker's open tickets in that grid move to the new one.

The same for a grid's area cadre (片区负责人): the tickets of that grid the old cadre holds at the
ladder's area-cadre level go to the new cadre; a grid left without one has them go up the ladder as
a new ticket at that level would (handlers/domain/people.py resolve_holder).

Compared with what the database last recorded, so the change is acted on whether it arrives by a
config reload, the 管理 page or with a restart, once, even with several bot processes on one database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import to_staff
from handlers.domain.people import name_of, resolve_holder
from storage import records as r
from storage.repos.state import CADRES_KEY
from storage.states import HELD_STATES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reassigned:
    grid_id: str
    previous: str
    holder: str
    ticket_ids: tuple[int, ...]
    role: str = "grid_worker"


def reassign_changed_workers(deps: Deps) -> list[Reassigned]:
    """Move open tickets of workers and area cadres who left their grid; record the current ones."""
    settings = deps.settings
    deps.uow.state.lock_staff_changes()
    last = deps.uow.state.recorded_staff()
    current = {g.id: g.workers[0] for g in settings.grids_by_id.values()}
    moves: list[Reassigned] = []
    for grid_id, previous in (last or {}).items():
        grid = settings.grids_by_id.get(grid_id)
        if grid is None or previous in grid.workers:
            continue  # a grid no longer configured keeps its tickets; a worker still listed keeps theirs
        holder = tickets.covering(deps, grid.workers[0])
        found = deps.uow.tickets.find(states=HELD_STATES, holder_id=previous, grid_ids=[grid_id])
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
    deps.uow.state.record_staff({**(last or {}), **current})  # a grid left out for a while is remembered
    return moves + _reassign_changed_cadres(deps)


def _reassign_changed_cadres(deps: Deps) -> list[Reassigned]:
    """Tickets held at the area-cadre level by a grid's former cadre go to its cadre now (or up the ladder)."""
    settings = deps.settings
    levels = {lv.level for lv in settings.ladder if lv.role == "area_cadre"}
    last = deps.uow.state.recorded_staff(CADRES_KEY)
    current = {g.id: g.area_cadre for g in settings.grids_by_id.values()}
    moves: list[Reassigned] = []
    for grid_id, previous in (last or {}).items():
        grid = settings.grids_by_id.get(grid_id)
        if grid is None or not previous or previous == grid.area_cadre:
            continue
        found = [
            t
            for t in deps.uow.tickets.find(states=HELD_STATES, holder_id=previous, grid_ids=[grid_id])
            if t.level in levels
        ]
        community = settings.community_of_grid[grid_id]
        by_holder: dict[tuple[str, int], list[r.Ticket]] = {}
        for ticket in found:
            level, who = resolve_holder(settings, grid, community, ticket.level)  # the new cadre, or above
            by_holder.setdefault((tickets.covering(deps, who), level), []).append(ticket)
        for (holder, level), group in by_holder.items():
            # without a cadre the ticket is at the level of whoever holds it now, its deadline unchanged
            group = [tickets.update(deps, t, level=level) if t.level != level else t for t in group]
            note = f"{name_of(settings, previous)} → {name_of(settings, holder)}"
            ids = tuple(
                tickets.hand_over(deps, group, holder, "cadre_reassigned", note=note, previous=previous, grid=grid_id)
            )
            text = deps.texts.cadre_reassigned_to_you if grid.area_cadre else deps.texts.cadre_removed_to_you
            ticket_list = "、".join(f"#{i}" for i in ids)
            told = text.format(
                grid=grid.name, previous=name_of(settings, previous), count=len(ids), tickets=ticket_list
            )
            to_staff(deps, community.staff_chat, told, [holder])
            moves.append(Reassigned(grid_id, previous, holder, ids, role="area_cadre"))
            log.info(
                "grid %s: area cadre %s -> %s; %d open tickets moved: %s", grid_id, previous, holder, len(ids), ids
            )
    deps.uow.state.record_staff({**(last or {}), **current}, CADRES_KEY)
    return moves
