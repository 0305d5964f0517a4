"""The first decision: a ticket, likely a request, or not a ticket — of which category, how urgent.

Order: normalise → one scan for every lexicon phrase → the emergency detector (danger now is always a
ticket) → not-a-ticket gate → keyword categories, pushed over the line by signs of a request and of a place
in the community → the learned model wherever the rules are unsure: a ticket when it is sure, otherwise
*likely* (the bot stays silent in the group and the grid worker is asked privately).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nlp import decide
from nlp.emergency import Emergency
from nlp.emergency import read as read_danger
from nlp.evidence import gather
from nlp.fallback import Fallback
from nlp.lexicon import NONE, build
from nlp.matcher import Matcher
from nlp.normalise import language, normalise
from nlp.status import asks_status

_MAX_CHARS = 4000  # a pasted novel is classified by its opening; the rest adds time, not meaning


@dataclass(frozen=True, slots=True)
class Classification:
    category: str  # a category key, or "none"
    is_ticket: bool
    urgency: str  # "normal" | "urgent"
    clarify: bool = False  # always False since #16 (the in-group question went: unsure is `likely`); kept for readers
    candidates: tuple[str, ...] = ()  # for a likely verdict, the categories the worker may choose, best first
    confidence: float = 0.0
    matched: tuple[str, ...] = ()  # keywords that fired (for nlp report / debugging)
    # which rule decided: "keywords", "request", "fallback", "emergency" (the patterns), "emergency:model",
    # "likely", or a cue
    reason: str = ""
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
        head = text[:_MAX_CHARS]
        folded = normalise(head)
        if not folded:
            return Classification(NONE, False, "normal", reason="empty")
        lang = language(head)
        evidence = gather(folded, self._matcher.scan(folded), self.lexicon.negation_window)
        fallback = self._fallback

        # what the model reads (plain text) and its features: computed once, and only if the model is asked
        known: list[tuple[str, list[tuple[int, float, float]]]] = []

        def model_input() -> tuple[str, list[tuple[int, float, float]]]:
            if not known and fallback is not None:
                text = plain(folded)
                known.append((text, fallback.present(text)))
            return known[0] if known else (folded, [])

        opinion: list[dict[str, float] | None] = []

        def second_opinion() -> dict[str, float] | None:
            # asked up to twice a message (the rules, then the blend): scored once
            if not opinion:
                opinion.append(fallback.probabilities(*model_input()) if fallback is not None else None)
            return opinion[0]

        def ticket_probability() -> float | None:
            return fallback.ticket_probability(*model_input()) if fallback is not None else None

        emergency, ruled_out = read_danger(folded)
        if fallback is not None and len(folded) >= decide.MODEL_MIN_CHARS:
            p_urgent = fallback.urgent_probability(*model_input())
            emergency = _checked(emergency, ruled_out, p_urgent, second_opinion)
        pinned = bool(self.lexicon.pinned.intersection(evidence.matched))
        verdict = decide.decide(folded, evidence, second_opinion, emergency, ticket_probability, trust_rules=pinned)
        matched = tuple(evidence.matched)
        if emergency is not None and emergency.phrase and emergency.phrase not in matched:
            matched = (*matched, emergency.phrase)
        return Classification(
            category=verdict.category,
            is_ticket=verdict.category != NONE and not verdict.likely,
            urgency="urgent" if verdict.urgent else "normal",
            candidates=verdict.candidates,
            confidence=verdict.confidence,
            matched=matched,
            reason=verdict.reason,
            asks_status=asks_status(folded, evidence),
            likely=verdict.likely and verdict.category != NONE,
            lang=lang,
        )


# A courtesy tail after a request ("……，麻烦尽快处理一下，谢谢") says nothing about whether it is one, but a
# thank-you weighs heavily against a ticket in the model (most thank-yous are not requests): the model reads
# the message without it. A message that is only thanks keeps its words (the gate decides those).
_COURTESY_TAIL = re.compile(
    r"[，,。.!！~～\s]*(?:谢谢|多谢|感谢|谢啦|辛苦了|thanks|thank you)[^，,。.!！]{0,6}[。.!！~～\s]*$"
)


# a phone number left for the worker says nothing either, and its digits read like an ad's to the model
_NUMBER_RUN = re.compile(r"\+?\d[\d \-]{5,}\d")


def plain(folded: str) -> str:
    cut = _NUMBER_RUN.sub("", _COURTESY_TAIL.sub("", folded))
    return cut if len(cut) >= 6 else folded


# the emergency model raises the alarm alone (the patterns silent, and no reason of theirs against it) from this
# P(emergency). Cross-validation: 0.5 added 18 alarms the patterns missed at 4 false ones in 3,675 (0.1 %)
URGENT_ALONE = 0.5
# …and a pattern's alarm stands unless P(emergency) is below this (0: the patterns always stand). Chosen by
# 5-fold cross-validation on the training corpus: below 0.02 no true alarm was lost; 0.05 lost one (a fight
# with a knife, in English) to remove 10 of 21 false ones — recall first.
URGENT_VETO = 0.02


def _checked(
    emergency: Emergency | None,
    ruled_out: bool,
    p: float | None,
    probabilities: Callable[[], dict[str, float] | None],
) -> Emergency | None:
    """The patterns' reading of danger, checked by the emergency model: recall first, so the model adds
    alarms the patterns miss (new wording) far more readily than it takes one away. Where the patterns found
    danger words and ruled them out (没有煤气味了, 上次着火), the model adds nothing: it cannot read negation."""
    if p is None:
        return emergency
    if emergency is not None:
        return None if p < URGENT_VETO else emergency
    if ruled_out or p < URGENT_ALONE:
        return None
    probs = probabilities() or {}
    cats = {c: q for c, q in probs.items() if c != NONE}
    category = max(cats, key=lambda c: cats[c]) if cats else "other"
    return Emergency(category, "")  # no phrase: the model read danger in the message as a whole


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The packaged lexicon and model, built once per process."""
    return Classifier()
