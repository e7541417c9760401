import numpy as np

from ml.abstain import RejectRule, tradeoff, tune_reject_as_label, tune_reject_rule

PROBA = np.array([[0.9, 0.1], [0.55, 0.45], [0.4, 0.6], [0.52, 0.48]])
Y = np.array([0, 1, 1, 0])  # row 1 is wrong and unsure; rows 0, 2 and 3 are right


def test_rule_flags_low_probability_or_small_margin() -> None:
    assert RejectRule(0.6, 0.0).unsure(PROBA).tolist() == [False, True, False, True]
    assert RejectRule(0.0, 0.15).unsure(PROBA).tolist() == [False, True, False, True]
    assert not RejectRule().unsure(PROBA).any()


def test_tradeoff_numbers() -> None:
    t = tradeoff(RejectRule(0.56, 0.0), PROBA, Y)
    assert t.coverage == 0.5 and t.accuracy_all == 0.75 and t.accuracy_answered == 1.0
    assert t.errors_caught == 1.0 and abs(t.correct_flagged - 1 / 3) < 1e-9


def test_tuning_respects_the_coverage_floor() -> None:
    loose = tune_reject_rule(PROBA, Y, min_coverage=1.0)
    assert not loose.unsure(PROBA).any()
    strict = tune_reject_rule(PROBA, Y, min_coverage=0.5)
    assert tradeoff(strict, PROBA, Y).accuracy_answered == 1.0


def test_reject_as_label_moves_unsure_rows_to_the_reject_label() -> None:
    proba = np.array([[0.95, 0.05, 0.0], [0.4, 0.35, 0.25], [0.1, 0.85, 0.05]])
    y = np.array([0, 2, 1])  # label 2 is out-of-scope
    rule = tune_reject_as_label(proba, y, reject_index=2)
    assert rule.unsure(proba).tolist() == [False, True, False]
