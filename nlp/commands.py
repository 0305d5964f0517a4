"""Parsing staff commands: `/动词 N 文字`.

Accepts a full-width `／`, `#12` or `＃12` for the number, a leading @-mention
of the bot (the adapters strip mentions, but a console user may type one), and
Chinese or ASCII spaces. Pure: no knowledge of who may run what.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# verb → canonical action. Aliases are what people actually type on a phone.
VERBS: dict[str, str] = {
    "接单": "accept",
    "受理": "accept",
    "进展": "progress",
    "进度": "progress",
    "办结": "resolve",
    "完成": "resolve",
    "转办": "transfer",
    "退回": "reject",
    "上报": "report",
    "合并": "merge",
    "我的": "mine",
    "查询": "show",
    "查看": "show",
    "帮助": "help",
    "延期": "extend",
    "同意延期": "approve_extension",
    "不同意延期": "refuse_extension",
    "绑定": "bind",
    "改类": "recategorize",
    "补单": "missed",
    "代班": "standin",
    "核查": "verify",
    "返工": "rework",
    "积分": "points",
    "排行": "ranking",
    "日报": "digest_day",
    "周报": "digest_week",
    "月报": "digest_month",
    "重载": "reload",
}

# verbs whose text is free: "/上报 3栋楼道…" must not read 3 as a ticket number
NO_NUMBER = frozenset({"report", "mine", "help", "bind", "digest_day", "digest_week", "digest_month", "ranking"})

_PREFIX = re.compile(r"^\s*(?:@\S+\s+)*[/](?P<verb>[^\s\d#]+)\s*(?P<rest>.*)$", re.S)
_NUMBER = re.compile(r"^#?(?P<num>\d{1,9})(?=\s|$|[^\d])\s*(?P<rest>.*)$", re.S)


@dataclass(frozen=True, slots=True)
class Command:
    verb: str  # what the person typed, e.g. 办结
    action: str  # canonical action, or "" when the verb is unknown
    ticket: int | None  # the first number, if any
    numbers: tuple[int, ...]  # every leading number (合并 1024 1031)
    text: str  # the rest, stripped


def looks_like_command(text: str) -> bool:
    return _PREFIX.match(_fold(text)) is not None


# only the characters that matter for parsing are folded; the person's text keeps its own punctuation
_FOLD = str.maketrans({"／": "/", "＃": "#", "\u3000": " ", **{chr(0xFF10 + i): str(i) for i in range(10)}})


def _fold(text: str) -> str:
    return text.translate(_FOLD).strip()


def parse_command(text: str) -> Command | None:
    """Parse a message starting with `/`; None when it is not a command at all."""
    m = _PREFIX.match(_fold(text))
    if m is None:
        return None
    verb = m.group("verb")
    rest = m.group("rest").strip()
    numbers: list[int] = []
    while VERBS.get(verb) not in NO_NUMBER:
        n = _NUMBER.match(rest)
        if n is None:
            break
        numbers.append(int(n.group("num")))
        rest = n.group("rest").strip()
        if VERBS.get(verb) != "merge":
            break
    return Command(
        verb=verb,
        action=VERBS.get(verb, ""),
        ticket=numbers[0] if numbers else None,
        numbers=tuple(numbers),
        text=rest,
    )
