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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
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


def class_coefficients(clf: LogisticRegression) -> np.ndarray:
    """One coefficient row per class, in ``clf.classes_`` order.

    Binary logistic regression stores a single row for ``classes_[1]``; class 0
    is its mirror, so it is added back to keep every caller class-indexed.
    """
    coef = clf.coef_
    return np.vstack([-coef, coef]) if coef.shape[0] == 1 else coef


def format_terms(terms: Sequence[Term], limit: int | None = None) -> str:
    """Terms as one readable line: "stranger" +0.66, "ghosted" (context) +0.47; "-" when empty."""
    return ", ".join(f"\"{t.text}\"{' (context)' if t.source == 'context' else ''} {t.weight:+.2f}"
                     for t in terms[:limit]) or "-"


class Explainer:
    """Per-model lookup tables, built once so each explanation is cheap."""

    def __init__(self, pipeline: Pipeline) -> None:
        features = pipeline.named_steps["features"]
        self._coef = class_coefficients(pipeline.named_steps["clf"])
        # Display name and source of every column, e.g. "message_word__hey stranger" -> ("message", "hey stranger").
        self._terms = [name.split("__", 1)[1] for name in features.get_feature_names_out()]
        self._sources = np.empty(len(self._terms), dtype=object)
        char_columns = slice(0, 0)
        for block_name, block in features.output_indices_.items():
            self._sources[block] = "context" if block_name == "context" else "message"
            if block_name == "message_char":
                char_columns = block
        self._is_char = np.zeros(len(self._terms), dtype=bool)
        self._is_char[char_columns] = True
        char = features.named_transformers_.get("message_char")
        self._char_vocab = char.vocabulary_ if char is not None else {}
        self._char_offset = char_columns.start
        self._word_grams: Callable[[str], Counter[str]] | None = None
        if char is not None:
            analyze = char.build_analyzer()
            # Words repeat across messages ("miss", "u"), so their n-grams are cached (read-only).
            self._word_grams = lru_cache(maxsize=65_536)(lambda word: Counter(analyze(word)))

    def contributions(self, message: str, row: sp.spmatrix, class_index: int) -> dict[tuple[str, str], float]:
        """Contribution per (source, word or phrase) to the score of one label."""
        row = sp.csr_matrix(row)
        products = row.data * self._coef[class_index, row.indices]
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for column, weight in zip(row.indices, products, strict=True):
            if not self._is_char[column]:  # char n-grams are assigned to their words below
                totals[(self._sources[column], self._terms[column])] += weight
        if self._word_grams is not None:
            char_weights = {column: weight for column, weight, is_char in
                            zip(row.indices, products, self._is_char[row.indices], strict=True) if is_char}
            words = normalize_text(message).split()
            grams_per_word = [self._word_grams(word) for word in words]
            occurrences: Counter[str] = Counter()
            for grams in grams_per_word:
                occurrences.update(grams)
            for word, grams in zip(words, grams_per_word, strict=True):
                shown = word.strip(_EDGE_PUNCTUATION) or word
                for gram, count in grams.items():
                    column = self._char_vocab.get(gram)
                    weight = char_weights.get(column + self._char_offset) if column is not None else None
                    if weight is not None:
                        totals[("message", shown)] += weight * count / occurrences[gram]
        return dict(totals)

    def evidence(self, message: str, row: sp.spmatrix, class_index: int, k: int = 6) -> Evidence:
        """The ``k`` strongest terms toward and against one label, ordered by strength."""
        terms = [Term(text, source, float(weight)) for (source, text), weight in
                 self.contributions(message, row, class_index).items() if abs(weight) >= MIN_SHOWN_WEIGHT]
        toward = sorted((t for t in terms if t.weight > 0), key=lambda t: (-t.weight, t.source, t.text))
        against = sorted((t for t in terms if t.weight < 0), key=lambda t: (t.weight, t.source, t.text))
        return Evidence(tuple(toward[:k]), tuple(against[:k]))
