"""Which words pushed a prediction toward its label, and which pushed against it.

Exact and deterministic: a feature's contribution to a label's score is its
tf-idf value times the label's coefficient. Character n-gram contributions are
handed to the words they came from (split evenly when an n-gram occurs in
several words), so users see words, not fragments like "ngr". A sentence
embedding has no words to hand its dimensions to, so each embedding block's
total is shown as one term ("overall wording (embedding)", "situation
(embedding)"). The contributions of one row, summed, equal the row's linear
score for the label minus the intercept.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ml.pipeline import (
    CONTEXT_EMBEDDING,
    CONTEXT_WORD,
    MESSAGE_CHAR,
    MESSAGE_EMBEDDING,
    classifier_step,
    feature_blocks,
    feature_step,
)
from ml.text import normalize_text

_EDGE_PUNCTUATION = ".,;:!?\"()[]{}<>*~-_"
MIN_SHOWN_WEIGHT = 0.005  # smaller contributions round to 0.00 and would only confuse a reader
# Each embedding block's dimensions, summed, as one term: (source, text).
DENSE_TERMS = {MESSAGE_EMBEDDING: ("message", "overall wording (embedding)"),
               CONTEXT_EMBEDDING: ("context", "situation (embedding)")}


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
        features = feature_step(pipeline)
        self._coef = class_coefficients(classifier_step(pipeline))
        # Display name and source of every column, e.g. "message_word__hey stranger" -> ("message", "hey stranger").
        self._terms = [name.split("__", 1)[1] for name in features.get_feature_names_out()]
        self._sources = np.empty(len(self._terms), dtype=object)
        char_columns = slice(0, 0)
        self._is_dense = np.zeros(len(self._terms), dtype=bool)
        self._dense_id = np.zeros(len(self._terms), dtype=np.int64)
        self._dense_terms: list[tuple[str, str]] = []
        for block_name, block in feature_blocks(features).items():
            self._sources[block] = "context" if block_name == CONTEXT_WORD else "message"
            if block_name == MESSAGE_CHAR:
                char_columns = block
            if block_name in DENSE_TERMS:
                self._is_dense[block] = True
                self._dense_id[block] = len(self._dense_terms)
                self._dense_terms.append(DENSE_TERMS[block_name])
        self._is_char = np.zeros(len(self._terms), dtype=bool)
        self._is_char[char_columns] = True
        char = features.named_transformers_.get(MESSAGE_CHAR)
        self._char_vocab = char.vocabulary_ if char is not None else {}
        self._char_offset = char_columns.start
        self._word_grams: Callable[[str], tuple[np.ndarray, np.ndarray]] | None = None
        if char is not None:
            analyze = char.build_analyzer()
            # Words repeat across messages ("miss", "u"), so each word's known n-grams are cached (read-only).
            self._word_grams = lru_cache(maxsize=65_536)(lambda word: self._known_grams(analyze(word)))

    def _known_grams(self, grams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """A word's character n-grams the model knows, as (column, count) arrays; unknown ones carry no weight."""
        counts = Counter(gram for gram in grams if gram in self._char_vocab)
        columns = np.fromiter((self._char_vocab[g] + self._char_offset for g in counts), dtype=np.int64,
                              count=len(counts))
        return columns, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))

    def contributions(self, message: str, row: sp.spmatrix, class_index: int) -> dict[tuple[str, str], float]:
        """Contribution per (source, word or phrase) to the score of one label."""
        row = sp.csr_matrix(row).sorted_indices()
        return self._totals(message, row.indices, row.data * self._coef[class_index, row.indices])

    def _totals(self, message: str, columns: np.ndarray, products: np.ndarray) -> dict[tuple[str, str], float]:
        """Sum one row's feature contributions (``products`` at sorted ``columns``) per word or phrase.

        A character n-gram's weight goes to the words it occurs in, split by
        occurrence count, so one lookup per word replaces one per n-gram. An
        embedding block's dimensions are summed into its one term.
        """
        totals: dict[tuple[str, str], float] = defaultdict(float)
        is_char = self._is_char[columns]
        is_dense = self._is_dense[columns]
        if is_dense.any():
            sums = np.bincount(self._dense_id[columns[is_dense]], weights=products[is_dense],
                               minlength=len(self._dense_terms))
            for term, weight in zip(self._dense_terms, sums.tolist(), strict=True):
                totals[term] += weight
        plain = ~is_char & ~is_dense
        for column, weight in zip(columns[plain].tolist(), products[plain].tolist(), strict=True):
            totals[(self._sources[column], self._terms[column])] += weight
        if self._word_grams is None or not is_char.any():
            return dict(totals)
        words = normalize_text(message).split()
        grams = [self._word_grams(word) for word in words]
        gram_columns = np.concatenate([g[0] for g in grams])
        gram_counts = np.concatenate([g[1] for g in grams])
        owner = np.repeat(np.arange(len(words)), [len(g[0]) for g in grams])
        _, inverse = np.unique(gram_columns, return_inverse=True)
        occurrences = np.bincount(inverse, weights=gram_counts)[inverse]
        at = np.minimum(np.searchsorted(columns, gram_columns), len(columns) - 1)
        weight = np.where(columns[at] == gram_columns, products[at], 0.0) * gram_counts / occurrences
        per_word = np.bincount(owner, weights=weight, minlength=len(words))
        present = np.zeros(len(words), dtype=bool)
        present[owner[columns[at] == gram_columns]] = True
        for word, word_weight, seen in zip(words, per_word.tolist(), present.tolist(), strict=True):
            if seen:
                totals[("message", word.strip(_EDGE_PUNCTUATION) or word)] += word_weight
        return dict(totals)

    def evidence_rows(self, messages: Sequence[str], matrix: sp.spmatrix, class_indices: np.ndarray,
                      k: int = 6) -> list[Evidence]:
        """:meth:`evidence` for every row of a batch, with the coefficient products computed in one pass."""
        matrix = sp.csr_matrix(matrix).sorted_indices()  # _totals looks columns up by binary search
        row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        products = matrix.data * self._coef[np.asarray(class_indices)[row_of], matrix.indices]
        bounds = matrix.indptr
        return [self._strongest(self._totals(message, matrix.indices[bounds[i]:bounds[i + 1]],
                                             products[bounds[i]:bounds[i + 1]]), k)
                for i, message in enumerate(messages)]

    def evidence(self, message: str, row: sp.spmatrix, class_index: int, k: int = 6) -> Evidence:
        """The ``k`` strongest terms toward and against one label, ordered by strength."""
        return self._strongest(self.contributions(message, row, class_index), k)

    @staticmethod
    def _strongest(totals: dict[tuple[str, str], float], k: int) -> Evidence:
        # Sorted as plain tuples; Term objects only for the k shown on each side.
        toward = heapq.nsmallest(k, ((-w, source, text) for (source, text), w in totals.items()
                                     if w >= MIN_SHOWN_WEIGHT))
        against = heapq.nsmallest(k, ((w, source, text) for (source, text), w in totals.items()
                                      if w <= -MIN_SHOWN_WEIGHT))
        return Evidence(tuple(Term(text, source, -float(w)) for w, source, text in toward),
                        tuple(Term(text, source, float(w)) for w, source, text in against))
