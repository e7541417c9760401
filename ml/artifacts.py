"""Saving and loading a trained pipeline with a JSON metadata file beside it.

Layout of a model directory::

    model.joblib        the fitted Pipeline
    model.json          metadata, read first and checked before unpickling
    model.prev.joblib   the previous good model and its metadata, kept by save
    model.prev.json

joblib runs code when it loads, so only load models this project trained; the
sha256 in the metadata catches truncated or tampered files before unpickling.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import sklearn
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.pipeline import Pipeline

from ml.data import file_sha256
from ml.errors import IncompatibleModelError, ModelFileError, ModelNotFoundError

FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
META_FILE = "model.json"
PREVIOUS_MODEL_FILE = "model.prev.joblib"
PREVIOUS_META_FILE = "model.prev.json"


def _retrain_hint(task: str | None) -> str:
    return f"retrain with: python -m ml train --task {task}" if task else "retrain it with: python -m ml train"


def read_metadata(directory: str | Path, task: str | None = None) -> dict[str, Any]:
    """The metadata of the model in ``directory``, checked for format, task and versions."""
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise ModelNotFoundError(f"no trained model in {directory} ({META_FILE} is missing); {_retrain_hint(task)}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{meta_path} is corrupt ({exc}); {_retrain_hint(task)}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{meta_path} is not a metadata object; {_retrain_hint(task)}")
    task = task or meta.get("task")
    if meta.get("format_version") != FORMAT_VERSION:
        raise IncompatibleModelError(f"{meta_path} has format version {meta.get('format_version')!r}, this package "
                                     f"reads version {FORMAT_VERSION}; {_retrain_hint(task)}")
    if task is not None and meta.get("task") != task:
        raise IncompatibleModelError(f"{meta_path} belongs to task {meta.get('task')!r}, not {task!r}; "
                                     f"{_retrain_hint(task)}")
    if meta.get("sklearn_version") != sklearn.__version__:
        raise IncompatibleModelError(f"{meta_path} was saved with scikit-learn {meta.get('sklearn_version')}, "
                                     f"this environment has {sklearn.__version__}; {_retrain_hint(task)}")
    return meta


def _unpickle(path: Path, task: str | None) -> Pipeline:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            pipeline = joblib.load(path)
    except InconsistentVersionWarning as exc:
        raise IncompatibleModelError(f"{path}: {exc}; {_retrain_hint(task)}") from None
    except Exception as exc:  # unpickling can fail in many ways; all mean "unreadable"
        raise ModelFileError(f"{path} cannot be loaded ({type(exc).__name__}: {exc}); {_retrain_hint(task)}") from None
    if not isinstance(pipeline, Pipeline):
        raise ModelFileError(f"{path} does not hold a scikit-learn Pipeline; {_retrain_hint(task)}")
    return pipeline


def load_artifacts(directory: str | Path, task: str | None = None) -> tuple[Pipeline, dict[str, Any]]:
    """Load a model directory: metadata first, then checksum, then the pipeline.

    Raises ModelNotFoundError, ModelFileError (corrupt, truncated, tampered) or
    IncompatibleModelError (another task, format or scikit-learn version), each
    naming the file and how to fix it.
    """
    directory = Path(directory)
    meta = read_metadata(directory, task)
    task = task or meta.get("task")
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ModelNotFoundError(f"{model_path} is missing; {_retrain_hint(task)}")
    if file_sha256(model_path) != meta.get("model_sha256"):
        raise ModelFileError(f"{model_path} does not match the checksum in {META_FILE} (truncated, replaced or "
                             f"tampered with); {_retrain_hint(task)}")
    pipeline = _unpickle(model_path, task)
    if list(pipeline.classes_) != list(meta.get("labels", [])):
        raise ModelFileError(f"{model_path}: its labels differ from {META_FILE}; {_retrain_hint(task)}")
    return pipeline, meta


def save_artifacts(pipeline: Pipeline, metadata: dict[str, Any], directory: str | Path,
                   check: Callable[[Pipeline], None]) -> Path:
    """Write a model so that a failure at any step leaves the previous good one in place.

    The pipeline is dumped to a temporary file in the same directory, reloaded
    and passed to ``check`` (which raises if the reloaded copy misbehaves);
    only then is the current model copied to ``model.prev.*`` and the new files
    moved into place with atomic renames.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    temporary: list[Path] = []
    try:
        handle, name = tempfile.mkstemp(prefix=".model-", suffix=".joblib.tmp", dir=directory)
        os.close(handle)
        temporary.append(Path(name))
        joblib.dump(pipeline, name)
        check(_unpickle(Path(name), metadata.get("task")))
        meta = {**metadata, "format_version": FORMAT_VERSION, "sklearn_version": sklearn.__version__,
                "model_file": MODEL_FILE, "model_sha256": file_sha256(name)}
        handle, meta_name = tempfile.mkstemp(prefix=".model-", suffix=".json.tmp", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(meta, out, indent=2, ensure_ascii=False)
            out.write("\n")
        temporary.append(Path(meta_name))
        if (directory / MODEL_FILE).is_file() and (directory / META_FILE).is_file():
            shutil.copy2(directory / MODEL_FILE, directory / PREVIOUS_MODEL_FILE)
            shutil.copy2(directory / META_FILE, directory / PREVIOUS_META_FILE)
        os.replace(name, directory / MODEL_FILE)
        os.replace(meta_name, directory / META_FILE)
    except Exception as exc:
        for path in temporary:
            path.unlink(missing_ok=True)
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"could not save the model to {directory} ({type(exc).__name__}: {exc}); "
                             "the previous model, if any, is untouched") from exc
    return directory
