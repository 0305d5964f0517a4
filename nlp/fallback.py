"""The learned model: logistic regressions over character n-grams, trained offline (nlp/train.py).

Three parts, all in nlp/data/model.npz (written by `gridbot nlp train`):
- a binary one, ticket or not: one weight per n-gram, held in a plain dict and scored with a Python sum —
  it is asked about every message the rules are unsure of, so it costs a few dict lookups, no NumPy;
- a binary one, emergency or not (the same dict holds its weight beside the ticket one): the emergency
  detector's patterns are checked by it, and it speaks where they are silent (nlp/classifier.py);
- a multinomial one over the categories (an n-grams × classes matrix), scored with one NumPy sum, and only
  where a category has to be guessed.
Features are the distinct n-grams of the normalised text, scaled to unit length, exactly as in training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO

import numpy as np

from nlp.features import features

MODEL_FILE = "model.npz"
NONE = "none"


@dataclass(frozen=True, slots=True)
class Fallback:
    classes: tuple[str, ...]
    # n-gram of the training vocabulary → (its row of the multinomial matrix, its ticket weight, its emergency
    # weight): one dict lookup per n-gram serves all three models, and the process holds one dict, not three
    lookup: dict[str, tuple[int, float, float]]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    ticket_bias: float = 0.0
    binary: bool = True  # False: no binary model, P(ticket) is 1 − P(none) of the multinomial one
    words: bool = False  # trained with jieba's words besides the character n-grams (nlp/features.py)
    urgent_bias: float = 0.0
    urgent: bool = False  # False: no emergency model (one trained before it, or on data without emergencies)

    @classmethod
    def build(
        cls,
        classes: tuple[str, ...],
        index: dict[str, int],
        weights: np.ndarray,
        bias: np.ndarray,
        ticket_weights: dict[str, float],
        ticket_bias: float,
        *,
        words: bool = False,
        urgent_weights: dict[str, float] | None = None,
        urgent_bias: float = 0.0,
    ) -> Fallback:
        urgent = urgent_weights or {}
        lookup = {g: (row, ticket_weights.get(g, 0.0), urgent.get(g, 0.0)) for g, row in index.items()}
        return cls(classes, lookup, weights, bias, ticket_bias, bool(ticket_weights), words, urgent_bias, bool(urgent))

    @property
    def index(self) -> dict[str, int]:
        return {g: row for g, (row, _, _) in self.lookup.items()}

    @property
    def ticket_weights(self) -> dict[str, float]:
        return {g: w for g, (_, w, _) in self.lookup.items()} if self.binary else {}

    def present(self, normalised: str) -> list[tuple[int, float, float]]:
        """The message's features known to the model, computed once and handed to both scorers."""
        lookup = self.lookup
        # one dict probe per n-gram (map(get) rather than `in` then `[]`)
        return [v for v in map(lookup.get, features(normalised, with_words=self.words)) if v is not None]

    def probabilities(self, normalised: str, present: list[tuple[int, float, float]] | None = None) -> dict[str, float]:
        """P(class) for every class (NumPy: one sum over the rows of the n-grams present)."""
        rows = [row for row, _, _ in (self.present(normalised) if present is None else present)]
        logits = self.bias.copy()
        if rows:
            # binary features scaled to unit length, as in training
            logits += self.weights[rows].sum(axis=0) / np.sqrt(len(rows))
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return {c: float(p) for c, p in zip(self.classes, probs, strict=True)}

    def ticket_probability(self, normalised: str, present: list[tuple[int, float, float]] | None = None) -> float:
        """P(a ticket) from the binary model (a Python sum); without one, 1 − P(none) of the multinomial one."""
        if not self.binary:
            return 1.0 - self.probabilities(normalised, present).get(NONE, 0.0)
        weights = [w for _, w, _ in (self.present(normalised) if present is None else present)]
        return _sigmoid(self.ticket_bias, weights)

    def urgent_probability(
        self, normalised: str, present: list[tuple[int, float, float]] | None = None
    ) -> float | None:
        """P(an emergency) from the emergency model; None without one."""
        if not self.urgent:
            return None
        return _sigmoid(self.urgent_bias, [u for _, _, u in (self.present(normalised) if present is None else present)])

    def dump(self, path: Path) -> None:
        """One NumPy archive (written to exactly `path`): class names, n-grams, weights, biases."""
        grams = sorted(self.lookup, key=lambda g: self.lookup[g][0])
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                classes=np.array(self.classes),
                grams=np.frombuffer("\n".join(grams).encode("utf-8"), dtype=np.uint8),
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float64),
                ticket=np.array([self.lookup[g][1] for g in grams], dtype=np.float32),
                urgent=np.array([self.lookup[g][2] for g in grams], dtype=np.float32),
                urgent_bias=np.array([self.urgent_bias]),
                has_urgent=np.array([self.urgent]),
                binary=np.array([self.binary]),
                words=np.array([self.words]),
                ticket_bias=np.array([self.ticket_bias]),
            )

    @classmethod
    def read(cls, fh: IO[bytes]) -> Fallback:
        with np.load(fh, allow_pickle=False) as data:
            classes = tuple(str(c) for c in data["classes"])
            # n-grams as one UTF-8 blob: reading 40,000 short strings from a NumPy string array is slow
            grams = data["grams"].tobytes().decode("utf-8").split("\n") if data["grams"].size else []
            ticket = data["ticket"].tolist()
            binary = bool(data["binary"][0]) if "binary" in data else bool(any(ticket))
            words = bool(data["words"][0]) if "words" in data else False  # a model from before word features
            has_urgent = "has_urgent" in data and bool(data["has_urgent"][0])  # …or before the emergency model
            urgent = data["urgent"].tolist() if has_urgent else [0.0] * len(ticket)
            urgent_bias = float(data["urgent_bias"][0]) if has_urgent else 0.0
            lookup = {g: (row, w, u) for row, (g, w, u) in enumerate(zip(grams, ticket, urgent, strict=True))}
            return cls(
                classes,
                lookup,
                data["weights"],
                data["bias"],
                float(data["ticket_bias"][0]),
                binary,
                words,
                urgent_bias,
                has_urgent,
            )

    @classmethod
    def load(cls, path: Path | None = None) -> Fallback | None:
        """The model at `path`, or the packaged one; None if there is none yet (the rules then work alone)."""
        try:
            if path is not None:
                with path.open("rb") as fh:
                    return cls.read(fh)
            with resources.files("nlp").joinpath("data", MODEL_FILE).open("rb") as fh:
                return cls.read(fh)
        except FileNotFoundError:
            return None


def _sigmoid(bias: float, weights: list[float]) -> float:
    """A binary model's probability: binary features scaled to unit length, as in training."""
    score = bias + (math.fsum(weights) / math.sqrt(len(weights)) if weights else 0.0)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))
