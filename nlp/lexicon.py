"""The lexicon as data: the packaged nlp/data/lexicon.yaml, merged with config.yaml's `lexicon:` overrides.

Override shape (every key optional):

    lexicon:
      noise:                      # a category key (or a new one)
        keywords: {广场舞: 2.0}   # add or re-weight; weight 0 removes the keyword
        aliases: {燥音: 噪音}      # alias → the keyword whose weight it takes
      exclusions: [抛物线]        # added to the packaged list
      intent: {求求: 1}           # likewise anchors, off_topic (weights merged)
      urgent: [着火]              # likewise negations
      not_ticket: {thanks: [谢啦]}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from bot.core import yaml_data
from nlp.normalise import normalise

CATEGORIES = (
    "noise",
    "parking",
    "permits",
    "sanitation",
    "repairs",
    "safety",
    "neighbor",
    "pets",
    "occupation",
    "public_order",
    "epidemic",
    "other",
)
NONE = "none"
_WEIGHTED_SECTIONS = ("intent", "anchors", "off_topic")
_LIST_SECTIONS = ("exclusions", "urgent", "negations")


class LexiconError(ValueError):
    """An override that does not fit the lexicon's shape; the message names the key."""


@dataclass(frozen=True, slots=True)
class Lexicon:
    keywords: dict[str, dict[str, float]]  # category → normalised keyword → weight (aliases resolved)
    exclusions: tuple[str, ...]
    negations: tuple[str, ...]
    negation_window: int
    intent: dict[str, float]
    anchors: dict[str, float]
    off_topic: dict[str, float]
    urgent: tuple[str, ...]
    not_ticket: dict[str, tuple[str, ...]]
    pinned: frozenset[str] = frozenset()  # keywords config.yaml added: staff's word, not second-guessed by the model

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.keywords)


@lru_cache(maxsize=1)
def packaged() -> dict[str, Any]:
    text = resources.files("nlp").joinpath("data/lexicon.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml_data.load(text)
    return data


def _weights(where: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise LexiconError(f"lexicon.{where}: expected a mapping of word → weight")
    out = {}
    for word, weight in value.items():
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            raise LexiconError(f"lexicon.{where}.{word}: weight must be a number")
        out[str(word)] = float(weight)
    return out


def _words(where: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise LexiconError(f"lexicon.{where}: expected a list of words")
    return [str(v) for v in value]


def merged(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The packaged data with the overrides applied (plain dicts, before normalising)."""
    data = copy.deepcopy(packaged())
    for key, value in (overrides or {}).items():
        if key == "categories" and isinstance(value, Mapping):
            for cat, spec in value.items():
                _merge_category(data, str(cat), spec)
        elif key in _WEIGHTED_SECTIONS:
            data[key].update(_weights(key, value))
        elif key in _LIST_SECTIONS:
            data[key] = [*data[key], *_words(key, value)]
        elif key == "negation_window":
            data[key] = int(value)
        elif key == "not_ticket":
            if not isinstance(value, Mapping):
                raise LexiconError("lexicon.not_ticket: expected a mapping of cue kind → words")
            for kind, words in value.items():
                if kind not in data["not_ticket"]:
                    raise LexiconError(f"lexicon.not_ticket.{kind}: unknown cue kind")
                data["not_ticket"][kind] = [*data["not_ticket"][kind], *_words(f"not_ticket.{kind}", words)]
        else:
            _merge_category(data, str(key), value)
    return data


def _merge_category(data: dict[str, Any], cat: str, spec: Any) -> None:
    if not isinstance(spec, Mapping):
        raise LexiconError(f"lexicon.{cat}: expected {{keywords: …, aliases: …}}")
    target = data["categories"].setdefault(cat, {"keywords": {}, "aliases": {}})
    for part, value in spec.items():
        if part == "keywords":
            target["keywords"].update(_weights(f"{cat}.keywords", value))
        elif part == "aliases":
            if not isinstance(value, Mapping):
                raise LexiconError(f"lexicon.{cat}.aliases: expected a mapping of alias → keyword")
            target.setdefault("aliases", {}).update({str(k): str(v) for k, v in value.items()})
        else:
            raise LexiconError(f"lexicon.{cat}.{part}: unknown key (expected keywords or aliases)")


def build(overrides: Mapping[str, Any] | None = None) -> Lexicon:
    data = merged(overrides)
    keywords: dict[str, dict[str, float]] = {}
    for cat, spec in data["categories"].items():
        weights = {normalise(k): w for k, w in (spec.get("keywords") or {}).items()}
        for alias, target in (spec.get("aliases") or {}).items():
            weight = weights.get(normalise(target))
            if weight is None:
                raise LexiconError(f"lexicon.{cat}.aliases.{alias}: {target!r} is not a keyword of {cat}")
            weights.setdefault(normalise(alias), weight)
        keywords[cat] = {k: w for k, w in weights.items() if w > 0 and k}

    def folded(words: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for w in (normalise(x) for x in words) if w))

    return Lexicon(
        keywords=keywords,
        exclusions=folded(data["exclusions"]),
        negations=folded(data["negations"]),
        negation_window=int(data.get("negation_window", 2)),
        intent={normalise(k): float(v) for k, v in data["intent"].items()},
        anchors={normalise(k): float(v) for k, v in data["anchors"].items()},
        off_topic={normalise(k): float(v) for k, v in data["off_topic"].items()},
        urgent=folded(data["urgent"]),
        not_ticket={kind: folded(words) for kind, words in data["not_ticket"].items()},
        pinned=frozenset(_added_keywords(overrides)),
    )


def _added_keywords(overrides: Mapping[str, Any] | None) -> list[str]:
    out: list[str] = []
    for key, value in (overrides or {}).items():
        specs = value.items() if key == "categories" and isinstance(value, Mapping) else [(key, value)]
        for _, spec in specs:
            if isinstance(spec, Mapping) and isinstance(spec.get("keywords"), Mapping):
                out.extend(normalise(str(k)) for k, w in spec["keywords"].items() if w)
    return out
