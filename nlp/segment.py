"""Words cut the way jieba cuts them (its dictionary, its route, no HMM), held in one compact automaton.

Only single-character keywords (吵 臭 脏 坏) need segmentation: as substrings they would fire inside
unrelated words (吵架了我们, 臭豆腐), so they count only when the text is cut so that they are a word of
their own. The model's word features are the same cuts (nlp/features.py).

jieba's own tokenizer keeps its prefix dictionary as a dict of ~500,000 strings: 62 MB of the bot's
resident memory, and about a second at every start to load its cache. The same 349,000 words here sit
in one pyahocorasick automaton (≈20 MB), built once from jieba's dict.txt and kept in the cache directory
(unpickled in ≈0.05 s). One pass of the automaton over a block of text finds every dictionary word in it
— jieba's DAG — and the route through it is jieba's: the most probable path by the words' frequencies,
ties to the longer word. tests/nlp/test_segment.py holds the cuts to jieba's own on the whole corpus.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
import math
import os
import pickle
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ahocorasick

log = logging.getLogger(__name__)

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
ADDED_FREQ = 2000  # what each added word weighs (jieba's add_word(word, freq=2000)); it adds to the total too

# jieba's blocks: runs of Han characters and word characters are cut; anything else is split at
# whitespace and then character by character (jieba/__init__.py re_han_default, re_skip_default, re_eng)
_BLOCK = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")
_SKIP = re.compile("(\r\n|\\s)")
_ALNUM = re.compile("[a-zA-Z0-9]")

# an automaton's value: the word's frequency and its length (the automaton reports where a match ends)
_LENGTH_BITS = 6
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
_CACHE_FORMAT = "gridbot-words-1"


def cache_dir(env: dict[str, str] | None = None) -> Path:
    """Where the dictionary's automaton is kept: $GRIDBOT_CACHE_DIR, ~/.cache/gridbot, or a private temp dir."""
    env = dict(os.environ) if env is None else env
    for candidate in (env.get("GRIDBOT_CACHE_DIR"), os.path.join(os.path.expanduser("~"), ".cache", "gridbot")):
        if not candidate:
            continue
        path = Path(candidate)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    # the shared temp dir is anybody's: a directory of this user's own, or nothing is cached
    private = Path(tempfile.gettempdir()) / f"gridbot-cache-{os.getuid()}"
    try:
        private.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        pass
    return private


def _trusted(path: Path) -> bool:
    """Ours and writable by nobody else (the file and its directory): what is unpickled must be what we wrote."""
    try:
        for st in (path.parent.stat(), path.lstat()):
            if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or stat.S_ISLNK(st.st_mode):
                log.warning(
                    "%s is not this user's alone (owner, group/other write): not read, the words are built again", path
                )
                return False
    except OSError:
        return False
    return True


class _OnlyAutomaton(pickle.Unpickler):
    """Unpickles the automaton and plain values, nothing else: a cache file never runs code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("ahocorasick", "Automaton"):
            return ahocorasick.Automaton
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the word cache")


def _jieba_dictionary() -> Path:
    """jieba's dict.txt, found without importing jieba (its import pulls pkg_resources in: ~9 MB)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jieba is not installed: its dictionary is where the words come from")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def _read_dictionary(source: Path) -> tuple[dict[str, int], int]:
    """Words and frequencies as jieba reads them (gen_pfdict): the last line of a word wins, every line counts
    in the total."""
    words: dict[str, int] = {}
    total = 0
    with source.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip().decode("utf-8")
            if not line:
                continue
            try:
                word, freq_text = line.split(" ")[:2]
                freq = int(freq_text)
            except ValueError as exc:
                raise ValueError(f"invalid dictionary entry in {source} at line {lineno}: {line}") from exc
            words[word] = freq
            total += freq
    return words, total


def _build(source: Path) -> tuple[Any, int]:
    words, total = _read_dictionary(source)
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for word, freq in words.items():
        # a word of frequency 0 only extends a prefix in jieba, it is never cut out: not a word here
        if freq > 0 and len(word) <= _LENGTH_MASK:
            automaton.add_word(word, freq << _LENGTH_BITS | len(word))
    automaton.make_automaton()
    return automaton, total


def _cache_key(source: Path) -> str:
    st = source.stat()
    return hashlib.sha256(f"{_CACHE_FORMAT}|{source}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _load_cached(path: Path) -> tuple[Any, int] | None:
    if not _trusted(path):  # a missing file is not trusted either
        return None
    try:
        # one read of the whole file, one mapping of its size; the header and the payload are views of it,
        # not copies (a copy of 18 MB raised the peak, a file read in pieces left its heap behind)
        data = path.read_bytes()
        head = data.index(b"\n")
        if data[:head].decode("ascii", "replace") != hashlib.sha256(memoryview(data)[head + 1 :]).hexdigest():
            return None  # torn or damaged: built again
        stream = io.BytesIO(data)
        stream.seek(head + 1)
        automaton, total = _OnlyAutomaton(stream).load()
    except (OSError, ValueError, EOFError, TypeError, pickle.UnpicklingError):
        return None
    return automaton, int(total)


def _store(path: Path, words: tuple[Any, int]) -> None:
    payload = pickle.dumps(words, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest().encode("ascii")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(digest + b"\n" + payload)
        os.replace(tmp, path)  # whole or not at all, whichever process of several wrote it
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


_WORDS: tuple[Any, int] | None = None


def _dictionary() -> tuple[Any, int]:
    """jieba's words in an automaton and their total frequency, once per process."""
    global _WORDS
    if _WORDS is None:
        source = _jieba_dictionary()
        directory = cache_dir()
        path = directory / f"words-{_cache_key(source)}.pickle"
        words = _load_cached(path)
        if words is None:
            log.info("building the word dictionary from %s (once; kept in %s)", source, directory)
            words = _build(source)
            try:
                _store(path, words)
            except OSError as exc:
                log.warning(
                    "could not keep the word dictionary in %s (%s): it is built again at the next start", directory, exc
                )
        _WORDS = words
    return _WORDS


class Segmenter:
    """jieba's cuts (default mode, no HMM) with words of its own over the shared dictionary; one tokenizer's
    words never reach another."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words, total = _dictionary()
        added: dict[str, int] = {}
        for word in (*DOMAIN_WORDS, *words):
            if len(word) > 1:
                added[word] = ADDED_FREQ
                total += ADDED_FREQ  # as jieba's add_word: every call adds, a word given twice twice
        self._log_total = math.log(total)
        self._added: Any = None  # the words of this tokenizer's own, if it has any
        if added:
            self._added = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for word in added:
                self._added.add_word(word, len(word))
            self._added.make_automaton()

    def _cut_block(self, block: str) -> Iterator[str]:
        n = len(block)
        ends: list[dict[int, int]] = [{} for _ in range(n)]  # start → {end index: frequency}
        for end, value in self._words.iter(block):
            ends[end - (value & _LENGTH_MASK) + 1][end] = value >> _LENGTH_BITS
        if self._added is not None:
            for end, length in self._added.iter(block):
                ends[end - length + 1][end] = ADDED_FREQ
        log_total = self._log_total
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for i in range(n - 1, -1, -1):
            choices = ends[i]
            if choices:
                route[i] = max((math.log(f) - log_total + route[e + 1][0], e) for e, f in choices.items())
            else:  # no word starts here: the character alone, at frequency 1
                route[i] = (route[i + 1][0] - log_total, i)
        i = 0
        letters = ""  # single letters and digits run together into one token, as jieba does
        while i < n:
            j = route[i][1] + 1
            word = block[i:j]
            if j - i == 1 and _ALNUM.match(word):
                letters += word
            else:
                if letters:
                    yield letters
                    letters = ""
                yield word
            i = j
        if letters:
            yield letters

    def _cut(self, text: str) -> Iterator[str]:
        for block in _BLOCK.split(text):
            if not block:
                continue
            if _BLOCK.match(block):
                yield from self._cut_block(block)
            else:
                for part in _SKIP.split(block):
                    if _SKIP.match(part):
                        yield part
                    else:
                        yield from part

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) for each token, as jieba's tokenize(text, HMM=False) gives them."""
        out: list[tuple[str, int, int]] = []
        start = 0
        for word in self._cut(text):
            end = start + len(word)
            out.append((word, start, end))
            start = end
        return out


class Frequencies:
    """How common a string is as a word in jieba's dictionary (0: not a word of it)."""

    def __init__(self, words: Any) -> None:
        self._words = words

    def get(self, word: str, default: int = 0) -> int:
        value = self._words.get(word, None)
        return default if value is None else value >> _LENGTH_BITS

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._words.get(word, None) is not None


def dictionary_frequencies() -> Frequencies:
    """jieba's word frequencies (shared, read-only)."""
    return Frequencies(_dictionary()[0])
