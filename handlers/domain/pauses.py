"""/挂起 and /恢复 (#21): a ticket waiting on the resident (not at home, no access) or a third party (parts)
stops its clock, as a 12345 work order may be suspended.

A paused ticket keeps its timers as they stood and only `resume_at` is due (handlers/domain/ladder.py), so
nothing escalates or reminds meanwhile; resuming moves the deadline, the accept-by and the reminder by the
time the clock stood still at the ticket's level. A pause ends by itself after `pause_max_days` (the sweep
resumes it at `resume_at`, a stored timer the scheduler and `gridbot replay` see). Urgent tickets cannot
be paused: an emergency waits for nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.deps import Deps
from handlers.domain.outbound import reply, to_staff
from handlers.domain.tickets import (
    TicketError,
    category_name,
    community_of,
    event,
    holder_name,
    reporter_chats,
    require_active,
    update,
)
from storage.records import Ticket


def _local(deps: Deps, when: datetime) -> str:
    return f"{when.astimezone(deps.settings.tz):%m-%d %H:%M}"


def pause(deps: Deps, ticket: Ticket, actor_id: str, reason: str) -> Ticket:
    require_active(deps, ticket, "挂起")
    if ticket.urgency == "urgent":
        raise TicketError(deps.texts.err_pause_urgent.format(ticket=ticket.id))
    if ticket.paused_at is not None and ticket.resume_at is not None:
        raise TicketError(deps.texts.err_already_paused.format(ticket=ticket.id, until=_local(deps, ticket.resume_at)))
    until = deps.now + timedelta(days=deps.settings.pause_max_days)
    # the pause line is the group's news: the 12-hour status line it would have had is kept by it
    # and an answer (响应率): the reporters read why it waits, as they would a 进展
    first_response = ticket.first_response_at or deps.now
    ticket = update(
        deps, ticket, paused_at=deps.now, resume_at=until, promise_at=None, first_response_at=first_response
    )
    event(deps, ticket, "paused", actor_id, note=reason, until=until.isoformat())
    text = deps.texts.paused_to_reporter.format(ticket=ticket.id, reason=reason, until=_local(deps, until))
    for chat_id, mentions in reporter_chats(deps, ticket).items():
        reply(deps, chat_id, text, mentions, ticket_id=ticket.id)
    return ticket


def resume(deps: Deps, ticket: Ticket, actor_id: str, *, why: str = "", tell: bool = True) -> Ticket:
    """The clock runs again, its timers moved by the pause; `tell`: the reporters hear it (not before a 办结)."""
    if ticket.paused_at is None:
        raise TicketError(deps.texts.err_not_paused.format(ticket=ticket.id))
    # a level reached during the pause (a 转办) started its own clock then: only the time since counts
    stood = max(deps.now - max(ticket.paused_at, ticket.level_since), timedelta(0))
    paused_for = deps.now - ticket.paused_at
    paused_hours = round(paused_for.total_seconds() / 3600, 2)
    ticket = update(
        deps,
        ticket,
        paused_at=None,
        resume_at=None,
        deadline_at=ticket.deadline_at + stood if ticket.deadline_at else None,
        ack_due_at=ticket.ack_due_at + stood if ticket.ack_due_at else None,
        remind_at=ticket.remind_at + stood if ticket.remind_at else None,
        result_due_at=ticket.result_due_at + paused_for if ticket.result_due_at else None,
    )
    event(deps, ticket, "resumed", actor_id, note=why, hours=paused_hours)
    if tell:
        text = deps.texts.resumed_to_reporter.format(ticket=ticket.id, holder=holder_name(deps, ticket))
        for chat_id, mentions in reporter_chats(deps, ticket).items():
            reply(deps, chat_id, text, mentions, ticket_id=ticket.id)
    return ticket


def before_closing(deps: Deps, ticket: Ticket, actor_id: str) -> Ticket:
    """A paused ticket that is resolved, rejected or handed over resumes first: the timeline shows how long it
    stood still, and on time is judged against the deadline the pause moved."""
    if ticket.paused_at is None:
        return ticket
    return resume(deps, ticket, actor_id, why=deps.texts.resumed_on_close_note, tell=False)


def moved_deadline(deps: Deps, ticket: Ticket) -> str:
    """ ", 期限顺延至 …" for an answer about a resumed ticket ("" when it has no deadline left to move)."""
    return deps.texts.resumed_deadline.format(deadline=_local(deps, ticket.deadline_at)) if ticket.deadline_at else ""


def resume_when_due(deps: Deps, ticket: Ticket) -> Ticket:
    """The sweep's part: a pause that reached its maximum ends by itself, and the holder is told."""
    if ticket.paused_at is None or ticket.resume_at is None or ticket.resume_at > deps.now:
        return ticket
    ticket = resume(deps, ticket, "", why=deps.texts.resumed_auto_note)
    to_staff(
        deps,
        community_of(deps, ticket).staff_chat,
        deps.texts.resumed_auto_staff.format(
            ticket=ticket.id,
            category=category_name(deps, ticket),
            days=f"{deps.settings.pause_max_days:g}",
            deadline=moved_deadline(deps, ticket),
        ),
        [ticket.holder_id],
        ticket_id=ticket.id,
    )
    return ticket
