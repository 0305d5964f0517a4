"""jieba, set up once: its dictionary cache in a writable directory, the domain words added.

Only single-character keywords (吵 臭 脏 坏) need segmentation: as substrings they would fire inside
unrelated words (吵架了我们, 臭豆腐), so they count only when jieba cuts them out as a word of their own.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import jieba

# Words jieba would otherwise split, so that "高空抛物" is not read as "高空 / 抛物".
DOMAIN_WORDS = (
    "高空抛物",
    "居住证明",
    "广场舞",
    "飞线充电",
    "楼道充电",
    "消防通道",
    "暂住证",
    "电动车",
    "电瓶车",
    "狗屎",
)


def cache_dir(env: dict[str, str] | None = None) -> Path:
    """Where jieba keeps its prefix-dictionary cache: $GRIDBOT_CACHE_DIR, ~/.cache/gridbot, or the temp dir."""
    env = dict(os.environ) if env is None else env
    for candidate in (env.get("GRIDBOT_CACHE_DIR"), os.path.join(os.path.expanduser("~"), ".cache", "gridbot")):
        if not candidate:
            continue
        path = Path(candidate)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    return Path(tempfile.gettempdir())


_BASE: tuple[dict[str, int], int] | None = None


def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary, loaded from its cache once per process (~0.7 s), shared by every tokenizer."""
    global _BASE
    if _BASE is None:
        logging.getLogger("jieba").setLevel(logging.WARNING)  # it logs "Building prefix dict" at INFO
        loader = jieba.Tokenizer()
        loader.tmp_dir = str(cache_dir())
        loader.initialize()
        _BASE = (loader.FREQ, loader.total)
    return _BASE


_MISSING = object()


class _Overlay(dict[str, int]):
    """A tokenizer's own words over jieba's shared dictionary. A copy of the whole dictionary per tokenizer
    (add_word writes into it) held ~20 MB for a handful of domain words; this holds only what was added."""

    def __init__(self, base: dict[str, int]) -> None:
        super().__init__()
        self._base = base

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._base

    def __missing__(self, key: str) -> int:
        return self._base[key]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        value = dict.get(self, key, _MISSING)
        return self._base.get(key, default) if value is _MISSING else value


class Segmenter:
    """A private jieba tokenizer (the global one is left alone for anyone else in the process)."""

    def __init__(self, words: Iterable[str]) -> None:
        freq, total = _base_dictionary()
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.tmp_dir = str(cache_dir())
        # add_word below writes into the overlay; the shared dictionary stays as jieba built it
        self._tokenizer.FREQ, self._tokenizer.total = _Overlay(freq), total
        self._tokenizer.initialized = True
        for word in (*DOMAIN_WORDS, *words):
            if len(word) > 1:
                self._tokenizer.add_word(word, freq=2000)

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) for each jieba token, without the HMM guesser (deterministic, faster)."""
        return [(w, s, e) for w, s, e in self._tokenizer.tokenize(text, HMM=False)]


def dictionary_frequencies() -> dict[str, int]:
    """jieba's word frequencies (shared, read-only): how common a string is as a word."""
    return _base_dictionary()[0]
