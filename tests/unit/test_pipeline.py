"""The pipeline on a tiny set: it learns, it is reproducible, and the search is honest."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from ml.config import SEED, TrainingProtocol
from ml.errors import DataError, MetadataError
from ml.pipeline import Settings, build_pipeline, classifier_step, feature_step, known_feature_rows, pipeline_input
from ml.train import fit, search, train
from tests.conftest import ONE_CANDIDATE


def test_pipeline_learns_the_tiny_set(tiny_frame) -> None:
    pipeline = fit(tiny_frame, Settings(), SEED)
    predicted = pipeline.predict(pipeline_input(tiny_frame))
    assert (predicted == tiny_frame["label"]).mean() == 1.0


def test_same_seed_and_data_give_identical_probabilities(tiny_frame) -> None:
    first = fit(tiny_frame, Settings(), seed=7).predict_proba(pipeline_input(tiny_frame))
    second = fit(tiny_frame, Settings(), seed=7).predict_proba(pipeline_input(tiny_frame))
    assert np.array_equal(first, second)


def test_training_twice_gives_identical_models(tiny_frame) -> None:
    protocol = TrainingProtocol(cv_folds=3, holdout_fraction=0)
    results = [train(tiny_frame, space=ONE_CANDIDATE, protocol=protocol, calibrate=False) for _ in range(2)]
    assert results[0].summary == results[1].summary
    assert np.array_equal(classifier_step(results[0].pipeline).coef_, classifier_step(results[1].pipeline).coef_)


def test_data_too_small_for_the_calibration_study_trains_uncalibrated_and_says_why(tiny_frame) -> None:
    # 18 rows: the calibrators' inner folds lack a context vocabulary. Training used to stop with a traceback.
    lines: list[str] = []
    result = train(tiny_frame, space=ONE_CANDIDATE, protocol=TrainingProtocol(cv_folds=3, holdout_fraction=0),
                   progress=lines.append)
    assert result.calibration.method == "none" and result.calibration.temperature is None
    assert [c.method for c in result.calibration.candidates] == ["none"]
    assert any("temperature" in line and "not measured: empty vocabulary" in line for line in lines), lines


def test_search_reports_every_candidate_and_picks_the_best(tiny_frame) -> None:
    lines: list[str] = []
    space = {"C": [0.01, 10.0], "word_ngrams": [(1, 1)], "char_ngrams": [(2, 4)], "class_weight": [None]}
    result = search(tiny_frame, space, protocol=TrainingProtocol(cv_folds=3), progress=lines.append)
    assert len(result.table) == 2 and len(lines) == 2 and "[ 1/2]" in lines[0]
    assert result.cv_macro_f1_mean == max(row["cv_macro_f1_mean"] for row in result.table)


def test_context_is_dropped_when_no_row_has_one(tiny_frame) -> None:
    no_context = tiny_frame.assign(context="")
    result = search(no_context, ONE_CANDIDATE, protocol=TrainingProtocol(cv_folds=3))
    assert result.settings.use_context is False


def test_too_few_rows_for_cross_validation(tiny_frame) -> None:
    with pytest.raises(DataError, match="at least 7 rows"):
        search(tiny_frame, ONE_CANDIDATE, protocol=TrainingProtocol(cv_folds=7))


def test_settings_round_trip_through_json_shapes() -> None:
    settings = Settings(C=3.0, word_ngrams=(1, 1))
    assert Settings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


@pytest.mark.parametrize(("change", "fragment"), [
    ({"unknown": 1}, "unknown field"),
    ({"C": -1}, "settings.C must be in"),
    ({"word_ngrams": [3, 1]}, "settings.word_ngrams must be a pair"),
    ({"class_weight": "heavy"}, "settings.class_weight must be one of"),
    ({"use_context": "yes"}, "settings.use_context must be true or false"),
])
def test_settings_from_saved_metadata_are_checked(change: dict, fragment: str) -> None:
    with pytest.raises(MetadataError, match=re.escape(fragment)):
        Settings.from_dict({**Settings().to_dict(), **change})


def test_known_feature_rows_flags_messages_in_an_unseen_script(tiny_frame) -> None:
    pipeline = fit(tiny_frame, Settings(), SEED)
    frame = pd.DataFrame({"message": ["dinner friday?", "אני מתגעגע אליך", "σου λείπω"],
                          "context": ["", "he ghosted me", ""]})
    features = feature_step(pipeline)
    assert known_feature_rows(features, features.transform(frame)).tolist() == [True, False, False]


def test_known_feature_rows_do_not_count_a_stored_zero(tiny_frame) -> None:
    features = feature_step(fit(tiny_frame, Settings(), SEED))
    width = len(features.get_feature_names_out())
    stored_zero = sp.csr_matrix((np.array([0.0, 0.5]), np.array([0, 0]), np.array([0, 1, 2])), shape=(2, width))
    assert stored_zero.nnz == 2  # the zero is an explicit entry, not an absent one
    assert known_feature_rows(features, stored_zero).tolist() == [False, True]


def test_known_feature_rows_ignores_the_context_block() -> None:
    frame = pd.DataFrame({"message": ["aa bb", "aa dd"], "context": ["ghosted", "ghosted"], "label": ["x", "y"]})
    pipeline = build_pipeline(Settings(char_ngrams=(2, 2)), seed=0).fit(frame[["message", "context"]], frame["label"])
    features = feature_step(pipeline)
    probe = pd.DataFrame({"message": ["zz"], "context": ["ghosted"]})
    assert known_feature_rows(features, features.transform(probe)).tolist() == [False]
