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
from ml.abstain import tradeoff
from ml.artifacts import save_artifacts
from ml.config import CV_FOLDS, HOLDOUT_FRACTION, PROJECT_ROOT, SEED
from ml.data import file_sha256, read_examples
from ml.errors import DataError, ModelFileError
from ml.evaluate import classification_summary, predictions_frame
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


def resolve_data_path(recorded: str) -> Path:
    """Inverse of :func:`portable_path`."""
    path = Path(recorded)
    return path if path.is_absolute() else PROJECT_ROOT / path


def load_task_data(task: Task, data_path: str | Path | None = None) -> tuple[pd.DataFrame, Path, Task]:
    """Read a task's CSV (its default or ``data_path``); fixes the label set of a custom task."""
    path = Path(data_path) if data_path is not None else task.data_path
    if path is None:
        raise DataError(f"task {task.name!r} has no default data file; pass --data FILE")
    frame = read_examples(path, task.labels)
    if task.labels is None:
        task = task.with_labels(tuple(sorted(frame["label"].unique())))
    if len(task.labels) < 2:
        raise DataError(f"{path}: need at least two labels to train, found {len(task.labels)}")
    return frame, path, task


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
    frame, path, task = load_task_data(task, data_path)
    result = train(frame, space=space, seed=seed, folds=folds, holdout_fraction=holdout_fraction, progress=progress)
    metadata = {
        "task": task.name,
        "ml_version": ml.__version__,
        "python_version": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": list(result.pipeline.classes_),
        "settings": result.settings.to_dict(),
        "seed": seed,
        "reject_rule": result.summary["reject_rule"],
        "data": {"path": portable_path(path), "sha256": file_sha256(path), "rows": len(frame)},
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
    """Score a saved model on any label-guide CSV: the way outside sets are judged."""
    frame = read_examples(data_path, model.labels)
    proba = model.pipeline.predict_proba(features_frame(frame))
    scored = predictions_frame(frame, proba, model.labels, model.reject_rule)
    summary = classification_summary(frame["label"], scored["predicted"], model.labels)
    summary["reject_rule"] = tradeoff(model.reject_rule, proba, np.searchsorted(model.labels, frame["label"])).to_dict()
    summary["rows"] = len(frame)
    return EvaluationResult(summary, scored, model.labels, f"saved {model.task.name} model on {data_path}")


def evaluate_holdout(model: Model) -> EvaluationResult:
    """Re-run the held-out protocol with the saved model's settings.

    The saved model has seen every row, so scoring it on its own data would be
    dishonest; instead this refits the same settings on the seeded training
    part and scores the held-out part it never saw.
    """
    meta = model.metadata
    frame, path, _ = load_task_data(model.task, resolve_data_path(meta["data"]["path"]))
    fraction = (meta.get("holdout") or {}).get("fraction", HOLDOUT_FRACTION)
    summary, scored = holdout_scores(frame, Settings.from_dict(meta["settings"]), model.reject_rule,
                                     seed=meta.get("seed", SEED), fraction=fraction)
    return EvaluationResult(summary, scored, model.labels,
                            f"held-out {fraction:.0%} of {portable_path(path)} (seed {meta.get('seed', SEED)}), "
                            "model refit on the rest with the saved settings")
