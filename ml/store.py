"""A task's model directory: kept versions, a CURRENT pointer, one save at a time.

Layout of ``models/<task>/``::

    CURRENT            the current version's id; replaced in one atomic rename
    versions/<id>/     complete versions (see ml.artifacts); ids sort oldest first
    .lock              held while a save or rollback runs (filelock)
    .staging-*/        leftovers of an interrupted save; the next save removes them
    .CURRENT-*         likewise, for an interrupted pointer switch

A save writes the new version into a staging directory and fsyncs it, renames
it into ``versions/`` (atomic on one file system), then writes the new pointer
to a temporary file and ``os.replace``-s CURRENT with it. Whatever step a crash
interrupts, CURRENT names a complete version: the old one until the final
rename, the new one after it. Readers never take the lock.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout
from sklearn.pipeline import Pipeline

from ml.artifacts import fsync_directory, read_metadata, read_version, write_version
from ml.config import KEEP_VERSIONS, MODELS_DIR, SAVE_LOCK_TIMEOUT_SECONDS
from ml.errors import IncompatibleModelError, ModelBusyError, ModelFileError, ModelNotFoundError
from ml.metadata import ModelMetadata
from ml.tasks import TASK_NAME_PATTERN

POINTER_FILE = "CURRENT"
VERSIONS_DIR = "versions"
LOCK_FILE = ".lock"
STAGING_PREFIX = ".staging-"
POINTER_TEMP_PREFIX = ".CURRENT-"
VERSION_PATTERN = r"\d{8}-\d{6}-\d{6}"  # UTC creation time to the microsecond: sorts by age
# tempfile creates private (0700/0600) entries; models are meant to be read like any other file.
READABLE_DIR, READABLE_FILE = 0o755, 0o644

# The steps of a save, in order; ``on_step`` is called after each (tests crash the process there).
SAVE_STEPS = ("leftovers-removed", "model-written", "metadata-written", "checksums-written", "version-added",
              "pointer-written", "pointer-switched", "pruned")

StepHook = Callable[[str], None]
Result = TypeVar("Result")
Acceptance = Callable[[ModelMetadata | None], str | None]  # current model's metadata -> refusal reason or None


def no_step(_: str) -> None:
    """The default step hook: do nothing."""


@dataclass(frozen=True)
class SaveOutcome:
    version: str
    made_current: bool
    refusal: str | None  # why the version was kept but not made current


@dataclass(frozen=True)
class VersionEntry:
    version: str
    current: bool
    metadata: ModelMetadata | None
    problem: str | None  # why the version's metadata could not be read


class ModelStore:
    """The versions of one task's model under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.versions_dir = self.root / VERSIONS_DIR

    def exists(self) -> bool:
        return (self.root / POINTER_FILE).is_file() or self.versions_dir.is_dir()

    def version_dir(self, version: str) -> Path:
        """The directory of ``version``; the id is checked so a pointer cannot lead outside ``versions/``."""
        if not re.fullmatch(VERSION_PATTERN, version):
            raise ModelFileError(f"{version!r} is not a model version id (expected e.g. 20260101-120000-000000)")
        return self.versions_dir / version

    def versions(self) -> list[str]:
        """Every complete version's id, oldest first."""
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if re.fullmatch(VERSION_PATTERN, p.name))

    def current_version(self) -> str | None:
        """The id in CURRENT, or None before the first save."""
        path = self.root / POINTER_FILE
        try:
            with open(path, "rb") as handle:
                raw = handle.read(64)
        except FileNotFoundError:
            return None
        version = raw.decode("ascii", errors="replace").strip()
        if not re.fullmatch(VERSION_PATTERN, version):
            raise ModelFileError(f"{path} does not hold a version id ({raw[:40]!r}); roll back with "
                                 f"python -m ml models rollback --to VERSION, or retrain")
        return version

    def entries(self) -> list[VersionEntry]:
        """Every version with its metadata (or why it is unreadable), oldest first."""
        current = self.current_version()
        entries = []
        for version in self.versions():
            try:
                entries.append(VersionEntry(version, version == current, read_metadata(self.version_dir(version)),
                                            None))
            except ModelFileError as exc:
                entries.append(VersionEntry(version, version == current, None, str(exc)))
        return entries

    def _lock(self, timeout: float) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(self.root / LOCK_FILE, timeout=timeout)

    def _locked(self, timeout: float, action: Callable[[], Result]) -> Result:
        try:
            with self._lock(timeout):
                return action()
        except Timeout:
            raise ModelBusyError(f"another save or rollback of the model in {self.root} held the lock for "
                                 f"{timeout:g} s; try again when it has finished") from None

    def save(self, pipeline: Pipeline, metadata: ModelMetadata, *, check: Callable[[Pipeline], None],
             accept: Acceptance | None = None, on_step: StepHook = no_step,
             lock_timeout: float = SAVE_LOCK_TIMEOUT_SECONDS) -> SaveOutcome:
        """Add a version and, unless ``accept`` returns a reason against it, make it current.

        ``check`` gets the pipeline as reloaded from the written files (through the
        allow-list) and raises if it misbehaves. Saves of one task are serialised by
        a file lock; a second save waits up to ``lock_timeout`` seconds, then raises
        ModelBusyError. Any failure leaves the current model untouched.
        """
        return self._locked(lock_timeout, lambda: self._save_locked(pipeline, metadata, check, accept, on_step))

    def _save_locked(self, pipeline: Pipeline, metadata: ModelMetadata, check: Callable[[Pipeline], None],
                     accept: Acceptance | None, on_step: StepHook) -> SaveOutcome:
        self._remove_leftovers()
        on_step("leftovers-removed")
        current = self._current_metadata()
        if current is not None and current.task != metadata.task:
            raise IncompatibleModelError(f"{self.root} holds {current.task!r} models; a {metadata.task!r} model "
                                         "needs its own directory")
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
        try:
            staging.chmod(READABLE_DIR)
            write_version(staging, pipeline, metadata, on_step)
            check(read_version(staging)[0])
            self.versions_dir.mkdir(exist_ok=True)
            version = self._new_version_id()
            os.rename(staging, self.versions_dir / version)
        except Exception as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"could not save the model to {self.root} ({type(exc).__name__}: {exc}); "
                                 "the current model is untouched") from exc
        fsync_directory(self.versions_dir)
        on_step("version-added")
        refusal = accept(current) if accept is not None else None
        if refusal is None:
            self._point_to(version, on_step)
        self._prune()
        on_step("pruned")
        return SaveOutcome(version, refusal is None, refusal)

    def rollback(self, to: str | None = None, *, lock_timeout: float = SAVE_LOCK_TIMEOUT_SECONDS) -> str:
        """Make ``to`` (default: the version before the current one) current again; returns its id.

        The target is fully loaded first, so a rollback never points at a broken version.
        """
        return self._locked(lock_timeout, lambda: self._rollback_locked(to))

    def _rollback_locked(self, to: str | None) -> str:
        versions, current = self.versions(), self.current_version()
        if to is None:
            older = [v for v in versions if current is None or v < current]
            if not older:
                raise ModelNotFoundError(f"no version older than {current} in {self.versions_dir}; "
                                         f"kept: {', '.join(versions) or 'none'}")
            to = older[-1]
        if to not in versions:
            raise ModelNotFoundError(f"no version {to!r} in {self.versions_dir}; kept: {', '.join(versions) or 'none'}")
        read_version(self.version_dir(to))
        self._point_to(to, no_step)
        return to

    def _current_metadata(self) -> ModelMetadata | None:
        """The current version's metadata; None when there is none or it is unreadable (a new one may replace it)."""
        try:
            current = self.current_version()
            return read_metadata(self.version_dir(current)) if current else None
        except ModelFileError:
            return None

    def _new_version_id(self) -> str:
        while True:
            version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
            if not (self.versions_dir / version).exists():
                return version

    def _point_to(self, version: str, on_step: StepHook) -> None:
        handle, temporary = tempfile.mkstemp(prefix=POINTER_TEMP_PREFIX, dir=self.root)
        os.fchmod(handle, READABLE_FILE)
        with os.fdopen(handle, "wb") as out:
            out.write(f"{version}\n".encode("ascii"))
            out.flush()
            os.fsync(out.fileno())
        on_step("pointer-written")
        os.replace(temporary, self.root / POINTER_FILE)
        fsync_directory(self.root)
        on_step("pointer-switched")

    def _prune(self) -> None:
        """Delete all but the newest KEEP_VERSIONS versions; the current one always stays."""
        current = self.current_version()
        for version in self.versions()[:-KEEP_VERSIONS]:
            if version != current:
                shutil.rmtree(self.version_dir(version))

    def _remove_leftovers(self) -> None:
        for path in self.root.iterdir():
            if path.name.startswith(STAGING_PREFIX) and path.is_dir():
                shutil.rmtree(path)
            elif path.name.startswith(POINTER_TEMP_PREFIX):
                path.unlink()


@dataclass(frozen=True)
class ModelLocation:
    directory: Path          # the version directory to read
    task: str | None         # the task the caller asked for, when it asked by name
    version: str | None      # the version id, when read through a store's pointer


def locate(task_or_path: str | Path) -> ModelLocation:
    """Where ``load_model``'s argument points.

    A string that is a valid task name means ``models/<task>``; anything else is
    a path, either a task's model root (with CURRENT) or one version directory
    someone shared. Both are read with the same checks.
    """
    if isinstance(task_or_path, str) and re.fullmatch(TASK_NAME_PATTERN, task_or_path):
        root, task = MODELS_DIR / task_or_path, task_or_path
    else:
        root, task = Path(task_or_path), None
    store = ModelStore(root)
    if not store.exists():
        return ModelLocation(root, task, None)
    version = store.current_version()
    if version is None:
        raise ModelNotFoundError(f"{root} has no current model (CURRENT is missing); make one current with "
                                 "python -m ml models rollback --to VERSION, or retrain")
    return ModelLocation(store.version_dir(version), task, version)
