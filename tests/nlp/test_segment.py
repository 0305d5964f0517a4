"""The segmenter (nlp/segment.py): jieba's cuts from a compact automaton of jieba's words; a tokenizer's own
words never reach another; the cached automaton is read only when it is whole and this user's alone."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from pathlib import Path

import jieba
import pytest

import nlp.segment as segment
from nlp.segment import DOMAIN_WORDS, Segmenter, dictionary_frequencies

DATA = Path(__file__).resolve().parents[2] / "nlp" / "data"


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def jieba_tokenizer(words: tuple[str, ...]) -> jieba.Tokenizer:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in (*DOMAIN_WORDS, *words):
        if len(word) > 1:
            tokenizer.add_word(word, freq=segment.ADDED_FREQ)
    return tokenizer


ODD = [
    "",
    "   ",
    "ABC123楼下 3栋-2单元 100%漏水!!",
    "a b\r\nc\td",
    "🙂🙂楼道灯坏了😡",
    "高空抛物砸到车了，电动车在楼道充电",
    "ｆｕｌｌｗｉｄｔｈ全角字符和。。。标点",
    "x" * 300,
    "的" * 200,
]


@pytest.mark.parametrize("words", [(), ("蓝莓冒泡器", "楼道充电", "广场舞", "楼道充电")])
def test_the_cuts_are_jiebas_on_the_whole_corpus(words: tuple[str, ...]) -> None:
    ours = Segmenter(words)
    theirs = jieba_tokenizer(words)
    texts = corpus_texts() + ODD
    assert len(texts) > 5000
    differ = [t for t in texts if ours.tokens(t) != list(theirs.tokenize(t, HMM=False))]
    assert differ == []


def test_a_tokenizer_s_words_stay_its_own() -> None:
    word = "蓝莓冒泡器"
    assert word not in dictionary_frequencies()
    with_word = Segmenter([word])
    without = Segmenter([])
    assert (word, 2, 7) in with_word.tokens("楼下蓝莓冒泡器坏了")
    assert all(w != word for w, _, _ in without.tokens("楼下蓝莓冒泡器坏了"))
    assert word not in dictionary_frequencies()


def test_frequencies_are_jiebas() -> None:
    freq = dictionary_frequencies()
    theirs = jieba_tokenizer(()).FREQ
    for word in ("大家", "装修", "燥音", "的", "楼道", "电动"):
        assert freq.get(word) == theirs.get(word, 0), word
    assert freq.get("蓝莓冒泡器") == 0
    assert freq.get("蓝莓冒泡器", 7) == 7


KEPT = segment._dictionary()  # this process's words, as the default cache gave them


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GRIDBOT_CACHE_DIR", str(cache))
    monkeypatch.setattr(segment, "_WORDS", None)
    return cache


@pytest.fixture
def filled_cache(fresh_cache: Path) -> Path:
    """A cache as a first start leaves it, made without building the words again (the process has them)."""
    source = segment._jieba_dictionary()
    path = segment.cache_dir() / f"words-{segment._cache_key(source)}.pickle"
    segment._store(path, KEPT)
    return fresh_cache


def cached_file(cache: Path) -> Path:
    (path,) = cache.glob("words-*.pickle")
    return path


def test_the_words_are_built_once_then_read_from_the_cache(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = segment._dictionary()
    path = cached_file(fresh_cache)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(fresh_cache.stat().st_mode & 0o777) == "0o700"
    monkeypatch.setattr(segment, "_WORDS", None)
    monkeypatch.setattr(segment, "_build", lambda source: pytest.fail("built again although the cache is good"))
    again = segment._dictionary()
    assert again[1] == first[1]
    assert [w for w, _, _ in Segmenter([]).tokens("楼上装修太吵了")] == ["楼上", "装修", "太", "吵", "了"]


def test_a_torn_cache_is_built_again(filled_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cached_file(filled_cache)
    path.write_bytes(path.read_bytes()[:-1000])
    monkeypatch.setattr(segment, "_WORDS", None)
    words, total = segment._dictionary()
    assert total > 0
    assert "装修" in segment.Frequencies(words)
    assert segment._load_cached(path) is not None  # written whole again


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo owned > /dev/null",))


def test_a_cache_that_would_run_code_is_not_unpickled(filled_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cached_file(filled_cache)
    payload = pickle.dumps(Boom())

    path.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    called: list[str] = []
    monkeypatch.setattr(os, "system", lambda cmd: called.append(cmd) or 0)
    assert segment._load_cached(path) is None
    assert called == []


def test_a_cache_others_can_write_is_not_read(filled_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = cached_file(filled_cache)
    path.chmod(0o666)
    with caplog.at_level(logging.WARNING, logger="nlp.segment"):
        assert segment._load_cached(path) is None
    assert "not this user's alone" in caplog.text
    path.chmod(0o600)
    filled_cache.chmod(0o777)
    assert segment._load_cached(path) is None
    filled_cache.chmod(0o700)
    assert segment._load_cached(path) is not None


def test_an_unwritable_cache_still_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment, "_WORDS", None)
    monkeypatch.setattr(segment, "cache_dir", lambda env=None: tmp_path / "missing" / "dir")
    assert [w for w, _, _ in Segmenter([]).tokens("楼上装修太吵了")] == ["楼上", "装修", "太", "吵", "了"]
