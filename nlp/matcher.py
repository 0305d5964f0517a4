"""One pass over a message: every lexicon phrase found, with its position (Aho-Corasick), plus single-character
keywords from jieba tokens."""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick

from nlp.lexicon import Lexicon
from nlp.segment import Segmenter


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

    def scan(self, text: str) -> list[Hit]:
        hits = []
        for end, (length, entries) in self._automaton.iter(text):
            start = end + 1 - length
            for kind, weight, category in entries:
                hits.append(Hit(kind, text[start : end + 1], start, end + 1, weight, category))
        if self._single and any(ch in self._single for ch in text):
            for word, start, end in self._segmenter.tokens(text):
                for category, weight in self._single.get(word, ()):
                    hits.append(Hit("kw", word, start, end, weight, category))
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits
