"""The lexicon is data: config.yaml's `lexicon:` adds, re-weights and removes words; bad shapes name the key."""

from typing import Any

import pytest

from nlp.classifier import Classifier
from nlp.lexicon import LexiconError, build


@pytest.mark.parametrize(
    ("overrides", "text", "before", "after"),
    [
        ({"noise": {"keywords": {"蹦蹦床": 3.0}}}, "楼上的蹦蹦床", "none", "noise"),
        ({"categories": {"pets": {"keywords": {"仓鼠": 3.0}}}}, "楼道里的仓鼠", "none", "pets"),
        ({"noise": {"keywords": {"噪音": 0}}}, "噪音", "noise", "none"),
    ],
)
def test_overrides_change_the_decision(overrides: dict[str, Any], text: str, before: str, after: str) -> None:
    def registered(classifier: Classifier) -> str:  # what the bot registers on its own (not a likely guess)
        verdict = classifier.classify(text)
        return verdict.category if verdict.is_ticket else "none"

    assert registered(Classifier()) == before
    assert registered(Classifier(overrides)) == after


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"noise": {"keywords": {"吵": "loud"}}}, "noise.keywords.吵"),
        ({"noise": {"words": {}}}, "noise.words"),
        ({"noise": {"aliases": {"燥": "不存在"}}}, "noise.aliases.燥"),
        ({"exclusions": "抛物线"}, "exclusions"),
        ({"not_ticket": {"greetings": ["嗨"]}}, "not_ticket.greetings"),
    ],
)
def test_bad_overrides_name_the_key(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(LexiconError, match=key.replace(".", r"\.")):
        build(overrides)


def test_override_exclusion_silences_a_keyword() -> None:
    text = "闭门器坏了"
    assert Classifier().classify(text).category == "repairs"
    assert Classifier({"exclusions": ["闭门器坏了"]}).classify(text).category == "none"
