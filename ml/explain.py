"""Which words pushed a prediction toward its label, and which pushed against it.

Exact and deterministic: a feature's contribution to a label's score is its
tf-idf value times the label's coefficient. Character n-gram contributions are
handed to the words they came from (split evenly when an n-gram occurs in
several words), so users see words, not fragments like "ngr". The word and
phrase contributions of one row, summed, equal the row's linear score for the
label minus the intercept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from ml.text import normalize_text

_EDGE_PUNCTUATION = ".,;:!?\"()[]{}<>*~-_"
MIN_SHOWN_WEIGHT = 0.005  # smaller contributions round to 0.00 and would only confuse a reader


@dataclass(frozen=True)
class Term:
    """A word or phrase and how much it moved the score (positive = toward)."""

    text: str
    source: str  # "message" or "context"
    weight: float

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "source": self.source, "weight": round(self.weight, 4)}


@dataclass(frozen=True)
class Evidence:
    toward: tuple[Term, ...]
    against: tuple[Term, ...]

    def to_dict(self) -> dict[str, list[dict[str, object]]]:
        return {"toward": [t.to_dict() for t in self.toward], "against": [t.to_dict() for t in self.against]}


class Explainer:
    """Per-model lookup tables, built once so each explanation is cheap."""

    def __init__(self, pipeline: Pipeline) -> None:
        features = pipeline.named_steps["features"]
        coef = pipeline.named_steps["clf"].coef_
        # Binary logistic regression stores one row for classes_[1]; class 0 is its mirror.
        self._coef = np.vstack([-coef, coef]) if coef.shape[0] == 1 else coef
        self._names = features.get_feature_names_out()
        self._slices = features.output_indices_
        char = features.named_transformers_.get("message_char")
        self._char_vocab = char.vocabulary_ if char is not None else {}
        self._char_analyzer = char.build_analyzer() if char is not None else None
        self._char_offset = self._slices["message_char"].start if char is not None else 0

    def _block(self, column: int) -> str:
        for name, block in self._slices.items():
            if block.start <= column < block.stop:
                return name
        raise IndexError(column)

    def contributions(self, message: str, row: sp.spmatrix, class_index: int) -> dict[tuple[str, str], float]:
        """Contribution per (source, word or phrase) to the score of one label."""
        row = sp.csr_matrix(row)
        weights = dict(zip(row.indices, row.data * self._coef[class_index, row.indices], strict=True))
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for column, weight in weights.items():
            block = self._block(column)
            if block == "message_char":
                continue  # assigned to words below
            name = self._names[column].split("__", 1)[1]
            totals[("context" if block == "context" else "message", name)] += weight
        if self._char_analyzer is not None:
            words = normalize_text(message).split()
            grams_per_word = [Counter(self._char_analyzer(word)) for word in words]
            occurrences = sum(grams_per_word, Counter())
            for word, grams in zip(words, grams_per_word, strict=True):
                shown = word.strip(_EDGE_PUNCTUATION) or word
                for gram, count in grams.items():
                    column = self._char_vocab.get(gram)
                    if column is not None and column + self._char_offset in weights:
                        totals[("message", shown)] += weights[column + self._char_offset] * count / occurrences[gram]
        return dict(totals)

    def evidence(self, message: str, row: sp.spmatrix, class_index: int, k: int = 6) -> Evidence:
        """The ``k`` strongest terms toward and against one label, ordered by strength."""
        terms = [Term(text, source, float(weight)) for (source, text), weight in
                 self.contributions(message, row, class_index).items() if abs(weight) >= MIN_SHOWN_WEIGHT]
        toward = sorted((t for t in terms if t.weight > 0), key=lambda t: (-t.weight, t.source, t.text))
        against = sorted((t for t in terms if t.weight < 0), key=lambda t: (t.weight, t.source, t.text))
        return Evidence(tuple(toward[:k]), tuple(against[:k]))
