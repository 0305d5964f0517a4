"""Training the fallback: softmax regression on character n-grams, full-batch Adam in NumPy (no scikit-learn)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from nlp.corpus import LABELS, packaged
from nlp.fallback import Fallback
from nlp.features import ngrams
from nlp.normalise import normalise


def _vocabulary(docs: Sequence[set[str]], min_df: int) -> dict[str, int]:
    df: Counter[str] = Counter()
    for grams in docs:
        df.update(grams)
    kept = sorted(g for g, n in df.items() if n >= min_df)
    return {g: i for i, g in enumerate(kept)}


def fit(
    examples: Sequence[tuple[str, str]],
    *,
    epochs: int = 300,
    learning_rate: float = 0.05,
    l2: float = 1e-4,
    min_df: int = 2,
    seed: int = 0,
) -> Fallback:
    """A model for (text, label) pairs. Deterministic for a given seed and input order."""
    docs = [ngrams(normalise(text)) for text, _ in examples]
    vocab = _vocabulary(docs, min_df)
    classes = tuple(c for c in LABELS if any(label == c for _, label in examples))
    col = {c: i for i, c in enumerate(classes)}
    x = np.zeros((len(docs), len(vocab)), dtype=np.float32)
    for r, grams in enumerate(docs):
        idx = [vocab[g] for g in grams if g in vocab]
        if idx:
            x[r, idx] = 1.0 / np.sqrt(len(idx))
    y = np.zeros((len(docs), len(classes)), dtype=np.float32)
    for r, (_, label) in enumerate(examples):
        y[r, col[label]] = 1.0
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 0.01, (len(vocab), len(classes))).astype(np.float32)
    b = np.zeros(len(classes), dtype=np.float32)
    params = [w, b]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        delta = (probs - y) / len(docs)
        grads = [x.T @ delta + l2 * w, delta.sum(axis=0)]
        for p, g, (m, v) in zip(params, grads, moments, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    # drop n-grams that say nothing: the file and the index stay small
    keep = np.abs(w).max(axis=1) >= 0.02
    kept_grams = [g for g, i in sorted(vocab.items(), key=lambda kv: kv[1]) if keep[i]]
    index = {g: i for i, g in enumerate(kept_grams)}
    return Fallback(classes, index, w[keep].astype(np.float32), b.astype(np.float64))


def train(rows: Iterable[tuple[str, str]], *, include_corpus: bool = True) -> Fallback:
    """The fallback rebuilt from the packaged corpus plus extra (text, category) rows (staff corrections)."""
    extra = [(t, c) for t, c in rows if c in LABELS and t.strip()]
    base = [(e.text, e.category) for e in packaged()] if include_corpus else []
    # a correction outranks the corpus: it is what staff decided for this group's own wording
    return fit([*base, *extra, *extra])
