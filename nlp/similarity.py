"""How alike two residents' messages are: is the second report the same matter?"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def _bigrams(text: str) -> set[str]:
    folded = _DROP.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(folded) < 2:
        return {folded} if folded else set()
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def similarity(a: str, b: str) -> float:
    """Overlap of character bigrams relative to the shorter message (0..1).

    Relative to the shorter one because the second report is usually a short
    "我家也是，狗叫得睡不着" against a long first complaint.
    """
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))
