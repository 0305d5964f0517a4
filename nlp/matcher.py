"""One pass over a message: every lexicon phrase found, with its position (Aho-Corasick), the keywords found by
their sound (homophone typos), plus single-character keywords from jieba tokens."""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick

from nlp.lexicon import Lexicon
from nlp.pinyin import fold
from nlp.segment import Segmenter, dictionary_frequencies

SOUND_MIN_WEIGHT = 1.5  # hints (weight 1) are too weak a cue to trust by sound alone
# words with these have homophones everywhere (大了 sounds like 搭了): matched by their characters only
_FUNCTION_CHARS = frozenset("了的着过不没有是在一个啊吗呢吧")


def _by_sound_ok(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word) and not _FUNCTION_CHARS.intersection(word)


SOUND_WEIGHT = 0.8  # a keyword found by its sound counts a little less than the word itself
COMMON_WORD = 10  # jieba's dictionary frequency from which a string is a word, not a typo (燥音 3, 大家 19,177)


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str  # "kw", "exclusion", "negation", "intent", "anchor", "off_topic", "urgent", or a not_ticket cue kind
    word: str
    start: int
    end: int
    weight: float = 0.0
    category: str = ""  # for kind "kw"

    def inside(self, other: Hit) -> bool:
        return (
            other.start <= self.start and self.end <= other.end and (self.start, self.end) != (other.start, other.end)
        )


class Matcher:
    def __init__(self, lexicon: Lexicon) -> None:
        table: dict[str, list[tuple[str, float, str]]] = {}

        def add(word: str, kind: str, weight: float = 0.0, category: str = "") -> None:
            table.setdefault(word, []).append((kind, weight, category))

        self._single: dict[str, list[tuple[str, float]]] = {}
        for cat, words in lexicon.keywords.items():
            for word, weight in words.items():
                if len(word) == 1:
                    self._single.setdefault(word, []).append((cat, weight))
                else:
                    add(word, "kw", weight, cat)
        for word in lexicon.exclusions:
            add(word, "exclusion")
        for word in lexicon.negations:
            add(word, "negation")
        for kind, weights in (
            ("intent", lexicon.intent),
            ("anchor", lexicon.anchors),
            ("off_topic", lexicon.off_topic),
        ):
            for word, weight in weights.items():
                add(word, kind, weight)
        for word in lexicon.urgent:
            add(word, "urgent")
        for kind, cue_words in lexicon.not_ticket.items():
            for word in cue_words:
                add(word, kind)
        self._automaton = ahocorasick.Automaton()
        for word, entries in table.items():
            self._automaton.add_word(word, (len(word), tuple(entries)))
        self._automaton.make_automaton()
        multi = [w for words in lexicon.keywords.values() for w in words if len(w) > 1]
        self._segmenter = Segmenter(multi)
        self._freq = dictionary_frequencies()
        # the same keywords by their sound (nlp/pinyin.py): 燥音 is found as 噪音, at a little less weight
        self._by_sound = ahocorasick.Automaton()
        sounds: dict[str, list[tuple[str, float, str]]] = {}
        for cat, words in lexicon.keywords.items():
            for word, weight in words.items():
                if len(word) > 1 and weight >= SOUND_MIN_WEIGHT and _by_sound_ok(word):
                    sounds.setdefault(fold(word), []).append((word, weight * SOUND_WEIGHT, cat))
        for key, entries in sounds.items():
            self._by_sound.add_word(key, (len(key), tuple(entries)))
        if sounds:
            self._by_sound.make_automaton()

    def scan(self, text: str) -> list[Hit]:
        hits = []
        for end, (length, entries) in self._automaton.iter(text):
            start = end + 1 - length
            for kind, weight, category in entries:
                hits.append(Hit(kind, text[start : end + 1], start, end + 1, weight, category))
        if len(self._by_sound):
            hits.extend(self._sound_hits(text, hits))
        if self._single and any(ch in self._single for ch in text):
            for word, start, end in self._segmenter.tokens(text):
                for category, weight in self._single.get(word, ()):
                    hits.append(Hit("kw", word, start, end, weight, category))
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits

    def _sound_hits(self, text: str, hits: list[Hit]) -> list[Hit]:
        """Keywords found only by their sound, where no keyword was found by its characters (号楼电梯 holds
        电梯, so its 楼电 is not 漏电), and the typed string is no common word of its own (大家 is not 打架)."""
        found: list[Hit] = []
        exact = [(h.start, h.end) for h in hits if h.kind == "kw"]
        for end, (length, entries) in self._by_sound.iter(fold(text)):
            start = end + 1 - length
            typed = text[start : end + 1]
            if self._freq.get(typed, 0) >= COMMON_WORD or any(s < end + 1 and start < e for s, e in exact):
                continue
            found.extend(Hit("kw", typed, start, end + 1, w, cat) for word, w, cat in entries if typed != word)
        return found
