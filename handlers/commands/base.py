"""Helpers every command module shares: find the ticket a command names, within the sender's reach."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain.people import can_act_on
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage, Ticket


def ticket_in_reach(cmd: Command, msg: StoredMessage, deps: Deps) -> Ticket:
    if cmd.ticket is None:
        raise TicketError(deps.texts.err_need_ticket.format(verb=cmd.verb))
    ticket = deps.uow.tickets.get(cmd.ticket, lock=True)
    if ticket is None:
        raise TicketError(deps.texts.err_no_ticket.format(ticket=cmd.ticket))
    if not can_act_on(deps.settings, msg.sender_id, ticket):
        raise TicketError(deps.texts.err_not_in_reach.format(ticket=ticket.id))
    return ticket


def need_text(cmd: Command, deps: Deps, what: str, example: str) -> str:
    if not cmd.text:
        raise TicketError(deps.texts.err_need_text.format(what=what, example=example))
    return cmd.text
