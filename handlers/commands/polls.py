"""/征求意见 and /结果 (#20): a poll posted in a scope's groups (placed like /接龙), its tally on request."""

from __future__ import annotations

import re

from handlers.deps import Deps
from handlers.domain import board, polls, signups
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage
from storage.states import ItemKind, ItemState

_NUMBER = re.compile(r"^(?:议题)?#?(\d{1,9})$")


async def cmd_poll(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    texts = deps.texts
    if not cmd.text:
        raise TicketError(texts.err_poll_usage)
    options, rest = polls.read_options(cmd.text)
    if len(options) == 1 or len(options) > polls.MOST_OPTIONS:
        raise TicketError(texts.err_poll_options.format(most=polls.MOST_OPTIONS))
    terms = signups.terms_for(deps, rest)
    fields = polls.SEPARATOR.join(options or texts.poll_default_options)
    post, usage = polls.post_text, texts.err_poll_usage
    return board.open_item(deps, msg, ItemKind.POLL, terms.title, terms.deadline, post, usage=usage, fields=fields)


async def cmd_result(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """/结果 N: the tally as it stands (or as it closed)."""
    m = _NUMBER.match(cmd.text.strip())
    if m is None:
        raise TicketError(deps.texts.err_result_usage)
    number = int(m.group(1))
    item = deps.uow.board.get(ItemKind.POLL, number)
    name = board.label_of(deps, ItemKind.POLL, number)
    if item is None:
        raise TicketError(deps.texts.err_no_item.format(label=name))
    if not board.may_manage(deps, msg.sender_id, item):
        raise TicketError(deps.texts.err_item_not_yours.format(label=name))
    return polls.tally(deps, item, final=item.state == ItemState.CLOSED)
