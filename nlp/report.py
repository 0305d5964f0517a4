"""`gridbot nlp report`: what the classifier made of messages that opened nothing, and of those staff corrected."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from nlp.classifier import Classifier


def report(rows: Iterable[tuple[str, str | None]], classifier: Classifier) -> str:
    """One line per (text, corrected category or None): today's verdict, what fired, and the correction.

    Corrections that today's classifier still gets wrong come first: they are what `nlp train` should learn.
    """
    lines = []
    still_wrong: Counter[str] = Counter()
    unmatched = corrected = 0
    entries = []
    for text, correction in rows:
        verdict = classifier.classify(text)
        # a likely request is not registered: until a worker registers it, the bot has not got it right
        wrong = correction is not None and correction != (verdict.category if verdict.is_ticket else "none")
        if correction is None:
            unmatched += 1
        else:
            corrected += 1
            if wrong:
                still_wrong[f"{verdict.category if verdict.is_ticket else 'none'}→{correction}"] += 1
        mark = "✗" if wrong else ("?" if verdict.likely else " ")
        fired = ",".join(verdict.matched) or "-"
        shown = " ".join(text.split())[:60]
        now = verdict.category + ("?" if verdict.likely else "")
        entries.append((not wrong, f"{mark} {now:12} {correction or '':12} [{fired}] {shown}"))
    entries.sort(key=lambda e: e[0])  # stable: wrong first, otherwise in the given order
    lines.append(f"{unmatched} unmatched, {corrected} corrected, {sum(still_wrong.values())} still classified wrongly")
    lines.append("  now         corrected    [keywords] text")
    lines.extend(text for _, text in entries)
    if still_wrong:
        lines.append("most frequent confusions: " + ", ".join(f"{k} ×{n}" for k, n in still_wrong.most_common(5)))
    return "\n".join(lines) + "\n"
