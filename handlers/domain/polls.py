"""Polls (征求意见, #20): a question with lettered options posted in a scope's groups; one vote per resident,
changeable until the deadline; the tally posted at the deadline and on /结果 N, the comments to the organiser.

Only residents vote: what staff write in a group never reaches this (handlers/router.py). A vote with a
comment that reads as a complaint is not taken as a vote: it goes on to intake and opens its ticket.
"""

from __future__ import annotations

import json
import re
from string import ascii_uppercase
from typing import Any

from handlers.deps import Deps
from handlers.domain import board
from handlers.domain.outbound import announce, private
from storage.records import BoardEntry, BoardItem, StoredMessage
from storage.states import ItemState
from storage.uow import UnitOfWork

MOST_OPTIONS = 9
NAME_AT_MOST = 20  # an option's name ("同意", "方案一") written out as the vote
SEPARATOR = "/"
_OPTIONS = re.compile(r"选项[:：]?\s*(?P<options>\S+)")
_OPTION_SPLIT = re.compile(r"[/／、|]")
_VOTE = re.compile(
    r"^\s*(?:我?(?:选|投)了?)?\s*(?P<pick>[A-Za-zＡ-Ｚａ-ｚ]|\d)(?:$|[\s,，.。:：、]+(?P<comment>.*))", re.S
)


def read_options(text: str) -> tuple[list[str], str]:
    """(the options, the text without them); none given: the default options."""
    m = _OPTIONS.search(text)
    if m is None:
        return [], text
    options = [o.strip() for o in _OPTION_SPLIT.split(m.group("options")) if o.strip()]
    return options, text[: m.start()] + " " + text[m.end() :]


def options_of(item: BoardItem) -> list[str]:
    return item.fields.split(SEPARATOR) if item.fields else []


def letter(i: int) -> str:
    return ascii_uppercase[i]


def may_be_vote(text: str) -> bool:
    """Cheap, before any lookup: a letter or number first, or short enough to be an option's name."""
    return len(text.strip()) <= NAME_AT_MOST or _VOTE.match(text) is not None


def read_vote(item: BoardItem, text: str) -> tuple[int, str] | None:
    """(the option's index, the comment) when the text is a vote for one of the item's options."""
    options = options_of(item)
    said = text.strip()
    for i, name in enumerate(options):  # the option written out: 同意, 方案一 (and what follows it)
        if said == name or (said.startswith(name) and said[len(name) : len(name) + 1] in (" ", "，", ",", "。", "：")):
            return i, said[len(name) :].strip(" ，,。：")
    m = _VOTE.match(said)
    if m is None:
        return None
    pick = m.group("pick").upper().translate({0xFF21 + i: ord("A") + i for i in range(26)})
    index = int(pick) - 1 if pick.isdigit() else ord(pick) - ord("A")
    if not 0 <= index < len(options):
        return None
    return index, (m.group("comment") or "").strip()


def post_text(deps: Deps, item: BoardItem) -> str:
    texts = deps.texts
    assert item.deadline_at is not None
    options = "\n".join(texts.poll_option.format(letter=letter(i), name=o) for i, o in enumerate(options_of(item)))
    return texts.poll_post.format(
        label=board.label(deps, item),
        title=item.title,
        options=options,
        deadline=f"{item.deadline_at.astimezone(deps.settings.tz):%m-%d %H:%M}",
    )


def vote_value(index: int, comment: str) -> str:
    return json.dumps({"option": index, "comment": comment}, ensure_ascii=False)


def _vote(entry: BoardEntry) -> tuple[int, str]:
    try:
        value = json.loads(entry.value) if entry.value else {}
    except ValueError:
        value = {}
    return int(value.get("option", -1)), str(value.get("comment") or "")


def vote(msg: StoredMessage, deps: Deps, items: list[BoardItem]) -> bool:
    """The message as a vote in the newest open poll it fits; True when it was taken."""
    for item in items:
        said = read_vote(item, msg.text)
        if said is None:
            continue
        index, comment = said
        if comment and deps.classifier.classify(comment).is_ticket:
            return False  # "A，不过楼道灯坏了好几天了": a complaint first, it opens its ticket
        until = (item.deadline_at or deps.now) + board.keep_for(deps)
        deps.uow.board.answer(
            item.id, msg.chat_id, msg.sender_id, msg.sender_name, vote_value(index, comment), deps.now, until
        )
        return True
    return False


def counts(deps: Deps, item: BoardItem) -> list[int]:
    """How many votes each option has (in the options' order)."""
    return counts_in(deps.uow, item)


def counts_in(uow: UnitOfWork, item: BoardItem) -> list[int]:
    """`counts`, read through a unit of work (the digest has no turn of its own)."""
    votes = [_vote(e)[0] for e in uow.board.entries(item.id)]
    return [votes.count(i) for i in range(len(options_of(item)))]


def tally(deps: Deps, item: BoardItem, *, final: bool) -> str:
    texts = deps.texts
    per_option = counts(deps, item)
    cast = sum(per_option)
    lines = []
    for i, (name, n) in enumerate(zip(options_of(item), per_option, strict=True)):
        share = f"{round(100 * n / cast)}%" if cast else "-"
        lines.append(texts.poll_tally_line.format(letter=letter(i), name=name, votes=n, share=share))
    return texts.poll_tally.format(
        label=board.label(deps, item),
        title=item.title,
        when=texts.poll_when_final if final else texts.poll_when_now,
        lines="\n".join(lines),
        count=cast,
    )


def comments(deps: Deps, item: BoardItem) -> str:
    """Every comment, grouped by the option it came with ("" when nobody wrote one)."""
    texts = deps.texts
    said = [(_vote(e), e.person_name) for e in deps.uow.board.entries(item.id)]
    lines = [
        texts.poll_comment_line.format(letter=letter(i), who=who or "居民", comment=c)
        for (i, c), who in sorted(said, key=lambda x: x[0][0])
        if c and i >= 0
    ]
    return texts.poll_comments.format(lines="\n".join(lines)) if lines else ""


def close(deps: Deps, item: BoardItem, *, verdict: str = "", **stored: Any) -> None:
    """The deadline: the tally (and a verdict after it) in every group, the tally and the comments to the
    organiser; `stored` overrides what the item is left with (a covenant's state and outcome)."""
    text = tally(deps, item, final=True) + verdict
    for g in deps.uow.board.groups(item.id):
        announce(deps, g.chat_id, text, dedupe_key=f"{g.post_key}:tally")
    notes = comments(deps, item)
    private(deps, item.author_id, f"{text}\n{notes}" if notes else text)
    values = {"state": ItemState.CLOSED, "closed_at": deps.now, "deadline_at": None, "window_until": None}
    deps.uow.board.update(item.id, **{**values, **stored})
