"""Task records: everything that differs between the meaning and coach tasks.

All other modules take a :class:`Task` and stay task-agnostic, so a new task
(or an outside dataset with its own labels) needs a record, not new code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from ml.catalog import COACH, MEANING, LabelInfo
from ml.coach import advise
from ml.config import DATA_DIR, MODELS_DIR
from ml.errors import IncompatibleModelError, TaskNameError, UnknownTaskError

# Task names become directory names under models/, so they may not hold "/", "." or spaces.
TASK_NAME_PATTERN = r"[a-z0-9_-]{1,40}"

# The meaning task's internal class: he says he misses her, but nothing in the message or
# context points to one scenario. It is learned like a label but never reported as one:
# an answer in this class is "unsure" with this reason (see ml.unsure).
NO_CUE_LABEL = "no_scenario_cue"

# (message, predicted label, his name or None) -> (name used or None, extra tips)
Advisor = Callable[[str, str, "str | None"], "tuple[bool | None, tuple[str, ...]]"]


@dataclass(frozen=True)
class Task:
    """One classification task.

    ``labels`` is None for a dataset whose labels are read from the data
    (``--labels-from-data``). ``catalog`` may be empty: such a model still
    returns label, probability, ranking and evidence, just no explanation.
    ``extra_data`` are more training files in the same format, kept apart by
    what they hold (everyday negatives, no-cue messages); ``no_cue_label`` is
    the internal class those no-cue messages carry (see NO_CUE_LABEL).
    """

    name: str
    labels: tuple[str, ...] | None
    catalog: Mapping[str, LabelInfo] = field(default_factory=dict)
    data_path: Path | None = None
    extra_data: tuple[Path, ...] = ()
    no_cue_label: str | None = None
    min_rows_per_label: int = 0
    example: tuple[str, str] | None = None  # (message, context) shown by the demo
    advisor: Advisor | None = None

    @property
    def model_dir(self) -> Path:
        return MODELS_DIR / self.name

    @property
    def data_files(self) -> tuple[Path, ...]:
        """Every file the task trains on by default."""
        return (self.data_path, *self.extra_data) if self.data_path is not None else ()

    @property
    def trained_labels(self) -> tuple[str, ...] | None:
        """The classes a model of this task learns: its labels plus the internal no-cue class."""
        if self.labels is None:
            return None
        return self.labels + ((self.no_cue_label,) if self.no_cue_label else ())

    @property
    def red_flags(self) -> tuple[str, ...]:
        """Labels whose catalogue tone is red_flag: they must clear a stricter bar."""
        return tuple(label for label, info in self.catalog.items() if info.tone == "red_flag")

    @property
    def out_of_scope_label(self) -> str | None:
        """The label that means "none of the scenarios" (tone none), if the task has one."""
        return next((label for label, info in self.catalog.items() if info.tone == "none"), None)

    def with_labels(self, labels: tuple[str, ...]) -> Task:
        """This task with its label set fixed, e.g. after reading it from data."""
        return replace(self, labels=labels)


TASKS: Mapping[str, Task] = MappingProxyType({
    "meaning": Task(
        name="meaning",
        labels=tuple(MEANING),
        catalog=MEANING,
        data_path=DATA_DIR / "meaning.csv",
        extra_data=(DATA_DIR / "meaning_everyday.csv", DATA_DIR / "meaning_cueless.csv"),
        no_cue_label=NO_CUE_LABEL,
        min_rows_per_label=80,
        example=("hey stranger, miss you", "he ghosted me in May"),
    ),
    "coach": Task(
        name="coach",
        labels=tuple(COACH),
        catalog=COACH,
        data_path=DATA_DIR / "coach.csv",
        min_rows_per_label=50,
        example=("heyyy wyd", ""),
        advisor=advise,
    ),
})


def check_task_name(name: object) -> str:
    """``name`` if it is a valid task name; raises TaskNameError otherwise (``--task ../../x``)."""
    if not isinstance(name, str) or not re.fullmatch(TASK_NAME_PATTERN, name):
        raise TaskNameError(f"invalid task name {name!r}: use 1 to 40 of a-z, 0-9, _ and -")
    return name


def get_task(name: str) -> Task:
    """The registered task called ``name``; raises TaskNameError or UnknownTaskError otherwise."""
    check_task_name(name)
    try:
        return TASKS[name]
    except KeyError:
        raise UnknownTaskError(
            f"unknown task {name!r}; known tasks: {', '.join(TASKS)} "
            "(or train on any CSV with --data FILE --labels-from-data)"
        ) from None


def custom_task(name: str, labels: tuple[str, ...] | None = None) -> Task:
    """A task for an outside dataset: no catalogue, labels from the data or a model."""
    return Task(name=check_task_name(name), labels=labels)


def task_of_model(name: str, labels: tuple[str, ...]) -> Task:
    """The task a saved model answers for, given the task name and labels in its metadata.

    A registered task's model may know fewer labels than the catalogue (trained with
    --allow-missing-labels) but never one outside it: a coach model relabelled "meaning"
    is refused here.
    """
    if name not in TASKS:
        return custom_task(name, labels)
    task = TASKS[name]
    unknown = sorted(set(labels) - set(task.trained_labels or ()))
    if unknown:
        raise IncompatibleModelError(f"the model says it is a {name} model, but its labels {', '.join(unknown)} "
                                     f"are not {name} labels")
    return task.with_labels(tuple(label for label in labels if label != task.no_cue_label))
