"""The paper's metrics, its out-of-scope threshold rule (the product's own ``ml.unsure`` rule, tuned by
``ml.tuning``), and how a candidate is chosen on val."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.clinc150.data import OOS
from ml.tuning import tune_unsure_as_label
from ml.unsure import UnsureRule

Scores = dict[str, dict[str, Any]]  # {"oos-train": metrics, "oos-threshold": metrics and the threshold}


def oos_metrics(y_true: Sequence[str], y_pred: Sequence[str], oos: str = OOS) -> dict[str, Any]:
    """The paper's numbers for one set of predictions.

    in-scope accuracy: over rows whose true label is not ``oos`` (predicting
    ``oos`` for them is an error); OOS recall: share of ``oos`` rows predicted
    ``oos``; OOS precision: share of ``oos`` predictions that are right;
    151-way accuracy: over all rows, ``oos`` counted as its own class.
    """
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("need the same, non-zero number of true and predicted labels")
    in_scope, said_oos = y_true != oos, y_pred == oos
    right = y_true == y_pred

    def share(mask: np.ndarray, of: np.ndarray) -> float:
        return float(mask[of].mean()) if of.any() else float("nan")

    return {
        "in_scope_accuracy": share(right, in_scope),
        "oos_recall": share(said_oos, ~in_scope),
        "oos_precision": share(~in_scope, said_oos),
        "accuracy_151": float(right.mean()),
        "rows": int(y_true.size), "in_scope_rows": int(in_scope.sum()), "oos_rows": int((~in_scope).sum()),
        "predicted_oos": int(said_oos.sum()),
    }


def threshold_rule(proba: np.ndarray, classes: Sequence[str], y_true: Sequence[str]) -> UnsureRule:
    """The paper's rule, chosen on validation data: the product's unsure rule with only a probability
    threshold, the one with the best 151-way accuracy when unsure answers become ``oos``."""
    column = {label: i for i, label in enumerate(classes)}
    y_index = np.array([column[label] for label in y_true])
    return tune_unsure_as_label(proba, y_index, column[OOS])


def both_schemes(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], rule: UnsureRule) -> Scores:
    """The paper's two schemes on one probability matrix: the top label as is, and unsure answers as ``oos``."""
    labels = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    thresholded = np.where(rule.unsure(proba, classes), OOS, labels)
    return {"oos-train": oos_metrics(y_true, labels),
            "oos-threshold": {**oos_metrics(y_true, thresholded), "threshold": rule.min_probability}}


def score_on_val(proba: np.ndarray, classes: Sequence[str], y_val: Sequence[str]) -> tuple[Scores, UnsureRule]:
    """One candidate's val scores under the threshold rule tuned on those same val probabilities."""
    rule = threshold_rule(proba, classes, y_val)
    return both_schemes(y_val, proba, classes, rule), rule


def selection_key(scores: Scores) -> tuple[float, float]:
    """Val score a candidate is chosen by: 151-way accuracy under the threshold rule, then in-scope accuracy."""
    thresholded = scores["oos-threshold"]
    return round(thresholded["accuracy_151"], 6), round(thresholded["in_scope_accuracy"], 6)


def is_better(scores: Scores, best: Scores | None) -> bool:
    """Whether a candidate's val scores beat the best so far by ``selection_key``; on a tie the earlier
    candidate stays, so the choice is deterministic."""
    return best is None or selection_key(scores) > selection_key(best)


def describe_scores(scores: Scores) -> str:
    """One progress line per candidate."""
    plain, thr = scores["oos-train"], scores["oos-threshold"]
    return (f"val in-scope {plain['in_scope_accuracy']:.4f} | threshold {thr['threshold']:.2f}: in-scope "
            f"{thr['in_scope_accuracy']:.4f}, OOS recall {thr['oos_recall']:.3f}, 151-way {thr['accuracy_151']:.4f}")
