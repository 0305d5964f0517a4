"""Scoring a classifier against labelled examples: the figures `gridbot nlp eval` prints and the tests pin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nlp.classifier import Classifier
from nlp.corpus import LABELS, Example
from nlp.lexicon import NONE


@dataclass(frozen=True, slots=True)
class Figures:
    examples: int
    accuracy: float  # category (with "none") exactly right
    macro_f1: float  # over the labels that occur in the gold data
    ticket_precision: float
    ticket_recall: float
    urgent_recall: float  # 1.0 when the data has no urgent example
    clarify_rate: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "examples": self.examples,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "ticket_precision": round(self.ticket_precision, 4),
            "ticket_recall": round(self.ticket_recall, 4),
            "urgent_recall": round(self.urgent_recall, 4),
            "clarify_rate": round(self.clarify_rate, 4),
        }


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> tuple[Figures, list[tuple[Example, str, str]]]:
    """The figures, and the misses as (example, predicted category, predicted urgency)."""
    pairs = []
    for ex in examples:
        verdict = classifier.classify(ex.text)
        pairs.append((ex, verdict.category, verdict.urgency, verdict.clarify))
    tp = sum(1 for ex, cat, _, _ in pairs if cat != NONE and ex.category != NONE)
    predicted = sum(1 for _, cat, _, _ in pairs if cat != NONE)
    actual = sum(1 for ex, *_ in pairs if ex.category != NONE)
    urgent = [(ex, urg) for ex, _, urg, _ in pairs if ex.urgency == "urgent"]
    f1s = []
    for label in (lbl for lbl in LABELS if any(ex.category == lbl for ex in examples)):
        hit = sum(1 for ex, cat, _, _ in pairs if cat == label and ex.category == label)
        p = _ratio(hit, sum(1 for _, cat, _, _ in pairs if cat == label))
        r = _ratio(hit, sum(1 for ex, *_ in pairs if ex.category == label))
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    figures = Figures(
        examples=len(pairs),
        accuracy=_ratio(sum(1 for ex, cat, _, _ in pairs if cat == ex.category), len(pairs)),
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        ticket_precision=_ratio(tp, predicted),
        ticket_recall=_ratio(tp, actual),
        urgent_recall=_ratio(sum(1 for _, urg in urgent if urg == "urgent"), len(urgent)),
        clarify_rate=_ratio(sum(1 for *_, c in pairs if c), len(pairs)),
    )
    misses = [(ex, cat, urg) for ex, cat, urg, _ in pairs if cat != ex.category or urg != ex.urgency]
    return figures, misses
