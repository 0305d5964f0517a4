"""The learned model: trained with scikit-learn, written to one NumPy archive, read back to the same scores."""

from pathlib import Path

import pytest

from nlp.classifier import Classifier
from nlp.fallback import Fallback
from nlp.normalise import normalise
from nlp.train import fit, train

TOY = [
    ("楼上好吵睡不着", "noise"),
    ("楼下太吵了", "noise"),
    ("半夜吵得睡不着", "noise"),
    ("垃圾没人收好臭", "sanitation"),
    ("垃圾桶满了好臭", "sanitation"),
    ("楼道垃圾臭死了", "sanitation"),
    ("大家早上好", "none"),
    ("早上好呀", "none"),
    ("大家晚安好梦", "none"),
]


def test_fit_learns_the_toy_set_and_round_trips(tmp_path: Path) -> None:
    model = fit(TOY, c=20.0, min_df=1)
    for text, label in TOY:
        probs = model.probabilities(normalise(text))
        assert max(probs, key=lambda c: probs[c]) == label
        assert (model.ticket_probability(normalise(text)) > 0.5) == (label != "none")
    path = tmp_path / "model.npz"
    model.dump(path)
    again = Fallback.load(path)
    assert again is not None
    assert again.classes == model.classes
    for text, _ in TOY:
        a, b = model.probabilities(normalise(text)), again.probabilities(normalise(text))
        assert a == pytest.approx(b, abs=1e-3)
        assert model.ticket_probability(normalise(text)) == pytest.approx(again.ticket_probability(normalise(text)))


def test_training_is_deterministic() -> None:
    a = fit(TOY, min_df=1)
    b = fit(TOY, min_df=1)
    assert a.index == b.index
    assert (a.weights == b.weights).all()
    assert a.ticket_weights == b.ticket_weights


@pytest.mark.slow
def test_corrections_teach_the_fallback(tmp_path: Path) -> None:
    taught = "阳台上的蜂窝越来越大"
    rows = [(taught, "safety"), ("蜂窝在空调外机后面越来越大", "safety"), ("窗外有个蜂窝", "safety")] * 3
    model = train(rows)
    probs = model.probabilities(normalise(taught))
    assert max(probs, key=lambda c: probs[c]) == "safety"
    assert Classifier(fallback=model).classify("阳台上的蜂窝越来越大，麻烦处理一下").category == "safety"


URGENT_TOY = [
    ("楼道里好大煤气味快来人", "safety", True),
    ("煤气味好重有人在家吗快来", "safety", True),
    ("着火了浓烟快来人", "safety", True),
    ("楼道堆了杂物不好走", "occupation", False),
    ("杂物堆在楼道里", "occupation", False),
    ("大家早上好", "none", False),
    ("早上好呀", "none", False),
]


def test_the_emergency_model_is_trained_beside_the_others_and_round_trips(tmp_path: Path) -> None:
    model = fit([(t, c) for t, c, _ in URGENT_TOY], urgent=[u for _, _, u in URGENT_TOY], c=20.0, min_df=1)
    assert model.urgent
    for text, _, urgent in URGENT_TOY:
        p = model.urgent_probability(normalise(text))
        assert p is not None
        assert (p > 0.5) == urgent, text
    path = tmp_path / "model.npz"
    model.dump(path)
    again = Fallback.load(path)
    assert again is not None
    assert again.urgent
    for text, _, _ in URGENT_TOY:
        assert again.urgent_probability(normalise(text)) == pytest.approx(model.urgent_probability(normalise(text)))


def test_a_model_without_emergencies_has_no_emergency_part(tmp_path: Path) -> None:
    model = fit(TOY, c=20.0, min_df=1)  # no urgency flags given
    assert not model.urgent
    assert model.urgent_probability(normalise("楼上好吵")) is None
    path = tmp_path / "model.npz"
    model.dump(path)
    again = Fallback.load(path)
    assert again is not None
    assert not again.urgent


def test_word_features_are_an_option_of_training_and_travel_with_the_model(tmp_path: Path) -> None:
    model = fit(TOY, c=20.0, min_df=1, words=True)
    assert model.words
    assert any(g.startswith("w:") for g in model.index)  # jieba's words are features of their own
    path = tmp_path / "model.npz"
    model.dump(path)
    again = Fallback.load(path)
    assert again is not None
    assert again.words
    text = normalise("楼上好吵睡不着")
    assert again.probabilities(text) == pytest.approx(model.probabilities(text), abs=1e-3)
    assert not fit(TOY, c=20.0, min_df=1).words
