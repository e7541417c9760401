"""The model: one scikit-learn Pipeline from raw columns to probabilities.

Normalisation lives inside the vectorizers (``preprocessor=normalize_text``), so
the fitted pipeline is the whole recipe and prediction cannot drift from training.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ml.text import TOKEN_PATTERN, normalize_text


@dataclass(frozen=True)
class Settings:
    """The choices cross-validation makes, and nothing else.

    Defaults are the values the CV search picked on the meaning data; they
    serve quick fits in tests and benchmarks without re-running the search.
    """

    C: float = 30.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    class_weight: str | None = "balanced"
    use_context: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known}
        return cls(**cleaned)

    def describe(self) -> str:
        context = "on" if self.use_context else "off"
        return (f"C={self.C:g} word={self.word_ngrams} char={self.char_ngrams} "
                f"class_weight={self.class_weight} context={context}")


def _tfidf(**kwargs: Any) -> TfidfVectorizer:
    # sublinear tf: a word typed twice is a bit stronger, not twice as strong.
    return TfidfVectorizer(preprocessor=normalize_text, sublinear_tf=True, **kwargs)


def build_pipeline(settings: Settings, seed: int) -> Pipeline:
    """An unfitted pipeline: TF-IDF features of message (and context) -> logistic regression.

    Word n-grams catch phrases ("hey stranger", "u up"); char_wb n-grams within
    words survive typos, slang spellings and elongations ("mis u", "stranger!!").
    The context gets its own vocabulary so "ghosted" in the context and in the
    message can carry different weights.
    """
    transformers = [
        ("message_word", _tfidf(token_pattern=TOKEN_PATTERN, ngram_range=settings.word_ngrams), "message"),
        ("message_char", _tfidf(analyzer="char_wb", ngram_range=settings.char_ngrams, min_df=2), "message"),
    ]
    if settings.use_context:
        transformers.append(("context", _tfidf(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2)), "context"))
    return Pipeline([
        ("features", ColumnTransformer(transformers)),
        ("clf", LogisticRegression(C=settings.C, class_weight=settings.class_weight,
                                   max_iter=3000, random_state=seed)),
    ])


MESSAGE_BLOCKS = ("message_word", "message_char")


def known_message_rows(pipeline: Pipeline, features: sp.spmatrix) -> np.ndarray:
    """True for rows whose message has at least one word or character n-gram in the vocabulary.

    A message with none (Hebrew text to an English model, a lone emoji the data
    never used) is scored from the intercept and the context alone, so its
    answer must not be shown as confident.
    """
    blocks = pipeline.named_steps["features"].output_indices_
    columns = np.concatenate([np.arange(blocks[name].start, blocks[name].stop) for name in MESSAGE_BLOCKS
                              if name in blocks])
    return np.asarray(sp.csr_matrix(features)[:, columns].getnnz(axis=1) > 0)
