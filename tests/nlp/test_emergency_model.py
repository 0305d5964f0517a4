"""Issue #16: the emergency model checks the patterns — it raises the alarm where they are silent (new wording)
and takes one away only when it is all but sure there is no danger (nlp/classifier.py, URGENT_ALONE / _VETO)."""

import pytest

import nlp.classifier as classifier_module
from nlp.classifier import Classifier, plain
from nlp.normalise import normalise
from nlp.train import fit

# a toy model: "冒泡泡" (a made-up danger word no pattern knows) is an emergency; chat is not
ROWS = [
    ("楼下冒泡泡了快来人", "safety", True),
    ("三楼冒泡泡了快来", "safety", True),
    ("冒泡泡了快来人啊", "safety", True),
    ("楼道有点脏", "sanitation", False),
    ("楼道里太脏了", "sanitation", False),
    ("大家早上好呀", "none", False),
    ("今天天气真好", "none", False),
    ("着火了快来人", "none", False),  # the toy model learns that this is no danger: the veto is tested on it
]


@pytest.fixture(scope="module")
def toy() -> Classifier:
    model = fit([(t, c) for t, c, _ in ROWS], urgent=[u for _, _, u in ROWS], c=50.0, min_df=1)
    return Classifier(fallback=model)


def test_the_model_raises_the_alarm_where_the_patterns_are_silent(toy: Classifier) -> None:
    verdict = toy.classify("五楼冒泡泡了快来人")
    assert verdict.is_ticket, verdict.to_json()
    assert verdict.urgency == "urgent", verdict.to_json()
    assert verdict.reason == "emergency:model"
    assert verdict.category == "safety"


def test_a_pattern_alarm_stands_unless_the_model_is_all_but_sure(
    toy: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classifier_module, "URGENT_VETO", 0.0)
    assert toy.classify("着火了快来人").urgency == "urgent"  # no veto: the patterns always stand
    monkeypatch.setattr(classifier_module, "URGENT_VETO", 0.99)
    assert toy.classify("着火了快来人").urgency == "normal"


def test_the_model_adds_no_alarm_the_patterns_ruled_out(toy: Classifier) -> None:
    text = "刚才冒泡泡了快来人，着火已经扑灭了"  # danger words the patterns read as over
    model = toy._fallback
    assert model is not None
    p = model.urgent_probability(plain(normalise(text)))
    assert p is not None
    assert p >= classifier_module.URGENT_ALONE
    assert toy.classify(text).urgency == "normal"  # …but the patterns have a reason against it


def test_without_a_model_the_patterns_decide_alone() -> None:
    plain = Classifier()
    plain._fallback = None  # (fallback=None means the packaged model)
    assert plain.classify("着火了快来人").urgency == "urgent"
    assert plain.classify("五楼冒泡泡了快来人").urgency == "normal"
