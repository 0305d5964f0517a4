"""/转12345 (#21): a ticket outside the community's power is handed to the city's 12345 hotline.

The ticket leaves the community's ladder (no more deadlines or escalations) and stays visible as 已转12345:
in /查询, on the page and in the export, with the reason; the reporters are told where it went. The export
names the category's hotline code (`categories: {noise: {code: …}}`, GB/T 39666-style) so the hand-over can
be filed under the city's category.
"""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain import pauses
from handlers.domain.outbound import reply
from handlers.domain.people import COMMUNITY_WIDE
from handlers.domain.tickets import NO_DEADLINES, TicketError, event, reporter_chats, require_active, update
from storage.records import Ticket
from storage.states import TicketState


def refer(deps: Deps, ticket: Ticket, actor_id: str, reason: str) -> Ticket:
    require_active(deps, ticket, "转12345")
    actor = deps.settings.people_by_id.get(actor_id)
    if ticket.urgency == "urgent" and (actor is None or actor.role not in COMMUNITY_WIDE):
        # as for a 退回: an emergency leaves the ladder with a result, or by someone answering for the community
        raise TicketError(deps.texts.err_urgent_refer.format(ticket=ticket.id))
    ticket = pauses.before_closing(deps, ticket, actor_id)
    first_response = ticket.first_response_at or deps.now  # handing it over is an answer
    ticket = update(
        deps,
        ticket,
        state=TicketState.REFERRED,
        closed_at=deps.now,
        result=reason,
        first_response_at=first_response,
        **NO_DEADLINES,
    )
    event(deps, ticket, "referred", actor_id, note=reason)
    text = deps.texts.referred_to_reporter.format(ticket=ticket.id, reason=reason)
    # like a result it ends the community's part: a private reporter hears it too (else never learns of 12345)
    for chat_id, mentions in reporter_chats(deps, ticket, include_private=True).items():
        reply(deps, chat_id, text, [] if chat_id in mentions else mentions, ticket_id=ticket.id)
    return ticket
