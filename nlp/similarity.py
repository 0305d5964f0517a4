"""How alike two pieces of text are, as shared character bigrams.

`nlp.matter` decides whether a report joins a ticket; it uses this only for the words left once the
thing, the place and the request boilerplate are cut out.
"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def bigrams(text: str) -> frozenset[str]:
    folded = _DROP.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(folded) < 2:
        return frozenset({folded} if folded else ())
    return frozenset(folded[i : i + 2] for i in range(len(folded) - 1))


def overlap(x: frozenset[str], y: frozenset[str]) -> float:
    """Shared bigrams relative to the smaller set (0..1).

    Relative to the smaller one because the second report is usually a short
    "我家也是，狗叫得睡不着" against a long first complaint.
    """
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def similarity(a: str, b: str) -> float:
    """Overlap of the character bigrams of two whole texts (0..1)."""
    return overlap(bigrams(a), bigrams(b))
