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
    """jieba's prefix dictionary, loaded from its cache once per process (~0.7 s); a copy costs ~30 ms."""
    global _BASE
    if _BASE is None:
        logging.getLogger("jieba").setLevel(logging.WARNING)  # it logs "Building prefix dict" at INFO
        loader = jieba.Tokenizer()
        loader.tmp_dir = str(cache_dir())
        loader.initialize()
        _BASE = (loader.FREQ, loader.total)
    return _BASE


class Segmenter:
    """A private jieba tokenizer (the global one is left alone for anyone else in the process)."""

    def __init__(self, words: Iterable[str]) -> None:
        freq, total = _base_dictionary()
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.tmp_dir = str(cache_dir())
        # each tokenizer gets its own copy: add_word below changes the dictionary
        self._tokenizer.FREQ, self._tokenizer.total = dict(freq), total
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
