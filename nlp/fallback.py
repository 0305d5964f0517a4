"""The learned model: logistic regressions over character n-grams, trained offline (nlp/train.py).

Two parts, both in nlp/data/model.npz (written by `gridbot nlp train`):
- a binary one, ticket or not: one weight per n-gram, held in a plain dict and scored with a Python sum —
  it is asked about every message the rules are unsure of, so it costs a few dict lookups, no NumPy;
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

from nlp.features import ngrams

MODEL_FILE = "model.npz"
NONE = "none"


@dataclass(frozen=True, slots=True)
class Fallback:
    classes: tuple[str, ...]
    # n-gram of the training vocabulary → (its row of the multinomial matrix, its binary weight): one dict
    # lookup per n-gram serves both models, and the process holds one dict, not two
    lookup: dict[str, tuple[int, float]]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    ticket_bias: float = 0.0
    binary: bool = True  # False: no binary model, P(ticket) is 1 − P(none) of the multinomial one

    @classmethod
    def build(
        cls,
        classes: tuple[str, ...],
        index: dict[str, int],
        weights: np.ndarray,
        bias: np.ndarray,
        ticket_weights: dict[str, float],
        ticket_bias: float,
    ) -> Fallback:
        lookup = {g: (row, ticket_weights.get(g, 0.0)) for g, row in index.items()}
        return cls(classes, lookup, weights, bias, ticket_bias, bool(ticket_weights))

    @property
    def index(self) -> dict[str, int]:
        return {g: row for g, (row, _) in self.lookup.items()}

    @property
    def ticket_weights(self) -> dict[str, float]:
        return {g: w for g, (_, w) in self.lookup.items()} if self.binary else {}

    def present(self, normalised: str) -> list[tuple[int, float]]:
        """The message's features known to the model, computed once and handed to both scorers."""
        lookup = self.lookup
        return [lookup[g] for g in ngrams(normalised) if g in lookup]

    def probabilities(self, normalised: str, present: list[tuple[int, float]] | None = None) -> dict[str, float]:
        """P(class) for every class (NumPy: one sum over the rows of the n-grams present)."""
        rows = [row for row, _ in (self.present(normalised) if present is None else present)]
        logits = self.bias.copy()
        if rows:
            # binary features scaled to unit length, as in training
            logits += self.weights[rows].sum(axis=0) / np.sqrt(len(rows))
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return {c: float(p) for c, p in zip(self.classes, probs, strict=True)}

    def ticket_probability(self, normalised: str, present: list[tuple[int, float]] | None = None) -> float:
        """P(a ticket) from the binary model (a Python sum); without one, 1 − P(none) of the multinomial one."""
        if not self.binary:
            return 1.0 - self.probabilities(normalised, present).get(NONE, 0.0)
        weights = [w for _, w in (self.present(normalised) if present is None else present)]
        score = self.ticket_bias + (math.fsum(weights) / math.sqrt(len(weights)) if weights else 0.0)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

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
                binary=np.array([self.binary]),
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
            lookup = {g: (row, w) for row, (g, w) in enumerate(zip(grams, ticket, strict=True))}
            return cls(classes, lookup, data["weights"], data["bias"], float(data["ticket_bias"][0]), binary)

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
