"""/登记 N and /忽略 N: the grid worker decides on a likely request (#16).

N is the item's own number (the series of likely requests, not a ticket number). Registering takes
the path /补单 takes for a missed message: the resident's ticket with the usual group reply and
deadline. Dismissing says nothing in the group. Both are corrections `gridbot nlp train` reads.
"""

from __future__ import annotations

from handlers.commands.base import MAX_TICKET, ticket_number
from handlers.commands.corrections import category_key, category_menu, register_missed
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.people import COMMUNITY_WIDE, communities_of
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import Likely, StoredMessage
from storage.states import LikelyState


def _item_in_reach(cmd: Command, msg: StoredMessage, deps: Deps) -> Likely:
    if cmd.ticket is None and not cmd.malformed:
        raise TicketError(deps.texts.err_likely_number.format(verb=cmd.verb))
    number = ticket_number(cmd, deps)  # `/登记 7.5` is the format answer, as for a ticket number
    item = deps.uow.likely.get(number, lock=True) if 0 < number <= MAX_TICKET else None
    if item is None:
        raise TicketError(deps.texts.err_likely_unknown.format(item=number))
    if not _may_decide(deps, msg.sender_id, item):
        raise TicketError(deps.texts.err_likely_not_yours.format(item=item.id))
    if not item.is_open:
        state = deps.texts.likely_states.get(item.state, item.state)
        if item.ticket_id is not None:
            state = f"{state} #{item.ticket_id}"
        raise TicketError(deps.texts.err_likely_decided.format(item=item.id, state=state))
    return item


def _may_decide(deps: Deps, person_id: str, item: Likely) -> bool:
    """The worker it was sent to (or who covers for them), the grid's workers and area cadre, and the
    community's secretary, street center and supervisors."""
    if person_id in (item.worker_id, tickets.covering(deps, item.worker_id)):
        return True
    settings = deps.settings
    grid = settings.grids_by_id.get(item.grid_id)
    if grid is not None and (person_id in grid.workers or person_id == grid.area_cadre):
        return True
    who = settings.people_by_id.get(person_id)
    in_community = any(c.id == item.community_id for c in communities_of(settings, person_id))
    return who is not None and who.role in COMMUNITY_WIDE and in_community


async def cmd_register(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """/登记 58 [类别]: the likely request becomes the resident's ticket."""
    item = _item_in_reach(cmd, msg, deps)
    word = cmd.text.split()[0] if cmd.text else ""
    key = category_key(deps, word) if word else item.category
    if key is None:
        raise TicketError(deps.texts.err_unknown_category.format(word=word, menu=category_menu(deps)))
    original = deps.uow.messages.by_pk(item.message_id)
    if original is None:
        raise TicketError(deps.texts.err_likely_gone.format(item=item.id))
    if original.ticket_id is not None:
        # registered some other way meanwhile (/补单, a repeat that became a ticket): record it, say so
        deps.uow.likely.decide(
            item.id, LikelyState.REGISTERED, by=msg.sender_id, at=deps.now, ticket_id=original.ticket_id
        )
        raise TicketError(deps.texts.err_missed_already.format(ticket=original.ticket_id))
    ticket = register_missed(deps, original, key, msg.sender_id, urgency=item.urgency)
    deps.uow.likely.decide(item.id, LikelyState.REGISTERED, by=msg.sender_id, at=deps.now, ticket_id=ticket.id)
    return deps.texts.likely_registered.format(
        item=item.id,
        ticket=ticket.id,
        category=deps.settings.category_name(ticket.category),
        holder=tickets.holder_name(deps, ticket),
    )


async def cmd_dismiss(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """/忽略 58: not a request. Nothing is said in the group; the classifier learns from it."""
    item = _item_in_reach(cmd, msg, deps)
    deps.uow.likely.decide(item.id, LikelyState.DISMISSED, by=msg.sender_id, at=deps.now)
    return deps.texts.likely_dismissed.format(item=item.id)
