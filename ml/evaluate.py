"""Metrics for labelled predictions, shared by training, the CLI and notebooks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from ml.abstain import RejectRule


def classification_summary(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
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


def predictions_frame(frame: pd.DataFrame, proba: np.ndarray, classes: Sequence[str],
                      rule: RejectRule) -> pd.DataFrame:
    """The labelled rows with predicted label, its probability, runner-up, unsure flag and correctness."""
    order = np.argsort(-proba, axis=1, kind="stable")
    classes = np.asarray(classes)
    scored = frame[["message", "context", "label"]].copy()
    scored["predicted"] = classes[order[:, 0]]
    scored["probability"] = proba[np.arange(len(proba)), order[:, 0]]
    scored["runner_up"] = classes[order[:, 1]] if proba.shape[1] > 1 else ""
    scored["unsure"] = rule.unsure(proba)
    scored["correct"] = scored["predicted"] == scored["label"]
    return scored


def format_summary(summary: dict[str, Any], title: str) -> str:
    """A plain-text report: headline numbers, then one line per label."""
    lines = [title, f"accuracy  {summary['accuracy']:.3f}", f"macro-F1  {summary['macro_f1']:.3f}", "",
             f"{'label':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for label, row in summary["per_label"].items():
        lines.append(f"{label:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>9d}")
    return "\n".join(lines)
