"""What is saved beside every model, as one typed record validated on load.

The metadata decides how a model is used (its task, labels and unsure
thresholds), so it is read as strictly as the model itself: every field
present, of its type and in its range, nothing unknown. Values are only ever
used as values: the training file is recorded by name and checksum for people
to read, never as a path to open.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

import sklearn

import ml
from ml.calibration import Calibration
from ml.config import MAX_HOLDOUT_FRACTION, TrainingProtocol
from ml.embeddings import ENCODER_NAME, WEIGHTS_SHA256
from ml.errors import IncompatibleModelError, MetadataError
from ml.pipeline import HYBRID, Settings
from ml.records import LABEL_PATTERN, Fields
from ml.tasks import TASK_NAME_PATTERN
from ml.unsure import RedFlagPrecision, UnsureRule, UnsureTradeoff

# Bump when the files or metadata fields of a model version, or the text cleaning the saved vectorizers
# call (ml.text), change: an older model would otherwise load and quietly see other features.
# 4: the feature set (settings.features, settings.embedding_weight), the encoder and the calibration.
FORMAT_VERSION = 4

SHA256_PATTERN = r"[0-9a-f]{64}"
VERSION_TEXT_PATTERN = r"[0-9A-Za-z.+_-]{1,40}"


@dataclass(frozen=True)
class TrainingConfig:
    """How the model was trained: the protocol and the chosen settings, enough to re-run the held-out split."""

    protocol: TrainingProtocol
    settings: Settings

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self.protocol), "settings": self.settings.to_dict()}

    @classmethod
    def from_dict(cls, values: object, where: str = "config") -> TrainingConfig:
        record = Fields(values, where)
        protocol = TrainingProtocol(seed=record.integer("seed", 0, 2**32 - 1),
                                    cv_folds=record.integer("cv_folds", 2, 100),
                                    holdout_fraction=record.number("holdout_fraction", 0.0, MAX_HOLDOUT_FRACTION),
                                    min_coverage=record.number("min_coverage", 0.0, 1.0, low_open=True))
        config = cls(protocol, Settings.from_dict(*record.nested("settings")))
        record.done()
        return config


@dataclass(frozen=True)
class DataFile:
    """One training file as it was: its name (for people) and checksum."""

    file_name: str
    sha256: str

    @classmethod
    def from_dict(cls, values: object, where: str) -> DataFile:
        record = Fields(values, where)
        data = cls(file_name=record.text("file_name", r"[^/\\\x00-\x1f]{1,255}"),
                   sha256=record.text("sha256", SHA256_PATTERN))
        record.done()
        return data


@dataclass(frozen=True)
class DataRecord:
    """The training files (a task may train on several) and how many rows they held together."""

    files: tuple[DataFile, ...]
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"files": [asdict(f) for f in self.files], "rows": self.rows}

    @classmethod
    def from_dict(cls, values: object, where: str = "data") -> DataRecord:
        record = Fields(values, where)
        files, path = record.nested("files")
        if not isinstance(files, list) or not 1 <= len(files) <= 20:
            raise MetadataError(f"{path} must be a list of 1 to 20 files, got {files!r}")
        data = cls(files=tuple(DataFile.from_dict(f, f"{path}[{i}]") for i, f in enumerate(files)),
                   rows=record.integer("rows", 2))
        record.done()
        return data


@dataclass(frozen=True)
class CrossValidation:
    """Macro-F1 of the chosen settings across the CV folds of the training part."""

    rows: int
    macro_f1_mean: float
    macro_f1_std: float

    @classmethod
    def from_dict(cls, values: object, where: str = "cv") -> CrossValidation:
        record = Fields(values, where)
        cv = cls(rows=record.integer("rows", 2), macro_f1_mean=record.number("macro_f1_mean", 0.0, 1.0),
                 macro_f1_std=record.number("macro_f1_std", 0.0, 1.0))
        record.done()
        return cv


@dataclass(frozen=True)
class HoldoutScore:
    """The one score on the seeded held-out split; what the quality gate compares."""

    rows: int
    accuracy: float
    macro_f1: float

    @classmethod
    def from_dict(cls, values: object, where: str = "holdout") -> HoldoutScore | None:
        if values is None:
            return None
        record = Fields(values, where)
        score = cls(rows=record.integer("rows", 1), accuracy=record.number("accuracy", 0.0, 1.0),
                    macro_f1=record.number("macro_f1", 0.0, 1.0))
        record.done()
        return score


@dataclass(frozen=True)
class EncoderRecord:
    """The sentence encoder a hybrid model embeds with: its name and the sha256 of its weights file."""

    name: str = ENCODER_NAME
    weights_sha256: str = WEIGHTS_SHA256

    @classmethod
    def from_dict(cls, values: object, where: str = "encoder") -> EncoderRecord | None:
        if values is None:
            return None
        record = Fields(values, where)
        encoder = cls(name=record.text("name", r"[0-9A-Za-z._/-]{1,100}"),
                      weights_sha256=record.text("weights_sha256", SHA256_PATTERN))
        record.done()
        return encoder


def _tradeoff_from_dict(values: object, where: str) -> UnsureTradeoff:
    record = Fields(values, where)
    tradeoff = UnsureTradeoff(**{f.name: record.number(f.name, 0.0, 1.0) for f in fields(UnsureTradeoff)})
    record.done()
    return tradeoff


@dataclass(frozen=True)
class ModelMetadata:
    """Everything ``model.json`` holds. Build new ones with :meth:`describe_new`."""

    format_version: int
    task: str
    labels: tuple[str, ...]  # the pipeline's classes, in its order
    created_at: str          # UTC, ISO 8601 to the second
    ml_version: str
    sklearn_version: str
    python_version: str
    config: TrainingConfig
    data: DataRecord
    cv: CrossValidation
    holdout: HoldoutScore | None
    unsure_rule: UnsureRule
    unsure_out_of_fold: UnsureTradeoff  # what the rule costs and buys, out-of-fold
    red_flags_out_of_fold: RedFlagPrecision  # how often a confident red flag was right, out-of-fold
    encoder: EncoderRecord | None  # the hybrid feature set's encoder; None for tfidf
    calibration: Calibration  # what was measured out-of-fold and adopted (none or temperature)

    @classmethod
    def describe_new(cls, *, task: str, labels: tuple[str, ...], config: TrainingConfig, data: DataRecord,
                     cv: CrossValidation, holdout: HoldoutScore | None, unsure_rule: UnsureRule,
                     unsure_out_of_fold: UnsureTradeoff, red_flags_out_of_fold: RedFlagPrecision,
                     calibration: Calibration) -> ModelMetadata:
        """A record for a model trained now, in this environment (the pinned encoder for a hybrid model)."""
        encoder = EncoderRecord() if config.settings.features == HYBRID else None
        return cls(format_version=FORMAT_VERSION, task=task, labels=labels,
                   created_at=datetime.now(UTC).isoformat(timespec="seconds"), ml_version=ml.__version__,
                   sklearn_version=sklearn.__version__, python_version=platform.python_version(),
                   config=config, data=data, cv=cv, holdout=holdout, unsure_rule=unsure_rule,
                   unsure_out_of_fold=unsure_out_of_fold, red_flags_out_of_fold=red_flags_out_of_fold,
                   encoder=encoder, calibration=calibration)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version, "task": self.task, "labels": list(self.labels),
            "created_at": self.created_at, "ml_version": self.ml_version, "sklearn_version": self.sklearn_version,
            "python_version": self.python_version, "config": self.config.to_dict(), "data": self.data.to_dict(),
            "cv": asdict(self.cv), "holdout": asdict(self.holdout) if self.holdout else None,
            "unsure_rule": self.unsure_rule.to_dict(), "unsure_out_of_fold": asdict(self.unsure_out_of_fold),
            "red_flags_out_of_fold": asdict(self.red_flags_out_of_fold),
            "encoder": asdict(self.encoder) if self.encoder else None, "calibration": self.calibration.to_dict(),
        }

    @classmethod
    def from_dict(cls, values: object) -> ModelMetadata:
        """Parse and check a record read from disk; raises MetadataError naming the first bad field
        (IncompatibleModelError for another format version).

        The format version is checked first, so an older model gets "retrain" rather
        than a list of fields that moved.
        """
        record = Fields(values, "")
        format_version = record.integer("format_version", 0)
        if format_version != FORMAT_VERSION:
            raise IncompatibleModelError(f"format version {format_version}, this package reads version "
                                         f"{FORMAT_VERSION}")
        created_at = record.text("created_at", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
        try:
            datetime.fromisoformat(created_at)
        except ValueError:
            raise MetadataError(f"created_at is not a date: {created_at!r}") from None
        metadata = cls(
            format_version=format_version, task=record.text("task", TASK_NAME_PATTERN),
            labels=record.text_list("labels", LABEL_PATTERN, min_items=2), created_at=created_at,
            ml_version=record.text("ml_version", VERSION_TEXT_PATTERN),
            sklearn_version=record.text("sklearn_version", VERSION_TEXT_PATTERN),
            python_version=record.text("python_version", VERSION_TEXT_PATTERN),
            config=TrainingConfig.from_dict(*record.nested("config")),
            data=DataRecord.from_dict(*record.nested("data")),
            cv=CrossValidation.from_dict(*record.nested("cv")),
            holdout=HoldoutScore.from_dict(*record.nested("holdout")),
            unsure_rule=UnsureRule.from_dict(*record.nested("unsure_rule")),
            unsure_out_of_fold=_tradeoff_from_dict(*record.nested("unsure_out_of_fold")),
            red_flags_out_of_fold=RedFlagPrecision.from_dict(*record.nested("red_flags_out_of_fold")),
            encoder=EncoderRecord.from_dict(*record.nested("encoder")),
            calibration=Calibration.from_dict(*record.nested("calibration")),
        )
        record.done()
        if list(metadata.labels) != sorted(metadata.labels):
            raise MetadataError("labels must be in the pipeline's (sorted) order")
        rule = metadata.unsure_rule
        if rule.no_cue_label is not None and rule.no_cue_label not in metadata.labels:
            raise MetadataError("unsure_rule.no_cue_label must be one of the labels")
        if not set(rule.red_flags) <= set(metadata.labels):
            raise MetadataError("unsure_rule.red_flags must be labels of the model")
        if metadata.red_flags_out_of_fold.worst_label not in (*rule.red_flags, ""):
            raise MetadataError("red_flags_out_of_fold.worst_label must be one of unsure_rule.red_flags")
        if (metadata.encoder is None) == (metadata.config.settings.features == HYBRID):
            raise MetadataError("encoder must be recorded exactly for the hybrid feature set")
        if metadata.encoder not in (None, EncoderRecord()):
            raise IncompatibleModelError(f"the model was trained with the encoder {metadata.encoder}; this package "
                                         f"uses {EncoderRecord()}")
        if (metadata.holdout is None) != (metadata.config.protocol.holdout_fraction == 0):
            raise MetadataError("holdout must be recorded exactly when config.holdout_fraction is above 0")
        return metadata
