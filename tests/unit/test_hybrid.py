"""The hybrid feature set (TF-IDF + sentence embeddings): persistence, exact evidence, the encoder's guards.

Small fits on the tiny set; the encoder loads once per test process and every
text is embedded once (the process-wide cache), so this file stays quick.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skops.io as sio

from ml import embeddings
from ml.artifacts import load_pipeline
from ml.cli import main
from ml.config import SEED, TrainingProtocol
from ml.data import file_sha256
from ml.errors import EncoderWeightsError, IncompatibleModelError, MissingExtraError
from ml.explain import DENSE_TERMS, Explainer
from ml.pipeline import (
    EMBEDDING_BLOCKS,
    HYBRID,
    Settings,
    build_pipeline,
    classifier_step,
    feature_step,
    known_feature_rows,
    pipeline_input,
    transform_features,
)
from ml.predict import load_model, model_metadata
from ml.tasks import custom_task
from ml.train import fit
from ml.workflow import train_task
from tests.conftest import ONE_CANDIDATE

HYBRID_SETTINGS = Settings(C=10.0, class_weight=None, features=HYBRID, embedding_weight=1.0)
INSTALL_COMMAND = 'pip install -e ".[hybrid]"'


@pytest.fixture(scope="module")
def hybrid_pipeline(tiny_frame):
    return fit(tiny_frame, HYBRID_SETTINGS, SEED)


@pytest.fixture(scope="module")
def hybrid_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_csv: Path) -> Path:
    out = tmp_path_factory.mktemp("models") / "tiny-hybrid"
    train_task(custom_task("tiny"), tiny_csv, out, features=HYBRID, space={**ONE_CANDIDATE, "embedding_weight": [1.0]},
               protocol=TrainingProtocol(cv_folds=3, holdout_fraction=0), calibrate=False)
    return out


def test_hybrid_model_round_trips_through_skops_with_identical_probabilities(hybrid_pipeline, tiny_frame) -> None:
    reloaded = load_pipeline(sio.dumps(hybrid_pipeline), Path("memory"))
    X = pipeline_input(tiny_frame)
    assert np.array_equal(reloaded.predict_proba(X), hybrid_pipeline.predict_proba(X))


def test_saved_hybrid_model_answers_like_the_trained_one(hybrid_model_dir, tiny_frame) -> None:
    model = load_model(hybrid_model_dir)
    refit = fit(tiny_frame, model.metadata.config.settings, SEED)
    _, proba, _ = model.score(pipeline_input(tiny_frame))
    assert np.allclose(proba, refit.predict_proba(pipeline_input(tiny_frame)), atol=1e-12)


def test_fast_transform_equals_the_column_transformer_for_hybrid(hybrid_pipeline, tiny_frame) -> None:
    features = feature_step(hybrid_pipeline)
    fast = transform_features(features, pipeline_input(tiny_frame))
    assert abs(fast - sp.csr_matrix(features.transform(pipeline_input(tiny_frame)))).max() == 0


def test_hybrid_evidence_sums_exactly_to_each_labels_score_minus_intercept(hybrid_pipeline, tiny_frame) -> None:
    features = transform_features(feature_step(hybrid_pipeline), pipeline_input(tiny_frame))
    clf = classifier_step(hybrid_pipeline)
    scores = clf.decision_function(features) - clf.intercept_
    explainer = Explainer(hybrid_pipeline)
    for row, message in enumerate(tiny_frame["message"]):
        for label in range(len(clf.classes_)):
            total = sum(explainer.contributions(message, features[row], label).values())
            assert total == pytest.approx(scores[row, label], abs=1e-9)


def test_each_embedding_block_is_shown_as_one_named_term(hybrid_pipeline) -> None:
    frame = pd.DataFrame({"message": ["hey stranger"], "context": ["he ghosted me"]})
    features = transform_features(feature_step(hybrid_pipeline), frame)
    terms = Explainer(hybrid_pipeline).contributions("hey stranger", features[0], 0)
    assert set(DENSE_TERMS.values()) <= set(terms)
    assert not any(text.startswith("dim") for _, text in terms)


def test_known_feature_rows_ignore_the_embedding_blocks(hybrid_pipeline) -> None:
    frame = pd.DataFrame({"message": ["dinner friday?", "אני מתגעגע אליך"], "context": ["", ""]})
    features = feature_step(hybrid_pipeline)
    assert known_feature_rows(features, transform_features(features, frame)).tolist() == [True, False]


def test_metadata_records_the_feature_set_and_the_encoder_hash(hybrid_model_dir) -> None:
    metadata = model_metadata(hybrid_model_dir)
    assert metadata.config.settings.features == HYBRID
    assert metadata.encoder is not None and metadata.encoder.weights_sha256 == embeddings.WEIGHTS_SHA256


def test_pinned_hash_is_the_installed_weights_files_sha256() -> None:
    assert file_sha256(embeddings.require_extra() / embeddings.WEIGHTS_FILE) == embeddings.WEIGHTS_SHA256


def test_a_tfidf_model_has_no_embedding_block_weight_or_encoder(tiny_model) -> None:
    features = feature_step(build_pipeline(Settings(), SEED))
    assert [name for name, _, _ in features.transformers] == ["message_word", "message_char", "context"]
    assert features.transformer_weights is None and features.sparse_threshold == 0.3
    assert tiny_model.metadata.config.settings.features == "tfidf"
    assert tiny_model.metadata.encoder is None and tiny_model.metadata.calibration.method == "none"


def test_weights_with_another_sha256_are_refused_before_loading(tmp_path, monkeypatch) -> None:
    (tmp_path / embeddings.WEIGHTS_FILE).write_bytes(b"not the pinned weights")
    monkeypatch.setattr(embeddings, "require_extra", lambda: tmp_path)
    embeddings._load_encoder.cache_clear()
    try:
        with pytest.raises(EncoderWeightsError, match="not the pinned 53aa5117"):
            embeddings.encoder()
    finally:
        embeddings._load_encoder.cache_clear()


def test_the_text_cache_encodes_each_text_once_until_cleared(monkeypatch) -> None:
    encoded: list[list[str]] = []

    class CountingEncoder:
        def encode(self, texts: list[str], **_: object) -> np.ndarray:
            encoded.append(list(texts))
            return np.ones((len(texts), embeddings.DIMENSIONS), dtype=np.float32)

    monkeypatch.setattr(embeddings, "encoder", CountingEncoder)
    cache = embeddings._TextCache(size=10)
    first = cache.embed(["miss u", "", "miss u", "hey"])
    cache.embed(["hey", "miss u"])
    assert encoded == [["miss u", "hey"]] and not first[1].any()  # repeats hit the cache; "" is the zero vector
    cache.clear()
    cache.embed(["hey"])
    assert encoded[-1] == ["hey"]


def test_loading_the_encoder_prints_no_progress_bar(capfd) -> None:
    embeddings._load_encoder.cache_clear()
    embeddings.encoder()
    assert "Loading weights" not in capfd.readouterr().err


def test_offline_switches_are_set_before_the_encoder_loads(monkeypatch) -> None:
    import sentence_transformers

    seen: dict[str, object] = {}

    def record(path: str, **kwargs: object) -> object:
        seen.update({switch: os.environ.get(switch) for switch in embeddings.OFFLINE_SWITCHES}, **kwargs)
        return object()

    for switch in embeddings.OFFLINE_SWITCHES:
        monkeypatch.delenv(switch, raising=False)
    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", record)
    embeddings._load_encoder.cache_clear()
    try:
        embeddings.encoder()
    finally:
        embeddings._load_encoder.cache_clear()
    assert seen == {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "device": "cpu", "local_files_only": True}


def _without(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))


def test_loading_a_hybrid_model_without_the_extra_names_the_install_command(hybrid_model_dir, monkeypatch) -> None:
    _without("sentence_transformers", monkeypatch)
    with pytest.raises(MissingExtraError, match=r'sentence_transformers not installed\): pip install -e "\.\[hyb'):
        load_model(hybrid_model_dir)


def test_training_hybrid_without_the_extra_names_the_install_command(tiny_csv, tmp_path, monkeypatch, capsys) -> None:
    _without("torch", monkeypatch)
    assert main(["train", "--data", str(tiny_csv), "--labels-from-data", "--task", "tiny", "--features", "hybrid",
                 "--out", str(tmp_path / "m"), "--folds", "3", "--quick"]) == 2
    assert INSTALL_COMMAND in capsys.readouterr().err


def test_a_block_naming_other_weights_is_refused() -> None:
    with pytest.raises(IncompatibleModelError, match="retrain"):
        embeddings.SentenceEmbedding(weights_sha256="0" * 64).transform(["miss you"])


def test_empty_context_embeds_as_zeros_so_it_adds_nothing() -> None:
    vectors = embeddings.embed(["miss you", "  "])
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5) and not vectors[1].any()


def test_cli_predicts_with_a_hybrid_model_and_shows_the_embedding_term(hybrid_model_dir, capsys) -> None:
    assert main(["predict", "--model", str(hybrid_model_dir), "--json", "brunch sunday? miss u"]) == 0
    out = capsys.readouterr().out
    assert '"label": "hang"' in out and "(embedding)" in out


def test_embedding_block_names_are_part_of_the_pipeline_contract(hybrid_pipeline) -> None:
    assert set(EMBEDDING_BLOCKS) == set(feature_step(hybrid_pipeline).named_transformers_) - {
        "message_word", "message_char", "context"}
