"""The model store: a save is all or nothing, versions are kept and can be rolled back, saves queue."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from filelock import FileLock

from ml.artifacts import META_FILE, read_version
from ml.cli import main
from ml.config import KEEP_VERSIONS
from ml.errors import ModelBusyError, ModelFileError, ModelNotFoundError
from ml.predict import load_model
from ml.store import LOCK_FILE, POINTER_FILE, POINTER_TEMP_PREFIX, SAVE_STEPS, STAGING_PREFIX, ModelStore


@pytest.fixture
def shared_version(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """One complete version directory outside any store: what the saves below write again."""
    store = ModelStore(tiny_model_dir)
    target = tmp_path / "shared"
    shutil.copytree(store.version_dir(store.current_version()), target)
    return target


@pytest.fixture
def root(shared_version: Path, tmp_path: Path) -> Path:
    """A store with one current version."""
    path = tmp_path / "models" / "tiny"
    save(path, shared_version)
    return path


def save(root: Path, source: Path, **options) -> str:
    pipeline, metadata = read_version(source)
    return ModelStore(root).save(pipeline, metadata, check=lambda _: None, **options).version


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith((STAGING_PREFIX, POINTER_TEMP_PREFIX)))


CRASHING_SAVE = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from ml.artifacts import read_version
    from ml.store import ModelStore

    root, source, crash_at = sys.argv[1:]
    pipeline, metadata = read_version(Path(source))

    def crash(step):
        if step == crash_at:
            os._exit(17)  # like kill -9: no cleanup, no finally blocks

    ModelStore(root).save(pipeline, metadata, check=lambda _: None, on_step=crash)
    sys.exit(1)  # the crash point was never reached
""")


@pytest.mark.parametrize("step", SAVE_STEPS)
def test_a_crash_at_any_save_step_leaves_the_old_or_the_new_model_loadable(root: Path, shared_version: Path,
                                                                           step: str) -> None:
    old = ModelStore(root).current_version()
    done = subprocess.run([sys.executable, "-c", CRASHING_SAVE, str(root), str(shared_version), step],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 17, done.stderr
    loaded = load_model(root).version  # never an error
    switched = SAVE_STEPS.index(step) >= SAVE_STEPS.index("pointer-switched")
    assert loaded == (ModelStore(root).versions()[-1] if switched else old) and (loaded != old) == switched
    save(root, shared_version)  # the next save cleans up what the crash left behind
    assert leftovers(root) == []


def test_saving_keeps_the_previous_versions_and_switches_current(root: Path, shared_version: Path) -> None:
    first = ModelStore(root).current_version()
    second = save(root, shared_version)
    store = ModelStore(root)
    assert store.versions() == [first, second] and store.current_version() == second
    assert load_model(root).version == second


def test_only_the_newest_versions_are_kept_but_never_the_current_one_removed(root: Path,
                                                                             shared_version: Path) -> None:
    store = ModelStore(root)
    oldest = store.current_version()
    for _ in range(KEEP_VERSIONS + 1):
        save(root, shared_version)
    assert len(store.versions()) == KEEP_VERSIONS and oldest not in store.versions()
    kept_oldest = store.versions()[0]
    store.rollback(kept_oldest)
    for _ in range(2):
        save(root, shared_version, accept=lambda _: "not better")
    assert kept_oldest in store.versions() and store.current_version() == kept_oldest
    assert len(store.versions()) == KEEP_VERSIONS + 1  # the newest five plus the current one


def test_a_failed_save_leaves_the_current_model_and_no_leftovers(root: Path, shared_version: Path) -> None:
    before = ModelStore(root).current_version()
    pipeline, metadata = read_version(shared_version)

    def reject(_):
        raise ModelFileError("the saved model predicts differently from the trained one")

    with pytest.raises(ModelFileError, match="predicts differently"):
        ModelStore(root).save(pipeline, metadata, check=reject)
    assert ModelStore(root).current_version() == before and ModelStore(root).versions() == [before]
    assert leftovers(root) == []


def test_two_saves_at_once_both_land_and_lose_nothing(root: Path, shared_version: Path) -> None:
    first = ModelStore(root).current_version()
    saved, errors = [], []

    def run() -> None:
        try:
            saved.append(save(root, shared_version))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = ModelStore(root)
    assert sorted(store.versions()) == sorted([first, *saved]) and store.current_version() in saved
    for version in store.versions():
        read_version(store.version_dir(version))


def test_a_save_that_cannot_get_the_lock_fails_clearly_and_changes_nothing(root: Path,
                                                                           shared_version: Path) -> None:
    before = ModelStore(root).versions()
    with FileLock(root / LOCK_FILE), pytest.raises(ModelBusyError, match="held the lock"):
        save(root, shared_version, lock_timeout=0.2)
    assert ModelStore(root).versions() == before


def test_a_save_is_refused_into_a_directory_of_another_task(root: Path, shared_version: Path) -> None:
    from dataclasses import replace

    pipeline, metadata = read_version(shared_version)
    with pytest.raises(ModelFileError, match="holds 'tiny' models"):
        ModelStore(root).save(pipeline, replace(metadata, task="other"), check=lambda _: None)


def test_rollback_goes_to_the_previous_version_or_a_named_one(root: Path, shared_version: Path) -> None:
    store = ModelStore(root)
    first = store.current_version()
    second = save(root, shared_version)
    assert store.rollback() == first and load_model(root).version == first
    assert store.rollback(second) == second and load_model(root).version == second
    with pytest.raises(ModelNotFoundError, match="no version '20990101-000000-000000'"):
        store.rollback("20990101-000000-000000")


def test_rollback_refuses_a_broken_version_and_keeps_the_current_one(root: Path, shared_version: Path) -> None:
    store = ModelStore(root)
    first = store.current_version()
    second = save(root, shared_version)
    (store.version_dir(first) / META_FILE).write_text("{}")
    with pytest.raises(ModelFileError, match="checksum"):
        store.rollback(first)
    assert store.current_version() == second


def test_a_pointer_that_names_a_path_is_refused(root: Path) -> None:
    (root / POINTER_FILE).write_text("../../../etc\n")
    with pytest.raises(ModelFileError, match="does not hold a version id"):
        load_model(root)


def test_cli_lists_versions_and_rolls_back(capsys, root: Path, shared_version: Path) -> None:
    first = ModelStore(root).current_version()
    second = save(root, shared_version)
    assert main(["models", "list", "--model", str(root)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].startswith(f"* {second}") and listing[2].startswith(f"  {first}")
    assert main(["models", "rollback", "--model", str(root)]) == 0
    assert f"now version {first} (was {second})" in capsys.readouterr().out
    assert main(["models", "rollback", "--model", str(root), "--to", second]) == 0
    assert ModelStore(root).current_version() == second
