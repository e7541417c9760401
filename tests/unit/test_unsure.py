import numpy as np

from ml.tuning import tune_confidence_thresholds, tune_red_flag_bar, tune_unsure_as_label
from ml.unsure import (
    LOW_CONFIDENCE,
    NO_KNOWN_WORDS,
    NO_SCENARIO_CUE,
    RED_FLAG_BELOW_BAR,
    TOO_CLOSE,
    UnsureRule,
    everyday_weights,
    public_view,
    red_flag_precision,
    tradeoff,
)

PROBA = np.array([[0.9, 0.1], [0.55, 0.45], [0.4, 0.6], [0.52, 0.48]])
Y = np.array([0, 1, 1, 0])  # row 1 is wrong and unsure; rows 0, 2 and 3 are right


def test_rule_flags_low_probability_or_small_margin() -> None:
    assert UnsureRule(0.6, 0.0).unsure(PROBA).tolist() == [False, True, False, True]
    assert UnsureRule(0.0, 0.15).unsure(PROBA).tolist() == [False, True, False, True]
    assert not UnsureRule().unsure(PROBA).any()


def test_tradeoff_numbers() -> None:
    t = tradeoff(UnsureRule(0.56, 0.0), PROBA, Y)
    assert t.coverage == 0.5 and t.accuracy_all == 0.75 and t.accuracy_answered == 1.0
    assert t.errors_caught == 1.0 and abs(t.correct_flagged - 1 / 3) < 1e-9


def test_tuning_respects_the_coverage_floor() -> None:
    loose = tune_confidence_thresholds(PROBA, Y, min_coverage=1.0)
    assert not loose.unsure(PROBA).any()
    strict = tune_confidence_thresholds(PROBA, Y, min_coverage=0.5)
    assert tradeoff(strict, PROBA, Y).accuracy_answered == 1.0


def test_unsure_as_label_moves_unsure_rows_to_the_out_of_scope_label() -> None:
    proba = np.array([[0.95, 0.05, 0.0], [0.4, 0.35, 0.25], [0.1, 0.85, 0.05]])
    y = np.array([0, 2, 1])  # label 2 is out-of-scope
    rule = tune_unsure_as_label(proba, y, unsure_label_index=2)
    assert rule.unsure(proba).tolist() == [False, True, False]


# Classes of a model with an internal no-cue class ("cue"), a red flag ("flag") and two others.
CLASSES = np.array(["cue", "flag", "good", "other"])
FLAG_RULE = UnsureRule(0.4, 0.05, 0.7, red_flags=("flag",), no_cue_label="cue")


def test_public_view_drops_the_internal_class_and_renormalises() -> None:
    view = public_view(np.array([[0.5, 0.25, 0.25, 0.0], [0.1, 0.0, 0.9, 0.0]]), CLASSES, "cue")
    assert view.labels.tolist() == ["flag", "good", "other"]
    assert np.allclose(view.proba, [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    assert view.no_cue_top.tolist() == [True, False]


def test_each_unsure_rule_gives_its_own_reason() -> None:
    proba = np.array([
        [0.0, 0.05, 0.9, 0.05],    # confident "good"
        [0.6, 0.1, 0.2, 0.1],      # the no-cue class comes first
        [0.0, 0.28, 0.25, 0.47],   # top 0.47 and margin 0.19 pass: confident "other"
        [0.0, 0.2, 0.2, 0.6],      # confident "other"
        [0.0, 0.38, 0.32, 0.30],   # top 0.38 < 0.4
        [0.0, 0.0, 0.51, 0.49],    # margin 0.02 < 0.05
        [0.0, 0.6, 0.3, 0.1],      # a red flag under its 0.7 bar
        [0.0, 0.8, 0.1, 0.1],      # a red flag over it
    ])
    reasons = FLAG_RULE.reasons(proba, CLASSES).tolist()
    assert reasons == [None, NO_SCENARIO_CUE, None, None, LOW_CONFIDENCE, TOO_CLOSE, RED_FLAG_BELOW_BAR, None]


def test_unknown_words_outrank_every_other_reason() -> None:
    proba = np.array([[0.6, 0.1, 0.2, 0.1], [0.0, 0.05, 0.9, 0.05]])
    reasons = FLAG_RULE.reasons(proba, CLASSES, known=np.array([False, False]))
    assert reasons.tolist() == [NO_KNOWN_WORDS, NO_KNOWN_WORDS]
    assert FLAG_RULE.unsure(proba, CLASSES, known=np.array([True, True])).tolist() == [True, False]


def test_red_flag_bar_is_the_loosest_that_reaches_the_precision_target() -> None:
    # Confident red flags at 0.9 (right) and 0.6 (wrong: it was everyday text) and 0.55 (right).
    proba = np.array([[0.0, 0.9, 0.1, 0.0], [0.0, 0.6, 0.0, 0.4], [0.0, 0.55, 0.45, 0.0], [0.0, 0.0, 1.0, 0.0]])
    truth = ["flag", "other", "flag", "good"]
    base = UnsureRule(red_flags=("flag",), no_cue_label="cue")
    assert red_flag_precision(base, proba, CLASSES, truth).precision == 2 / 3
    tuned = tune_red_flag_bar(base, proba, CLASSES, truth, min_precision=0.9)
    assert 0.6 < tuned.red_flag_min_probability <= 0.9
    assert red_flag_precision(tuned, proba, CLASSES, truth).precision == 1.0


def test_rule_round_trips_through_its_dict() -> None:
    assert UnsureRule.from_dict(FLAG_RULE.to_dict()) == FLAG_RULE


def test_everyday_weights_give_everyday_rows_their_real_share() -> None:
    truth = np.array(["other", "other", "flag", "good"])  # "other" plays the everyday label
    weights = everyday_weights(truth, "other", share=0.9)
    assert np.isclose(weights[truth == "other"].sum() / weights.sum(), 0.9)
    assert (weights[truth != "other"] == 1).all()
    assert (everyday_weights(truth, None) == 1).all()


def test_weighting_everyday_rows_raises_the_red_flag_bar() -> None:
    # One everyday text wrongly called a red flag at 0.6, two right red flags at 0.65 and 0.9.
    proba = np.array([[0.0, 0.6, 0.0, 0.4], [0.0, 0.65, 0.35, 0.0], [0.0, 0.9, 0.1, 0.0], [0.0, 0.0, 0.0, 1.0]])
    truth = ["other", "flag", "flag", "other"]
    base = UnsureRule(red_flags=("flag",), no_cue_label="cue")
    loose = tune_red_flag_bar(base, proba, CLASSES, truth, min_precision=0.6)
    strict = tune_red_flag_bar(base, proba, CLASSES, truth, everyday_weights(truth, "other", 0.9), min_precision=0.6)
    assert loose.red_flag_min_probability == 0.0
    assert 0.6 < strict.red_flag_min_probability <= 0.65
