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


class Segmenter:
    """A private jieba tokenizer (the global one is left alone for anyone else in the process)."""

    def __init__(self, words: Iterable[str]) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)  # it logs "Building prefix dict" at INFO
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.tmp_dir = str(cache_dir())
        self._tokenizer.initialize()
        for word in (*DOMAIN_WORDS, *words):
            if len(word) > 1:
                self._tokenizer.add_word(word, freq=2000)

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) for each jieba token, without the HMM guesser (deterministic, faster)."""
        return [(w, s, e) for w, s, e in self._tokenizer.tokenize(text, HMM=False)]
