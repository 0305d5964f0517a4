"""Features of the learned fallback: character 1–3-grams of the normalised text."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[\s,.!?;:，。！？；：、~\-\"'“”‘’()（）【】\[\]]+")


def ngrams(normalised: str) -> set[str]:
    """Distinct character 1–3-grams; punctuation becomes a boundary mark so 2-grams do not run across it."""
    text = "^" + _BOUNDARY.sub("|", normalised).strip("|") + "$"
    out = set()
    for n in (1, 2, 3):
        for i in range(len(text) - n + 1):
            gram = text[i : i + n]
            if gram != "|" and gram not in ("^", "$"):
                out.add(gram)
    return out
