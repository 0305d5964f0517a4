"""The segmenter's own words sit over jieba's shared dictionary (nlp/segment.py): one tokenizer's words never
reach another, and the shared dictionary stays as jieba built it."""

from nlp.segment import Segmenter, dictionary_frequencies


def test_a_tokenizer_s_words_stay_its_own() -> None:
    word = "蓝莓冒泡器"
    assert word not in dictionary_frequencies()
    with_word = Segmenter([word])
    without = Segmenter([])
    assert (word, 2, 7) in with_word.tokens("楼下蓝莓冒泡器坏了")
    assert all(w != word for w, _, _ in without.tokens("楼下蓝莓冒泡器坏了"))
    assert word not in dictionary_frequencies()


def test_the_shared_dictionary_still_cuts_common_words() -> None:
    tokens = [w for w, _, _ in Segmenter([]).tokens("楼上装修太吵了")]
    assert "装修" in tokens
