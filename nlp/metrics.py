"""Scoring a classifier against labelled examples: the figures `gridbot nlp eval` prints and the tests pin.

Counted the way issue #16's bars are: recall counts a message the bot registers (`is_ticket`) or hands to the
worker as likely a request (`likely`); precision and false tickets count `is_ticket` alone. Category accuracy
is over the real tickets that were caught, an alternative label (`alt`) counting as right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nlp.classifier import Classification, Classifier
from nlp.corpus import LABELS, Example
from nlp.lexicon import NONE


@dataclass(frozen=True, slots=True)
class Figures:
    examples: int
    accuracy: float  # category (with "none") exactly right, registered tickets and likely alike
    macro_f1: float  # over the labels that occur in the gold data
    ticket_precision: float  # of the registered tickets, how many are real
    ticket_recall: float  # of the real tickets, how many were registered or handed on as likely
    category_accuracy: float  # of the real tickets caught, the right category (or an alternative)
    urgent_recall: float  # of the emergencies, how many came out as urgent tickets; 1.0 when there is none
    false_urgent: float  # of the other messages, the share called urgent
    likely_share: float  # of the non-tickets, the share handed to the worker as likely
    likely_casual: float  # of the casual chat (style "casual"), the share handed on as likely
    false_ticket_casual: float  # of the casual chat, the share registered as a ticket
    clarify_rate: float  # always 0 since #16; kept so older readers of the JSON keep working

    def to_json(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in _fields(self).items()}


def _fields(figures: Figures) -> dict[str, float | int]:
    return {name: getattr(figures, name) for name in Figures.__dataclass_fields__}


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def _right(ex: Example, got: str) -> bool:
    return got == ex.category or got in ex.alt


def figures(pairs: Sequence[tuple[Example, Classification]]) -> Figures:
    real = [(ex, v) for ex, v in pairs if ex.category != NONE]
    others = [(ex, v) for ex, v in pairs if ex.category == NONE]
    caught = [(ex, v) for ex, v in real if v.is_ticket or v.likely]
    registered = [(ex, v) for ex, v in pairs if v.is_ticket]
    urgent = [v for ex, v in pairs if ex.urgency == "urgent"]
    not_urgent = [v for ex, v in pairs if ex.urgency != "urgent"]
    casual = [v for ex, v in others if ex.style == "casual"]
    f1s = []
    for label in (lbl for lbl in LABELS if any(ex.category == lbl for ex, _ in pairs)):
        hit = sum(1 for ex, v in pairs if v.category == label and ex.category == label)
        p = _ratio(hit, sum(1 for _, v in pairs if v.category == label))
        r = _ratio(hit, sum(1 for ex, _ in pairs if ex.category == label))
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return Figures(
        examples=len(pairs),
        accuracy=_ratio(sum(1 for ex, v in pairs if _right(ex, v.category)), len(pairs)),
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        ticket_precision=_ratio(sum(1 for ex, _ in registered if ex.category != NONE), len(registered)),
        ticket_recall=_ratio(len(caught), len(real)),
        category_accuracy=_ratio(sum(1 for ex, v in caught if _right(ex, v.category)), len(caught)),
        urgent_recall=_ratio(sum(1 for v in urgent if v.is_ticket and v.urgency == "urgent"), len(urgent)),
        false_urgent=_ratio(sum(1 for v in not_urgent if v.urgency == "urgent"), len(not_urgent))
        if not_urgent
        else 0.0,
        likely_share=_ratio(sum(1 for _, v in others if v.likely), len(others)) if others else 0.0,
        likely_casual=_ratio(sum(1 for v in casual if v.likely), len(casual)) if casual else 0.0,
        false_ticket_casual=_ratio(sum(1 for v in casual if v.is_ticket), len(casual)) if casual else 0.0,
        clarify_rate=_ratio(sum(1 for _, v in pairs if v.clarify), len(pairs)),
    )


def evaluate(
    classifier: Classifier, examples: Sequence[Example]
) -> tuple[Figures, list[tuple[Example, str, str]], dict[str, Figures]]:
    """The figures, the misses as (example, predicted category, predicted urgency), and the figures per style."""
    pairs = [(ex, classifier.classify(ex.text)) for ex in examples]
    styles = sorted({ex.style for ex in examples if ex.style})
    per_style = {s: figures([(ex, v) for ex, v in pairs if ex.style == s]) for s in styles}
    misses = [
        (ex, v.category + ("?" if v.likely else ""), v.urgency)
        for ex, v in pairs
        if not _right(ex, v.category if (v.is_ticket or v.likely) else NONE) or v.urgency != ex.urgency
    ]
    return figures(pairs), misses, per_style
