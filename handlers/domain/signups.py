"""Sign-ups (接龙, #20): reading the command's terms, residents' lines, and the list as posted.

Residents join the way they do in WeChat: `+1`, `报名`, `报名 张三 5栋`, or by copying the list and adding
their own numbered line (`3. 张三 5栋`): the last numbered line of such a message is theirs. One entry per
resident; `取消` removes it. A number written in an entry (a phone) is kept for the organiser alone: the
list posted in the group never shows it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.deps import Deps
from handlers.domain import board
from handlers.domain.outbound import announce, private
from handlers.domain.tickets import TicketError
from storage.records import BoardEntry, BoardItem
from storage.states import ItemState

_DEADLINE = re.compile(
    r"截止(?:时间)?[:：]?\s*(?P<when>(?:今天|明天|后天)?\s*(?:\d{1,2}[-/月]\d{1,2}日?)?\s*\d{1,2}(?:[:：点]\d{0,2})?分?)"
)
_WHEN = re.compile(
    r"^(?P<rel>今天|明天|后天)?\s*(?:(?P<month>\d{1,2})[-/月](?P<day>\d{1,2})日?)?\s*(?P<hour>\d{1,2})(?:[:：点](?P<minute>\d{0,2}))?分?$"
)
_CAPACITY = re.compile(r"上限[:：]?\s*(?P<n>\d{1,6})\s*(?:人|个|名)?")
_FIELDS = re.compile(r"字段[:：]\s*(?P<fields>\S+)")
_FIELD_SPLIT = re.compile(r"[,，、/]")
_JOIN = re.compile(
    r"^\s*(?:\+|＋)\s*1\s*(?P<rest>.*)$|^\s*(?:我要?)?(?:报名|参加)(?:了)?[:：,，\s]*(?P<rest2>.*)$", re.S
)
_LEAVE = re.compile(r"^\s*(?:取消(?:报名)?|-1|退出)\s*[。.!！]?\s*$")
_NUMBERED = re.compile(r"^\s*(\d{1,4})\s*[.、．:：)）]\s*(?P<line>\S.*?)\s*$", re.M)
_LABELLED = re.compile(r"接龙\s*(\d{1,9})")
_PHONE = re.compile(r"\+?\d[\d\- ]{6,}\d")


@dataclass(frozen=True)
class Terms:
    title: str
    deadline: datetime | None
    capacity: int
    fields: tuple[str, ...]


class BadDeadline(ValueError):
    pass


def read_terms(text: str, now: datetime, tz: ZoneInfo) -> Terms:
    """The command's terms taken out of its text; what is left is the title (BadDeadline: a 截止 not understood)."""
    deadline = None
    m = _DEADLINE.search(text)
    if m is not None:
        deadline = read_deadline(m.group("when").strip(), now, tz)
        text = text[: m.start()] + " " + text[m.end() :]
    elif "截止" in text:
        raise BadDeadline(text.split("截止", 1)[1].strip()[:20])
    capacity = 0
    c = _CAPACITY.search(text)
    if c is not None:
        capacity = int(c.group("n"))
        text = text[: c.start()] + " " + text[c.end() :]
    fields: tuple[str, ...] = ()
    f = _FIELDS.search(text)
    if f is not None:
        fields = tuple(x.strip() for x in _FIELD_SPLIT.split(f.group("fields")) if x.strip())
        text = text[: f.start()] + " " + text[f.end() :]
    return Terms(" ".join(text.split()), deadline, capacity, fields)


def terms_for(deps: Deps, text: str) -> Terms:
    """`read_terms` at this turn's moment; a 截止 not understood is the answer the person gets."""
    try:
        return read_terms(text, deps.now, deps.settings.tz)
    except BadDeadline as exc:
        raise TicketError(deps.texts.err_signup_deadline.format(given=str(exc)[:20])) from None


def read_deadline(given: str, now: datetime, tz: ZoneInfo) -> datetime:
    """`12-05 18:00`, `12月5日18点`, `明天18点`, `18:00` (today, or tomorrow once it has passed)."""
    m = _WHEN.match(given)
    if m is None:
        raise BadDeadline(given)
    local = now.astimezone(tz)
    hour, minute = int(m.group("hour")), int(m.group("minute") or 0)
    if hour > 23 or minute > 59:
        raise BadDeadline(given)
    day = local.date()
    try:
        if m.group("month"):
            day = day.replace(month=int(m.group("month")), day=int(m.group("day")))
            if (local.date() - day).days > 180:  # 01-05 written in December: next year's
                day = day.replace(year=day.year + 1)
        elif m.group("rel"):
            day += timedelta(days={"今天": 0, "明天": 1, "后天": 2}[m.group("rel")])
    except ValueError as exc:
        raise BadDeadline(given) from exc
    when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    if when <= now and not m.group("month") and not m.group("rel"):
        when += timedelta(days=1)
    if when <= now:
        raise BadDeadline(given)
    return when


@dataclass(frozen=True)
class Reply:
    leave: bool
    text: str  # the resident's line without the +1 / 报名 ("" when they wrote nothing more)
    number: int | None = None  # the sign-up a copied list names (接龙5), if any


def read_reply(text: str) -> Reply | None:
    """A resident's message as an answer to a sign-up; None when it is not one."""
    if _LEAVE.match(text):
        return Reply(leave=True, text="")
    numbered = _NUMBERED.findall(text)
    labelled = _LABELLED.search(text)
    if numbered and (labelled or len(numbered) > 1):
        # a copied list with the resident's own line added: the last numbered line is theirs
        return Reply(False, numbered[-1][1], int(labelled.group(1)) if labelled else None)
    m = _JOIN.match(text)
    if m is not None:
        return Reply(False, (m.group("rest") or m.group("rest2") or "").strip())
    return None


def entry_value(line: str) -> str:
    """What is stored: the line without its phone number, and the phone apart (the organiser sees both)."""
    phones = _PHONE.findall(line)
    shown = " ".join(_PHONE.sub(" ", line).split())
    return json.dumps({"line": shown, "phone": " ".join(p.strip() for p in phones)}, ensure_ascii=False)


def line_of(entry: BoardEntry, *, with_phone: bool) -> str:
    try:
        value = json.loads(entry.value) if entry.value else {}
    except ValueError:
        value = {}
    line = str(value.get("line") or "") or entry.person_name or "（已过保存期）"
    phone = str(value.get("phone") or "")
    return f"{line} {phone}" if with_phone and phone else line


def numbered(entries: list[BoardEntry], *, with_phone: bool) -> str:
    return "\n".join(f"{i}. {line_of(e, with_phone=with_phone)}" for i, e in enumerate(entries, start=1))


def post_text(deps: Deps, item: BoardItem) -> str:
    texts, tz = deps.texts, deps.settings.tz
    assert item.deadline_at is not None
    capacity = texts.signup_capacity.format(capacity=item.capacity) if item.capacity else ""
    terms = texts.signup_terms.format(deadline=f"{item.deadline_at.astimezone(tz):%m-%d %H:%M}", capacity=capacity)
    fields = texts.signup_fields.format(fields="、".join(item.fields.split(","))) if item.fields else ""
    return texts.signup_post.format(label=board.label(deps, item), title=item.title, terms=terms, fields=fields)


def list_text(deps: Deps, item: BoardItem) -> str:
    texts = deps.texts
    entries = deps.uow.board.entries(item.id)
    return texts.signup_list.format(
        label=board.label(deps, item),
        title=item.title,
        count=len(entries),
        capacity=texts.signup_list_capacity.format(capacity=item.capacity) if item.capacity else " 人",
        lines=numbered(entries, with_phone=False) or texts.signup_list_empty,
    )


def post_list(deps: Deps, item: BoardItem) -> None:
    """The current list in each group (the timer that asked for it is cleared)."""
    text = list_text(deps, item)
    stamp = f"{deps.now:%Y%m%d%H%M%S}"
    for g in deps.uow.board.groups(item.id):
        announce(deps, g.chat_id, text, dedupe_key=f"{g.post_key}:list:{stamp}")
    deps.uow.board.update(item.id, list_at=None)


def changed(deps: Deps, item: BoardItem) -> None:
    """An entry came, changed or went: the list is posted at the latest `list_every_minutes` from now (one
    post for all the changes until then); reaching the limit closes the sign-up at once."""
    if item.capacity and deps.uow.board.count(item.id) >= item.capacity:
        close(deps, item, deps.texts.signup_why_full)
        return
    if item.list_at is None:
        deps.uow.board.update(item.id, list_at=deps.now + timedelta(minutes=deps.settings.notices.list_every_minutes))


def close(deps: Deps, item: BoardItem, why: str) -> None:
    """Closed: the groups hear it is over (the count, no names), the organiser gets the whole list privately."""
    texts = deps.texts
    entries = deps.uow.board.entries(item.id)
    name = board.label(deps, item)
    for g in deps.uow.board.groups(item.id):
        announce(
            deps,
            g.chat_id,
            texts.signup_closed_post.format(label=name, title=item.title, count=len(entries)),
            dedupe_key=f"{g.post_key}:closed",
        )
    lines = numbered(entries, with_phone=True) or texts.signup_list_empty
    final = texts.signup_final.format(label=name, title=item.title, why=why, count=len(entries), lines=lines)
    private(deps, item.author_id, final, unmasked=True)  # the organiser's own list: phones as written
    deps.uow.board.update(
        item.id, state=ItemState.CLOSED, closed_at=deps.now, deadline_at=None, list_at=None, window_until=None
    )


PHONE_FIELD = "电话"


def export_rows(item: BoardItem, entries: list[BoardEntry], topics: dict[str, str], tz: ZoneInfo) -> list[list[str]]:
    """The sign-up as a table for the organiser (CSV): a header, then one row per entry. The line each resident
    wrote is cut into the sign-up's fields in order (the last takes what is left); the phone has its own column."""
    fields = [f for f in item.fields.split(",") if f and f != PHONE_FIELD] or ["报名内容"]
    out = [["序号", "群", *fields, PHONE_FIELD, "报名时间"]]
    for i, entry in enumerate(entries, start=1):
        try:
            value = json.loads(entry.value) if entry.value else {}
        except ValueError:
            value = {}
        words = str(value.get("line") or entry.person_name).split(maxsplit=len(fields) - 1)
        cells = [*words, *[""] * (len(fields) - len(words))]
        when = f"{entry.at.astimezone(tz):%Y-%m-%d %H:%M}"
        out.append([str(i), topics.get(entry.chat_id, entry.chat_id), *cells, str(value.get("phone") or ""), when])
    return out
