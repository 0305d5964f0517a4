"""The labelled corpus: reading and checking JSONL files of {"text", "category", "urgency"}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nlp.lexicon import CATEGORIES, NONE

LABELS = (*CATEGORIES, NONE)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    category: str
    urgency: str = "normal"
    style: str = ""  # the writing style (SCHEMA_BLIND.md), where the data names it
    alt: tuple[str, ...] = ()  # other categories a labeller would also accept


def parse_lines(lines: Iterator[str] | list[str], where: str) -> list[Example]:
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            alt = row.get("alt") or ()
            alt = (alt,) if isinstance(alt, str) else tuple(str(a) for a in alt)
            example = Example(
                str(row["text"]),
                str(row["category"]),
                str(row.get("urgency", "normal")),
                str(row.get("style", "")),
                alt,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{where}:{number}: not a labelled example ({exc})") from exc
        if example.category not in LABELS:
            raise ValueError(f"{where}:{number}: unknown category {example.category!r}")
        out.append(example)
    return out


def read(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as fh:
        return parse_lines(list(fh), str(path))


def packaged(name: str = "corpus.jsonl") -> list[Example]:
    text = resources.files("nlp").joinpath("data", name).read_text(encoding="utf-8")
    return parse_lines(text.splitlines(), f"nlp/data/{name}")
