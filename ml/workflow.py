"""End-to-end jobs built from the pieces: train-and-save, and the two evaluations.

The CLI, the notebooks and the tests call these, so each job exists once.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

import ml
from ml.abstain import RejectRule, tradeoff
from ml.artifacts import save_artifacts
from ml.config import CV_FOLDS, HOLDOUT_FRACTION, PROJECT_ROOT, SEED
from ml.data import file_sha256, read_examples
from ml.errors import DataError, ModelFileError
from ml.evaluate import evaluation_summary, predictions_frame
from ml.pipeline import Settings
from ml.predict import Model
from ml.tasks import Task
from ml.train import SEARCH_SPACE, Progress, features_frame, holdout_scores, silent, train


def portable_path(path: Path) -> str:
    """The path relative to the project when inside it, so metadata reads the same on every clone."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path.resolve())


def load_task_data(task: Task, data_path: str | Path | None = None) -> tuple[pd.DataFrame, tuple[Path, ...], Task]:
    """Read a task's training files (its defaults, or the one ``data_path``), one frame.

    Fixes the label set of a custom task. Rows keep their file's order, files
    their task order, so seeded splits are stable.
    """
    paths = (Path(data_path),) if data_path is not None else task.data_files
    if not paths:
        raise DataError(f"task {task.name!r} has no default data file; pass --data FILE")
    frame = pd.concat([read_examples(path, task.trained_labels) for path in paths], ignore_index=True)
    if task.labels is None:
        task = task.with_labels(tuple(sorted(frame["label"].unique())))
    if len(task.labels) < 2:
        raise DataError(f"{paths[0]}: need at least two labels to train, found {len(task.labels)}")
    return frame, paths, task


def _check_reloaded(original: Pipeline, probe: pd.DataFrame):
    expected = original.predict_proba(probe)

    def check(reloaded: Pipeline) -> None:
        if not np.allclose(reloaded.predict_proba(probe), expected):
            raise ModelFileError("the saved model predicts differently from the trained one")

    return check


def train_task(task: Task, data_path: str | Path | None = None, out_dir: str | Path | None = None, *,
               space: Mapping[str, Iterable[Any]] = SEARCH_SPACE, seed: int = SEED, folds: int = CV_FOLDS,
               holdout_fraction: float = HOLDOUT_FRACTION, progress: Progress = silent) -> tuple[Path, dict[str, Any]]:
    """Read, validate, train (CV search, unsure rule, held-out score) and save atomically.

    Returns the model directory and the metadata written beside the model.
    """
    frame, paths, task = load_task_data(task, data_path)
    base_rule = RejectRule(red_flags=task.red_flags, no_cue_label=task.no_cue_label)
    result = train(frame, space=space, seed=seed, folds=folds, holdout_fraction=holdout_fraction,
                   base_rule=base_rule, out_of_scope_label=task.out_of_scope_label, progress=progress)
    metadata = {
        "task": task.name,
        "ml_version": ml.__version__,
        "python_version": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": list(result.pipeline.classes_),
        "settings": result.settings.to_dict(),
        "seed": seed,
        "reject_rule": result.summary["reject_rule"],
        "data": {"files": [{"path": portable_path(path), "sha256": file_sha256(path)} for path in paths],
                 "rows": len(frame)},
        "cv": result.summary["cv"],
        "holdout": result.summary.get("holdout"),
    }
    directory = Path(out_dir) if out_dir is not None else task.model_dir
    save_artifacts(result.pipeline, metadata, directory,
                   check=_check_reloaded(result.pipeline, features_frame(frame.head(25))))
    return directory, metadata


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
    _, proba, reasons = model.score(frame)
    scored = predictions_frame(frame, proba, model.classes, model.reject_rule, reasons)
    summary = evaluation_summary(scored, model.labels, model.task.out_of_scope_label, model.reject_rule.red_flags)
    summary["reject_rule"] = tradeoff(model.reject_rule, proba, np.searchsorted(model.classes, frame["label"]),
                                      model.classes).to_dict()
    return EvaluationResult(summary, scored, model.labels, f"saved {model.task.name} model on {data_path}")


def evaluate_holdout(model: Model) -> EvaluationResult:
    """Re-run the held-out protocol with the saved model's settings.

    The saved model has seen every row, so scoring it on its own data would be
    dishonest; instead this refits the same settings on the seeded training
    part and scores the held-out part it never saw. The data are the task's own
    files: nothing read from the metadata is used as a path.
    """
    meta = model.metadata
    frame, paths, task = load_task_data(model.task)
    fraction = (meta.get("holdout") or {}).get("fraction", HOLDOUT_FRACTION)
    summary, scored = holdout_scores(frame, Settings.from_dict(meta["settings"]), model.reject_rule,
                                     seed=meta.get("seed", SEED), fraction=fraction,
                                     out_of_scope_label=task.out_of_scope_label)
    files = ", ".join(portable_path(path) for path in paths)
    return EvaluationResult(summary, scored, model.labels,
                            f"held-out {fraction:.0%} of {files} (seed {meta.get('seed', SEED)}), "
                            "model refit on the rest with the saved settings")
