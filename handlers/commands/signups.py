"""/接龙 (#20): a sign-up posted with a number in a scope's groups (typed in a group without a scope: that
group; privately without one: every group in the sender's reach); /接龙 查看 N sends the list privately."""

from __future__ import annotations

import re

from handlers.deps import Deps
from handlers.domain import board, signups
from handlers.domain.outbound import private
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage
from storage.states import ItemKind

VIEW = "查看"
_NUMBER = re.compile(r"^(?:接龙)?#?(\d{1,9})$")


async def cmd_signup(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    texts = deps.texts
    words = cmd.text.split(maxsplit=1)
    if not words:
        raise TicketError(texts.err_signup_usage)
    if words[0] == VIEW:
        return view(deps, msg, words[1] if len(words) > 1 else "")
    terms = signups.terms_for(deps, cmd.text)
    usage, fields = texts.err_signup_usage, ",".join(terms.fields)
    signup = ItemKind.SIGNUP
    return board.open_item(
        deps,
        msg,
        signup,
        terms.title,
        terms.deadline,
        signups.post_text,
        usage=usage,
        fields=fields,
        capacity=terms.capacity,
    )


def view(deps: Deps, msg: StoredMessage, given: str) -> str | None:
    """The list as it stands, with what residents wrote in full: always privately (phones never in a group)."""
    m = _NUMBER.match(given.strip())
    if m is None:
        raise TicketError(deps.texts.err_signup_usage)
    number = int(m.group(1))
    item = deps.uow.board.get(ItemKind.SIGNUP, number)
    name = deps.texts.signup_label.format(number=number)
    if item is None:
        raise TicketError(deps.texts.err_no_item.format(label=name))
    if not board.may_manage(deps, msg.sender_id, item):
        raise TicketError(deps.texts.err_item_not_yours.format(label=name))
    entries = deps.uow.board.entries(item.id)
    text = deps.texts.signup_list.format(
        label=name,
        title=item.title,
        count=len(entries),
        capacity=deps.texts.signup_list_capacity.format(capacity=item.capacity) if item.capacity else " 人",
        lines=signups.numbered(entries, with_phone=True) or deps.texts.signup_list_empty,
    )
    private(deps, msg.sender_id, text, unmasked=True)
    return None
