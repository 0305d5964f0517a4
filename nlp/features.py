"""Features of the learned fallback: character 1–3-grams of the normalised text, and (for a model trained
with them) the words jieba cuts out of it.

Character n-grams carry most of the signal in Chinese and survive typos; words add what n-grams cannot see:
where a word starts and ends (着火 the word, not 着火 inside 着火锅), words of four characters and more, and
whole English words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.segment import Segmenter

_BOUNDARY = re.compile(r"[\s,.!?;:，。！？；：、~\-\"'“”‘’()（）【】\[\]]+")
WORD_PREFIX = "w:"  # a word feature, kept apart from the n-grams of the same characters


def ngrams(normalised: str) -> set[str]:
    """Distinct character 1–3-grams; punctuation becomes a boundary mark so 2-grams do not run across it."""
    text = "^" + _BOUNDARY.sub("|", normalised).strip("|") + "$"
    out = set(text)
    out.update([text[i : i + 2] for i in range(len(text) - 1)])
    out.update([text[i : i + 3] for i in range(len(text) - 2)])
    out.difference_update(("|", "^", "$"))
    return out


@lru_cache(maxsize=1)
def _segmenter() -> Segmenter:
    return Segmenter(())


def words(normalised: str) -> set[str]:
    """jieba's words of two characters or more (no digits-only runs: a room number is no word)."""
    return {
        WORD_PREFIX + w for w, _, _ in _segmenter().tokens(normalised) if len(w) >= 2 and not w.isdigit() and w.strip()
    }


def features(normalised: str, *, with_words: bool) -> set[str]:
    grams = ngrams(normalised)
    if with_words:
        grams |= words(normalised)
    return grams
