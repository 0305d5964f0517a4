"""Masking residents' phone and ID numbers in anything posted in a group, a digest, a list or an export.

One function, `mask`, for every way out. People write numbers in many shapes: full-width digits,
`138-1234-5678`, `138 1234 5678`, `+86 138…`, `0086…`, glued to words (`电话13812345678找我`), IDs
of 15 or 18 digits ending in X, landlines with an area code (`010-12345678`, `0755 1234 5678`).
So the text is normalised first (NFKC and every Unicode decimal digit to ASCII, per character so
that each normalised character still knows where it came from), then cut into *runs*: digit groups
joined by at most three separator characters. A run, or a span of its groups, that reads as a
mobile, an ID or a landline has its middle digits replaced by `*` in the original text; the rest of
the text is left exactly as written. Ticket numbers (`#1024`), dates (`2026-06-10`, `20260610`),
times, amounts and room numbers (`3栋2单元1201`) read as none of these and stay.

The guarantee the fuzz test holds it to: in the output, normalised the same way and with the
separators inside runs removed, no run of digits is a mobile (with or without +86 / 0086), nor 15
digits, nor 17 digits and a digit or X. A run with a `*` in it is a masked number: the digits left
of it beside a ticket number (`1024 138****5678`) are not read as a new one, so one pass is enough.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

# between two digit groups of one number; "()" so that (010)12345678 is one run. Spaces, not line
# breaks or tabs: numbers on two lines are two numbers, and a JSON or CSV rendering that escapes a
# line break must not turn what is left of a masked number into a new one.
SEPARATORS = r" \-‐‑‒–—―.·・()"
MAX_SEPARATORS = 3
_RUN = re.compile(rf"[0-9]+(?:[{SEPARATORS}]{{1,{MAX_SEPARATORS}}}[0-9]+)*[Xx]?")
_GROUP = re.compile(r"[0-9]+[Xx]?")

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_COUNTRY = ("0086", "86")
_ID18 = re.compile(r"[0-9]{17}[0-9Xx]")
_ID15 = re.compile(r"[0-9]{15}")
# Beijing, Shanghai, Tianjin, Chongqing and the 02x cities have 3-digit area codes, 8-digit numbers
_LANDLINE_SHORT_AREA = re.compile(r"0(?:10|2[0-9])[0-9]{8}")
_LANDLINE_LONG_AREA = re.compile(r"0[3-9][0-9]{2}[0-9]{7,8}")
_SHORTEST = 11  # digits of the shortest number: a mobile, 010-12345678, 0755-1234567
_LONGEST = 19  # characters of the longest number: 18 digits and a stray X


@functools.lru_cache(maxsize=65536)  # the characters of real texts are few; bounded all the same
def _char(ch: str) -> str:
    """One character under NFKC, its decimal digits as ASCII ("１" → "1", "①" → "1", "٣" → "3")."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFKC", ch))


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """NFKC with ASCII digits, and for each normalised character the index of its original one
    (None: the same index, when every character stayed one character, as in nearly all text)."""
    pieces = [_char(ch) for ch in text]
    normal = "".join(pieces)
    if len(normal) == len(text):
        return normal, None
    return normal, [i for i, piece in enumerate(pieces) for _ in piece]


def _mobile(digits: str) -> range | None:
    for prefix in ("", *_COUNTRY):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and _MOBILE.fullmatch(rest):
            return range(len(prefix) + 3, len(prefix) + 7)  # 138****5678
    return None


def _id18(digits: str) -> range | None:
    return range(6, 14) if _ID18.fullmatch(digits) else None  # 420106********1234


def _id15(digits: str) -> range | None:
    return range(6, 12) if _ID15.fullmatch(digits) else None  # 420106******123


def _landline(digits: str) -> range | None:
    for prefix in ("", *_COUNTRY):
        if not digits.startswith(prefix):
            continue
        # +86 10 1234 5678: after a country code the area code drops its 0
        local = "0" + digits[len(prefix) :] if prefix else digits
        shift = len(prefix) - 1 if prefix else 0
        for area, pattern in ((3, _LANDLINE_SHORT_AREA), (4, _LANDLINE_LONG_AREA)):
            if pattern.fullmatch(local):
                return range(area + shift, len(digits) - 4)  # 010-****5678
    return None


# the order is the preference when spans of one run overlap: an 11-digit mobile beside a 4-digit
# ticket number is a mobile, not a 15-digit ID
_KINDS: tuple[Callable[[str], range | None], ...] = (_id18, _mobile, _landline, _id15)


def _hidden(digits: str, kind: Callable[[str], range | None]) -> range | None:
    """The positions to hide if `digits` is a number of this kind (a stray trailing X is not a digit)."""
    found = kind(digits)
    if found is None and digits[-1:] in ("X", "x"):
        found = kind(digits[:-1])
    return found


def _spans(groups: list[re.Match[str]]) -> list[tuple[int, int]]:
    """Every contiguous span of groups short enough to be a number (0086 + a mobile, an ID + X), longest first."""
    found = []
    for start in range(len(groups)):
        length = 0
        for end in range(start + 1, len(groups) + 1):
            length += len(groups[end - 1].group())
            if length > _LONGEST:
                break
            found.append((start, end))
    return sorted(found, key=lambda span: (span[0] - span[1], span[0]))


def _masked_positions(run: str) -> set[int]:
    """Indices into `run` of the digits to hide."""
    if sum(c.isdigit() for c in run) < _SHORTEST:
        return set()  # a room, a date, an amount, a ticket number: the common case, decided at once
    groups = list(_GROUP.finditer(run))
    spans = [(start, end, "".join(g.group() for g in groups[start:end])) for start, end in _spans(groups)]
    spans = [span for span in spans if len(span[2]) >= _SHORTEST]
    taken: set[int] = set()
    hidden: set[int] = set()
    for kind in _KINDS:
        for start, end, digits in spans:
            found = _hidden(digits, kind)
            if found is None or not taken.isdisjoint(range(start, end)):
                continue
            where = [i for g in groups[start:end] for i in range(g.start(), g.end())]
            hidden.update(where[i] for i in found)
            taken.update(range(start, end))
    return hidden


def mask(text: str) -> str:
    """138****5678 and 420106********1234: enough for a person to recognise, not to dial."""
    normal, origin = _normalised(text)
    hide: set[int] = set()
    for run in _RUN.finditer(normal):
        at = run.start()
        hide.update(origin[at + i] if origin else at + i for i in _masked_positions(run.group()))
    if not hide:
        return text
    return "".join("*" if i in hide else ch for i, ch in enumerate(text))
