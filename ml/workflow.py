"""End-to-end jobs built from the pieces: train-and-save, and the two evaluations.

The CLI, the notebooks and the tests call these, so each job exists once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml.config import DEFAULT_PROTOCOL, PROJECT_ROOT, TrainingProtocol
from ml.data import file_sha256, read_examples, split_holdout
from ml.datacheck import check_trainable
from ml.errors import DataError, ModelFileError, QualityGateError
from ml.evaluate import judge
from ml.metadata import CrossValidation, DataFile, DataRecord, HoldoutScore, ModelMetadata, TrainingConfig
from ml.pipeline import TFIDF, pipeline_input
from ml.predict import Model
from ml.quality import gate_refusal
from ml.store import ModelStore, StepHook, no_step
from ml.tasks import Task
from ml.train import Progress, TrainResult, holdout_scores, silent, train
from ml.unsure import UnsureRule, UnsureTradeoff


def portable_path(path: Path) -> str:
    """The path relative to the project when inside it, for messages that read the same on every clone."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path.resolve())


def load_task_data(task: Task, data_path: str | Path | None = None) -> tuple[pd.DataFrame, tuple[Path, ...], Task]:
    """Read a task's training files (its defaults, or the one ``data_path``) as one frame.

    Fixes the label set of a custom task. Rows keep their file's order, files
    their task's order, so seeded splits are stable.
    """
    paths = (Path(data_path),) if data_path is not None else task.data_files
    if not paths:
        raise DataError(f"task {task.name!r} has no data file of its own; pass --data FILE")
    frame = pd.concat([read_examples(path, task.trained_labels) for path in paths], ignore_index=True)
    if task.labels is None:
        task = task.with_labels(tuple(sorted(frame["label"].unique())))
    return frame, paths, task


def _check_reloaded(original: Pipeline, probe: pd.DataFrame):
    expected = original.predict_proba(probe)

    def check(reloaded: Pipeline) -> None:
        if not np.allclose(reloaded.predict_proba(probe), expected):
            raise ModelFileError("the saved model predicts differently from the trained one")

    return check


@dataclass(frozen=True)
class TrainedModel:
    """What ``train_task`` saved: where, as which version, and its record."""

    directory: Path
    version: str
    metadata: ModelMetadata


def _describe(task: Task, result: TrainResult, paths: tuple[Path, ...], rows: int,
              protocol: TrainingProtocol) -> ModelMetadata:
    summary = result.summary
    holdout = summary.get("holdout")
    return ModelMetadata.describe_new(
        task=task.name, labels=tuple(result.pipeline.classes_),
        config=TrainingConfig(protocol, result.settings),
        data=DataRecord(files=tuple(DataFile(path.name, file_sha256(path)) for path in paths), rows=rows),
        cv=CrossValidation(rows=summary["cv"]["rows"], macro_f1_mean=summary["cv"]["macro_f1_mean"],
                           macro_f1_std=summary["cv"]["macro_f1_std"]),
        holdout=HoldoutScore(rows=holdout["rows"], accuracy=holdout["accuracy"], macro_f1=holdout["macro_f1"])
        if holdout else None,
        unsure_rule=result.unsure_rule,
        unsure_out_of_fold=UnsureTradeoff(**summary["unsure_rule"]["out_of_fold"]),
        red_flags_out_of_fold=summary["unsure_rule"]["red_flags_out_of_fold"],
        calibration=result.calibration,
    )


def train_task(task: Task, data_path: str | Path | None = None, out_dir: str | Path | None = None, *,
               features: str = TFIDF, space: Mapping[str, Iterable[Any]] | None = None,
               protocol: TrainingProtocol = DEFAULT_PROTOCOL, calibrate: bool = True,
               allow_missing_labels: bool = False, force: bool = False, progress: Progress = silent,
               on_step: StepHook = no_step) -> TrainedModel:
    """Read and check the data, train (CV search, calibration, unsure rule, held-out score), save a version.

    ``features`` is the feature set (``tfidf`` or ``hybrid``, recorded in the
    metadata); ``space`` defaults to that feature set's search space.

    The new version becomes current only if it passes the quality gate
    (:mod:`ml.quality`) or ``force`` is set; otherwise it is kept as a
    non-current version and QualityGateError says why and how to use it anyway.
    A protocol with ``holdout_fraction`` 0 skips the held-out score (quick fits in tests and
    benchmarks); such a model cannot replace one that has a score, unless forced.
    """
    frame, paths, task = load_task_data(task, data_path)
    check_trainable(frame, protocol, catalogue=task.labels,
                    allow_missing_labels=allow_missing_labels, source=", ".join(map(str, paths)))
    result = train(frame, features=features, space=space, protocol=protocol,
                   base_rule=UnsureRule(red_flags=task.red_flags, no_cue_label=task.no_cue_label),
                   out_of_scope_label=task.out_of_scope_label, calibrate=calibrate, progress=progress)
    metadata = _describe(task, result, paths, len(frame), protocol)
    directory = Path(out_dir) if out_dir is not None else task.model_dir
    outcome = ModelStore(directory).save(
        result.pipeline, metadata, check=_check_reloaded(result.pipeline, pipeline_input(frame.head(25))),
        accept=None if force else partial(gate_refusal, metadata), on_step=on_step)
    if not outcome.made_current:
        raise QualityGateError(
            f"the new {task.name} model was not made current: {outcome.refusal}. It is kept as version "
            f"{outcome.version}; make it current anyway with: python -m ml models rollback --task {task.name} "
            f"--to {outcome.version} (or train again with --force)")
    return TrainedModel(directory, outcome.version, metadata)


@dataclass(frozen=True)
class EvaluationResult:
    summary: dict[str, Any]
    scored: pd.DataFrame  # the rows with predictions, for reports
    labels: tuple[str, ...]
    description: str


def evaluate_saved(model: Model, data_path: str | Path) -> EvaluationResult:
    """Score a saved model on any label-guide CSV: the way outside sets are judged.

    Besides accuracy and macro-F1 the summary has answer rates (unsure,
    confident scenario, confident red flag), which is what an everyday set
    (every row ``not_about_missing``) is judged by.
    """
    frame = read_examples(data_path, model.classes)
    summary, scored = judge(model.pipeline, frame, model.unsure_rule, model.task.out_of_scope_label)
    return EvaluationResult(summary, scored, model.labels, f"saved {model.task.name} model on {data_path}")


def evaluate_holdout(model: Model) -> EvaluationResult:
    """Re-run the held-out protocol with the saved model's settings, on the task's own data file.

    The saved model has seen every row, so scoring it on its own data would be
    dishonest; instead this refits the same settings on the seeded training
    part and scores the held-out part it never saw. The data files are the
    task's, never paths read from the model's metadata; if they changed since
    training, the description says so. A calibrated model's refit gets its recorded temperature.
    """
    if model.metadata is None:
        raise DataError("a model fitted in memory has no training record to re-run")
    config = model.metadata.config
    seed = config.protocol.seed
    frame, paths, task = load_task_data(model.task)
    fraction = config.protocol.holdout_fraction or DEFAULT_PROTOCOL.holdout_fraction
    summary, scored = holdout_scores(split_holdout(frame, fraction, seed), config.settings, model.unsure_rule, seed,
                                     task.out_of_scope_label, model.metadata.calibration.temperature)
    recorded = [f.sha256 for f in model.metadata.data.files]
    changed = "" if [file_sha256(path) for path in paths] == recorded else " (the data changed since training)"
    files = ", ".join(portable_path(path) for path in paths)
    return EvaluationResult(summary, scored, model.labels,
                            f"held-out {fraction:.0%} of {files}{changed} (seed {seed}), "
                            "model refit on the rest with the saved settings")
