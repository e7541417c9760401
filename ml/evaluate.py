"""Metrics for labelled predictions, shared by training, the CLI and notebooks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from ml.pipeline import classifier_step, feature_step, known_feature_rows, transform_features
from ml.unsure import Labels, UnsureRule, public_view, tradeoff


def classification_summary(y_true: Sequence[str] | pd.Series, y_pred: Sequence[str] | pd.Series,
                           labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-label precision/recall/F1/support.

    ``labels`` fixes the per-label order and which labels count in the macro
    average: labels the model knows but the data lacks still count (as 0 F1
    when predicted), so a one-label outside set cannot inflate the average.
    """
    labels = list(labels)
    present = [label for label in labels if label in set(y_true) or label in set(y_pred)]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=present, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "per_label": {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                      for label, p, r, f, s in zip(present, precision, recall, f1, support, strict=True)},
    }


def score_rows(pipeline: Pipeline, frame: pd.DataFrame, rule: UnsureRule) -> tuple[Any, np.ndarray, np.ndarray]:
    """Features, class probabilities and unsure reasons (None = confident) for a frame's rows.

    The one scoring path behind ``interpret``, the held-out protocol and
    ``evaluate``, so a model is judged exactly as it answers. scikit-learn's
    per-call input validation is skipped (the same numbers, about a sixth of a
    single message's time): the text was checked by ``ml.inputs`` and every
    matrix here comes from the fitted vectorizers themselves.
    """
    vectorizers = feature_step(pipeline)
    with config_context(assume_finite=True, skip_parameter_validation=True):
        features = transform_features(vectorizers, frame)
        proba = classifier_step(pipeline).predict_proba(features)
    return features, proba, rule.reasons(proba, pipeline.classes_, known_feature_rows(vectorizers, features))


def judge(pipeline: Pipeline, frame: pd.DataFrame, rule: UnsureRule,
          out_of_scope_label: str | None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Score a fitted pipeline on labelled rows: the summary and the rows with predictions.

    The one judgement behind the held-out protocol and ``evaluate`` on any CSV:
    :func:`score_rows`, then :func:`evaluation_summary` plus the unsure rule's
    trade-off on these rows.
    """
    _, proba, reasons = score_rows(pipeline, frame, rule)
    classes = pipeline.classes_
    scored = predictions_frame(frame, proba, classes, rule, reasons)
    summary = evaluation_summary(scored, rule.public_labels(classes), out_of_scope_label, rule.red_flags)
    summary["unsure_rule"] = tradeoff(rule, proba, np.searchsorted(classes, frame["label"]), classes).to_dict()
    return summary, scored


def predictions_frame(frame: pd.DataFrame, proba: np.ndarray, classes: Labels, rule: UnsureRule,
                      reasons: np.ndarray | None = None) -> pd.DataFrame:
    """The labelled rows with predicted (public) label, its probability, runner-up, unsure reason and correctness.

    ``reasons`` come from :func:`score_rows`; None applies ``rule`` to the
    probabilities alone (out-of-fold rows, where every word is known).
    """
    view = public_view(proba, classes, rule.no_cue_label)
    order = np.argsort(-view.proba, axis=1, kind="stable")
    scored = frame[["message", "context", "label"]].copy()
    scored["predicted"] = view.labels[order[:, 0]]
    scored["probability"] = view.proba[np.arange(len(proba)), order[:, 0]]
    scored["runner_up"] = view.labels[order[:, 1]] if view.proba.shape[1] > 1 else ""
    scored["reason"] = rule.reasons(proba, classes) if reasons is None else reasons
    scored["unsure"] = scored["reason"].notna()
    scored["correct"] = scored["predicted"] == scored["label"]
    return scored


def answer_rates(scored: pd.DataFrame, out_of_scope_label: str | None, red_flags: Sequence[str]) -> dict[str, Any]:
    """How answers look to a user: shares unsure, out-of-scope or unsure, confident scenario, confident red flag.

    On a set of everyday texts (all ``not_about_missing``) these are the rates
    that matter: every confident scenario there is an invented meaning.
    """
    confident = ~scored["unsure"]
    scenario = confident & (scored["predicted"] != out_of_scope_label)
    share = (lambda mask: round(float(mask.mean()), 4)) if len(scored) else (lambda mask: 0.0)
    return {
        "rows": len(scored),
        "unsure": share(scored["unsure"]),
        "out_of_scope_or_unsure": share(~scenario),
        "confident_scenario": share(scenario),
        "confident_red_flag": share(confident & scored["predicted"].isin(list(red_flags))),
        "unsure_reasons": {str(k): int(v) for k, v in scored["reason"].value_counts().items()},
    }


def evaluation_summary(scored: pd.DataFrame, labels: Sequence[str], out_of_scope_label: str | None,
                       red_flags: Sequence[str]) -> dict[str, Any]:
    """Everything one scoring run reports, used by the held-out protocol and by ``evaluate``.

    Classification metrics count rows whose true label is public (``labels``);
    answer rates cover every row, and each true label's rows on their own.
    """
    public = scored[scored["label"].isin(list(labels))]
    summary: dict[str, Any] = (classification_summary(public["label"], public["predicted"], labels) if len(public)
                               else {"accuracy": None, "macro_f1": None, "per_label": {}})
    summary["rows"] = len(scored)
    summary["answers"] = answer_rates(scored, out_of_scope_label, red_flags)
    summary["answers_by_label"] = {label: answer_rates(rows, out_of_scope_label, red_flags)
                                   for label, rows in scored.groupby("label", sort=True)}
    return summary


def format_summary(summary: dict[str, Any], title: str) -> str:
    """A plain-text report: headline numbers, then one line per label."""
    lines = [title]
    if summary["per_label"]:
        lines += [f"accuracy  {summary['accuracy']:.3f}", f"macro-F1  {summary['macro_f1']:.3f}", "",
                  f"{'label':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
        for label, row in summary["per_label"].items():
            lines.append(f"{label:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
                         f"{row['support']:>9d}")
    if "answers" in summary:
        lines += ["", "answers, by true label: unsure / out-of-scope or unsure / confident scenario / "
                      "confident red flag"]
        for label, rates in {"(all rows)": summary["answers"], **summary["answers_by_label"]}.items():
            lines.append(f"{label:<24}{rates['unsure']:>8.1%}{rates['out_of_scope_or_unsure']:>8.1%}"
                         f"{rates['confident_scenario']:>8.1%}{rates['confident_red_flag']:>8.1%}"
                         f"{rates['rows']:>7d} rows")
    return "\n".join(lines)
