"""Is a new report the same matter as an open ticket? The same thing, in the same place.

A report is read into a `Matter`: what is wrong (the thing — 水管, 路灯, 电梯 — or, when no thing is named,
what is happening — 漏水, 停电), where (building, unit, floor, room, a named place such as 东门 or 地库) and
the words left once request boilerplate (麻烦, 尽快, 处理一下, 谢谢, 物业 …) is set aside. `compare` then
refuses whenever the places differ, decides on the things when both name one, on what is happening when
one names no thing, and only then on the leftover words. Words every complaint shares never decide:
that is what joined a lamp to a water pipe when the similarity was bigram overlap of the whole text.

Pure and deterministic: the table is nlp/data/matters.yaml, read once; `matter_of` is cached because the
caller reads every open ticket of a group for each new message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from bot.core import yaml_data
from nlp.normalise import normalise
from nlp.similarity import bigrams, overlap

# Kinds of entry in the table's one big alternation.
THING, CONDITION, PLACE, IGNORE = "thing", "condition", "place", "ignore"


@dataclass(frozen=True, slots=True)
class Place:
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""
    named: frozenset[str] = frozenset()
    outdoor: bool = False  # a named place outside every unit (a gate, the garage, a square)

    @property
    def indoor(self) -> bool:
        return bool(self.unit or self.floor or self.room)


@dataclass(frozen=True, slots=True)
class Matter:
    things: frozenset[str]
    conditions: frozenset[str]
    place: Place
    words: frozenset[str]  # character bigrams of what is left
    kin: frozenset[str] = frozenset()  # the things and their parents (a 路灯 is also a 灯)


@dataclass(frozen=True, slots=True)
class Match:
    join: bool
    score: float  # for choosing among several tickets that all match, 0..1
    reason: str  # thing | condition | words | reporter, or what refused: building | unit | floor | room | place


@dataclass(frozen=True, slots=True)
class _Table:
    by_first: dict[str, tuple[tuple[str, str, str], ...]]  # first character → (phrase, kind, key), longest first
    parents: dict[str, str]
    outdoor: frozenset[str]

    def scan(self, text: str) -> tuple[list[tuple[str, str]], str]:
        """Every phrase of the table in `text`, leftmost and longest first (楼道灯 before 灯, 东门口 before
        东门), and the text with them cut out. A dictionary by first character, not one regular expression
        of all the phrases: Python's `re` tries each alternative at each position (≈10× slower here)."""
        found: list[tuple[str, str]] = []
        rest: list[str] = []
        i = 0
        while i < len(text):
            for phrase, kind, key in self.by_first.get(text[i], ()):
                if text.startswith(phrase, i) and _whole_word(text, i, len(phrase)):
                    found.append((kind, key))
                    rest.append(" ")
                    i += len(phrase)
                    break
            else:
                rest.append(text[i])
                i += 1
        return found, "".join(rest)


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _whole_word(text: str, start: int, length: int) -> bool:
    """An English word matches only as a whole word (lift, not uplift; bin, not cabinet)."""
    if not _ascii_alnum(text[start]):
        return True
    before = text[start - 1] if start else " "
    after = text[start + length] if start + length < len(text) else " "
    return not _ascii_alnum(before) and not (_ascii_alnum(after) and _ascii_alnum(text[start + length - 1]))


@lru_cache(maxsize=1)
def _table() -> _Table:
    text = resources.files("nlp").joinpath("data", "matters.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml_data.load(text)
    entries: dict[str, tuple[str, str]] = {}
    parents: dict[str, str] = {}
    outdoor: set[str] = set()
    for key, spec in data["things"].items():
        words = spec["words"] if isinstance(spec, dict) else spec
        if isinstance(spec, dict) and spec.get("parent"):
            parents[key] = spec["parent"]
        entries.update({normalise(w): (THING, key) for w in words})
    for key, words in data["conditions"].items():
        entries.update({normalise(w): (CONDITION, key) for w in words})
    for key, spec in data["places"].items():
        if spec.get("outdoor"):
            outdoor.add(key)
        entries.update({normalise(w): (PLACE, key) for w in spec["words"]})
    entries.update({normalise(w): (IGNORE, "") for w in data["ignore"]})
    by_first: dict[str, list[tuple[str, str, str]]] = {}
    for phrase in sorted(entries, key=len, reverse=True):
        by_first.setdefault(phrase[0], []).append((phrase, *entries[phrase]))
    return _Table({k: tuple(v) for k, v in by_first.items()}, parents, frozenset(outdoor))


_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_NUM = r"(\d{1,3}|[一二两三四五六七八九十零〇]{1,3})"


def _number(token: str) -> str:
    """3 / 三 / 十二 / A → one spelling ("3", "12", "a"), so 三单元 and 3单元 are the same unit."""
    if token.isdigit():
        return str(int(token))
    if not all(ch in _CN_DIGITS or ch == "十" for ch in token):
        return token
    if "十" in token:
        tens, _, ones = token.partition("十")
        return str(_CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0))  # 十 10, 十二 12, 二十 20
    return str(int("".join(str(_CN_DIGITS[ch]) for ch in token)))  # 零三 is 3


# 3号楼前 / 3栋楼下 / 5栋门口 are outside that building: a place of their own
_SIDES = {
    **dict.fromkeys(("前面", "前", "楼前", "楼下", "下面", "门口", "门前"), "楼前"),
    **dict.fromkeys(("后面", "后边", "背后", "后", "楼后"), "楼后"),
    **dict.fromkeys(("旁边", "旁", "侧面", "边上", "楼旁"), "楼旁"),
}
# Numbered places, most specific first; each match is cut out of the text before the next rule looks.
_ADDRESS = re.compile(r"(?<!\d)(\d{1,3})-(\d{1,2})-(\d{3,4})(?!\d)")  # 3-2-401: building-unit-room
_BUILDING = re.compile(
    rf"(?:{_NUM}\s*(?:号楼|栋|幢|号院)|(?<![a-z\d])(\d{{1,3}}|[a-h])\s*(?:座|#楼?|栋|幢)"
    r"|\b(?:building|bldg\.?|block|tower)\s*(?:no\.?\s*)?(\d{1,3}|[a-h])\b)"
    rf"(?:\s*({'|'.join(sorted(_SIDES, key=len, reverse=True))})(?![天来年]))?"  # not 3栋前天
)
_UNIT = re.compile(
    rf"(?:{_NUM}\s*单元|\b(?:unit|entrance)\s*(\d{{1,2}})\b)"
    r"\s*(?:(\d{3,4})(?!\d)\s*(?:室|号|房|户)?)?"  # 2单元401: the room too
)
_ROOM = re.compile(
    r"(?<!\d)(\d{3,4})\s*(?:室|房间|号房|房|户)|(?<!\d)(\d{3,4})(?=家|住户|业主)"
    r"|\b(?:room|flat|apt\.?|apartment)\s*(\d{3,4})\b"
)
_FLOOR = re.compile(
    rf"(?:(?<![负\d一二两三四五六七八九十零〇]){_NUM}\s*(?:楼|层)(?![道梯栋])"  # 4楼, 十二层; not 负二层, 4楼道
    r"|\b(\d{1,2})\s*(?:st|nd|rd|th)?\s*floor\b|\bfloor\s*(\d{1,2})\b|(?<![\da-z])(\d{1,2})f\b)"
)
_NUMBERED = re.compile(r"[\d一二两三四五六七八九十零〇]|[a-h]\s*[座#栋幢]")
# Single characters that carry nothing once the table's words are cut out.
_PARTICLES = re.compile(
    r"[的了吗呢啊呀吧哦嘛很太都也又还在是有这那个就我你他她它们得着过把被给让和与及或呃哈嗯]"
    r"|[\W\d_]+"  # punctuation and the digits of places already read
)


def _first(match: re.Match[str], *groups: int) -> str:
    return next((match.group(g) for g in groups if match.group(g)), "")


@lru_cache(maxsize=8192)
def matter_of(text: str) -> Matter:
    """What `text` is about. Cached: a ticket's text is read again for every message in its group."""
    folded = normalise(text)
    found: dict[str, str] = {}
    named: set[str] = set()

    def take(pattern: re.Pattern[str], on: Callable[[re.Match[str]], object]) -> None:
        """Read every match of `pattern` with `on`, and cut it out so that later rules do not read it again."""
        nonlocal folded

        def cut(m: re.Match[str]) -> str:
            on(m)
            return " "

        folded = pattern.sub(cut, folded)

    def address(m: re.Match[str]) -> None:
        found.update(building=_number(m.group(1)), unit=_number(m.group(2)), room=m.group(3))

    def building(m: re.Match[str]) -> None:
        found.setdefault("building", _number(_first(m, 1, 2, 3)))
        if m.group(4):
            named.add(_SIDES[m.group(4)])

    def unit(m: re.Match[str]) -> None:
        found.setdefault("unit", _number(_first(m, 1, 2)))
        if m.group(3):
            found.setdefault("room", m.group(3))

    if _NUMBERED.search(folded):  # most reports name no numbered place: skip five searches
        take(_ADDRESS, address)
        take(_BUILDING, building)
        take(_UNIT, unit)
        take(_ROOM, lambda m: found.setdefault("room", _first(m, 1, 2, 3)))
        take(_FLOOR, lambda m: found.setdefault("floor", _number(_first(m, 1, 2, 3, 4))))
    if found.get("room") and not found.get("floor"):
        found["floor"] = str(int(found["room"]) // 100)  # 401 is on the fourth floor
    table = _table()
    things: set[str] = set()
    conditions: set[str] = set()
    found_words, rest = table.scan(folded)
    for kind, key in found_words:
        {THING: things, CONDITION: conditions, PLACE: named}.get(kind, set()).add(key)
    rest = _PARTICLES.sub(" ", rest)
    place = Place(
        building=found.get("building", ""),
        unit=found.get("unit", ""),
        floor=found.get("floor", ""),
        room=found.get("room", ""),
        named=frozenset(named),
        outdoor=bool(named & table.outdoor),
    )
    words = frozenset().union(*(bigrams(chunk) for chunk in rest.split()))
    parents = {table.parents[t] for t in things if t in table.parents}
    things -= parents  # 停车挡住了出口 is about the car in the way, not parking in general
    kin = things | parents
    return Matter(frozenset(things), frozenset(conditions), place, words, frozenset(kin))


def place_clash(a: Place, b: Place) -> str:
    """Why two places cannot be the same place ("" when they may be): a facet both give, differently."""
    for facet in ("building", "unit", "floor", "room"):
        x, y = getattr(a, facet), getattr(b, facet)
        if x and y and x != y:
            return facet
    if a.named and b.named and not a.named & b.named:
        return "place"
    if (a.outdoor and not b.named and b.indoor) or (b.outdoor and not a.named and a.indoor):
        return "place"  # 东门 against 2单元: a gate is in no unit
    return ""


def _agreements(a: Place, b: Place) -> int:
    same = sum(1 for f in ("building", "unit", "floor", "room") if getattr(a, f) and getattr(a, f) == getattr(b, f))
    return same + (1 if a.named & b.named else 0)


def same_thing(a: Matter, b: Matter) -> bool:
    """Some thing of one report is a thing of the other, or its parent (灯 ~ 路灯, never 路灯 ~ 楼道灯)."""
    return bool(a.things & b.kin or b.things & a.kin)


def compare(a: Matter, b: Matter, *, words_threshold: float, same_reporter_recently: bool = False) -> Match:
    """Whether `b` joins the ticket whose text reads as `a`.

    `words_threshold` is the share of leftover bigrams that must agree when neither the things nor what is
    happening can decide; `same_reporter_recently` lets the same resident's follow-up join on no words at all.
    """
    clash = place_clash(a.place, b.place)
    if clash:
        return Match(False, 0.0, clash)
    bonus = 0.04 * _agreements(a.place, b.place)
    if a.things and b.things:
        if same_thing(a, b):
            return Match(True, min(1.0, 0.8 + bonus), "thing")
        return Match(False, 0.0, "thing")
    if a.conditions and b.conditions:
        if a.conditions & b.conditions:
            return Match(True, min(1.0, 0.6 + bonus), "condition")
        return Match(False, 0.0, "condition")
    shared = overlap(a.words, b.words)
    if shared >= words_threshold and shared > 0:
        return Match(True, min(1.0, 0.2 + 0.3 * shared + bonus), "words")
    if same_reporter_recently:
        return Match(True, min(1.0, 0.2 + bonus), "reporter")
    return Match(False, 0.0, "words")
