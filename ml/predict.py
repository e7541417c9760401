"""The library API: load a trained model and interpret messages.

    >>> from ml import load_model
    >>> model = load_model("meaning")
    >>> r = model.interpret("hey stranger, miss you", context="he ghosted me in May")
    >>> r.label, r.probability, r.unsure
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml.abstain import NO_SCENARIO_CUE, RejectRule, public_view
from ml.artifacts import load_artifacts, read_metadata
from ml.catalog import GENUINE_SIGNS, UNSURE_EXPLANATIONS
from ml.config import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS
from ml.errors import EmptyMessageError, InputError, MessageTooLongError, MessageTypeError
from ml.evaluate import score_rows
from ml.explain import Evidence, Explainer
from ml.tasks import TASKS, Task, custom_task
from ml.text import strip_control_characters


@dataclass(frozen=True)
class Interpretation:
    """What the product says about one message.

    ``ranking`` holds every label with its probability, best first, summing to 1.
    ``unsure`` is True when the saved reject rule fires, and ``reason`` says
    why (an id of ``ml.abstain.UNSURE_REASONS``, in plain words in
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


def _check_text(value: object, what: str, limit: int, index: int | None) -> str:
    where = f"{what} #{index}" if index is not None else what
    if value is None or not isinstance(value, str):
        raise MessageTypeError(f"{where} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise MessageTooLongError(f"{where} has {len(value):,} characters; the limit is {limit:,}")
    return value


def check_message(message: object, index: int | None = None) -> str:
    """Validate one message; raises a specific InputError subclass."""
    message = _check_text(message, "message", MAX_MESSAGE_CHARS, index)
    if not strip_control_characters(message).strip():
        where = f"message #{index}" if index is not None else "message"
        raise EmptyMessageError(f"{where} is empty (only whitespace or control characters)")
    return message


def check_context(context: object, index: int | None = None) -> str:
    """Validate one context; None means no context."""
    return "" if context is None else _check_text(context, "context", MAX_CONTEXT_CHARS, index)


class Model:
    """A loaded, validated model for one task. Build it with :func:`load_model`."""

    def __init__(self, pipeline: Pipeline, metadata: dict[str, Any], task: Task) -> None:
        self.pipeline = pipeline
        self.metadata = metadata
        self.task = task
        self.reject_rule = RejectRule.from_dict(metadata["reject_rule"])
        self.classes: tuple[str, ...] = tuple(pipeline.classes_)  # what the pipeline learned, internal class too
        self.labels: tuple[str, ...] = tuple(c for c in self.classes if c != self.reject_rule.no_cue_label)
        self._explainer = Explainer(pipeline)

    def __repr__(self) -> str:
        return f"Model(task={self.task.name!r}, labels={len(self.labels)}, created={self.metadata.get('created_at')})"

    def interpret(self, message: str, context: str | None = None, *, his_name: str | None = None,
                  evidence_terms: int = 6) -> Interpretation:
        """Interpret one message (and optional context). Raises InputError subclasses on bad input."""
        return self.interpret_many([message], [context], his_name=his_name, evidence_terms=evidence_terms)[0]

    def interpret_many(self, messages: Sequence[str] | pd.DataFrame | Iterable[str],
                       contexts: Sequence[str | None] | None = None, *, his_name: str | None = None,
                       evidence_terms: int = 6) -> list[Interpretation]:
        """Interpret a batch with one vectorised pass.

        ``messages`` may be a DataFrame with a ``message`` column (and optional
        ``context``). Bad input raises InputError naming the item's position.
        """
        if isinstance(messages, pd.DataFrame):
            if "message" not in messages.columns:
                raise InputError("the DataFrame needs a 'message' column")
            if contexts is None and "context" in messages.columns:
                contexts = messages["context"].fillna("").tolist()
            messages = messages["message"].tolist()
        elif isinstance(messages, str):
            raise MessageTypeError("interpret_many takes a list of messages; use interpret for one message")
        messages = list(messages)
        contexts = [None] * len(messages) if contexts is None else list(contexts)
        if len(contexts) != len(messages):
            raise InputError(f"got {len(messages)} messages but {len(contexts)} contexts")
        if not messages:
            return []
        single = len(messages) == 1
        frame = pd.DataFrame({
            "message": [check_message(m, None if single else i) for i, m in enumerate(messages)],
            "context": [check_context(c, None if single else i) for i, c in enumerate(contexts)],
        })
        features, proba, reasons = self.score(frame)
        public = public_view(proba, self.classes, self.reject_rule.no_cue_label).proba
        return [self._describe(frame.at[i, "message"], public[i], reasons[i], features[i], his_name,
                               evidence_terms) for i in range(len(frame))]

    def score(self, frame: pd.DataFrame) -> tuple[Any, np.ndarray, np.ndarray]:
        """Features, class probabilities and unsure reasons for checked rows (see ``score_rows``)."""
        return score_rows(self.pipeline, frame, self.reject_rule)

    def _describe(self, message: str, proba: np.ndarray, reason: str | None, row: Any, his_name: str | None,
                  evidence_terms: int) -> Interpretation:
        order = np.argsort(-proba, kind="stable")
        label = self.labels[order[0]]
        info = self.task.catalog.get(label)
        name_used, tips = (None, ())
        if self.task.advisor is not None:
            name_used, tips = self.task.advisor(message, label, his_name)
        ranking = tuple((self.labels[j], float(proba[j])) for j in order)
        watch_for = info.watch_for if info else ()
        if reason == NO_SCENARIO_CUE:
            watch_for = GENUINE_SIGNS  # the scenario is unknown, so only the article's general signs apply
        return Interpretation(
            message=message, label=label, probability=float(proba[order[0]]), ranking=ranking,
            unsure=reason is not None,
            evidence=self._explainer.evidence(message, row, self.classes.index(label), evidence_terms),
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


def resolve_model_dir(task_or_path: str | Path) -> tuple[Path, str | None]:
    """A registered task name maps to models/<task>; anything else is a directory path."""
    if isinstance(task_or_path, str) and task_or_path in TASKS:
        return TASKS[task_or_path].model_dir, task_or_path
    return Path(task_or_path), None


def load_model(task_or_path: str | Path = "meaning") -> Model:
    """Load ``models/<task>/`` for a task name, or a model directory by path.

    Raises ModelNotFoundError, ModelFileError or IncompatibleModelError with
    the file and the fix (retrain) in the message.
    """
    directory, task_name = resolve_model_dir(task_or_path)
    pipeline, meta = load_artifacts(directory, task_name)
    name = meta["task"]
    task = TASKS[name] if name in TASKS else custom_task(name, tuple(meta["labels"]))
    return Model(pipeline, meta, task)


def model_metadata(task_or_path: str | Path) -> dict[str, Any]:
    """The checked metadata of a saved model, without unpickling it."""
    directory, task_name = resolve_model_dir(task_or_path)
    return read_metadata(directory, task_name)
