"""Choosing settings by cross-validation, fitting, and the held-out protocol.

Settings are chosen by stratified k-fold CV on the training part only; the
held-out part is scored once, with the chosen settings, and never feeds a choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import ParameterGrid, StratifiedKFold, cross_val_predict, cross_val_score
from sklearn.pipeline import Pipeline

from ml.config import DEFAULT_PROTOCOL, TrainingProtocol
from ml.data import split_holdout
from ml.errors import DataError
from ml.evaluate import judge
from ml.pipeline import Settings, build_pipeline, pipeline_input
from ml.tuning import tune_unsure_rule
from ml.unsure import UnsureRule, everyday_weights, red_flag_precision, tradeoff

Progress = Callable[[str], None]

SEARCH_SPACE: Mapping[str, list[Any]] = {
    "C": [1.0, 3.0, 10.0, 30.0],
    "word_ngrams": [(1, 1), (1, 2)],
    "char_ngrams": [(2, 4), (2, 5)],
    "class_weight": [None, "balanced"],
}


@dataclass(frozen=True)
class SearchResult:
    settings: Settings
    cv_macro_f1_mean: float
    cv_macro_f1_std: float
    table: tuple[dict[str, Any], ...]  # every candidate with its CV scores, in search order


@dataclass(frozen=True)
class TrainResult:
    pipeline: Pipeline
    settings: Settings
    unsure_rule: UnsureRule
    summary: dict[str, Any]  # CV, thresholds and held-out numbers, saved in the metadata


def silent(_: str) -> None:
    """The default progress callback: print nothing."""


def _folds(frame: pd.DataFrame, protocol: TrainingProtocol) -> StratifiedKFold:
    folds = protocol.cv_folds
    smallest = int(frame["label"].value_counts().min())
    if smallest < folds:
        raise DataError(f"every label needs at least {folds} rows for {folds}-fold cross-validation; "
                        f"the smallest has {smallest}")
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=protocol.seed)


def has_context(frame: pd.DataFrame) -> bool:
    return bool((frame["context"].str.strip() != "").any())


def default_settings(frame: pd.DataFrame) -> Settings:
    """The package defaults, with the context features off when no row has a context."""
    return replace(Settings(), use_context=has_context(frame))


def search(frame: pd.DataFrame, space: Mapping[str, Iterable[Any]] = SEARCH_SPACE, *,
           protocol: TrainingProtocol = DEFAULT_PROTOCOL, progress: Progress = silent) -> SearchResult:
    """Grid search over ``space`` by stratified k-fold macro-F1.

    Ties go to the earlier candidate, so the search is deterministic.
    """
    cv = _folds(frame, protocol)
    base = default_settings(frame)
    candidates = [replace(base, **params) for params in ParameterGrid(dict(space))]
    table, best = [], None
    for i, settings in enumerate(candidates, 1):
        started = time.perf_counter()
        scores = cross_val_score(build_pipeline(settings, protocol.seed), pipeline_input(frame), frame["label"],
                                 cv=cv, scoring="f1_macro", n_jobs=-1)
        row = {**settings.to_dict(), "cv_macro_f1_mean": float(scores.mean()), "cv_macro_f1_std": float(scores.std())}
        table.append(row)
        if best is None or row["cv_macro_f1_mean"] > best[1]["cv_macro_f1_mean"]:
            best = (settings, row)
        progress(f"[{i:>2}/{len(candidates)}] {settings.describe():<60} "
                 f"macro-F1 {scores.mean():.3f} ± {scores.std():.3f}  ({time.perf_counter() - started:.1f}s)")
    if best is None:
        raise DataError("the search space holds no candidate settings")
    settings, row = best
    return SearchResult(settings, row["cv_macro_f1_mean"], row["cv_macro_f1_std"], tuple(table))


def out_of_fold_proba(frame: pd.DataFrame, settings: Settings,
                      protocol: TrainingProtocol = DEFAULT_PROTOCOL) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities and the sorted label array their columns follow."""
    labels = np.array(sorted(frame["label"].unique()))
    proba = cross_val_predict(build_pipeline(settings, protocol.seed), pipeline_input(frame), frame["label"],
                              cv=_folds(frame, protocol), method="predict_proba", n_jobs=-1)
    return proba, labels


def fit(frame: pd.DataFrame, settings: Settings, seed: int) -> Pipeline:
    return build_pipeline(settings, seed).fit(pipeline_input(frame), frame["label"])


def holdout_scores(split: tuple[pd.DataFrame, pd.DataFrame], settings: Settings, rule: UnsureRule, seed: int,
                   out_of_scope_label: str | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit on the training part of ``split`` (from :func:`ml.data.split_holdout`), judge the held-out part once.

    Returns the summary (:func:`ml.evaluate.judge`) and the held-out rows with
    predictions, for reports.
    """
    train_part, held_out = split
    return judge(fit(train_part, settings, seed), held_out, rule, out_of_scope_label)


def train(frame: pd.DataFrame, *, space: Mapping[str, Iterable[Any]] = SEARCH_SPACE,
          protocol: TrainingProtocol = DEFAULT_PROTOCOL, base_rule: UnsureRule | None = None,
          out_of_scope_label: str | None = None, progress: Progress = silent) -> TrainResult:
    """The full recipe: split, search, tune the unsure rule, score held-out, refit on all rows.

    ``base_rule`` names the task's red flags and internal no-cue class (None:
    neither); its thresholds are tuned here. With a ``holdout_fraction`` of 0 every row is used
    for the search and no held-out score is reported. The returned pipeline is
    always fitted on every row, with the settings chosen without seeing the
    held-out part.
    """
    split = split_holdout(frame, protocol.holdout_fraction, protocol.seed) if protocol.holdout_fraction > 0 else None
    train_part = split[0] if split else frame
    progress(f"cross-validating {protocol.cv_folds}-fold on {len(train_part)} training rows "
             f"({len(frame) - len(train_part)} held out)")
    found = search(train_part, space, protocol=protocol, progress=progress)
    progress(f"best: {found.settings.describe()}  CV macro-F1 "
             f"{found.cv_macro_f1_mean:.3f} ± {found.cv_macro_f1_std:.3f}")
    proba, labels = out_of_fold_proba(train_part, found.settings, protocol)
    truth = train_part["label"].to_numpy()
    rule = tune_unsure_rule(proba, labels, truth, base_rule or UnsureRule(), protocol.min_coverage,
                            out_of_scope_label)
    summary: dict[str, Any] = {
        "cv": {"folds": protocol.cv_folds, "seed": protocol.seed, "rows": len(train_part),
               "macro_f1_mean": found.cv_macro_f1_mean, "macro_f1_std": found.cv_macro_f1_std,
               "candidates": list(found.table)},
        "unsure_rule": {**rule.to_dict(), "min_coverage": protocol.min_coverage,
                        "out_of_fold": tradeoff(rule, proba, np.searchsorted(labels, truth), labels).to_dict(),
                        "red_flags_out_of_fold": red_flag_precision(rule, proba, labels, truth,
                                                                    everyday_weights(truth, out_of_scope_label))},
    }
    if split is not None:
        progress("scoring the held-out split once")
        summary["holdout"], _ = holdout_scores(split, found.settings, rule, protocol.seed, out_of_scope_label)
        summary["holdout"]["fraction"] = protocol.holdout_fraction
    progress(f"fitting the final model on all {len(frame)} rows")
    return TrainResult(fit(frame, found.settings, protocol.seed), found.settings, rule, summary)
