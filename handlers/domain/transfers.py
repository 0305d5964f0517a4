"""Moving a ticket: up the ladder (转办, or the sweep's escalation when a deadline passes) or sideways
to another grid (转办 1024 第十一网格). The new holder is @-mentioned among staff."""

from __future__ import annotations

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain import ladder
from handlers.domain.outbound import announce, to_staff
from handlers.domain.people import name_of, name_with_title, titled
from handlers.domain.tickets import (
    TicketError,
    assign,
    category_name,
    community_of,
    event,
    holder_name,
    level_name,
    reporter_chats,
    require_active,
    update,
)
from storage.records import Ticket
from storage.states import TicketState


def transferred_text(deps: Deps, ticket: Ticket) -> str:
    """The answer to a transfer (/转办, or the page's button): where the ticket is now."""
    holder, lname = holder_name(deps, ticket), level_name(deps, ticket.level)
    return deps.texts.transferred.format(
        ticket=ticket.id, holder=holder, level_name=lname, to=name_with_title(holder, lname)
    )


def escalate(deps: Deps, ticket: Ticket, actor_id: str, reason: str, *, automatic: bool) -> Ticket:
    """Up one level: the next holder is @-mentioned among staff, the group gets a calm status line."""
    require_active(deps, ticket, "转办")
    settings = deps.settings
    if ticket.level >= settings.top_level:
        raise TicketError(deps.texts.err_top_level.format(ticket=ticket.id))
    community = community_of(deps, ticket)
    grid = settings.grids_by_id.get(ticket.grid_id)
    level, holder = assign(deps, grid, community, ticket.level + 1, ticket.category)
    previous = ticket.holder_id
    timers = ladder.timers_now(deps, ticket, level, accepted=True)
    ticket = update(deps, ticket, state=TicketState.OPEN, holder_id=holder, promise_at=None, **timers)
    event(
        deps,
        ticket,
        "escalated" if automatic else "transferred",
        actor_id,
        note=reason,
        to=holder,
        previous=previous,
        level_to=level,
    )
    lname, holder_shown = level_name(deps, level), name_of(settings, holder)
    _tell_new_holder(deps, ticket, community, reason, previous)
    for chat_id in reporter_chats(deps, ticket):
        announce(
            deps,
            chat_id,
            deps.texts.escalated_status.format(
                ticket=ticket.id,
                category=category_name(deps, ticket),
                level_name=lname,
                holder=holder_shown,
                to=titled(holder_shown, lname),
            ),
            [holder],
            ticket_id=ticket.id,
            urgent=ticket.urgency == "urgent",
        )
    return ticket


def move_to_grid(deps: Deps, ticket: Ticket, actor_id: str, grid: Grid, reason: str) -> Ticket:
    """Sideways: the ticket belongs to another grid (转办 1024 第十一网格)."""
    require_active(deps, ticket, "转办")
    settings = deps.settings
    community = settings.community_of_grid[grid.id]
    level, holder = assign(deps, grid, community, 1, ticket.category)
    previous = ticket.holder_id
    timers = ladder.timers_now(deps, ticket, level, accepted=False)
    ticket = update(
        deps, ticket, state=TicketState.OPEN, grid_id=grid.id, community_id=community.id, holder_id=holder, **timers
    )
    event(deps, ticket, "moved", actor_id, note=reason or grid.name, grid=grid.id, to=holder, previous=previous)
    _tell_new_holder(deps, ticket, community, reason or grid.name, previous)
    return ticket


def _tell_new_holder(deps: Deps, ticket: Ticket, community: Community, reason: str, previous: str) -> None:
    """The ticket's new holder, @-mentioned in the staff chat, with why it came to them and from whom."""
    text = deps.texts.transferred_to_you.format(
        ticket=ticket.id,
        category=category_name(deps, ticket),
        reason=reason,
        previous=name_of(deps.settings, previous),
        text=ticket.text,
    )
    to_staff(deps, community.staff_chat, text, [ticket.holder_id], ticket_id=ticket.id)
