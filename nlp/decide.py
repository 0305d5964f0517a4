"""The decision policy: evidence (and the model's probabilities) in, a verdict out — a ticket, likely a
request (the worker decides), or not a ticket. An emergency is always a ticket.

Thresholds are in keyword-weight units (see nlp/data/lexicon.yaml): 3 is one strong keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nlp import gate
from nlp.emergency import Emergency
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
CLARIFY_MIN_CHARS = 8  # short casual chat is never handed to the worker on weak words alone
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
    category: str  # for a likely verdict, the best guess
    urgent: bool = False
    likely: bool = False  # not registered by the bot: the grid worker is asked privately
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


MODEL_TICKET = 0.9  # the model registers a ticket alone at this P(ticket), with a keyword and a place or a request
MODEL_LIKELY = 0.6  # …hands a message with some sign of a request to the worker as likely from this P(ticket)
MODEL_LIKELY_BARE = 0.9  # …and one with no lexicon sign at all only from this one
MODEL_MIN_CHARS = 6  # shorter chat is never handed to the model
VETO_NONE = 0.3  # a ticket the rules propose is dropped below this P(ticket)…
VETO_LIKELY = 0.6  # …and handed to the worker as likely below this one
VETO_KEEP_INTENT = 1.5  # …but a message that asks for something (又, 能不能, 没通知) goes to the worker at least
GATE_LIKELY = 0.9  # a message a not-a-ticket cue ruled out goes to the worker as likely from this P(ticket)
BLEND = 3.0  # weight of the model's category probabilities against the keyword scores (0: keywords alone)
BLEND_SINGLE = True  # …also when the keywords name one category only: +1–2 points of category accuracy leaving
# each training writer out in turn, for a model call per ticket (bench/classify_throughput.py)
OVERRIDABLE = frozenset({"thanks", "solved", "neighbour_question", "announcement", "apology"})


def _model(
    text: str, ev: Evidence, model: Callable[[], dict[str, float] | None], ticket: Callable[[], float | None]
) -> Verdict:
    """The rules found no ticket and no reason against one: the learned model speaks."""
    ticket_p = ticket() if len(text) >= MODEL_MIN_CHARS else None
    if ticket_p is None or ticket_p < MODEL_LIKELY:
        return Verdict(NONE, confidence=0.7, reason="nothing")
    context = ev.intent >= 1 or ev.anchor >= 1
    if not (context or ev.scores) and ticket_p < MODEL_LIKELY_BARE:
        return Verdict(NONE, confidence=0.6, reason="nothing")
    model_cat = _model_top(model())[0]
    if model_cat == NONE:
        return Verdict(NONE, confidence=0.5, reason="nothing")
    if ticket_p >= MODEL_TICKET and context and ev.scores and ev.off_topic < 1:
        return Verdict(model_cat, confidence=ticket_p, reason="fallback")
    return Verdict(model_cat, likely=True, confidence=ticket_p, reason="likely")


def decide(
    text: str,
    ev: Evidence,
    model: Callable[[], dict[str, float] | None],
    emergency: Emergency | None = None,
    ticket: Callable[[], float | None] = lambda: None,
    *,
    trust_rules: bool = False,
) -> Verdict:
    """`model` gives the category probabilities, `ticket` P(a ticket); each is called only where needed.
    `trust_rules`: a keyword staff added in config.yaml fired — the model does not overrule it.

    The rules propose; the model checks every ticket they propose (keywords fire in notices, lost-and-found
    and staff replies too) and every message a not-a-ticket cue ruled out (thanks followed by a new problem).
    """
    if emergency is not None:  # danger now: always a ticket, urgent, in the category of its kind (LABELLING.md)
        why = "emergency" if emergency.phrase else "emergency:model"  # the patterns, or the model alone
        return Verdict(emergency.category, urgent=True, confidence=0.95, reason=why)
    why_not = gate.reason(text, ev)
    if why_not is not None:
        if why_not in OVERRIDABLE and len(text) >= MODEL_MIN_CHARS:
            p = ticket()
            if p is not None and p >= GATE_LIKELY:
                guess = _pick(ev)[0] if ev.scores else _model_top(model())[0]
                if guess != NONE:
                    return Verdict(guess, likely=True, confidence=p, reason=f"likely:{why_not}")
        return Verdict(NONE, confidence=0.9, reason=why_not)
    verdict = _rules(text, ev, model, ticket)
    if verdict.category == NONE or verdict.likely:
        return verdict
    if trust_rules:
        return verdict
    if BLEND and ev.scores and (len(ev.scores) > 1 or BLEND_SINGLE):
        verdict = _blended(verdict, ev, model)
    if len(text) < MODEL_MIN_CHARS:
        return verdict  # too short for the model to judge: the keywords stand
    p = ticket()
    if p is None or p >= VETO_LIKELY:
        return verdict
    if p < VETO_NONE and ev.intent < VETO_KEEP_INTENT:
        return Verdict(NONE, confidence=1 - p, reason="model:none")
    return Verdict(verdict.category, likely=True, confidence=p, reason="model:likely")


def _blended(verdict: Verdict, ev: Evidence, model: Callable[[], dict[str, float] | None]) -> Verdict:
    """The category where the keywords and the model, together, point: keyword scores as a share of the best."""
    probs = model()
    if not probs:
        return verdict
    best = max(ev.scores.values())
    combined = {c: ev.scores.get(c, 0.0) / best + BLEND * p for c, p in probs.items() if c != NONE}
    chosen = max(combined, key=lambda c: (combined[c], c == verdict.category))
    if chosen == verdict.category:
        return verdict
    return Verdict(chosen, verdict.urgent, verdict.likely, verdict.candidates, verdict.confidence, verdict.reason)


def _rules(
    text: str, ev: Evidence, model: Callable[[], dict[str, float] | None], ticket: Callable[[], float | None]
) -> Verdict:
    """The keyword rules, and the model where they find nothing."""
    category, keywords = _pick(ev)
    support = min(ev.intent, 2.0) + min(ev.anchor, 1.5) - min(ev.off_topic, 2.0)
    total = keywords + support
    formal = len(text) >= LETTER_CHARS and bool(_FORMAL.search(text))
    # 办公室一直在装修: not this community's matter (a letter to officials may name a workplace and still ask)
    elsewhere = ev.off_topic >= OFF_TOPIC and ev.anchor == 0 and not formal
    if keywords >= MIN_KEYWORD and total >= TICKET_SCORE and not elsewhere:
        if keywords >= TICKET_SCORE:
            return Verdict(category, confidence=_confidence(total), reason="keywords")
        model_cat, model_p, _ = _model_top(model())
        if model_cat != category and model_p >= FALLBACK_SURE and model_cat in ev.scores:
            # the rules and the model read two matters: the worker decides
            return Verdict(category, likely=True, candidates=(category, model_cat), confidence=0.5, reason="disagree")
        return Verdict(category, confidence=_confidence(total), reason="keywords")
    is_letter = formal or (len(text) >= LETTER_CHARS and ev.intent >= LETTER_INTENT and ev.off_topic < 1)
    if is_letter:
        if keywords >= MIN_KEYWORD:
            return Verdict(category, confidence=_confidence(total), reason="request")
        model_cat, model_p, _ = _model_top(model())
        chosen = model_cat if model_p >= FALLBACK_UNSURE else "other"
        return Verdict(chosen, confidence=0.6, reason="request")
    in_context = ev.intent >= 1 or ev.anchor >= 1
    if keywords >= MIN_KEYWORD and len(text) >= CLARIFY_MIN_CHARS and not elsewhere:
        model_cat, model_p, model_none = _model_top(model())
        if model_cat == category and model_p >= FALLBACK_AGREE and model_p > model_none:
            if in_context or model_p >= FALLBACK_SURE + 0.1:
                return Verdict(category, confidence=model_p, reason="agree")  # weak words, read the same way
        if in_context and model_p >= FALLBACK_UNSURE:
            options = [model_cat, *(c for c, _ in ev.ranked() if c != model_cat)]
            return Verdict(model_cat, likely=True, candidates=tuple(options[:3]), confidence=model_p, reason="unsure")
    if elsewhere:
        return Verdict(NONE, confidence=0.7, reason="nothing")
    return _model(text, ev, model, ticket)
