"""Text folding for matching: one canonical spelling of what a resident typed.

Only the matcher sees this form; the original text is what gets displayed and stored.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# WeChat renders its own stickers as [微笑], [强], [Smile] in the text stream.
_WECHAT_EMOTE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]")
# Emoji, pictographs, dingbats, variation selectors, zero-width joiners.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff\U0000fe00-\U0000fe0f\U0000200b-\U0000200f\U00002060]+"
)
_CJK = r"\u3400-\u9fff"
# Voice input and careful typists put spaces between characters: 楼 上 太 吵 了.
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_RUNS_OF_SPACE = re.compile(r"\s+")
# 吵死了！！！！ / 。。。 / ??? carry no more meaning than one mark.
_REPEATED_PUNCT = re.compile(r"([!?.,~。，！？、…·\-])\1+")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    # tw2s, not t2s: t2s leaves Taiwan variants such as 睡不著 untouched.
    return opencc.OpenCC("tw2s")


def normalise(text: str) -> str:
    """NFKC, traditional → simplified, lower-case, stickers and emoji dropped, spacing and punctuation folded."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _WECHAT_EMOTE.sub(" ", folded)
    folded = _EMOJI.sub(" ", folded)
    folded = _converter().convert(folded).lower()
    folded = _SPACE_BETWEEN_CJK.sub("", folded)
    folded = _RUNS_OF_SPACE.sub(" ", folded).strip()
    return _REPEATED_PUNCT.sub(r"\1", folded)


_LATIN = re.compile(r"[A-Za-z]")
_HAN = re.compile(rf"[{_CJK}]")


def language(text: str) -> str:
    """ "en" when the resident writes mostly Latin letters (English, or pinyin), else "zh": the reply's language."""
    latin = len(_LATIN.findall(text))
    if latin < 3:
        return "zh"
    return "en" if latin > 2 * len(_HAN.findall(text)) else "zh"
