"""Features of the learned fallback: character 1–3-grams of the normalised text."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[\s,.!?;:，。！？；：、~\-\"'“”‘’()（）【】\[\]]+")


def ngrams(normalised: str) -> set[str]:
    """Distinct character 1–3-grams; punctuation becomes a boundary mark so 2-grams do not run across it."""
    text = "^" + _BOUNDARY.sub("|", normalised).strip("|") + "$"
    out = set(text)
    out.update([text[i : i + 2] for i in range(len(text) - 1)])
    out.update([text[i : i + 3] for i in range(len(text) - 2)])
    out.difference_update(("|", "^", "$"))
    return out
