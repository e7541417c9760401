"""One classifier or a gate in front of the scenarios? Decided on out-of-fold predictions.

Both shapes see the same rows, folds and settings (the saved meaning model's,
or the package defaults), on the training part only (the held-out 20% stays
unseen):

- single: one logistic regression over the 10 scenarios, not_about_missing and
  the internal no-cue class, with the unsure rule as shipped;
- gate: a binary "is this a miss-you-type message at all?" model, its
  threshold tuned for 99% not_about_missing recall, in front of a model of the
  10 scenarios and the no-cue class trained without the everyday rows.

Prints, for each shape, what a user meets: 11-way macro-F1, the share of
everyday rows given a confident scenario or red flag, the no-cue rows' unsure
share and red-flag precision. Asserts nothing.

    python benchmarks/gate_vs_single.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from ml.config import CV_FOLDS, HOLDOUT_FRACTION, SEED
from ml.data import split_holdout
from ml.errors import ModelFileError
from ml.evaluate import evaluation_summary, predictions_frame
from ml.pipeline import Settings
from ml.predict import model_metadata
from ml.tasks import get_task
from ml.train import fit, out_of_fold_proba
from ml.tuning import tune_unsure_rule
from ml.unsure import UnsureRule, everyday_weights, red_flag_precision
from ml.workflow import load_task_data

GATE_RECALL = 0.99  # share of everyday rows the gate must let through as not_about_missing


def chosen_settings() -> Settings:
    try:
        return model_metadata("meaning").config.settings
    except ModelFileError:
        return Settings()


def gated_proba(frame: pd.DataFrame, settings: Settings, out_of_scope: str) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold class probabilities of the gate shape, P(out of scope) first-stage, then the scenarios.

    Each class's probability is P(in scope) x P(class | in scope), so the rows
    read like the single model's and the same unsure rule applies.
    """
    classes = np.array(sorted(frame["label"].unique()))
    scope_column = int(np.flatnonzero(classes == out_of_scope)[0])
    proba = np.zeros((len(frame), len(classes)))
    folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED).split(frame, frame["label"])
    for train_index, test_index in folds:
        train_rows, test_rows = frame.iloc[train_index], frame.iloc[test_index]
        gate = fit(train_rows.assign(label=np.where(train_rows["label"] == out_of_scope, "out", "in")), settings, SEED)
        p_out = gate.predict_proba(test_rows)[:, list(gate.classes_).index("out")]
        scenarios = fit(train_rows[train_rows["label"] != out_of_scope], settings, SEED)
        columns = np.searchsorted(classes, scenarios.classes_)
        proba[np.ix_(test_index, columns)] = (1 - p_out)[:, None] * scenarios.predict_proba(test_rows)
        proba[test_index, scope_column] = p_out
    return proba, classes


def apply_gate(proba: np.ndarray, classes: np.ndarray, truth: np.ndarray, out_of_scope: str) -> np.ndarray:
    """Rows whose P(out of scope) clears the recall-tuned threshold become out of scope outright."""
    column = int(np.flatnonzero(classes == out_of_scope)[0])
    threshold = float(np.quantile(proba[truth == out_of_scope, column], 1 - GATE_RECALL))
    print(f"gate threshold for {GATE_RECALL:.0%} not_about_missing recall: P(out of scope) >= {threshold:.3f}")
    gated = proba.copy()
    passed = proba[:, column] >= threshold
    gated[passed] = 0.0
    gated[passed, column] = 1.0
    return gated


def report(name: str, frame: pd.DataFrame, proba: np.ndarray, classes: np.ndarray, base: UnsureRule,
           out_of_scope: str, seconds: float) -> dict[str, object]:
    truth = frame["label"].to_numpy()
    rule = tune_unsure_rule(proba, classes, truth, base, out_of_scope_label=out_of_scope)
    scored = predictions_frame(frame, proba, classes, rule)
    summary = evaluation_summary(scored, rule.public_labels(classes), out_of_scope, base.red_flags)
    flags = red_flag_precision(rule, proba, classes, truth, everyday_weights(truth, out_of_scope))
    everyday = summary["answers_by_label"][out_of_scope]
    return {"shape": name, "macro-F1 (11-way)": round(summary["macro_f1"], 3),
            "everyday: confident scenario": f"{everyday['confident_scenario']:.1%}",
            "everyday: confident red flag": f"{everyday['confident_red_flag']:.1%}",
            "no-cue rows unsure": f"{summary['answers_by_label'][base.no_cue_label]['unsure']:.1%}",
            "red-flag precision (everyday weighted)": f"{flags.precision:.1%}",
            "red-flag bar": rule.red_flag_min_probability, "seconds": round(seconds, 1)}


def main() -> None:
    task = get_task("meaning")
    frame, _, _ = load_task_data(task)
    train_part, _ = split_holdout(frame, HOLDOUT_FRACTION, SEED)
    settings = chosen_settings()
    base = UnsureRule(red_flags=task.red_flags, no_cue_label=task.no_cue_label)
    print(f"{len(train_part)} training rows, {CV_FOLDS}-fold out-of-fold, settings: {settings.describe()}")
    started = time.perf_counter()
    proba, classes = out_of_fold_proba(train_part, settings)
    rows = [report("single", train_part, proba, classes, base, task.out_of_scope_label,
                   time.perf_counter() - started)]
    started = time.perf_counter()
    proba, classes = gated_proba(train_part, settings, task.out_of_scope_label)
    proba = apply_gate(proba, classes, train_part["label"].to_numpy(), task.out_of_scope_label)
    rows.append(report("gate", train_part, proba, classes, base, task.out_of_scope_label,
                       time.perf_counter() - started))
    print(pd.DataFrame(rows).set_index("shape").T.to_string())


if __name__ == "__main__":
    main()
