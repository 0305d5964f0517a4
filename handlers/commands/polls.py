"""/征求意见 and /结果 (#20): a poll posted in a scope's groups (placed like /接龙), its tally on request;
`/征求意见 公约 …` a covenant consultation (楼门公约) and /公约 the group's covenant in force."""

from __future__ import annotations

import re

from handlers.deps import Deps
from handlers.domain import board, covenants, polls, signups
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage
from storage.states import ItemKind, ItemState

_NUMBER = re.compile(r"^(?:(?P<covenant>公约)(?:议题)?|议题)?#?(?P<number>\d{1,9})$")


async def cmd_poll(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    texts = deps.texts
    if not cmd.text:
        raise TicketError(texts.err_poll_usage)
    first, _, text = cmd.text.partition(" ")
    if first == covenants.KEYWORD:
        return _covenant(msg, text.strip(), deps)
    options, rest = polls.read_options(cmd.text)
    if len(options) == 1 or len(options) > polls.MOST_OPTIONS:
        raise TicketError(texts.err_poll_options.format(most=polls.MOST_OPTIONS))
    terms = signups.terms_for(deps, rest)
    fields = polls.SEPARATOR.join(options or texts.poll_default_options)
    post, usage = polls.post_text, texts.err_poll_usage
    return board.open_item(deps, msg, ItemKind.POLL, terms.title, terms.deadline, post, usage=usage, fields=fields)


def _covenant(msg: StoredMessage, text: str, deps: Deps) -> str | None:
    """`/征求意见 公约 [范围] 正文 [截止 …]`: a poll of kind covenant, its options always 同意/不同意."""
    usage = deps.texts.err_covenant_usage.format(least=deps.settings.notices.covenant_min_votes)
    options, rest = polls.read_options(text)
    if options:
        raise TicketError(usage)
    terms = signups.terms_for(deps, rest)
    fields = polls.SEPARATOR.join(deps.texts.poll_default_options)
    kind, post = ItemKind.COVENANT, covenants.post_text
    return board.open_item(deps, msg, kind, terms.title, terms.deadline, post, usage=usage, fields=fields)


async def cmd_covenant(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """/公约 in a group (residents too): the group's covenant in force."""
    if msg.is_private:
        raise TicketError(deps.texts.covenant_private)
    return covenants.show(deps, msg.chat_id)


async def cmd_result(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """/结果 N: the tally as it stands (or as it closed)."""
    m = _NUMBER.match(cmd.text.strip())
    if m is None:
        raise TicketError(deps.texts.err_result_usage)
    number, kind = int(m.group("number")), ItemKind.COVENANT if m.group("covenant") else ItemKind.POLL
    item = deps.uow.board.get(kind, number)
    name = board.label_of(deps, kind, number)
    if item is None:
        raise TicketError(deps.texts.err_no_item.format(label=name))
    if not board.may_manage(deps, msg.sender_id, item):
        raise TicketError(deps.texts.err_item_not_yours.format(label=name))
    return polls.tally(deps, item, final=item.state != ItemState.OPEN)
