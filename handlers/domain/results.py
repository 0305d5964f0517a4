"""A ticket's outcome: 办结 (with 核查 where the category has it) and 退回, and who is told.

The result goes to every reporter in the chat they reported in (privately for a private report or
a sensitive category), each asked to rate it within the rating window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.deps import Deps
from handlers.domain.outbound import reply, to_staff
from handlers.domain.people import COMMUNITY_WIDE, name_of
from handlers.domain.tickets import (
    NO_DEADLINES,
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
from storage.states import TicketState


def needs_verification(deps: Deps, ticket: Ticket) -> bool:
    cat = deps.settings.categories.get(ticket.category)
    return cat is not None and cat.verify


def verifiers(deps: Deps, ticket: Ticket) -> list[str]:
    """The community's verifiers (核查员); the secretary when none is configured."""
    community = community_of(deps, ticket)
    found = [p.id for p in community.people if p.role == "verifier"]
    return found or [community.secretary]


def resolve(deps: Deps, ticket: Ticket, actor_id: str, result: str) -> Ticket:
    """办结: the result goes to the reporters, or first to a verifier when the category has 核查."""
    require_active(deps, ticket, "办结")
    if ticket.state == TicketState.OPEN:  # a holder's 办结 implies 接单
        event(deps, ticket, "accepted", actor_id, note="办结时自动接单")
    on_time = _on_time(ticket, deps.now)  # judged against the deadline in force, before it is cleared
    verify = needs_verification(deps, ticket)
    ticket = update(
        deps,
        ticket,
        state=TicketState.VERIFYING if verify else TicketState.RESOLVED,
        holder_id=actor_id,
        result=result,
        resolved_at=deps.now,
        first_response_at=ticket.first_response_at or deps.now,
        **NO_DEADLINES,
    )
    event(deps, ticket, "resolved", actor_id, note=result, on_time=on_time)
    if verify:
        to_staff(
            deps,
            community_of(deps, ticket).staff_chat,
            deps.texts.verify_request.format(
                ticket=ticket.id, category=category_name(deps, ticket), holder=holder_name(deps, ticket), result=result
            ),
            verifiers(deps, ticket),
            ticket_id=ticket.id,
        )
    else:
        post_result(deps, ticket)
    return ticket


def post_result(deps: Deps, ticket: Ticket) -> None:
    """The result to every reporter (group, or privately), each asked to rate it within the window."""
    window = timedelta(hours=deps.settings.rating_window_hours)
    for chat_id, mentions in reporter_chats(deps, ticket, include_private=True).items():
        private_chat = chat_id in mentions
        template = deps.texts.resolved_private if private_chat else deps.texts.resolved
        text = template.format(ticket=ticket.id, category=category_name(deps, ticket), result=ticket.result)
        reply(deps, chat_id, text, [] if private_chat else mentions, ticket_id=ticket.id)
        for who in mentions:
            deps.uow.followups.set_for_ticket(
                chat_id, who, "rating", ticket.id, at=deps.now, expires_at=deps.now + window
            )


def _on_time(ticket: Ticket, now: datetime) -> bool:
    if ticket.overdue_at is not None:
        return False
    return ticket.deadline_at is None or now <= ticket.deadline_at


def reject(deps: Deps, ticket: Ticket, actor_id: str, reason: str) -> Ticket:
    require_active(deps, ticket, "退回")
    actor = deps.settings.people_by_id.get(actor_id)
    if ticket.urgency == "urgent" and (actor is None or actor.role not in COMMUNITY_WIDE):
        # an emergency is closed by a result, or by someone answering for the whole community
        raise TicketError(deps.texts.err_urgent_reject.format(ticket=ticket.id))
    ticket = update(
        deps,
        ticket,
        state=TicketState.REJECTED,
        closed_at=deps.now,
        result=reason,
        **NO_DEADLINES,
    )
    event(deps, ticket, "rejected", actor_id, note=reason)
    for chat_id, mentions in reporter_chats(deps, ticket).items():
        reply(
            deps,
            chat_id,
            deps.texts.rejected_to_reporter.format(
                ticket=ticket.id, reason=reason, holder=name_of(deps.settings, actor_id)
            ),
            mentions,
            ticket_id=ticket.id,
        )
    return ticket
