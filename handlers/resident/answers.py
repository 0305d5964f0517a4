"""Residents' replies to a notice, sign-up or poll in their group (#20): counted for it, never a ticket.

A reply is routed to an item by quoting its post (the platform's quote, `quoted_id`, naming the bot's stored
post; or the quote WeChat folds into the text, 「网格助手：【议题1】…」 then a dashed rule), else by its form
(`收到`, `已阅`, `+1`, `A`) and the item's window in that group, the newest item first; anything else (a real
complaint in the middle of a notice's window) goes on to intake as always.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from handlers.deps import Deps
from handlers.domain import polls, signups
from handlers.resident.rating import split_quote
from storage.records import BoardItem, StoredMessage
from storage.states import ItemKind

_NOT_WORD = re.compile(r"[\W_]+")
# 收到 / 已阅 / 收到了，谢谢 / 好的收到 / 已读 / 知悉 — and nothing more
_ACK = re.compile(
    r"^(?:好的?|嗯)?(?:已经?)?(?:收到|阅|读|知悉|知道)(?:了|啦)?(?:谢谢|感谢|辛苦了?)?(?:社区|网格员|您)?$"
)
ACK = "收到"


def is_ack(text: str) -> bool:
    said = _NOT_WORD.sub("", text)
    return 0 < len(said) <= 12 and _ACK.match(said) is not None


def _may_answer(text: str) -> bool:
    return is_ack(text) or polls.may_be_vote(text) or signups.read_reply(text) is not None


def _unquote(msg: StoredMessage, deps: Deps) -> tuple[str, str]:
    """(the text the message quotes, if it is one of the bot's own posts; what the person wrote)."""
    if msg.quoted_id:
        quoted = deps.uow.messages.by_platform_id(msg.quoted_id)
        return (quoted.text if quoted and quoted.sender_id == deps.settings.bot.id else ""), msg.text
    return split_quote(msg.text)


def _labels(deps: Deps) -> list[tuple[ItemKind, re.Pattern[str]]]:
    """Each kind's label as a pattern (通知 and its number), from the texts; 公约议题 before the 议题 it contains."""
    texts = deps.texts
    templates = [
        (ItemKind.COVENANT, texts.covenant_label),
        (ItemKind.NOTICE, texts.notice_label),
        (ItemKind.SIGNUP, texts.signup_label),
        (ItemKind.POLL, texts.poll_label),
    ]
    number = re.escape("{number}")
    return [(kind, re.compile(re.escape(t).replace(number, r"(\d{1,9})(?!\d)"))) for kind, t in templates]


def quoted_item(deps: Deps, quoted: str, items: list[BoardItem]) -> BoardItem | None:
    """The open item whose post the quoted text is (its label in it), if any."""
    for kind, pattern in _labels(deps):
        m = pattern.search(quoted)
        if m is not None:
            return next((i for i in items if i.kind == kind and i.number == int(m.group(1))), None)
    return None


def answer(msg: StoredMessage, deps: Deps) -> bool:
    """True when the message was an answer to an open item in its group (and was counted for it)."""
    if msg.is_private:
        return False
    quoted, written = _unquote(msg, deps)
    if not _may_answer(written):
        return False  # a complaint's sentence is none of these forms: no lookup at all
    items = deps.uow.board.open_in(msg.chat_id, deps.now)
    if not items:
        return False
    target = quoted_item(deps, quoted, items) if quoted else None
    if target is not None:
        items = [target]  # quoting an item's post: the answer is for it, whatever else is open
    if written != msg.text:
        msg = replace(msg, text=written)
    open_signups = [i for i in items if i.kind == ItemKind.SIGNUP]
    said = signups.read_reply(msg.text) if open_signups else None
    if said is not None:
        item = next((i for i in open_signups if i.number == said.number), open_signups[0])
        if said.leave:
            if not deps.uow.board.withdraw(item.id, msg.sender_id):
                return False  # a 取消 from someone not on the list is not about it
        else:
            keep = (item.deadline_at or deps.now) + timedelta(days=deps.settings.notices.entry_retention_days)
            line = said.text or msg.sender_name
            deps.uow.board.answer(
                item.id, msg.chat_id, msg.sender_id, msg.sender_name, signups.entry_value(line), deps.now, keep
            )
        signups.changed(deps, item)
        return True
    open_polls = [i for i in items if i.kind in (ItemKind.POLL, ItemKind.COVENANT)]  # a covenant is voted on alike
    if open_polls and polls.vote(msg, deps, open_polls):
        return True
    notice = next((i for i in items if i.kind == ItemKind.NOTICE), None)
    if notice is not None and is_ack(msg.text):
        until = deps.now + timedelta(days=deps.settings.notices.entry_retention_days)
        deps.uow.board.answer(notice.id, msg.chat_id, msg.sender_id, msg.sender_name, ACK, deps.now, until)
        return True
    return False
