"""Likely requests (#16): what the classifier is unsure of goes to the grid worker, not to the group.

The group hears nothing. The item waits for the worker's next batch (`likely.batch_minutes`; held
through quiet hours unless it may be an emergency), then for `/登记 N` or `/忽略 N`, and lapses after
`likely.lapse_hours`. Each timed step is a stored timer (storage/repos/likely.py) that the sweep and
`gridbot replay` see.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.resident.intake import community_for, grid_of_chat, grid_of_person
from storage.records import StoredMessage


def worker_for(deps: Deps, grid: Grid | None, community: Community) -> str:
    """Who decides: the grid's worker (or their stand-in); without a grid, the community's secretary."""
    first = grid.workers[0] if grid is not None and grid.workers else community.secretary
    if not first and community.people:
        first = community.people[0].id
    return tickets.covering(deps, first) if first else ""


def batch_time(deps: Deps, urgent: bool) -> datetime:
    """The next batch boundary (whole `batch_minutes` of the clock); after quiet hours unless urgent."""
    step = deps.settings.likely.batch_minutes * 60
    epoch = int(deps.now.timestamp())
    at = datetime.fromtimestamp((epoch // step + 1) * step, deps.now.tzinfo)
    if not urgent and deps.calendar.in_quiet_hours(at):
        at = deps.calendar.quiet_end(at)
    return at


def hold(msg: StoredMessage, deps: Deps, category: str, urgency: str) -> str | None:
    """Store the message as a likely request for its worker; the worker's id, or None if nobody can take it."""
    grid = grid_of_chat(deps, msg.chat_id)
    if grid is None and msg.is_private:
        grid = grid_of_person(deps, msg.sender_id)
    community = community_for(deps, grid)
    if community is None:
        return None
    worker = worker_for(deps, grid, community)
    if not worker:
        return None
    if deps.uow.likely.of_message(msg.pk) is not None:
        return worker  # the same message handled again (a repair after a crash): one item
    deps.uow.likely.add(
        {
            "message_id": msg.pk,
            "chat_id": msg.chat_id,
            "chat_topic": msg.chat_topic,
            "grid_id": grid.id if grid else "",
            "community_id": community.id,
            "worker_id": worker,
            "reporter_id": msg.sender_id,
            "reporter_name": msg.sender_name,
            "text": msg.text,
            "category": category if category in deps.settings.categories else "other",
            "urgency": urgency,
            "created_at": deps.now,
            "notify_at": batch_time(deps, urgency == "urgent"),
            "lapse_at": deps.now + timedelta(hours=deps.settings.likely.lapse_hours),
        }
    )
    return worker
