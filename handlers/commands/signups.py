"""/接龙 (#20): a sign-up posted with a number in a scope's groups (typed in a group without a scope: that
group; privately without one: every group in the sender's reach); /接龙 查看 N sends the list privately."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.deps import Deps
from handlers.domain import board, signups
from handlers.domain.outbound import private
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import StoredMessage
from storage.states import ItemKind, ItemState

VIEW = "查看"
_NUMBER = re.compile(r"^(?:接龙)?#?(\d{1,9})$")


async def cmd_signup(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    texts = deps.texts
    words = cmd.text.split(maxsplit=1)
    if not words:
        raise TicketError(texts.err_signup_usage)
    if words[0] == VIEW:
        return view(deps, msg, words[1] if len(words) > 1 else "")
    try:
        terms = signups.read_terms(cmd.text, deps.now, deps.settings.tz)
    except signups.BadDeadline as exc:
        raise TicketError(texts.err_signup_deadline.format(given=str(exc)[:20])) from None
    first, _, rest = terms.title.partition(" ")
    if rest and board.names_scope(deps, first):
        scope, title = first, rest.strip()
    elif not msg.is_private:
        scope, title = board.topic_of(deps, msg.chat_id), terms.title
    else:
        scope, title = board.ALL, terms.title
    if not title:
        raise TicketError(texts.err_signup_usage)
    targets = board.resolve(deps, msg.sender_id, scope)
    deadline = terms.deadline or deps.now + timedelta(days=deps.settings.notices.signup_days)
    item = deps.uow.board.add(
        ItemKind.SIGNUP,
        {
            "community_id": targets[0].community_id,
            "author_id": msg.sender_id,
            "origin_chat": msg.chat_id,
            "title": title[:60],
            "body": title,
            "scope": scope,
            "state": ItemState.OPEN,
            "fields": ",".join(terms.fields),
            "capacity": terms.capacity,
            "created_at": deps.now,
            "deadline_at": deadline,
            "window_until": deadline,
        },
    )
    board.store_groups(deps, item, targets)
    last = board.post(deps, item, signups.post_text(deps, item))
    if not msg.is_private and [t.chat_id for t in targets] == [msg.chat_id]:
        return None  # typed in the group it is for: the post itself is the answer
    held = texts.notice_held.format(at=f"{last.astimezone(deps.settings.tz):%H:%M}") if last > deps.now else ""
    return texts.signup_queued.format(
        label=board.label(deps, item),
        groups=len(targets),
        held=held,
        deadline=f"{deadline.astimezone(deps.settings.tz):%m-%d %H:%M}",
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
