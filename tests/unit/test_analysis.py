"""The numbers behind the notebooks: tables, out-of-fold predictions and the in-memory model."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import analysis
from ml.config import DEFAULT_PROTOCOL, SEED, TrainingProtocol
from ml.datacheck import profile
from ml.evaluate import classification_summary
from ml.explain import class_coefficients
from ml.pipeline import (
    CONTEXT_WORD,
    MESSAGE_CHAR,
    MESSAGE_WORD,
    Settings,
    classifier_step,
    feature_blocks,
    feature_step,
)
from ml.tasks import Task
from ml.train import fit
from ml.unsure import UnsureRule, tradeoff

from .frames import TOY, scored_frame


def test_top_terms_find_each_labels_own_word() -> None:
    terms = analysis.top_terms_per_label(TOY, k=3, min_df=2)
    top = terms.groupby("label")["term"].first()
    assert top["food"] == "pizza" and top["pets"] == "dog"
    assert (terms["in_label"] > terms["elsewhere"]).all()  # only terms typical of the label
    assert terms.groupby("label").size().max() <= 3
    food = terms.loc[(terms["label"] == "food") & (terms["term"] == "pizza")].iloc[0]
    assert food["in_label"] == 1.0 and food["elsewhere"] == 0.0


def test_top_terms_use_the_models_normalisation() -> None:
    frame = pd.DataFrame({"message": ["DON'T go", "dont go", "don\u2019t stop", "hello there", "hello you", "hi"],
                          "context": "", "label": ["a", "a", "a", "b", "b", "b"]})
    terms = analysis.top_terms_per_label(frame, k=5, min_df=2)
    assert "dont" in set(terms.loc[terms["label"] == "a", "term"])  # three spellings, one term


def test_label_profile_matches_the_data_card_numbers(tiny_frame) -> None:
    table = analysis.label_profile(tiny_frame)
    expected = profile(tiny_frame)["per_label"]
    assert list(table.index) == sorted(expected)
    for label, row in expected.items():
        assert table.loc[label].to_dict() == pytest.approx(row)


def test_examples_per_label_are_seeded_rows_of_the_data(tiny_frame) -> None:
    picked = analysis.examples_per_label(tiny_frame, n=2, seed=1)
    assert picked.groupby("label").size().to_dict() == {"hang": 2, "other": 2, "silence": 2}
    assert set(picked["message"]) <= set(tiny_frame["message"])
    assert picked.equals(analysis.examples_per_label(tiny_frame, n=2, seed=1))


def test_confused_pairs_exclude_right_answers_and_rank_by_count() -> None:
    scored = scored_frame([
        ("a", "a", 0.9), ("a", "b", 0.4), ("a", "b", 0.7), ("a", "b", 0.5), ("a", "c", 0.6),
        ("b", "b", 0.8), ("b", "a", 0.3), ("c", "c", 0.9), ("c", "c", 0.9),
    ])
    pairs = analysis.confused_pairs(scored, k=10, examples=2)
    assert not (pairs["true"] == pairs["predicted"]).any()
    assert list(zip(pairs["true"], pairs["predicted"], pairs["count"], strict=True)) == \
        [("a", "b", 3), ("a", "c", 1), ("b", "a", 1)]  # ties in count: alphabetical
    assert pairs.loc[0, "share"] == pytest.approx(3 / 5)
    # the most confident mistakes of the pair come first
    assert pairs.loc[0, "examples"] == ["message 2", "message 3"]
    assert len(analysis.confused_pairs(scored, k=1)) == 1


def test_confused_pairs_of_a_perfect_model_is_empty() -> None:
    assert analysis.confused_pairs(scored_frame([("a", "a", 0.9), ("b", "b", 0.8)])).empty


def test_per_label_f1_follows_the_given_label_order() -> None:
    scored = scored_frame([("a", "a", 0.9), ("a", "b", 0.6), ("b", "b", 0.8), ("c", "c", 0.7)])
    table = analysis.per_label_f1(scored, ["c", "b", "a"])
    assert list(table.index) == ["c", "b", "a"]
    summary = classification_summary(scored["label"], scored["predicted"], ["a", "b", "c"])
    assert table.loc["a", "f1"] == pytest.approx(summary["per_label"]["a"]["f1"])
    assert table.loc["c", "f1"] == 1.0 and table.loc["a", "recall"] == 0.5


def test_coverage_curve_is_monotone_and_agrees_with_the_rule() -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=300)
    y_index = np.where(rng.random(300) < 0.6, proba.argmax(axis=1), rng.integers(0, 4, 300))
    curve = analysis.coverage_accuracy_curve(proba, y_index)
    assert curve["min_probability"].is_monotonic_increasing
    assert curve["coverage"].is_monotonic_decreasing  # a stricter threshold never answers more
    assert (curve["coverage"] > 0).all()  # accuracy of "answer nothing" is undefined, so left out
    first = curve.iloc[0]
    assert first["coverage"] == 1.0 and first["accuracy_answered"] == pytest.approx(first["accuracy_all"])
    row = curve.loc[curve["min_probability"] == 0.5].iloc[0]
    expected = tradeoff(UnsureRule(0.5), proba, y_index)
    assert row["coverage"] == pytest.approx(expected.coverage)
    assert row["accuracy_answered"] == pytest.approx(expected.accuracy_answered)


def test_coverage_curve_on_confident_right_answers_buys_accuracy() -> None:
    # right answers are confident, wrong ones are not: raising the threshold must raise accuracy
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.55, 0.45], [0.52, 0.48]])
    y_index = np.array([0, 0, 1, 1])
    curve = analysis.coverage_accuracy_curve(proba, y_index, thresholds=[0.0, 0.6])
    assert curve["accuracy_answered"].tolist() == [0.5, 1.0]
    assert curve["coverage"].tolist() == [1.0, 0.5]


def test_global_top_features_find_the_obvious_word_and_mirror_in_binary() -> None:
    pipeline = fit(TOY, Settings(use_context=False), SEED)
    food = analysis.global_top_features(pipeline, "food", k=3, sources=("message",))
    assert food.loc[0, "feature"] == "pizza" and food.loc[0, "weight"] > 0
    assert food["weight"].iloc[:3].is_monotonic_decreasing  # strongest first, on each side
    assert food["weight"].iloc[3:].is_monotonic_increasing and (food["weight"].iloc[3:] < 0).all()
    assert food.loc[3, "feature"] == "dog"  # the other label's word pulls hardest away from food
    pets = analysis.global_top_features(pipeline, "pets", k=3, sources=("message",))
    assert pets.loc[0, "feature"] == "dog"
    assert pets.loc[0, "weight"] == pytest.approx(-food.loc[3, "weight"])  # binary: one row, mirrored


def test_global_top_features_name_their_source(tiny_frame) -> None:
    pipeline = fit(tiny_frame, Settings(), SEED)
    table = analysis.global_top_features(pipeline, "silence", k=50)
    assert set(table["source"]) <= {"message", "message chars", "context"}
    assert "context" in set(table["source"])  # tiny silence rows carry their cue in the context
    assert not table["feature"].str.contains("__").any()  # no pipeline prefixes


def test_global_top_features_weights_are_the_models_own_for_that_feature(tiny_frame) -> None:
    pipeline = fit(tiny_frame, Settings(), SEED)
    features, clf = feature_step(pipeline), classifier_step(pipeline)
    weights = class_coefficients(clf)[list(clf.classes_).index("silence")]
    columns = {(source, term): feature_blocks(features)[block].start + index
               for block, source in ((MESSAGE_WORD, "message"), (CONTEXT_WORD, "context"))
               for term, index in features.named_transformers_[block].vocabulary_.items()}
    table = analysis.global_top_features(pipeline, "silence", k=5, sources=analysis.WORD_SOURCES)
    for feature, source, weight in table.itertuples(index=False):
        assert weight == pytest.approx(weights[columns[(source, feature)]]), (feature, source)


def test_readable_feature_names_the_source_and_shows_spaces_in_character_ngrams() -> None:
    assert analysis.readable_feature(MESSAGE_WORD, "miss you") == ("miss you", "message")
    assert analysis.readable_feature(CONTEXT_WORD, "ghosted") == ("ghosted", "context")
    assert analysis.readable_feature(MESSAGE_CHAR, " u ") == ("'_u_'", "message chars")


def test_top_features_per_label_stack_each_labels_table_in_order() -> None:
    pipeline = fit(TOY, Settings(use_context=False), SEED)
    table = analysis.top_features_per_label(pipeline, k=2)
    assert list(table.columns) == ["label", "feature", "source", "weight"]
    assert table["label"].tolist() == ["food"] * 4 + ["pets"] * 4
    assert set(table["source"]) == {"message"}  # whole words by default: no character n-grams
    food = analysis.global_top_features(pipeline, "food", k=2, sources=analysis.WORD_SOURCES)
    assert table.loc[table["label"] == "food", ["feature", "weight"]].reset_index(drop=True).equals(
        food[["feature", "weight"]])
    with_chars = analysis.top_features_per_label(pipeline, labels=["pets"], k=50, sources=None)
    assert "message chars" in set(with_chars["source"]) and set(with_chars["label"]) == {"pets"}


def test_temperature_in_the_calibration_view_never_raises_the_log_loss(tiny_csv: Path) -> None:
    oof = analysis.out_of_fold_predictions(Task("tiny", None, data_path=tiny_csv),
                                           protocol=TrainingProtocol(cv_folds=3))
    view = analysis.calibration_view(oof)
    raw, scaled = view.table["log_loss"].iloc[0], view.table["log_loss"].iloc[1]
    assert view.temperature > 0 and scaled <= raw + 1e-9  # T=1 is the raw model, and T minimises the log-loss
    assert view.table["macro_f1"].iloc[0] == view.table["macro_f1"].iloc[1]  # a temperature never reorders labels
    assert list(view.curves) == list(view.table.index) and view.curves["as trained"].counts.sum() == len(oof.frame)


def test_out_of_fold_predictions_cover_every_row_with_a_tuned_rule(tiny_csv: Path) -> None:
    oof = analysis.out_of_fold_predictions(Task("tiny", None, data_path=tiny_csv),
                                           protocol=TrainingProtocol(cv_folds=3))
    assert oof.labels == ("hang", "other", "silence")
    assert len(oof.scored) == len(oof.frame) == oof.proba.shape[0]
    assert np.allclose(oof.proba.sum(axis=1), 1.0)
    assert (np.asarray(oof.labels)[oof.y_index] == oof.frame["label"]).all()
    assert oof.tradeoff.coverage >= DEFAULT_PROTOCOL.min_coverage
    assert oof.scored["unsure"].tolist() == oof.rule.unsure(oof.proba).tolist()


def test_fit_model_interprets_without_saved_files(tiny_csv: Path) -> None:
    rule = UnsureRule(0.99, 0.0)
    model = analysis.fit_model(Task("tiny", None, data_path=tiny_csv), rule=rule)
    result = model.interpret("brunch saturday? miss hanging out")
    assert result.label in model.labels and result.unsure  # the strict rule we passed is the one used
    table = analysis.interpretations_table([result])
    assert table.loc[0, "label"] == result.label and table.loc[0, "unsure"]
