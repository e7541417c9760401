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
# Rows explained together: the batch's arrays (about ten per character n-gram occurrence) stay near 30 MB
# whatever the caller's batch, and rows are independent, so the answers do not depend on it.
ROWS_AT_ONCE = 1_000
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


@dataclass(frozen=True)
class _TermTotals:
    """Every row's total contribution per term, as parallel arrays sorted by row then term id.

    A term id below ``len(base_keys)`` is one of the model's (a column's word or
    phrase, or an embedding block's one term); above it, a word of this batch
    that character n-grams were handed to and the model has no column for.
    """

    row_count: int
    rows: np.ndarray
    terms: np.ndarray
    weights: np.ndarray
    base_keys: Sequence[tuple[str, str]]
    batch_words: Sequence[str]

    def key(self, term: int) -> tuple[str, str]:
        """The term's (source, text)."""
        base = len(self.base_keys)
        return self.base_keys[term] if term < base else ("message", self.batch_words[term - base])

    @property
    def count(self) -> int:
        return len(self.base_keys) + len(self.batch_words)


class Explainer:
    """Per-model lookup tables, built once, so a batch's evidence is a few array operations per batch
    rather than per row."""

    def __init__(self, pipeline: Pipeline) -> None:
        features = feature_step(pipeline)
        self._coef = class_coefficients(classifier_step(pipeline))
        # Every word or phrase column, and each embedding block as a whole, is one term, keyed by (source, text):
        # "message_word__hey stranger" -> ("message", "hey stranger"); -1 marks a character n-gram column.
        names = features.get_feature_names_out()
        self._column_term = np.full(len(names), -1, dtype=np.int64)
        self._term_ids: dict[tuple[str, str], int] = {}
        char_columns = slice(0, 0)
        for block_name, block in feature_blocks(features).items():
            if block_name == MESSAGE_CHAR:
                char_columns = block
            elif block_name in DENSE_TERMS:
                self._column_term[block] = self._term_ids.setdefault(DENSE_TERMS[block_name], len(self._term_ids))
            else:
                source = "context" if block_name == CONTEXT_WORD else "message"
                self._column_term[block] = [self._term_ids.setdefault((source, name.split("__", 1)[1]),
                                                                      len(self._term_ids))
                                            for name in names[block]]
        self._term_keys = list(self._term_ids)
        self._is_char = self._column_term < 0
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
        totals = self._term_totals([message], row, np.array([class_index]))
        return {totals.key(term): weight for term, weight in zip(totals.terms.tolist(), totals.weights.tolist(),
                                                                  strict=True)}

    def _term_totals(self, messages: Sequence[str], matrix: sp.spmatrix, class_indices: np.ndarray) -> _TermTotals:
        """Sum every row's feature contributions (tf-idf value times its class's coefficient) per term.

        Word, phrase and embedding columns go to their own term; character
        n-grams go to the words they occur in (see :meth:`_char_word_totals`).
        One ``bincount`` over (row, term) sums the whole batch.
        """
        matrix = sp.csr_matrix(matrix)
        if not matrix.has_sorted_indices:  # the (row, column) look-up below binary-searches them
            matrix = matrix.sorted_indices()
        row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        products = matrix.data * self._coef[np.asarray(class_indices)[row_of], matrix.indices]
        direct = ~self._is_char[matrix.indices]
        rows, terms, weights = [row_of[direct]], [self._column_term[matrix.indices[direct]]], [products[direct]]
        batch_words: list[str] = []
        if self._word_grams is not None and not direct.all():
            word_rows, words, word_weights = self._char_word_totals(self._word_grams, messages, matrix, row_of,
                                                                    products)
            rows.append(word_rows)
            terms.append(self._word_term_ids(words, batch_words))
            weights.append(word_weights)
        count = len(self._term_keys) + len(batch_words)
        unique, inverse = np.unique(np.concatenate(rows) * count + np.concatenate(terms), return_inverse=True)
        return _TermTotals(matrix.shape[0], unique // count, unique % count,
                           np.bincount(inverse, np.concatenate(weights)), self._term_keys, batch_words)

    def _word_term_ids(self, words: Sequence[str], batch_words: list[str]) -> np.ndarray:
        """Each word's term id: the model's own for a word it has a column for ("miss"), otherwise a
        new id past the model's, appending the word to ``batch_words`` the first time it is seen."""
        new_ids: dict[str, int] = {}
        ids = np.empty(len(words), dtype=np.int64)
        for i, word in enumerate(words):
            term = self._term_ids.get(("message", word))
            if term is None:
                term = new_ids.get(word)
                if term is None:
                    term = new_ids[word] = len(self._term_keys) + len(batch_words)
                    batch_words.append(word)
            ids[i] = term
        return ids

    @staticmethod
    def _char_word_totals(word_grams: Callable[[str], tuple[np.ndarray, np.ndarray]], messages: Sequence[str],
                          matrix: sp.csr_matrix, row_of: np.ndarray,
                          products: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Character n-gram contributions handed to words: (row, word, weight) for each word of each row
        that holds a known n-gram. An n-gram occurring in several words of a row is split between them by
        occurrence count; its weight is looked up by (row, column) in the batch's sorted entries."""
        words_per_row = [normalize_text(message).split() for message in messages]
        words = [word for row_words in words_per_row for word in row_words]
        if not words:
            return np.zeros(0, dtype=np.int64), [], np.zeros(0)
        grams = [word_grams(word) for word in words]
        gram_columns = np.concatenate([g[0] for g in grams])
        gram_counts = np.concatenate([g[1] for g in grams])
        owner = np.repeat(np.arange(len(words)), [len(g[0]) for g in grams])
        word_row = np.repeat(np.arange(len(words_per_row)), [len(row_words) for row_words in words_per_row])
        width = matrix.shape[1]
        gram_key = word_row[owner] * width + gram_columns
        _, inverse = np.unique(gram_key, return_inverse=True)
        occurrences = np.bincount(inverse, weights=gram_counts)[inverse]
        entry_key = row_of * width + matrix.indices  # ascending: rows in order, columns sorted within each
        at = np.minimum(np.searchsorted(entry_key, gram_key), len(entry_key) - 1)
        found = entry_key[at] == gram_key
        per_word = np.bincount(owner, weights=np.where(found, products[at], 0.0) * gram_counts / occurrences,
                               minlength=len(words))
        present = np.zeros(len(words), dtype=bool)
        present[owner[found]] = True
        kept = np.flatnonzero(present)
        return (word_row[kept], [words[i].strip(_EDGE_PUNCTUATION) or words[i] for i in kept.tolist()],
                per_word[kept])

    def evidence_rows(self, messages: Sequence[str], matrix: sp.spmatrix, class_indices: np.ndarray,
                      k: int = 6) -> list[Evidence]:
        """The ``k`` strongest terms toward and against each row's class (``class_indices``), ordered by
        strength, ties by (source, text); terms under MIN_SHOWN_WEIGHT either way are left out."""
        matrix, class_indices = sp.csr_matrix(matrix), np.asarray(class_indices)
        evidence: list[Evidence] = []
        for start in range(0, len(messages), ROWS_AT_ONCE):
            rows = slice(start, start + ROWS_AT_ONCE)
            totals = self._term_totals(messages[rows], matrix[rows], class_indices[rows])
            toward = self._strongest(totals, totals.weights >= MIN_SHOWN_WEIGHT, -1.0, k)
            against = self._strongest(totals, totals.weights <= -MIN_SHOWN_WEIGHT, 1.0, k)
            evidence += [Evidence(tuple(toward[row]), tuple(against[row])) for row in range(totals.row_count)]
        return evidence

    @staticmethod
    def _strongest(totals: _TermTotals, shown: np.ndarray, sign: float, k: int) -> dict[int, list[Term]]:
        """Each row's first ``k`` shown terms by ``sign * weight``, then (source, text); rows without any are absent."""
        picked = np.flatnonzero(shown)
        terms = totals.terms[picked]
        present = np.unique(terms).tolist()
        alphabetical = np.empty(totals.count, dtype=np.int64)
        alphabetical[sorted(present, key=totals.key)] = np.arange(len(present))
        order = picked[np.lexsort((alphabetical[terms], sign * totals.weights[picked], totals.rows[picked]))]
        rows = totals.rows[order]
        rank = np.arange(len(order)) - np.searchsorted(rows, rows)
        chosen: dict[int, list[Term]] = defaultdict(list)
        for row, term, weight in zip(rows[rank < k].tolist(), totals.terms[order[rank < k]].tolist(),
                                     totals.weights[order[rank < k]].tolist(), strict=True):
            source, text = totals.key(term)
            chosen[row].append(Term(text, source, weight))
        return chosen
