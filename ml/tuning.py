"""Choosing the unsure rule's thresholds on out-of-fold probabilities of the training data.

Applying the rule (:mod:`ml.unsure`) and choosing its thresholds are separate
jobs: training calls :func:`tune_unsure_rule` once; prediction only applies.
"""

from __future__ import annotations

import numpy as np

from ml.config import MIN_COVERAGE, RED_FLAG_MIN_PRECISION
from ml.unsure import (
    MARGIN_GRID,
    PROBABILITY_GRID,
    RED_FLAG_GRID,
    Labels,
    UnsureRule,
    everyday_weights,
    public_view,
    red_flag_precision,
)


def tune_confidence_thresholds(proba: np.ndarray, y_index: np.ndarray, min_coverage: float = MIN_COVERAGE,
                               already_unsure: np.ndarray | None = None) -> UnsureRule:
    """The rule with the best accuracy on answered messages that still answers
    at least ``min_coverage`` of them; ties go to the higher coverage, then the
    looser thresholds. Deterministic: an exhaustive grid, no sampling.

    ``already_unsure`` marks rows another check (no scenario cue) leaves
    unanswered whatever the thresholds, so coverage counts them as unsure.
    """
    correct = proba.argmax(axis=1) == y_index
    fixed = np.zeros(len(proba), dtype=bool) if already_unsure is None else already_unsure
    best_key, best_rule = None, UnsureRule()
    for p in PROBABILITY_GRID:
        for m in MARGIN_GRID:
            rule = UnsureRule(float(p), float(m))
            answered = ~rule.unsure(proba) & ~fixed
            coverage = answered.mean()
            if coverage < min_coverage or not answered.any():
                continue
            key = (round(float(correct[answered].mean()), 6), round(float(coverage), 6), -p, -m)
            if best_key is None or key > best_key:
                best_key, best_rule = key, rule
    return best_rule


def tune_red_flag_bar(rule: UnsureRule, proba: np.ndarray, classes: Labels, truth: Labels,
                      weights: np.ndarray | None = None, min_precision: float = RED_FLAG_MIN_PRECISION) -> UnsureRule:
    """The loosest red-flag threshold at which every red flag's out-of-fold precision reaches ``min_precision``.

    Each red flag must reach it on its own, so a weak one cannot hide behind
    strong ones. ``truth`` includes the everyday and no-cue rows, so a red flag
    shown for a message that is neither counts against the precision, as it
    would for a user; ``weights`` (:func:`everyday_weights`) give the everyday
    rows the share they have on a real phone.
    """
    for threshold in RED_FLAG_GRID:
        candidate = UnsureRule(rule.min_probability, rule.min_margin, float(threshold), rule.red_flags,
                               rule.no_cue_label)
        if red_flag_precision(candidate, proba, classes, truth, weights).worst_precision >= min_precision:
            return candidate
    return UnsureRule(rule.min_probability, rule.min_margin, 1.0, rule.red_flags, rule.no_cue_label)


def tune_unsure_rule(proba: np.ndarray, classes: Labels, truth: Labels, base: UnsureRule,
                     min_coverage: float = MIN_COVERAGE, out_of_scope_label: str | None = None) -> UnsureRule:
    """Every threshold of ``base``'s kind of rule, tuned on out-of-fold probabilities.

    First the probability and margin thresholds (:func:`tune_confidence_thresholds`, on
    rows with a public true label), then, for tasks with red flags, the
    stricter red-flag bar (:func:`tune_red_flag_bar`, on every row, the
    ``out_of_scope_label`` rows weighted to their everyday share).
    """
    view = public_view(proba, classes, base.no_cue_label)
    true_labels = np.asarray(truth)
    public = true_labels != base.no_cue_label
    y_index = np.asarray(np.searchsorted(view.labels, true_labels[public]))
    found = tune_confidence_thresholds(view.proba[public], y_index, min_coverage,
                                       already_unsure=view.no_cue_top[public])
    rule = UnsureRule(found.min_probability, found.min_margin, 0.0, base.red_flags, base.no_cue_label)
    if not base.red_flags:
        return rule
    return tune_red_flag_bar(rule, proba, classes, true_labels, everyday_weights(true_labels, out_of_scope_label))


def tune_unsure_as_label(proba: np.ndarray, y_index: np.ndarray, unsure_label_index: int) -> UnsureRule:
    """A probability-only threshold that maximises accuracy when unsure answers
    become the out-of-scope label (``unsure_label_index``), as in Larson et al. 2019.
    """
    best_key, best_rule = None, UnsureRule()
    predicted = proba.argmax(axis=1)
    for p in np.round(np.arange(0.0, 1.0, 0.01), 3):
        rule = UnsureRule(float(p), 0.0)
        labels = np.where(rule.unsure(proba), unsure_label_index, predicted)
        key = (round(float((labels == y_index).mean()), 6), -p)
        if best_key is None or key > best_key:
            best_key, best_rule = key, rule
    return best_rule
