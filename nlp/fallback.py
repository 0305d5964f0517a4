"""The learned fallback: a multinomial logistic regression over character n-grams, scored with NumPy.

The weights live in a plain TSV under nlp/data/ (written by `gridbot nlp train`), one n-gram per line:
`ngram<TAB>w_class1 w_class2 …`; the first two lines hold the class names and the biases.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from nlp.features import ngrams

MODEL_FILE = "fallback_model.tsv"


@dataclass(frozen=True, slots=True)
class Fallback:
    classes: tuple[str, ...]
    index: dict[str, int]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)

    def probabilities(self, normalised: str) -> dict[str, float]:
        rows = [self.index[g] for g in ngrams(normalised) if g in self.index]
        logits = self.bias.copy()
        if rows:
            # binary features scaled to unit length, as in training
            logits += self.weights[rows].sum(axis=0) / np.sqrt(len(rows))
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return {c: float(p) for c, p in zip(self.classes, probs, strict=True)}

    def dump(self, path: Path) -> None:
        lines = ["#classes\t" + "\t".join(self.classes), "#bias\t" + " ".join(f"{b:.4g}" for b in self.bias)]
        by_row = sorted(self.index.items(), key=lambda kv: kv[1])
        for gram, row in by_row:
            lines.append(gram + "\t" + " ".join(f"{w:.3g}" for w in self.weights[row]))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def parse(cls, text: str) -> Fallback:
        lines = text.splitlines()
        classes = tuple(lines[0].split("\t")[1:])
        bias = np.array([float(x) for x in lines[1].split("\t", 1)[1].split()], dtype=np.float64)
        index: dict[str, int] = {}
        rows: list[list[float]] = []
        for line in lines[2:]:
            gram, _, values = line.partition("\t")
            index[gram] = len(rows)
            rows.append([float(x) for x in values.split()])
        weights = np.array(rows, dtype=np.float32).reshape(len(rows), len(classes))
        return cls(classes, index, weights, bias)

    @classmethod
    def load(cls, path: Path | None = None) -> Fallback | None:
        """The model at `path`, or the packaged one; None if there is none yet (the rules then work alone)."""
        try:
            if path is not None:
                return cls.parse(path.read_text(encoding="utf-8"))
            return cls.parse(resources.files("nlp").joinpath("data", MODEL_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
