"""Issue #16: three outcomes (a ticket, likely a request, not a ticket), no clarifying question, the reply's
language, consultations about documents as permits, and the keywords found by their sound."""

import pytest

from nlp.classifier import Classifier
from nlp.normalise import language
from nlp.pinyin import fold


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The elevator in building 4 is broken again 😤", "en"),
        ("楼上装修太吵了", "zh"),
        ("电梯坏了 again", "zh"),
        ("ok", "zh"),  # too little to tell: the group's language
        ("Hi, 3栋 lift broken, nobody came to fix it", "en"),
    ],
)
def test_the_language_is_the_one_the_resident_writes(text: str, lang: str) -> None:
    assert language(text) == lang


def test_an_english_report_is_a_ticket_answered_in_english(classifier: Classifier) -> None:
    verdict = classifier.classify("The elevator in building 4 is broken again, nobody has fixed it")
    assert (verdict.is_ticket, verdict.category, verdict.lang) == (True, "repairs", "en"), verdict.to_json()


@pytest.mark.parametrize(
    "text",
    ["居住证明怎么开，要带啥", "社保卡丢了去哪补办", "想申请低保需要什么材料", "老年卡在哪里办", "开证明要盖章吗"],
)
def test_consultations_about_documents_are_permits(classifier: Classifier, text: str) -> None:
    verdict = classifier.classify(text)
    assert (verdict.is_ticket, verdict.category) == (True, "permits"), verdict.to_json()


@pytest.mark.parametrize(("typed", "word"), [("燥音", "噪音"), ("电体", "电梯"), ("正明", "证明")])
def test_homophone_typos_fold_to_the_word(typed: str, word: str) -> None:
    assert fold(typed) == fold(word)
    assert len(fold(typed)) == len(typed)


def test_a_homophone_typo_finds_its_keyword(classifier: Classifier) -> None:
    verdict = classifier.classify("电体又坏了，爬楼好累")
    assert (verdict.is_ticket, verdict.category) == (True, "repairs"), verdict.to_json()
    assert "电体" in verdict.matched


def test_clarify_is_never_set(classifier: Classifier) -> None:
    texts = ["楼上好像有点吵", "那边是不是有点问题", "电梯", "居住证明需要什么手续?", "大家好"]
    assert not any(classifier.classify(t).clarify for t in texts)


def test_a_likely_request_is_not_a_ticket_and_carries_a_guess(classifier: Classifier) -> None:
    verdicts = [classifier.classify(t) for t in ["最近晚上楼下总有动静，睡得不太好", "水压好像有点问题"]]
    for v in verdicts:
        assert not (v.is_ticket and v.likely)  # the two outcomes never overlap
        if v.likely:
            assert v.category != "none"
    assert any(v.is_ticket or v.likely for v in verdicts)


def test_the_same_text_gives_the_same_verdict() -> None:
    a, b = Classifier(), Classifier()
    for text in ["楼上燥音太大", "someone collapsed", "那个就是说水压嗯有点小"]:
        assert a.classify(text) == b.classify(text)


@pytest.mark.parametrize(
    "text",
    [
        "2单元水管漏水了，麻烦物业尽快派人处理一下，谢谢",
        "3栋电梯又坏了，麻烦看一下，辛苦了",
        "3栋电梯又坏了，我电话 +86 138 1234 5678",
    ],
)
def test_a_courtesy_tail_does_not_turn_a_request_into_a_doubt(classifier: Classifier, text: str) -> None:
    verdict = classifier.classify(text)
    assert verdict.is_ticket
    assert verdict.category == "repairs"
