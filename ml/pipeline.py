"""The model: one scikit-learn Pipeline from raw columns to probabilities.

Normalisation lives inside the vectorizers (``preprocessor=normalize_text``), so
the fitted pipeline is the whole recipe and prediction cannot drift from training.
Two feature sets: ``tfidf`` (the TF-IDF blocks) and ``hybrid`` (the same blocks
plus sentence-embedding blocks of message and context, :mod:`ml.embeddings`),
each block one named part of the same ColumnTransformer.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ml.embeddings import SentenceEmbedding
from ml.errors import MetadataError
from ml.records import Fields
from ml.text import TOKEN_PATTERN, normalize_text

MAX_NGRAM = 8  # longer n-grams than any search space holds; a saved value beyond it was edited in

# The pipeline's contract. Other modules reach its parts only through these names and the accessors below.
INPUT_COLUMNS = ("message", "context")
FEATURES_STEP, CLASSIFIER_STEP = "features", "clf"
MESSAGE_WORD, MESSAGE_CHAR, CONTEXT_WORD = "message_word", "message_char", "context"
MESSAGE_EMBEDDING, CONTEXT_EMBEDDING = "message_embedding", "context_embedding"
EMBEDDING_BLOCKS = (MESSAGE_EMBEDDING, CONTEXT_EMBEDDING)
TFIDF, HYBRID = "tfidf", "hybrid"
FEATURE_SETS = (TFIDF, HYBRID)
MAX_EMBEDDING_WEIGHT = 100.0


@dataclass(frozen=True)
class Settings:
    """What :func:`build_pipeline` needs: the feature set chosen at training time, and the choices
    cross-validation makes.

    Defaults are the values the CV search picked on the meaning data; they
    serve quick fits in tests and benchmarks without re-running the search.
    ``embedding_weight`` scales the dense blocks against the TF-IDF ones
    (ColumnTransformer ``transformer_weights``); it is None exactly for ``tfidf``.
    """

    C: float = 30.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 4)
    class_weight: str | None = "balanced"
    use_context: bool = True
    features: str = TFIDF
    embedding_weight: float | None = None

    def __post_init__(self) -> None:
        if self.features not in FEATURE_SETS:
            raise ValueError(f"features must be one of {', '.join(FEATURE_SETS)}, got {self.features!r}")
        if (self.features == HYBRID) != (self.embedding_weight is not None):
            raise ValueError("embedding_weight is set exactly for the hybrid feature set")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: object, where: str = "settings") -> Settings:
        """Settings read back from model metadata; raises MetadataError naming a bad or unknown field."""
        record = Fields(values, where)
        settings = cls(C=record.number("C", 0.0, 1e6, low_open=True),
                       word_ngrams=record.int_pair("word_ngrams", 1, MAX_NGRAM),
                       char_ngrams=record.int_pair("char_ngrams", 1, MAX_NGRAM),
                       class_weight=record.choice("class_weight", (None, "balanced")),
                       use_context=record.boolean("use_context"),
                       **_feature_fields(record))
        record.done()
        return settings

    def describe(self) -> str:
        context = "on" if self.use_context else "off"
        dense = f" embedding_weight={self.embedding_weight:g}" if self.embedding_weight is not None else ""
        return (f"C={self.C:g} word={self.word_ngrams} char={self.char_ngrams} "
                f"class_weight={self.class_weight} context={context} features={self.features}{dense}")


def _feature_fields(record: Fields) -> dict[str, Any]:
    """The feature set and dense weight of saved settings, consistent with each other (MetadataError otherwise)."""
    features = record.choice("features", FEATURE_SETS)
    weight = record.optional_number("embedding_weight", 0.0, MAX_EMBEDDING_WEIGHT, low_open=True)
    if (features == HYBRID) != (weight is not None):
        raise MetadataError(f"{record.path('embedding_weight')} must be a number exactly when features is "
                            f"{HYBRID!r}, got {weight!r}")
    return {"features": features, "embedding_weight": weight}


def _tfidf(**kwargs: Any) -> TfidfVectorizer:
    # sublinear tf: a word typed twice is a bit stronger, not twice as strong.
    return TfidfVectorizer(preprocessor=normalize_text, sublinear_tf=True, **kwargs)


def build_pipeline(settings: Settings, seed: int) -> Pipeline:
    """An unfitted pipeline: TF-IDF features of message (and context) -> logistic regression.

    Word n-grams catch phrases ("hey stranger", "u up"); char_wb n-grams within
    words survive typos, slang spellings and elongations ("mis u", "stranger!!").
    The context gets its own vocabulary so "ghosted" in the context and in the
    message can carry different weights. The hybrid set adds one embedding
    block per column (message and context embedded separately, so the
    situation is not blurred into the wording), scaled by ``embedding_weight``;
    its output stays sparse so every feature set reaches the classifier alike.
    """
    transformers: list[tuple[str, Any, str]] = [
        (MESSAGE_WORD, _tfidf(token_pattern=TOKEN_PATTERN, ngram_range=settings.word_ngrams), "message"),
        (MESSAGE_CHAR, _tfidf(analyzer="char_wb", ngram_range=settings.char_ngrams, min_df=2), "message"),
    ]
    if settings.use_context:
        transformers.append((CONTEXT_WORD, _tfidf(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2)), "context"))
    features = ColumnTransformer(transformers)
    if settings.embedding_weight is not None:
        dense = [(MESSAGE_EMBEDDING, "message"), (CONTEXT_EMBEDDING, "context")][:2 if settings.use_context else 1]
        features = ColumnTransformer(transformers + [(name, SentenceEmbedding(), column) for name, column in dense],
                                     transformer_weights={name: settings.embedding_weight for name, _ in dense},
                                     sparse_threshold=1.0)
    return Pipeline([
        (FEATURES_STEP, features),
        (CLASSIFIER_STEP, LogisticRegression(C=settings.C, class_weight=settings.class_weight,
                                   max_iter=3000, random_state=seed)),
    ])


def pipeline_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``frame`` the pipeline reads, in its order."""
    return frame[list(INPUT_COLUMNS)]


def feature_step(pipeline: Pipeline) -> ColumnTransformer:
    """The (fitted) feature blocks of ``pipeline``."""
    return pipeline.named_steps[FEATURES_STEP]


def classifier_step(pipeline: Pipeline) -> LogisticRegression:
    """The (fitted) classifier of ``pipeline``."""
    return pipeline.named_steps[CLASSIFIER_STEP]


def feature_blocks(features: ColumnTransformer) -> dict[str, slice]:
    """Each fitted block's name -> its columns in the feature matrix (no remainder)."""
    return {name: block for name, block in features.output_indices_.items() if name != "remainder"}


def transform_features(features: ColumnTransformer, frame: Any) -> sp.csr_matrix:
    """``features.transform(frame)``, the same matrix exactly, with each text normalised once instead of per vectorizer.

    The fitted vectorizers normalise inside their analyzers, so the message
    went through ``normalize_text`` twice (word and character n-grams) and the
    ColumnTransformer added pandas column selection and a joblib dispatch per
    call. Here each column is normalised once and handed to shallow copies of
    the fitted vectorizers whose preprocessing is the identity (same vocabulary,
    same idf, same analyzer steps after normalisation); embedding blocks are
    called as they are, with their weight. A pipeline of any other shape goes
    through ``features.transform`` unchanged.
    """
    blocks = [(name, part, column) for name, part, column in features.transformers_ if name != "remainder"]
    if not all(isinstance(c, str) and (isinstance(v, SentenceEmbedding) or (
            isinstance(v, TfidfVectorizer) and v.preprocessor is normalize_text and v.strip_accents is None))
               for _, v, c in blocks):
        return sp.csr_matrix(features.transform(frame))
    normalized = {column: [normalize_text(text) for text in frame[column]]
                  for column in {c for _, v, c in blocks if isinstance(v, TfidfVectorizer)}}
    weights = features.transformer_weights or {}
    matrices = []
    for name, part, column in blocks:
        if isinstance(part, SentenceEmbedding):  # dense blocks are scaled as ColumnTransformer scales them
            matrices.append(sp.csr_matrix(part.transform(frame[column]) * weights.get(name, 1.0)))
            continue
        plain = copy.copy(part)
        plain.preprocessor, plain.lowercase = None, False  # the identity: the text is already normalised
        matrices.append(plain.transform(normalized[column]))
    return sp.hstack(matrices, format="csr")


def known_feature_rows(features: ColumnTransformer, matrix: Any) -> np.ndarray:
    """Boolean per row of a transformed ``matrix``: does the message hold any feature the model knows?

    A message in a script the training data never used (Hebrew, Greek) has no
    message feature at all; its probabilities then come from the intercepts
    and the context alone, so it must not be answered as if the model read it.
    """
    columns = np.zeros(matrix.shape[1], dtype=bool)
    for name, block in feature_blocks(features).items():
        if name in (MESSAGE_WORD, MESSAGE_CHAR):
            columns[block] = True
    matrix = sp.csr_matrix(matrix)
    # Read off the stored entries rather than slicing columns, which copies the matrix (a fifth of a
    # single message's time).
    hits = columns[matrix.indices] & (matrix.data != 0)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return np.bincount(rows[hits], minlength=matrix.shape[0]) > 0


def settings_of(pipeline: Pipeline) -> Settings:
    """The settings a fitted pipeline was built with: the inverse of :func:`build_pipeline`.

    Loading compares them with the metadata's, so a record that misdescribes its
    model (and would mislead a held-out re-run) is refused. Raises KeyError or
    AttributeError for a pipeline of another shape.
    """
    features = feature_step(pipeline)
    vectorizers = {name: vectorizer for name, vectorizer, _ in features.transformers}
    clf = classifier_step(pipeline)
    weight = (features.transformer_weights or {}).get(MESSAGE_EMBEDDING) if MESSAGE_EMBEDDING in vectorizers else None
    return Settings(C=float(clf.C), word_ngrams=tuple(vectorizers[MESSAGE_WORD].ngram_range),
                    char_ngrams=tuple(vectorizers[MESSAGE_CHAR].ngram_range), class_weight=clf.class_weight,
                    use_context=CONTEXT_WORD in vectorizers, features=HYBRID if weight is not None else TFIDF,
                    embedding_weight=None if weight is None else float(weight))
