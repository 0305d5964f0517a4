"""From raw hits to evidence: exclusions and negation applied, keywords summed per category."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.matcher import Hit

_CLAUSE_END = re.compile(r"[,.!?;:，。！？；：\n]|\s")
# Said of the past or of what might happen: "上次就着火了", "万一着火消防车进不来" are not emergencies now.
_NOT_NOW = re.compile(r"万一|如果|要是|一旦|怕|担心|容易|会不会|可能会|上次|以前|之前|去年|差点|险些|防止|预防|演练")
_SIGNALS = ("intent", "anchor", "off_topic")


@dataclass(slots=True)
class Evidence:
    scores: dict[str, float] = field(default_factory=dict)  # category → sum of its keywords' weights
    matched: list[str] = field(default_factory=list)  # keywords that fired, in text order
    intent: float = 0.0
    anchor: float = 0.0
    off_topic: float = 0.0
    urgent: list[Hit] = field(default_factory=list)
    cues: dict[str, list[Hit]] = field(default_factory=dict)  # not_ticket cue kind → hits
    negated: list[str] = field(default_factory=list)

    def best(self) -> tuple[str, float]:
        if not self.scores:
            return "", 0.0
        cat = max(self.scores, key=lambda c: self.scores[c])
        return cat, self.scores[cat]

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: -kv[1])


def clause_bounds(text: str, pos: int) -> tuple[int, int]:
    start = pos
    while start > 0 and not _CLAUSE_END.match(text[start - 1]):
        start -= 1
    end = pos
    while end < len(text) and not _CLAUSE_END.match(text[end]):
        end += 1
    return start, end


def _negated(text: str, hit: Hit, negations: list[Hit], window: int) -> bool:
    """A negation just before the hit, in the same clause: 没有噪音, 不吵 (not 个不停，吵死了)."""
    return any(
        hit.start - window <= n.end <= hit.start and not _CLAUSE_END.search(text, n.end, hit.start) for n in negations
    )


def gather(text: str, hits: list[Hit], window: int) -> Evidence:
    exclusions = [h for h in hits if h.kind == "exclusion"]
    longer = [h for h in hits if h.kind in ("kw", "intent")]
    # a negation that belongs to a longer word (不亮, 没人管) is part of that word, not a negation
    every_negation = [h for h in hits if h.kind == "negation"]
    negations = [h for h in every_negation if not any(h.inside(x) for x in longer)]
    ev = Evidence()
    kept: dict[str, list[Hit]] = {}
    for hit in hits:
        if hit.kind in ("exclusion", "negation") or any(hit.inside(x) or hit == x for x in exclusions):
            continue
        if hit.kind == "kw":
            same = kept.setdefault(hit.category, [])
            if any(hit.inside(k) for k in same):
                continue  # 停车位 already counted; its 车位 adds nothing
            if _negated(text, hit, negations, window):
                ev.negated.append(hit.word)
                continue
            same.append(hit)
            ev.scores[hit.category] = ev.scores.get(hit.category, 0.0) + hit.weight
            if hit.word not in ev.matched:
                ev.matched.append(hit.word)
        elif hit.kind in _SIGNALS:
            setattr(ev, hit.kind, getattr(ev, hit.kind) + hit.weight)
        elif hit.kind == "urgent":
            start, end = clause_bounds(text, hit.start)
            if not _negated(text, hit, negations, window) and not _NOT_NOW.search(text, start, end):
                ev.urgent.append(hit)
        elif hit.kind == "solved" and _negated(text, hit, every_negation, window):
            continue  # 没人清理了, 还没修好了: not solved at all
        else:
            ev.cues.setdefault(hit.kind, []).append(hit)
    return ev
