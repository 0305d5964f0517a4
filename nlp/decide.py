"""The decision policy: evidence (and the fallback's probabilities) in, a verdict out.

Thresholds are in keyword-weight units (see nlp/data/lexicon.yaml): 3 is one strong keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nlp import gate
from nlp.evidence import Evidence
from nlp.lexicon import NONE

# letters to officials: a long message that opens like this asks for something, whatever its topic
_FORMAL = re.compile(r"尊敬的|领导|市长|书记|局长|主任|您好|贵单位|有关部门|相关部门")
TICKET_SCORE = 3.0  # keywords + request + place needed to open a ticket
MIN_KEYWORD = 1.5  # …of which at least this much must be keywords of one category
LETTER_CHARS = 40  # a message this long that asks for something is a request even with no category words
LETTER_INTENT = 2.0
FALLBACK_SURE = 0.6
FALLBACK_UNSURE = 0.35
FALLBACK_AGREE = 0.5  # the model's probability that makes weak keywords of the same category enough
OFF_TOPIC = 1.5  # off-topic weight that, with no community place named, rules a message out
CLARIFY_MIN_CHARS = 8  # short casual chat is never met with a question
# Most severe first: when several matters are raised, staff act on this one.
SEVERITY = (
    "safety",
    "public_order",
    "repairs",
    "epidemic",
    "sanitation",
    "noise",
    "pets",
    "parking",
    "occupation",
    "neighbor",
    "permits",
    "other",
)
SEVERE_SHARE = 0.8  # a more severe category wins if it has this share of the best score


@dataclass(frozen=True, slots=True)
class Verdict:
    category: str
    urgent: bool = False
    clarify: bool = False
    candidates: tuple[str, ...] = ()
    confidence: float = 0.0
    reason: str = ""


def _pick(ev: Evidence) -> tuple[str, float]:
    """The category to act on: the best-scoring one, or a more severe one close behind it."""
    ranked = ev.ranked()
    if not ranked:
        return NONE, 0.0
    top, score = ranked[0]
    close = [c for c, s in ranked if s >= SEVERE_SHARE * score or s >= TICKET_SCORE]
    if close:
        top = min(close, key=lambda c: SEVERITY.index(c) if c in SEVERITY else len(SEVERITY))
    return top, ev.scores[top]


def _model_top(probs: dict[str, float] | None) -> tuple[str, float, float]:
    """(best category other than none, its probability, probability of none)."""
    if not probs:
        return NONE, 0.0, 1.0
    cats = {c: p for c, p in probs.items() if c != NONE}
    best = max(cats, key=lambda c: cats[c]) if cats else NONE
    return best, cats.get(best, 0.0), probs.get(NONE, 0.0)


def _confidence(score: float) -> float:
    return min(0.99, 0.5 + score / 12)


def decide(text: str, ev: Evidence, model: Callable[[], dict[str, float] | None]) -> Verdict:
    """`model` gives the fallback's probabilities; it is called only where the rules need a second opinion."""
    why_not = gate.reason(text, ev)
    if why_not is not None:
        return Verdict(NONE, confidence=0.9, reason=why_not)
    category, keywords = _pick(ev)
    support = min(ev.intent, 2.0) + min(ev.anchor, 1.5) - min(ev.off_topic, 2.0)
    total = keywords + support
    if ev.urgent and (keywords >= MIN_KEYWORD or ev.anchor > 0 or ev.intent >= 1):
        chosen = category if category != NONE else _model_top(model())[0]
        chosen = chosen if chosen != NONE else "safety"
        return Verdict(chosen, urgent=True, confidence=0.95, reason="urgent")
    formal = len(text) >= LETTER_CHARS and bool(_FORMAL.search(text))
    # 办公室一直在装修: not this community's matter (a letter to officials may name a workplace and still ask)
    elsewhere = ev.off_topic >= OFF_TOPIC and ev.anchor == 0 and not formal
    if keywords >= MIN_KEYWORD and total >= TICKET_SCORE and not elsewhere:
        if keywords >= TICKET_SCORE:
            return Verdict(category, confidence=_confidence(total), reason="keywords")
        model_cat, model_p, _ = _model_top(model())
        disagree = model_cat != category and model_p >= FALLBACK_SURE and model_cat in ev.scores
        if disagree:
            return Verdict(category, clarify=True, candidates=(category, model_cat), confidence=0.5, reason="disagree")
        return Verdict(category, confidence=_confidence(total), reason="keywords")
    is_letter = formal or (len(text) >= LETTER_CHARS and ev.intent >= LETTER_INTENT and ev.off_topic < 1)
    if is_letter:
        if keywords >= MIN_KEYWORD:
            return Verdict(category, confidence=_confidence(total), reason="request")
        model_cat, model_p, _ = _model_top(model())
        chosen = model_cat if model_p >= FALLBACK_UNSURE else "other"
        return Verdict(chosen, confidence=0.6, reason="request")
    # the rules are unsure: the fallback decides, and asks when it is unsure too
    in_context = ev.intent >= 1 or ev.anchor >= 1
    if len(text) < CLARIFY_MIN_CHARS or (keywords < MIN_KEYWORD and not in_context):
        return Verdict(NONE, confidence=0.7, reason="nothing")
    model_cat, model_p, model_none = _model_top(model())
    if keywords >= MIN_KEYWORD and model_cat == category and model_p >= FALLBACK_AGREE and model_p > model_none:
        if not elsewhere and (in_context or model_p >= FALLBACK_SURE + 0.1):
            return Verdict(category, confidence=model_p, reason="agree")  # weak words, read the same way by the model
    if not in_context or ev.off_topic >= 1:
        return Verdict(NONE, confidence=0.7, reason="nothing")
    if model_p >= FALLBACK_SURE and model_p > model_none:
        return Verdict(model_cat, confidence=model_p, reason="fallback")
    if model_p >= FALLBACK_UNSURE and (keywords >= 1 or ev.anchor >= 1):
        options = [model_cat, *(c for c, _ in ev.ranked() if c != model_cat)]
        guess = model_cat if model_p > model_none else NONE
        return Verdict(guess, clarify=True, candidates=tuple(options[:3]), confidence=model_p, reason="unsure")
    return Verdict(NONE, confidence=max(model_none, 0.5), reason="nothing")
