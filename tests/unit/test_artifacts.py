"""Persistence: a model loads only when it is intact and compatible, and saving never loses the old one."""

import json
import shutil
from pathlib import Path

import joblib
import numpy as np
import pytest

from ml.artifacts import META_FILE, MODEL_FILE, PREVIOUS_META_FILE, PREVIOUS_MODEL_FILE, save_artifacts
from ml.errors import IncompatibleModelError, ModelFileError, ModelNotFoundError
from ml.predict import load_model, model_metadata
from ml.tasks import custom_task
from ml.workflow import train_task
from tests.conftest import ONE_CANDIDATE


@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


def edit_metadata(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / META_FILE).read_text())
    meta.update(changes)
    (directory / META_FILE).write_text(json.dumps(meta))


def test_round_trip_keeps_predictions_and_metadata(tiny_model, tiny_frame, model_copy: Path) -> None:
    reloaded = load_model(model_copy)
    messages = tiny_frame["message"].tolist()
    before = [r.ranking for r in tiny_model.interpret_many(messages)]
    assert [r.ranking for r in reloaded.interpret_many(messages)] == before
    meta = model_metadata(model_copy)
    for key in ("format_version", "ml_version", "sklearn_version", "task", "labels", "reject_rule", "settings",
                "data", "cv", "created_at", "model_sha256"):
        assert key in meta, key
    assert meta["data"]["rows"] == len(tiny_frame) and len(meta["data"]["files"][0]["sha256"]) == 64


def test_missing_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="python -m ml train"):
        load_model(tmp_path / "nothing-here")


def test_truncated_model_file(model_copy: Path) -> None:
    data = (model_copy / MODEL_FILE).read_bytes()
    (model_copy / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(model_copy)


def test_tampered_model_file(model_copy: Path) -> None:
    data = bytearray((model_copy / MODEL_FILE).read_bytes())
    data[-10] ^= 0xFF
    (model_copy / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="tampered"):
        load_model(model_copy)


def test_corrupt_file_with_matching_checksum_still_fails_cleanly(model_copy: Path) -> None:
    (model_copy / MODEL_FILE).write_bytes(b"not a pickle at all")
    from ml.data import file_sha256
    edit_metadata(model_copy, model_sha256=file_sha256(model_copy / MODEL_FILE))
    with pytest.raises(ModelFileError, match="cannot be loaded"):
        load_model(model_copy)


def test_corrupt_metadata(model_copy: Path) -> None:
    (model_copy / META_FILE).write_text("{not json")
    with pytest.raises(ModelFileError, match="corrupt"):
        load_model(model_copy)


def test_other_scikit_learn_version_is_refused(model_copy: Path) -> None:
    edit_metadata(model_copy, sklearn_version="0.24.2")
    with pytest.raises(IncompatibleModelError, match="scikit-learn 0.24.2"):
        load_model(model_copy)


def test_other_format_version_is_refused(model_copy: Path) -> None:
    edit_metadata(model_copy, format_version=999)
    with pytest.raises(IncompatibleModelError, match="format version 999"):
        load_model(model_copy)


def test_model_of_another_task_is_refused(model_copy: Path, monkeypatch) -> None:
    # models/meaning holding a model trained for another task must not load as "meaning".
    from ml import predict

    monkeypatch.setattr(predict, "resolve_model_dir", lambda _: (model_copy, "meaning"))
    with pytest.raises(IncompatibleModelError, match="belongs to task 'tiny'"):
        load_model("meaning")


def test_saving_keeps_the_previous_model(model_copy: Path, tiny_csv: Path) -> None:
    before = (model_copy / MODEL_FILE).read_bytes()
    train_task(custom_task("tiny"), tiny_csv, model_copy, space=ONE_CANDIDATE, folds=3, holdout_fraction=0)
    assert (model_copy / PREVIOUS_MODEL_FILE).read_bytes() == before
    assert json.loads((model_copy / PREVIOUS_META_FILE).read_text())["task"] == "tiny"
    load_model(model_copy)


def test_failed_save_leaves_the_good_model_untouched(model_copy: Path, tiny_model, monkeypatch) -> None:
    before = {name: (model_copy / name).read_bytes() for name in (MODEL_FILE, META_FILE)}

    def broken_dump(obj, filename, *args, **kwargs):
        Path(filename).write_bytes(b"half a mod")
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", broken_dump)
    with pytest.raises(ModelFileError, match="disk full.*untouched"):
        save_artifacts(tiny_model.pipeline, {"task": "tiny"}, model_copy, check=lambda _: None)
    assert {name: (model_copy / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in model_copy.iterdir()) == sorted([MODEL_FILE, META_FILE])
    load_model(model_copy)


def test_failed_check_after_reload_keeps_the_good_model(model_copy: Path, tiny_model) -> None:
    before = (model_copy / MODEL_FILE).read_bytes()

    def reject(_):
        raise ModelFileError("the saved model predicts differently from the trained one")

    with pytest.raises(ModelFileError, match="predicts differently"):
        save_artifacts(tiny_model.pipeline, {"task": "tiny"}, model_copy, check=reject)
    assert (model_copy / MODEL_FILE).read_bytes() == before
    assert not any(p.name.endswith(".tmp") for p in model_copy.iterdir())


def test_reject_rule_is_saved_with_the_model(tiny_model) -> None:
    rule = tiny_model.metadata["reject_rule"]
    assert {"min_probability", "min_margin", "out_of_fold"} <= set(rule)
    assert np.isclose(tiny_model.reject_rule.min_probability, rule["min_probability"])
