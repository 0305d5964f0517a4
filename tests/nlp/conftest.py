"""The classifier is built once for all nlp tests (jieba's dictionary takes most of a second)."""

import pytest

from nlp.classifier import Classifier, default_classifier


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return default_classifier()
