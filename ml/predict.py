"""The library API: load a trained model and interpret messages.

    >>> from ml import load_model
    >>> model = load_model("meaning")
    >>> r = model.interpret("hey stranger, miss you", context="he ghosted me in May")
    >>> r.label, r.probability, r.unsure
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml.artifacts import read_metadata, read_version
from ml.catalog import GENUINE_SIGNS, UNSURE_EXPLANATIONS
from ml.errors import IncompatibleModelError, InputError, MessageTypeError
from ml.evaluate import score_rows
from ml.explain import Evidence, Explainer
from ml.inputs import check_context, check_evidence_terms, check_his_name, check_message
from ml.metadata import ModelMetadata
from ml.store import locate
from ml.tasks import Task, task_of_model
from ml.unsure import NO_SCENARIO_CUE, UnsureRule, public_view


@dataclass(frozen=True)
class Interpretation:
    """What the product says about one message.

    ``ranking`` holds every label with its probability, best first, summing to 1.
    ``evidence`` is about ``label``, except for a ``no_scenario_cue`` answer,
    where it shows the words that left the message without a cue.
    ``unsure`` is True when the saved unsure rule fires, and ``reason`` says
    why (an id of ``ml.unsure.UNSURE_REASONS``, in plain words in
    ``reason_text``): then read ``candidates`` rather than one answer, and the
    best ``genuine_reading`` and ``red_flag_reading``. Catalogue fields (title,
    explanation, tone, watch_for, suggestion, readings) are None or empty for
    a model trained on a dataset with no catalogue.
    """

    message: str
    label: str
    probability: float
    ranking: tuple[tuple[str, float], ...]
    unsure: bool
    evidence: Evidence
    title: str | None = None
    explanation: str | None = None
    tone: str | None = None
    watch_for: tuple[str, ...] = ()
    suggestion: str | None = None
    name_used: bool | None = None  # coach: whether his name (if given) appears in the draft
    tips: tuple[str, ...] = field(default=())
    reason: str | None = None
    reason_text: str | None = None
    genuine_reading: tuple[str, float] | None = None   # the most likely label of tone genuine
    red_flag_reading: tuple[str, float] | None = None  # the most likely label of tone red_flag

    @property
    def candidates(self) -> tuple[tuple[str, float], ...]:
        """The top three labels: what to show when the answer is unsure."""
        return self.ranking[:3]

    def to_dict(self, top_k: int | None = None) -> dict[str, Any]:
        return {
            "message": self.message, "label": self.label, "probability": round(self.probability, 4),
            "unsure": self.unsure, "title": self.title, "tone": self.tone, "explanation": self.explanation,
            "watch_for": list(self.watch_for), "suggestion": self.suggestion, "name_used": self.name_used,
            "tips": list(self.tips), "reason": self.reason, "reason_text": self.reason_text,
            "genuine_reading": _reading(self.genuine_reading), "red_flag_reading": _reading(self.red_flag_reading),
            "ranking": [{"label": label, "probability": round(p, 4)} for label, p in self.ranking[:top_k]],
            "evidence": self.evidence.to_dict(),
        }


def _reading(reading: tuple[str, float] | None) -> dict[str, Any] | None:
    return None if reading is None else {"label": reading[0], "probability": round(reading[1], 4)}


class Model:
    """A loaded, validated model for one task. Build it with :func:`load_model`.

    ``metadata`` and ``version`` are None for a model fitted in memory (notebooks).
    """

    def __init__(self, pipeline: Pipeline, task: Task, unsure_rule: UnsureRule,
                 metadata: ModelMetadata | None = None, version: str | None = None) -> None:
        self.pipeline = pipeline
        self.task = task
        self.unsure_rule = unsure_rule
        self.metadata = metadata
        self.version = version
        self.classes: tuple[str, ...] = tuple(pipeline.classes_)  # what the pipeline learned, internal class too
        self.labels: tuple[str, ...] = unsure_rule.public_labels(self.classes)
        self.explainer = Explainer(pipeline)

    def __repr__(self) -> str:
        created = self.metadata.created_at if self.metadata else "in memory"
        return f"Model(task={self.task.name!r}, labels={len(self.labels)}, version={self.version}, created={created})"

    def interpret(self, message: str, context: str | None = None, *, his_name: str | None = None,
                  evidence_terms: int = 6) -> Interpretation:
        """Interpret one message (and optional context). Raises InputError subclasses on bad input."""
        return self.interpret_many([message], [context], his_name=his_name, evidence_terms=evidence_terms)[0]

    def interpret_many(self, messages: Sequence[str] | pd.DataFrame | Iterable[str],
                       contexts: Sequence[str | None] | None = None, *, his_name: str | None = None,
                       evidence_terms: int = 6, first_row: int = 1) -> list[Interpretation]:
        """Interpret a batch with one vectorised pass.

        ``messages`` may be a DataFrame with a ``message`` column (and optional
        ``context``). Bad input raises InputError naming the item's 1-based row.
        A message with no word or character n-gram the model knows (say, in a
        script it never saw) is always unsure: its probabilities are only priors.
        ``first_row`` is the row number of the first item, for callers that
        stream a longer input in batches.
        """
        if isinstance(messages, pd.DataFrame):
            if "message" not in messages.columns:
                raise InputError("the DataFrame needs a 'message' column")
            if contexts is None and "context" in messages.columns:
                contexts = messages["context"].fillna("").tolist()
            messages = messages["message"].tolist()
        messages = _as_list(messages, "messages")
        contexts = [None] * len(messages) if contexts is None else _as_list(contexts, "contexts")
        if len(contexts) != len(messages):
            raise InputError(f"got {len(messages)} messages but {len(contexts)} contexts")
        his_name = check_his_name(his_name)
        evidence_terms = check_evidence_terms(evidence_terms)
        if not messages:
            return []
        single = len(messages) == 1 and first_row == 1
        frame = pd.DataFrame({
            "message": [check_message(m, None if single else i) for i, m in enumerate(messages, first_row)],
            "context": [check_context(c, None if single else i) for i, c in enumerate(contexts, first_row)],
        })
        features, proba, reasons = self.score(frame)
        public = public_view(proba, self.classes, self.unsure_rule.no_cue_label).proba
        evidence = self.explainer.evidence_rows(frame["message"].tolist(), features,
                                                 self.explained_classes(public, reasons), evidence_terms)
        return [self._describe(message, public[i], reasons[i], evidence[i], his_name)
                for i, message in enumerate(frame["message"])]

    def score(self, frame: pd.DataFrame) -> tuple[Any, np.ndarray, np.ndarray]:
        """Features, class probabilities and unsure reasons for checked rows (see ``score_rows``)."""
        return score_rows(self.pipeline, frame, self.unsure_rule)

    def explained_classes(self, public: np.ndarray, reasons: np.ndarray) -> np.ndarray:
        """The class whose evidence each answer shows: its label's, or for a no-cue answer the
        internal class's (the words that left the message without a cue)."""
        classes = np.array([self.classes.index(label) for label in self.labels])[public.argmax(axis=1)]
        if self.unsure_rule.no_cue_label is not None:
            classes[reasons == NO_SCENARIO_CUE] = self.classes.index(self.unsure_rule.no_cue_label)
        return classes

    def _describe(self, message: str, proba: np.ndarray, reason: str | None, evidence: Evidence,
                  his_name: str | None) -> Interpretation:
        order = np.argsort(-proba, kind="stable")
        label = self.labels[order[0]]
        info = self.task.catalog.get(label)
        name_used: bool | None = None
        tips: tuple[str, ...] = ()
        if self.task.advisor is not None:
            name_used, tips = self.task.advisor(message, label, his_name)
        ranking = tuple((self.labels[j], float(proba[j])) for j in order)
        # For a no-cue answer the scenario is the open question: only the article's general signs apply.
        watch_for = GENUINE_SIGNS if reason == NO_SCENARIO_CUE else info.watch_for if info else ()
        return Interpretation(
            message=message, label=label, probability=float(proba[order[0]]), ranking=ranking,
            unsure=reason is not None,
            evidence=evidence,
            title=info.title if info else None, explanation=info.explanation if info else None,
            tone=info.tone if info else None, watch_for=watch_for,
            suggestion=info.suggestion if info else None, name_used=name_used, tips=tips,
            reason=reason, reason_text=UNSURE_EXPLANATIONS.get(reason) if reason else None,
            genuine_reading=self._best_of_tone(ranking, "genuine"),
            red_flag_reading=self._best_of_tone(ranking, "red_flag"),
        )

    def _best_of_tone(self, ranking: tuple[tuple[str, float], ...], tone: str) -> tuple[str, float] | None:
        return next(((label, p) for label, p in ranking
                     if (info := self.task.catalog.get(label)) is not None and info.tone == tone), None)


def _as_list(values: object, what: str) -> list[Any]:
    """A batch as a list; one string, None, a mapping or a non-iterable is a MessageTypeError."""
    if isinstance(values, str):
        raise MessageTypeError(f"interpret_many takes a list of {what}; use interpret for one message")
    if values is None or isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise MessageTypeError(f"interpret_many takes a list of {what}, got {type(values).__name__}")
    return list(values)


def _checked_task(metadata: ModelMetadata, expected_task: str | None, directory: Path) -> Task:
    if expected_task is not None and metadata.task != expected_task:
        raise IncompatibleModelError(f"{directory} holds a {metadata.task!r} model, not {expected_task!r}; "
                                     f"retrain with: python -m ml train --task {expected_task}")
    try:
        return task_of_model(metadata.task, metadata.labels)
    except IncompatibleModelError as exc:
        raise IncompatibleModelError(f"{directory}: {exc}; retrain it") from None


def load_model(task_or_path: str | Path = "meaning") -> Model:
    """Load a model: by task name (``models/<task>``, custom tasks included), by a task's
    model directory (its current version), or by one version directory someone shared.

    Every way goes through the same checks: checksums, typed metadata, and a
    skops load that refuses types outside the allow-list, so loading never runs
    code from the files. Raises ModelNotFoundError, ModelFileError or one of its
    subclasses, with the file and the fix in the message.
    """
    location = locate(task_or_path)
    pipeline, metadata = read_version(location.directory)
    task = _checked_task(metadata, location.task, location.directory)
    return Model(pipeline, task, metadata.unsure_rule, metadata, location.version)


def model_metadata(task_or_path: str | Path) -> ModelMetadata:
    """The checked metadata of a saved model, without loading the model itself."""
    location = locate(task_or_path)
    metadata = read_metadata(location.directory)
    _checked_task(metadata, location.task, location.directory)
    return metadata
