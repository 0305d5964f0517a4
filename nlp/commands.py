"""Parsing staff commands: `/动词 N 文字`.

Accepts a full-width `／`, `#12` or `＃12` for the number, a leading @-mention
of the bot (the adapters strip mentions, but a console user may type one), and
Chinese or ASCII spaces. Pure: no knowledge of who may run what, nor of which verbs exist
(the verb table is handed in: handlers/commands/registry.py declares the commands).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_PREFIX = re.compile(r"^\s*(?:@\S+\s+)*[/](?P<verb>[^\s\d#]+)\s*(?P<rest>.*)$", re.S)
# A ticket number is digits alone: then a space, the end, or a full-width pause (1024，已修好).
# `7.5`, `1.5`, `1;DROP` are not numbers but malformed ones: the command gets the format answer.
_NUMBER = re.compile(r"^#?(?P<num>\d+)(?:\s+|$|(?=[，：、]))[，：、]?\s*(?P<rest>.*)$", re.S)
_DIGITS = re.compile(r"^#?\d")
# a verb with digits in it (转12345) is read whole when the verb table has it: `/转12345 8 …` is ticket 8
_BODY = re.compile(r"^\s*(?:@\S+\s+)*[/](?P<body>.*)$", re.S)


@dataclass(frozen=True, slots=True)
class Command:
    verb: str  # what the person typed, e.g. 办结
    action: str  # canonical action, or "" when the verb is unknown
    ticket: int | None  # the first number, if any
    numbers: tuple[int, ...]  # every leading number (合并 1024 1031)
    text: str  # the rest, stripped
    malformed: bool = False  # a number was meant (it starts with a digit) but is not one: 7.5, 1;…


def looks_like_command(text: str) -> bool:
    return _PREFIX.match(_fold(text)) is not None


# only the characters that matter for parsing are folded; the person's text keeps its own punctuation
_FOLD = str.maketrans({"／": "/", "＃": "#", "\u3000": " ", **{chr(0xFF10 + i): str(i) for i in range(10)}})


def _fold(text: str) -> str:
    return text.translate(_FOLD).strip()


@dataclass(frozen=True)
class Grammar:
    """The verb table (handlers/commands/registry.py builds it from the declared commands)."""

    verbs: Mapping[str, str]  # verb as typed → canonical action
    no_number: frozenset[str] = frozenset()  # actions whose text is free: "/上报 3栋…" is not ticket #3
    many_numbers: frozenset[str] = frozenset()  # actions that take several numbers (合并 1024 1031)

    def parse(self, text: str) -> Command | None:
        """Parse a message starting with `/`; None when it is not a command at all."""
        folded = _fold(text)
        m = _PREFIX.match(folded)
        if m is None:
            return None
        verb, rest = m.group("verb"), m.group("rest").strip()
        whole = self._verb_with_digits(folded)
        if whole is not None:
            verb, rest = whole
        action = self.verbs.get(verb, "")
        numbers: list[int] = []
        malformed = False
        while action not in self.no_number:
            n = _NUMBER.match(rest)
            if n is None:
                malformed = bool(_DIGITS.match(rest))
                break
            numbers.append(int(n.group("num")))
            rest = n.group("rest").strip()
            if action not in self.many_numbers:
                break
        return Command(
            verb=verb,
            action=action,
            ticket=numbers[0] if numbers else None,
            numbers=tuple(numbers),
            text=rest,
            malformed=malformed,
        )

    def _verb_with_digits(self, folded: str) -> tuple[str, str] | None:
        """(verb, rest) when the text starts with a known verb that has digits in it, followed by a space,
        a `#` or the end; the longest such verb wins."""
        body = _BODY.match(folded)
        if body is None:
            return None
        said = body.group("body")
        for verb in sorted((v for v in self.verbs if any(c.isdigit() for c in v)), key=len, reverse=True):
            tail = said[len(verb) :]
            if said.startswith(verb) and (not tail or tail[0].isspace() or tail[0] == "#"):
                return verb, tail.strip()
        return None
