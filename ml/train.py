"""Choosing settings by cross-validation, fitting, calibration, and the held-out protocol.

Settings (and whether to calibrate) are chosen by stratified k-fold CV on the
training part only; the held-out part is scored once, with the chosen
settings, and never feeds a choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import f1_score
from sklearn.model_selection import ParameterGrid, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from ml.calibration import (
    NONE,
    SIGMOID,
    TEMPERATURE,
    Calibration,
    CalibrationScore,
    apply_temperature,
    choose,
    fit_temperature,
    probabilities,
)
from ml.config import DEFAULT_PROTOCOL, TrainingProtocol
from ml.data import split_holdout
from ml.embeddings import require_extra
from ml.errors import DataError
from ml.evaluate import judge
from ml.pipeline import HYBRID, TFIDF, Settings, build_pipeline, pipeline_input
from ml.tuning import tune_unsure_rule
from ml.unsure import UnsureRule, everyday_weights, red_flag_precision, tradeoff

Progress = Callable[[str], None]

SEARCH_SPACE: Mapping[str, list[Any]] = {
    "C": [1.0, 3.0, 10.0, 30.0],
    "word_ngrams": [(1, 1), (1, 2)],
    "char_ngrams": [(2, 4), (2, 5)],
    "class_weight": [None, "balanced"],
}
# The hybrid search keeps the n-grams both tasks' TF-IDF searches chose and spends its candidates on the
# dense blocks' weight instead; a hybrid fit costs several TF-IDF fits.
SEARCH_SPACES: Mapping[str, Mapping[str, list[Any]]] = {
    TFIDF: SEARCH_SPACE,
    HYBRID: {"C": [3.0, 10.0, 30.0], "word_ngrams": [(1, 2)], "char_ngrams": [(2, 4)],
             "class_weight": [None, "balanced"], "embedding_weight": [1.0, 0.5, 2.0]},
}
CALIBRATION_INNER_FOLDS = 3  # folds CalibratedClassifierCV fits its calibrator on, inside each outer fold


@dataclass(frozen=True)
class SearchResult:
    settings: Settings
    cv_macro_f1_mean: float
    cv_macro_f1_std: float
    table: tuple[dict[str, Any], ...]  # every candidate with its CV scores, in search order
    logits: np.ndarray  # the chosen candidate's out-of-fold decision values, reused instead of refitting


@dataclass(frozen=True)
class TrainResult:
    pipeline: Pipeline
    settings: Settings
    unsure_rule: UnsureRule
    calibration: Calibration
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


def default_settings(frame: pd.DataFrame, features: str = TFIDF) -> Settings:
    """The package defaults for a feature set, with the context features off when no row has a context."""
    return replace(Settings(), use_context=has_context(frame), features=features,
                   embedding_weight=1.0 if features == HYBRID else None)


def _n_jobs(settings: Settings) -> int:
    """Parallel CV for TF-IDF; one process for hybrid, whose embedding cache (and encoder) live per process."""
    return 1 if settings.features == HYBRID else -1


def search(frame: pd.DataFrame, space: Mapping[str, Iterable[Any]] | None = None, *, features: str = TFIDF,
           protocol: TrainingProtocol = DEFAULT_PROTOCOL, progress: Progress = silent) -> SearchResult:
    """Grid search over ``space`` (default: the feature set's SEARCH_SPACES entry) by stratified k-fold macro-F1.

    Ties go to the earlier candidate, so the search is deterministic.
    """
    cv = _folds(frame, protocol)
    base = default_settings(frame, features)
    candidates = [replace(base, **params) for params in ParameterGrid(dict(space or SEARCH_SPACES[features]))]
    truth = frame["label"].to_numpy()
    table, best = [], None
    for i, settings in enumerate(candidates, 1):
        started = time.perf_counter()
        logits, labels = out_of_fold_logits(frame, settings, protocol)
        predicted = labels[probabilities(logits).argmax(axis=1)]
        # Per-fold macro-F1 from the out-of-fold predictions: cross_val_score's numbers, without a second fit.
        scores = np.array([f1_score(truth[test], predicted[test], average="macro")
                           for _, test in cv.split(frame, truth)])
        row = {**settings.to_dict(), "cv_macro_f1_mean": float(scores.mean()), "cv_macro_f1_std": float(scores.std())}
        table.append(row)
        if best is None or row["cv_macro_f1_mean"] > best[1]["cv_macro_f1_mean"]:
            best = (settings, row, logits)
        progress(f"[{i:>2}/{len(candidates)}] {settings.describe():<60} "
                 f"macro-F1 {scores.mean():.3f} ± {scores.std():.3f}  ({time.perf_counter() - started:.1f}s)")
    if best is None:
        raise DataError("the search space holds no candidate settings")
    settings, row, logits = best
    return SearchResult(settings, row["cv_macro_f1_mean"], row["cv_macro_f1_std"], tuple(table), logits)


def out_of_fold_logits(frame: pd.DataFrame, settings: Settings,
                       protocol: TrainingProtocol = DEFAULT_PROTOCOL) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold decision values (the logits) and the sorted label array their columns follow."""
    labels = np.array(sorted(frame["label"].unique()))
    logits = cross_val_predict(build_pipeline(settings, protocol.seed), pipeline_input(frame), frame["label"],
                               cv=_folds(frame, protocol), method="decision_function", n_jobs=_n_jobs(settings))
    return logits, labels


def out_of_fold_proba(frame: pd.DataFrame, settings: Settings,
                      protocol: TrainingProtocol = DEFAULT_PROTOCOL) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities (uncalibrated) and the sorted label array their columns follow."""
    logits, labels = out_of_fold_logits(frame, settings, protocol)
    return probabilities(logits), labels


def study_calibration(frame: pd.DataFrame, settings: Settings, logits: np.ndarray, protocol: TrainingProtocol,
                      progress: Progress = silent) -> Calibration:
    """Out-of-fold ECE, log-loss and macro-F1 without calibration and with CalibratedClassifierCV (sigmoid,
    temperature), each calibrator fitted inside the outer training folds only; then the rule of
    :func:`ml.calibration.choose`. An adopted temperature is fitted on all of ``logits`` (out-of-fold).
    """
    labels = np.array(sorted(frame["label"].unique()))
    truth = frame["label"].to_numpy()
    scores = [CalibrationScore.measure(NONE, probabilities(logits), labels, truth)]
    inner = StratifiedKFold(n_splits=CALIBRATION_INNER_FOLDS, shuffle=True, random_state=protocol.seed)
    for method in (SIGMOID, TEMPERATURE):
        started = time.perf_counter()
        # Temperature as it could ship (one model, one T); sigmoid as scikit-learn recommends it (an ensemble).
        calibrated = CalibratedClassifierCV(build_pipeline(settings, protocol.seed), method=method, cv=inner,
                                            ensemble=method == SIGMOID)
        try:
            proba = cross_val_predict(calibrated, pipeline_input(frame), frame["label"], cv=_folds(frame, protocol),
                                      method="predict_proba", n_jobs=_n_jobs(settings))
        except ValueError as exc:
            # Small data: an inner fold can lack a label, or a block its vocabulary. The study is a
            # measurement, so the method goes unmeasured (and cannot be adopted) rather than failing training.
            progress(f"calibration {method:<12} not measured: {exc}")
            continue
        scores.append(CalibrationScore.measure(method, proba, labels, truth))
        progress(f"calibration {method:<12} {scores[-1]}  ({time.perf_counter() - started:.1f}s)")
    method = choose(scores)
    temperature = fit_temperature(logits, np.searchsorted(labels, truth)) if method == TEMPERATURE else None
    return Calibration(method, temperature, tuple(scores))


def fit(frame: pd.DataFrame, settings: Settings, seed: int, temperature: float | None = None) -> Pipeline:
    """The pipeline fitted on ``frame``; with a ``temperature``, its logits divided by it (calibrated)."""
    return apply_temperature(build_pipeline(settings, seed).fit(pipeline_input(frame), frame["label"]), temperature)


def holdout_scores(split: tuple[pd.DataFrame, pd.DataFrame], settings: Settings, rule: UnsureRule, seed: int,
                   out_of_scope_label: str | None = None,
                   temperature: float | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit on the training part of ``split`` (from :func:`ml.data.split_holdout`), judge the held-out part once.

    Returns the summary (:func:`ml.evaluate.judge`) and the held-out rows with
    predictions, for reports.
    """
    train_part, held_out = split
    return judge(fit(train_part, settings, seed, temperature), held_out, rule, out_of_scope_label)


def train(frame: pd.DataFrame, *, features: str = TFIDF, space: Mapping[str, Iterable[Any]] | None = None,
          protocol: TrainingProtocol = DEFAULT_PROTOCOL, base_rule: UnsureRule | None = None,
          out_of_scope_label: str | None = None, calibrate: bool = True, progress: Progress = silent) -> TrainResult:
    """The full recipe: split, search, calibration study, tune the unsure rule, score held-out, refit on all rows.

    ``base_rule`` names the task's red flags and internal no-cue class (None:
    neither); its thresholds are tuned here, on calibrated probabilities when
    calibration is adopted. ``calibrate`` False skips the calibration study
    (quick fits). With a ``holdout_fraction`` of 0 every row is used for the
    search and no held-out score is reported. The returned pipeline is always
    fitted on every row, with the settings chosen without seeing the held-out part.
    """
    if features == HYBRID:
        require_extra()  # say so before any work, not after a cached text hides it
    split = split_holdout(frame, protocol.holdout_fraction, protocol.seed) if protocol.holdout_fraction > 0 else None
    train_part = split[0] if split else frame
    progress(f"cross-validating {protocol.cv_folds}-fold on {len(train_part)} training rows "
             f"({len(frame) - len(train_part)} held out), features {features}")
    found = search(train_part, space, features=features, protocol=protocol, progress=progress)
    progress(f"best: {found.settings.describe()}  CV macro-F1 "
             f"{found.cv_macro_f1_mean:.3f} ± {found.cv_macro_f1_std:.3f}")
    logits, labels = found.logits, np.array(sorted(train_part["label"].unique()))
    truth = train_part["label"].to_numpy()
    calibration = (study_calibration(train_part, found.settings, logits, protocol, progress) if calibrate else
                   Calibration(NONE, None, (CalibrationScore.measure(NONE, probabilities(logits), labels, truth),)))
    progress(f"calibration: {calibration.method}" + (f" (T={calibration.temperature:.3f})"
                                                     if calibration.temperature else ""))
    proba = probabilities(logits, calibration.temperature)
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
        summary["holdout"], _ = holdout_scores(split, found.settings, rule, protocol.seed, out_of_scope_label,
                                               calibration.temperature)
        summary["holdout"]["fraction"] = protocol.holdout_fraction
    progress(f"fitting the final model on all {len(frame)} rows")
    return TrainResult(fit(frame, found.settings, protocol.seed, calibration.temperature), found.settings, rule,
                       calibration, summary)
