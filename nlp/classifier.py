"""The first decision: is this message a ticket, of which category, how urgent — and are we sure?

Order: normalise → one scan for every lexicon phrase → not-a-ticket gate → urgency → keyword categories,
pushed over the line by signs of a request and of a place in the community → the learned fallback where
the rules find nothing or are unsure → a clarify flag when the two disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nlp import decide
from nlp.evidence import gather
from nlp.fallback import Fallback
from nlp.lexicon import NONE, build
from nlp.matcher import Matcher
from nlp.normalise import normalise
from nlp.status import asks_status

_MAX_CHARS = 4000  # a pasted novel is classified by its opening; the rest adds time, not meaning


@dataclass(frozen=True, slots=True)
class Classification:
    category: str  # a category key, or "none"
    is_ticket: bool
    urgency: str  # "normal" | "urgent"
    clarify: bool = False  # rules and fallback disagree / unsure: ask the resident
    candidates: tuple[str, ...] = ()  # category keys to offer in a clarifying question, best first
    confidence: float = 0.0
    matched: tuple[str, ...] = ()  # keywords that fired (for nlp report / debugging)
    reason: str = ""  # which rule decided: "keywords", "request", "fallback", "urgent", or a not-a-ticket cue
    asks_status: bool = False  # the resident asks how their own report is going (nlp/status.py)
    # not a ticket the bot registers on its own, but likely a request: the grid worker sees it privately
    # (category and urgency are then the best guess)
    likely: bool = False
    lang: str = "zh"  # "zh" or "en": the language the resident is answered in

    def to_json(self) -> dict[str, object]:
        return {
            "category": self.category,
            "is_ticket": self.is_ticket,
            "urgency": self.urgency,
            "clarify": self.clarify,
            "candidates": list(self.candidates),
            "confidence": round(self.confidence, 3),
            "matched": list(self.matched),
            "reason": self.reason,
            "asks_status": self.asks_status,
            "likely": self.likely,
            "lang": self.lang,
        }


class Classifier:
    def __init__(self, lexicon_overrides: Mapping[str, Any] | None = None, fallback: Fallback | None = None) -> None:
        self.lexicon = build(lexicon_overrides)
        self._matcher = Matcher(self.lexicon)
        self._fallback = fallback if fallback is not None else Fallback.load()

    def classify(self, text: str) -> Classification:
        folded = normalise(text[:_MAX_CHARS])
        if not folded:
            return Classification(NONE, False, "normal", reason="empty")
        evidence = gather(folded, self._matcher.scan(folded), self.lexicon.negation_window)
        fallback = self._fallback

        def second_opinion() -> dict[str, float] | None:
            return fallback.probabilities(folded) if fallback is not None else None

        verdict = decide.decide(folded, evidence, second_opinion)
        return Classification(
            category=verdict.category,
            is_ticket=verdict.category != NONE,
            urgency="urgent" if verdict.urgent else "normal",
            clarify=verdict.clarify,
            candidates=verdict.candidates,
            confidence=verdict.confidence,
            matched=tuple(evidence.matched),
            reason=verdict.reason,
            asks_status=asks_status(folded, evidence),
        )


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The packaged lexicon and model, built once per process."""
    return Classifier()
