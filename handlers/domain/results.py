"""A ticket's outcome: 办结 (with 核查 where the category has it) and 退回, and who is told.

The result goes to every reporter in the chat they reported in (privately for a private report or
a sensitive category), each asked to rate it within the rating window. 办结 states one of three
outcomes (handlers/domain/outcomes.py); a 部分解决 opens a follow-up ticket for what is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.deps import Deps
from handlers.domain import outcomes, pauses
from handlers.domain.outbound import private, reply, to_staff
from handlers.domain.outcomes import Result
from handlers.domain.people import COMMUNITY_WIDE, name_of
from handlers.domain.tickets import (
    NO_DEADLINES,
    TicketError,
    accept,
    category_name,
    community_of,
    event,
    holder_name,
    open_ticket,
    reporter_chats,
    require_active,
    update,
    worker_notice,
)
from storage.records import Ticket
from storage.states import Outcome, ReporterKind, TicketState
from storage.writes import EventData, NewReporter


def needs_verification(deps: Deps, ticket: Ticket) -> bool:
    cat = deps.settings.categories.get(ticket.category)
    return cat is not None and cat.verify


def verifiers(deps: Deps, ticket: Ticket) -> list[str]:
    """The community's verifiers (核查员); the secretary when none is configured."""
    community = community_of(deps, ticket)
    found = [p.id for p in community.people if p.role == "verifier"]
    return found or [community.secretary]


def resolve(deps: Deps, ticket: Ticket, actor_id: str, result: str | Result) -> Ticket:
    """办结: the result goes to the reporters, or first to a verifier when the category has 核查."""
    stated = result if isinstance(result, Result) else Result(Outcome.SOLVED, result)
    require_active(deps, ticket, "办结")
    ticket = pauses.before_closing(deps, ticket, actor_id)
    if ticket.state == TicketState.OPEN:  # a holder's 办结 implies 接单
        event(deps, ticket, "accepted", actor_id, note="办结时自动接单")
    on_time = _on_time(ticket, deps.now)  # judged against the deadline in force, before it is cleared
    verify = needs_verification(deps, ticket)
    ticket = update(
        deps,
        ticket,
        state=TicketState.VERIFYING if verify else TicketState.RESOLVED,
        holder_id=actor_id,
        result=stated.text,
        outcome=stated.outcome,
        outcome_note=stated.note,
        resolved_at=deps.now,
        first_response_at=ticket.first_response_at or deps.now,
        **NO_DEADLINES,
    )
    note = outcomes.summary(deps, ticket)
    data: EventData = {"on_time": on_time, "outcome": stated.outcome}
    if stated.outcome == Outcome.PARTIAL:
        data |= {"left": stated.note, "followup": _continue(deps, ticket, actor_id).id}
    elif stated.outcome == Outcome.UNSOLVED:
        data["referred_to"] = stated.note
    event(deps, ticket, "resolved", actor_id, note=note, **data)
    if verify:
        to_staff(
            deps,
            community_of(deps, ticket).staff_chat,
            deps.texts.verify_request.format(
                ticket=ticket.id, category=category_name(deps, ticket), holder=holder_name(deps, ticket), result=note
            ),
            verifiers(deps, ticket),
            ticket_id=ticket.id,
        )
    else:
        post_result(deps, ticket)
    return ticket


def _continue(deps: Deps, ticket: Ticket, actor_id: str) -> Ticket:
    """部分解决: what is left becomes a ticket of its own, for the same reporters, in the same grid.

    It starts like a new report of its category (its own deadlines); when the person who resolved
    the first part is its holder, it is theirs at once."""
    grid = deps.settings.grids_by_id.get(ticket.grid_id)
    followup = open_ticket(
        deps,
        msg=None,
        chat_id=ticket.chat_id,
        chat_topic=ticket.chat_topic,
        reporter_id=ticket.reporter_id,
        reporter_name=ticket.reporter_name,
        text=ticket.outcome_note,
        category=ticket.category,
        urgency=ticket.urgency,
        grid=grid,
        community=community_of(deps, ticket),
        actor_id=actor_id,
    )
    origin = (ticket.chat_id, ticket.reporter_id)
    for rep in deps.uow.tickets.reporters(ticket.id):
        if (rep.chat_id, rep.reporter_id) != origin:
            deps.uow.tickets.add_reporter(
                NewReporter(
                    followup.id,
                    rep.chat_id,
                    rep.chat_topic,
                    rep.reporter_id,
                    rep.reporter_name,
                    ReporterKind.JOINED,
                    deps.now,
                    rep.message_id,
                )
            )
    event(
        deps,
        followup,
        "continued",
        actor_id,
        note=deps.texts.followup_note.format(ticket=ticket.id),
        followup_of=ticket.id,
    )
    if followup.holder_id == actor_id:
        return accept(deps, followup, actor_id)
    private(
        deps,
        followup.holder_id,
        worker_notice(deps, followup, followup.chat_topic or "私聊"),
        ticket_id=followup.id,
    )
    return followup


def post_result(deps: Deps, ticket: Ticket) -> None:
    """The result to every reporter (group, or privately), each asked to rate it within the window.

    The outcome is told as it is: 部分解决 names what is left and its follow-up ticket, 无法解决 why
    and where it was referred; every outcome is rated."""
    window = timedelta(hours=deps.settings.rating_window_hours)
    followup = outcomes.followup_of(deps, ticket) if ticket.outcome == Outcome.PARTIAL else None
    referred = deps.texts.outcome_referred.format(body=ticket.outcome_note) if ticket.outcome_note else ""
    for chat_id, mentions in reporter_chats(deps, ticket, include_private=True).items():
        private_chat = chat_id in mentions
        if ticket.outcome == Outcome.PARTIAL:
            template = deps.texts.resolved_partial_private if private_chat else deps.texts.resolved_partial
        elif ticket.outcome == Outcome.UNSOLVED:
            template = deps.texts.resolved_unsolved_private if private_chat else deps.texts.resolved_unsolved
        else:
            template = deps.texts.resolved_private if private_chat else deps.texts.resolved
        text = template.format(
            ticket=ticket.id,
            category=category_name(deps, ticket),
            result=ticket.result,
            left=ticket.outcome_note,
            followup=followup or "",
            referred=referred,
        )
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
        pauses.before_closing(deps, ticket, actor_id),
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
