"""Helpers every command module shares: find the ticket a command names, within the sender's reach."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain.people import can_act_on
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage, Ticket

MAX_TICKET = 2**31 - 1  # ticket ids are 32-bit in both databases: anything larger names no ticket


def ticket_number(cmd: Command, deps: Deps) -> int:
    """The ticket number the command starts with; a missing or malformed one (`7.5`, `1;…`) is the format
    answer, never a guess at the digits in front."""
    if cmd.malformed:
        given = cmd.text.split(maxsplit=1)[0][:20] if cmd.text else ""
        raise TicketError(deps.texts.err_bad_ticket.format(given=given, verb=cmd.verb))
    if cmd.ticket is None:
        raise TicketError(deps.texts.err_need_ticket.format(verb=cmd.verb))
    return cmd.ticket


def find_ticket(number: int, deps: Deps) -> Ticket:
    ticket = deps.uow.tickets.get(number, lock=True) if 0 < number <= MAX_TICKET else None
    if ticket is None:
        raise TicketError(deps.texts.err_no_ticket.format(ticket=number))
    return ticket


def ticket_in_reach(cmd: Command, msg: StoredMessage, deps: Deps, number: int | None = None) -> Ticket:
    """The command's ticket (or `number`, for 合并's others), refused unless it is in the sender's reach."""
    ticket = find_ticket(ticket_number(cmd, deps) if number is None else number, deps)
    if not can_act_on(deps.settings, msg.sender_id, ticket):
        raise TicketError(deps.texts.err_not_in_reach.format(ticket=ticket.id))
    return ticket


def need_text(cmd: Command, deps: Deps, what: str, example: str) -> str:
    if not cmd.text:
        raise TicketError(deps.texts.err_need_text.format(what=what, example=example))
    return cmd.text
