"""/通知 (#20): a notice posted in every group of a scope, with a delivery report, counted 收到 replies,
/通知 查看 N, /通知 撤回 N; more than `notices.confirm_over_groups` groups wait for the sender's 确认."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.deps import Deps
from handlers.domain import board, notices
from handlers.domain.outbound import announce, reply
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage.records import BoardItem, StoredMessage
from storage.states import ItemKind, ItemState, OutboxState

VIEW, RECALL, CONFIRM, DROP, WITH_PICTURE = "查看", "撤回", "确认", "取消", "附图"
_NUMBER = re.compile(r"^(?:通知)?#?(\d{1,9})$")


async def cmd_notice(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    words = cmd.text.split(maxsplit=1)
    if not words:
        raise TicketError(deps.texts.err_notice_usage)
    first, rest = words[0], words[1].strip() if len(words) > 1 else ""
    if first == VIEW:
        return view(deps, msg.sender_id, _item(deps, msg.sender_id, rest))
    if first == RECALL:
        return recall(deps, _item(deps, msg.sender_id, rest))
    if first in (CONFIRM, DROP):
        answer = confirm(deps, msg, first == CONFIRM)
        if answer is None:
            raise TicketError(deps.texts.err_nothing_to_confirm)
        return answer
    return create(deps, msg, cmd.text)


def _item(deps: Deps, sender_id: str, given: str) -> BoardItem:
    m = _NUMBER.match(given.strip())
    if m is None:
        raise TicketError(deps.texts.err_notice_usage)
    number = int(m.group(1))
    item = deps.uow.board.get(ItemKind.NOTICE, number, lock=True)
    name = deps.texts.notice_label.format(number=number)
    if item is None or item.state in (ItemState.CONFIRMING, ItemState.DROPPED):
        raise TicketError(deps.texts.err_no_item.format(label=name))
    if not board.may_manage(deps, sender_id, item):
        raise TicketError(deps.texts.err_item_not_yours.format(label=name))
    return item


def create(deps: Deps, msg: StoredMessage, text: str) -> str:
    urgent, rest = board.split_urgent(text)
    parts = rest.split(maxsplit=1)
    if len(parts) < 2:
        raise TicketError(deps.texts.err_notice_usage)
    scope, body = parts[0], parts[1]
    targets = board.resolve(deps, msg.sender_id, scope)
    words = body.split(maxsplit=1)
    picture = ""
    if words[0] == WITH_PICTURE:  # `/通知 第十网格 附图 正文`: the picture sent just before goes with it
        body = words[1] if len(words) > 1 else ""
        notices.checked_body(deps, body)
        picture = notices.picture_from_chat(deps, msg.sender_id, msg.chat_id)
    return notices.compose(deps, msg.sender_id, msg.chat_id, scope, body, targets, urgent=urgent, picture=picture)[1]


def confirm(deps: Deps, msg: StoredMessage, go: bool) -> str | None:
    """The sender's 确认 (or 取消) of a notice waiting for it in this chat; None when nothing waits."""
    since = deps.now - timedelta(minutes=deps.settings.notices.confirm_minutes)
    item = deps.uow.board.confirming(msg.sender_id, msg.chat_id, since)
    if item is None:
        return None
    return notices.decide(deps, item, go)


async def on_confirm(msg: StoredMessage, deps: Deps) -> int | None:
    """A plain `确认` / `取消` from staff (the router's rule): answered only when a notice waits for it."""
    answer = confirm(deps, msg, msg.text.strip().rstrip("。.!！") == CONFIRM)
    if answer is not None:
        reply(deps, msg.chat_id, answer)
    return None


def is_confirmation(text: str) -> bool:
    return text.strip().rstrip("。.!！") in (CONFIRM, DROP)


def view(deps: Deps, sender_id: str, item: BoardItem) -> str:
    texts, tz = deps.texts, deps.settings.tz
    lines = [
        texts.notice_view_title.format(
            label=board.label(deps, item),
            at=f"{item.created_at.astimezone(tz):%m-%d %H:%M}",
            author=board.author_name(deps, item),
            scope=item.scope,
            body=item.title,
        )
    ]
    for g in notices.deliveries(deps, item):
        lines.append(texts.notice_view_line.format(chat=g.topic, delivery=g.said, acks=g.acks))
    r = board.reach_of(deps.uow, item)
    lines.append(texts.notice_view_total.format(sent=r.sent, groups=r.groups, acks=r.acks))
    return "\n".join(lines)


def recall(deps: Deps, item: BoardItem) -> str:
    """What has not gone out is withdrawn; the platform cannot take back what has, so those groups get a line
    saying the notice is withdrawn, and the sender is told which they are."""
    texts = deps.texts
    name = board.label(deps, item)
    if item.state == ItemState.RECALLED:
        return texts.notice_already_recalled.format(label=name)
    groups = deps.uow.board.groups(item.id)
    cancelled = set(deps.uow.outbox.cancel([g.post_key for g in groups]))
    deps.uow.outbox.cancel([board.picture_key(g) for g in groups])  # a picture not sent goes with its text
    states = board.delivery(deps.uow, groups)
    out = [
        g
        for g in groups
        if g.post_key not in cancelled and states.get(g.chat_id) and states[g.chat_id].state != OutboxState.FAILED
    ]
    for g in out:
        announce(
            deps,
            g.chat_id,
            texts.notice_recalled_post.format(label=name),
            urgent=item.urgent,
            dedupe_key=f"{g.post_key}:recalled",
        )
    deps.uow.board.update(item.id, state=ItemState.RECALLED, report_at=None, window_until=None)
    return texts.notice_recalled.format(
        label=name,
        cancelled=texts.notice_recall_cancelled.format(count=len(cancelled)) if cancelled else "",
        sent=texts.notice_recall_sent.format(count=len(out), names="、".join(g.chat_topic for g in out)) if out else "",
    )
