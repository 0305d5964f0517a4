"""核查 and 返工: a verifier confirms a resolved ticket before its result goes out, or sends it back.

`/核查 1024` (or `/核查 1024 通过`) posts the result to the reporters and asks them to rate it;
`/核查 1024 不通过 原因` and `/返工 1024 原因` send the ticket back to its holder at its level
with a new deadline. A rework is an event row, and it counts against the on-time rate.
"""

from __future__ import annotations

from handlers.commands.base import find_ticket, need_text, ticket_number
from handlers.deps import Deps
from handlers.domain import ladder, results, tickets
from handlers.domain.outbound import private
from handlers.domain.people import communities_of
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage, Ticket
from storage.states import TicketState

_REFUSE = ("不通过", "未通过", "不合格")


def _verifiable(cmd: Command, msg: StoredMessage, deps: Deps) -> Ticket:
    ticket = find_ticket(ticket_number(cmd, deps), deps)
    if not any(c.id == ticket.community_id for c in communities_of(deps.settings, msg.sender_id)):
        raise TicketError(deps.texts.err_not_in_reach.format(ticket=ticket.id))
    return ticket


def verify(deps: Deps, ticket: Ticket, actor_id: str, note: str = "") -> Ticket:
    if ticket.state != TicketState.VERIFYING:
        raise TicketError(
            deps.texts.err_wrong_state.format(ticket=ticket.id, state=tickets.state_name(ticket), verb="核查")
        )
    ticket = tickets.update(deps, ticket, state=TicketState.RESOLVED)
    tickets.event(deps, ticket, "verified", actor_id, note=note)
    results.post_result(deps, ticket)
    return ticket


def rework(deps: Deps, ticket: Ticket, actor_id: str, reason: str) -> Ticket:
    """Back to the holder who resolved it, at its level, with that level's deadline from now."""
    if ticket.state not in (TicketState.VERIFYING, TicketState.RESOLVED, TicketState.CLOSED):
        raise TicketError(
            deps.texts.err_wrong_state.format(ticket=ticket.id, state=tickets.state_name(ticket), verb="返工")
        )

    timers = ladder.timers_now(deps, ticket, ticket.level, accepted=True)
    ticket = tickets.update(deps, ticket, state=TicketState.ACCEPTED, resolved_at=None, closed_at=None, **timers)
    deps.uow.followups.drop_for_ticket(ticket.id, ("rating", "reopen_watch"))
    tickets.event(deps, ticket, "rework", actor_id, note=reason)
    deadline = ticket.deadline_at.astimezone(deps.settings.tz).strftime("%m-%d %H:%M") if ticket.deadline_at else "-"
    private(
        deps,
        ticket.holder_id,
        deps.texts.rework_to_holder.format(
            ticket=ticket.id, category=tickets.category_name(deps, ticket), reason=reason, deadline=deadline
        ),
        ticket_id=ticket.id,
    )
    return ticket


async def cmd_verify(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = _verifiable(cmd, msg, deps)
    text = cmd.text.strip()
    refused = next((w for w in _REFUSE if text.startswith(w)), None)
    if refused is not None:
        reason = text[len(refused) :].strip(" ：:，,")
        if not reason:
            raise TicketError(deps.texts.err_need_text.format(what="返工原因", example=f"/返工 {ticket.id} 灯仍不亮"))
        return _reworked(deps, rework(deps, ticket, msg.sender_id, reason))
    ticket = verify(deps, ticket, msg.sender_id, text.removeprefix("通过").strip(" ：:，,"))
    return deps.texts.verified_ack.format(ticket=ticket.id)


async def cmd_rework(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = _verifiable(cmd, msg, deps)
    reason = need_text(cmd, deps, "返工原因", f"/返工 {ticket.id} 灯仍不亮")
    return _reworked(deps, rework(deps, ticket, msg.sender_id, reason))


def _reworked(deps: Deps, ticket: Ticket) -> str:
    return deps.texts.rework_ack.format(ticket=ticket.id, holder=tickets.holder_name(deps, ticket))
