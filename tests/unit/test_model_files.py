"""Model files: loading never runs code from them, and metadata is checked like the model."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io as sio

from ml.artifacts import CHECKSUM_FILE, META_FILE, MODEL_FILE, untrusted_types
from ml.errors import (
    IncompatibleModelError,
    MetadataError,
    ModelFileError,
    ModelNotFoundError,
    UntrustedModelError,
)
from ml.pipeline import Settings, build_pipeline, feature_step, pipeline_input
from ml.predict import load_model, model_metadata
from ml.store import ModelStore


@pytest.fixture
def model_root(tiny_model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(tiny_model_dir, target)
    return target


def version_dir(root: Path) -> Path:
    store = ModelStore(root)
    return store.version_dir(store.current_version())


def rewrite(directory: Path, *, model: bytes | None = None, meta: dict | None = None) -> None:
    """Replace files of a version and recompute SHA256SUMS, as an attacker who can write every file would."""
    if model is not None:
        (directory / MODEL_FILE).write_bytes(model)
    if meta is not None:
        (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    sums = "".join(f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}\n"
                   for name in (MODEL_FILE, META_FILE))
    (directory / CHECKSUM_FILE).write_text(sums, encoding="ascii")


def read_meta(directory: Path) -> dict:
    return json.loads((directory / META_FILE).read_text(encoding="utf-8"))


class _TouchOnUnpickle:
    """Unpickling this runs a shell command that creates a file: the attack pickled models allowed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("how", ["task root", "shared version directory"])
def test_pickle_payload_with_recomputed_checksums_is_refused_and_never_runs(model_root: Path, tmp_path: Path,
                                                                             how: str) -> None:
    marker = tmp_path / "payload-ran"
    rewrite(version_dir(model_root), model=pickle.dumps(_TouchOnUnpickle(marker)))
    with pytest.raises(ModelFileError, match="not a skops model file"):
        load_model(model_root if how == "task root" else version_dir(model_root))
    assert not marker.exists()


def test_pickle_payload_is_refused_by_the_cli_without_running(model_root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"
    rewrite(version_dir(model_root), model=pickle.dumps(_TouchOnUnpickle(marker)))
    done = subprocess.run([sys.executable, "-m", "ml", "predict", "--model", str(model_root), "hi"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert not marker.exists()


def test_skops_file_with_a_shell_function_inside_is_refused_naming_the_type(tiny_model, model_root: Path,
                                                                           tmp_path: Path) -> None:
    # A well-formed skops file whose vectorizer "cleans" text with os.system: trusted, it would
    # run every message as a shell command. The allow-list must refuse it before building it.
    armed = copy.deepcopy(tiny_model.pipeline)
    feature_step(armed).transformers_[0][1].preprocessor = os.system
    rewrite(version_dir(model_root), model=sio.dumps(armed))
    with pytest.raises(UntrustedModelError, match=r"(posix|os)\.system"):
        load_model(model_root)


@pytest.mark.parametrize("settings", [Settings(), Settings(use_context=False, class_weight="balanced")])
def test_allow_list_covers_every_pipeline_the_project_builds(tiny_frame, settings: Settings) -> None:
    pipeline = build_pipeline(settings, seed=0).fit(pipeline_input(tiny_frame), tiny_frame["label"])
    assert untrusted_types(sio.dumps(pipeline)) == []


def test_round_trip_keeps_predictions_and_metadata(tiny_model, tiny_frame, model_root: Path) -> None:
    reloaded = load_model(model_root)
    messages = tiny_frame["message"].tolist()
    assert [r.ranking for r in reloaded.interpret_many(messages)] == [r.ranking for r in
                                                                       tiny_model.interpret_many(messages)]
    meta = model_metadata(model_root)
    assert meta.task == "tiny" and meta.labels == ("hang", "other", "silence")
    assert meta.data.rows == len(tiny_frame) and len(meta.data.files[0].sha256) == 64
    assert reloaded.unsure_rule == meta.unsure_rule
    assert sorted(p.name for p in version_dir(model_root).iterdir()) == sorted([CHECKSUM_FILE, META_FILE, MODEL_FILE])


def test_a_shared_version_directory_loads_like_the_task_root(model_root: Path, tmp_path: Path) -> None:
    shared = tmp_path / "from-a-friend"
    shutil.copytree(version_dir(model_root), shared)
    assert load_model(shared).metadata == load_model(model_root).metadata


def test_missing_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="python -m ml train"):
        load_model(tmp_path / "nothing-here")


def test_an_old_pickled_model_is_refused_not_unpickled(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_bytes(pickle.dumps(_TouchOnUnpickle(tmp_path / "ran")))
    with pytest.raises(IncompatibleModelError, match="pickle"):
        load_model(tmp_path)
    assert not (tmp_path / "ran").exists()


def test_truncated_model_file_fails_its_checksum(model_root: Path) -> None:
    path = version_dir(model_root) / MODEL_FILE
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="does not match its checksum"):
        load_model(model_root)


def test_edited_metadata_without_new_checksums_is_refused(model_root: Path) -> None:
    directory = version_dir(model_root)
    meta = read_meta(directory)
    meta["unsure_rule"]["min_probability"] = 0.0
    (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFileError, match=f"{META_FILE} does not match its checksum"):
        load_model(model_root)


def _delete(meta: dict, *path: str) -> dict:
    target = meta
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return meta


def _set(meta: dict, value: object, *path: str | int) -> dict:
    target = meta
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return meta


@pytest.mark.parametrize(("edit", "error", "fragment"), [
    (lambda m: _delete(m, "unsure_rule"), MetadataError, "unsure_rule is missing"),
    (lambda m: _delete(m, "unsure_rule", "min_margin"), MetadataError, "unsure_rule.min_margin is missing"),
    (lambda m: _set(m, 0.99, "unsure_rule", "min_probability"), MetadataError, "unsure_rule.min_probability must be"),
    (lambda m: _set(m, "0.2", "unsure_rule", "min_margin"), MetadataError, "must be a finite number"),
    (lambda m: _set(m, 0, "config", "cv_folds"), MetadataError, "config.cv_folds must be in"),
    (lambda m: _set(m, ["hang", "other", "zzz"], "labels"), MetadataError, "labels .* differ"),
    (lambda m: _set(m, "../../etc", "task"), MetadataError, "task must be text matching"),
    (lambda m: _set(m, "/etc/passwd", "data", "path"), MetadataError, "unknown field"),
    (lambda m: _set(m, "../../etc/passwd", "data", "files", 0, "file_name"), MetadataError,
     r"data.files\[0\].file_name"),
    (lambda m: _set(m, 1.5, "unsure_rule", "red_flag_min_probability"), MetadataError,
     "unsure_rule.red_flag_min_probability must be"),
    (lambda m: _set(m, 7, "unsure_rule", "no_cue_label"), MetadataError, "unsure_rule.no_cue_label must be text"),
    (lambda m: _set(m, "zzz", "unsure_rule", "no_cue_label"), MetadataError, "no_cue_label must be one of the labels"),
    (lambda m: _set(m, ["zzz"], "unsure_rule", "red_flags"), MetadataError, "red_flags must be labels"),
    (lambda m: _set(m, [1, 2], "config", "settings", "char_ngrams"), MetadataError, "settings .* differ"),
    (lambda m: _set(m, 0.5, "config", "settings", "C"), MetadataError, "settings .* differ"),
    (lambda m: _set(m, "0.24.2", "sklearn_version"), IncompatibleModelError, "scikit-learn 0.24.2"),
    (lambda m: _set(m, 1, "format_version"), IncompatibleModelError, "format version 1"),
    (lambda m: _set(m, "meaning", "task"), IncompatibleModelError, "not meaning labels"),
])
def test_metadata_is_validated_on_load_even_with_matching_checksums(model_root: Path, edit, error,
                                                                     fragment: str) -> None:
    directory = version_dir(model_root)
    rewrite(directory, meta=edit(read_meta(directory)))
    with pytest.raises(error, match=fragment):
        load_model(model_root)


def test_a_model_of_another_task_is_refused_under_that_task_name(model_root: Path, monkeypatch) -> None:
    from ml import store

    monkeypatch.setattr(store, "MODELS_DIR", model_root.parent)
    (model_root.parent / "meaning").symlink_to(model_root)
    with pytest.raises(IncompatibleModelError, match="holds a 'tiny' model, not 'meaning'"):
        load_model("meaning")


def test_evaluate_never_opens_a_path_from_the_metadata(capsys, model_root: Path) -> None:
    # The tiny model was trained on a temporary CSV; the old metadata recorded its path and
    # evaluate followed it. A custom task has no data file of its own, so there is nothing to re-run.
    from ml.cli import main

    assert main(["evaluate", "--model", str(model_root)]) == 2
    assert "no data file of its own; pass --data FILE" in capsys.readouterr().err
