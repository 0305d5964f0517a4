"""Homophone folding: every Han character becomes one representative of its toneless pinyin syllable.

Residents type with pinyin input methods and pick the wrong character of the right sound: 燥音 for 噪音,
电体 for 电梯, 正明 for 证明. Folded, the typo and the word are the same string, so the matcher can find a
keyword by its sound as well as by its characters. The table (nlp/data/pinyin.tsv, one syllable and its
characters a line) is built offline with pypinyin (`build_table`, a development tool); at run time it is
one `str.translate` table, no pypinyin.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

TABLE_FILE = "pinyin.tsv"
_FIRST, _LAST = 0x4E00, 0x9FFF  # CJK Unified Ideographs: every character the normaliser leaves


def build_table() -> str:
    """The TSV text: `syllable<TAB>characters`, sorted; the first character of a line represents it."""
    from pypinyin import Style, lazy_pinyin

    groups: dict[str, list[str]] = {}
    for code in range(_FIRST, _LAST + 1):
        ch = chr(code)
        syllable = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
        if syllable and syllable[0].isascii() and syllable[0].isalpha():
            groups.setdefault(syllable[0], []).append(ch)
    return "".join(f"{s}\t{''.join(chars)}\n" for s, chars in sorted(groups.items()))


@lru_cache(maxsize=1)
def table() -> dict[int, str]:
    text = resources.files("nlp").joinpath("data", TABLE_FILE).read_text(encoding="utf-8")
    out: dict[int, str] = {}
    for line in text.splitlines():
        _, _, chars = line.partition("\t")
        if chars:
            head = chars[0]
            out.update({ord(c): head for c in chars[1:]})
    return out


def fold(text: str) -> str:
    """`text` with each Han character replaced by its syllable's representative (same length, same offsets)."""
    return text.translate(table())
