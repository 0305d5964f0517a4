"""Training the learned model: L2-regularised multinomial logistic regression (scikit-learn, a development
dependency) on character n-grams; the runtime reads the exported weights with NumPy (nlp/fallback.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from nlp.corpus import LABELS, Example, packaged
from nlp.fallback import NONE, Fallback
from nlp.features import features
from nlp.normalise import normalise

TRAINING_FILES = (
    "corpus.jsonl",
    "corpus_styles.jsonl",
    "corpus_extra.jsonl",
    "corpus_writer3.jsonl",
    "corpus_writer4.jsonl",
    "corpus_writer5.jsonl",
    "corpus_writer6.jsonl",
)  # never heldout*.jsonl: those measure


def _vocabulary(docs: Sequence[set[str]], min_df: int) -> dict[str, int]:
    df: Counter[str] = Counter()
    for grams in docs:
        df.update(grams)
    kept = sorted(g for g, n in df.items() if n >= min_df)
    return {g: i for i, g in enumerate(kept)}


WORD_FEATURES = False  # jieba's words besides the character n-grams (nlp/features.py)


def fit(
    examples: Sequence[tuple[str, str]],
    *,
    c: float = 16.0,  # leave-one-writer-out on the training writers: 16 beat 2, 4 and 8 on recall and category
    # the emergency model keeps its own: its alarm (0.5) and veto (0.02) thresholds were cross-validated at 4
    urgent_c: float = 4.0,
    min_df: int = 2,
    max_iter: int = 2000,
    words: bool = WORD_FEATURES,
    urgent: Sequence[bool] | None = None,
) -> Fallback:
    """A model for (text, label) pairs, and for emergencies where `urgent` says which are (one flag a pair).
    Deterministic: lbfgs has no randomness, the vocabulary is sorted."""
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    docs = [features(normalise(text), with_words=words) for text, _ in examples]
    vocab = _vocabulary(docs, min_df)
    classes = tuple(c for c in LABELS if any(label == c for _, label in examples))
    rows, cols, vals = [], [], []
    for r, grams in enumerate(docs):
        idx = sorted(vocab[g] for g in grams if g in vocab)
        # binary features scaled to unit length, as the runtime scores them
        rows.extend([r] * len(idx))
        cols.extend(idx)
        vals.extend([1.0 / np.sqrt(len(idx))] * len(idx))
    x = csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float64)
    y = np.array([classes.index(label) for _, label in examples])
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-6)
    model.fit(x, y)
    coef = model.coef_.T if len(classes) > 2 else np.hstack([-model.coef_.T / 2, model.coef_.T / 2])
    bias = model.intercept_ if len(classes) > 2 else np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
    vocab_grams = sorted(vocab, key=lambda g: vocab[g])
    ticket: dict[str, float] = {}
    ticket_bias = 0.0
    is_ticket = np.array([label != NONE for _, label in examples])
    if NONE in classes and is_ticket.any() and not is_ticket.all():
        binary = LogisticRegression(C=c, max_iter=max_iter, tol=1e-6)
        binary.fit(x, is_ticket)
        ticket = {g: float(w) for g, w in zip(vocab_grams, binary.coef_[0], strict=True)}
        ticket_bias = float(binary.intercept_[0])
    urgent_weights: dict[str, float] = {}
    urgent_bias = 0.0
    flags = np.array(list(urgent) if urgent is not None else [], dtype=bool)
    if len(flags) == len(examples) and flags.any() and not flags.all():
        emergency = LogisticRegression(C=urgent_c, max_iter=max_iter, tol=1e-6)
        emergency.fit(x, flags)
        urgent_weights = {g: float(w) for g, w in zip(vocab_grams, emergency.coef_[0], strict=True)}
        urgent_bias = float(emergency.intercept_[0])
    # every n-gram of the vocabulary stays: each one counts in the unit-length scaling at run time
    return Fallback.build(
        classes,
        vocab,
        coef.astype(np.float32),
        bias.astype(np.float64),
        ticket,
        ticket_bias,
        words=words,
        urgent_weights=urgent_weights,
        urgent_bias=urgent_bias,
    )


def corpus_examples() -> list[Example]:
    return [e for name in TRAINING_FILES for e in packaged(name)]


def corpus_rows() -> list[tuple[str, str]]:
    return [(e.text, e.category) for e in corpus_examples()]


def train(rows: Iterable[tuple[str, str]], *, include_corpus: bool = True) -> Fallback:
    """The model rebuilt from the packaged training corpus plus extra (text, category) rows (staff corrections).
    A correction says nothing of urgency: it counts as no emergency (the detector's patterns still read it)."""
    extra = [(t, c) for t, c in rows if c in LABELS and t.strip()]
    base = corpus_examples() if include_corpus else []
    # a correction outranks the corpus: it is what staff decided for this group's own wording
    examples = [*((e.text, e.category) for e in base), *extra, *extra]
    return fit(examples, urgent=[*(e.urgency == "urgent" for e in base), *[False] * (2 * len(extra))])
