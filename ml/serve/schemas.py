"""The HTTP API's contract: pydantic models for every request and response.

They are what ``/docs`` shows, and they reject bad input with a 422 that names
the field before any model code runs. The message rules are the library's own
(:func:`ml.predict.check_message`), so the API and ``Model.interpret`` cannot
disagree about what a valid message is.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from ml.config import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS
from ml.predict import check_message
from ml.tasks import TASKS

MAX_BATCH_ITEMS = 1_000
MAX_NAME_CHARS = 100

# Built from the task registry, so /docs lists exactly the tasks this install has; mypy cannot
# see the members of an Enum built at run time, hence the one ignore.
TaskName = Enum("TaskName", {name: name for name in TASKS}, type=str)  # type: ignore[misc]
TaskName.__doc__ = "A registered task."


class _Request(BaseModel):
    # A misspelt field ("contxt") is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


class _Text(_Request):
    message: StrictStr = Field(max_length=MAX_MESSAGE_CHARS, description="The text to interpret.",
                               examples=["hey stranger, miss you"])
    context: StrictStr | None = Field(None, max_length=MAX_CONTEXT_CHARS,
                                      description="What you know about the situation.",
                                      examples=["he ghosted me in May"])

    @field_validator("message")
    @classmethod
    def _not_blank(cls, message: str) -> str:
        return check_message(message)  # InputError is a ValueError, so pydantic reports it as a 422


class _Options(BaseModel):
    his_name: StrictStr | None = Field(None, max_length=MAX_NAME_CHARS,
                                       description="Coach task: his name, to check whether the draft uses it.")
    top_k: StrictInt | None = Field(None, ge=1, description="How many labels the ranking keeps (default: all).")


class InterpretRequest(_Text, _Options):
    """One message, as ``python -m ml predict --json`` takes it."""

    task: TaskName = Field(description="Which model answers: meaning (his text) or coach (your draft).")


class BatchItem(_Text):
    """One message of a batch."""


class BatchRequest(_Request, _Options):
    """Up to 1,000 messages for one task, interpreted in one vectorised pass."""

    task: TaskName
    items: list[BatchItem] = Field(max_length=MAX_BATCH_ITEMS)


class Term(BaseModel):
    text: str
    source: str = Field(description="message or context")
    weight: float = Field(description="How far the word moved the score: positive toward the label, negative against.")


class Evidence(BaseModel):
    toward: list[Term]
    against: list[Term]


class Ranked(BaseModel):
    label: str
    probability: float


class Interpretation(BaseModel):
    """Exactly ``ml.Interpretation.to_dict(top_k)``; fields the library adds later pass through unchanged."""

    model_config = ConfigDict(extra="allow")

    message: str
    label: str
    probability: float
    unsure: bool = Field(description="True when the answer is a guess: read the ranking's first entries instead.")
    reason: str | None = Field(None, description=(
        "Why an answer is unsure: low_confidence, too_close, no_known_words, no_scenario_cue or "
        "red_flag_below_bar; null when it is not (absent from models that predate it)."))
    reason_text: str | None = Field(None, description="The reason in plain words, ready to show.")
    genuine_reading: Ranked | None = Field(None, description="The most likely scenario of tone genuine (meaning).")
    red_flag_reading: Ranked | None = Field(None, description="The most likely scenario of tone red_flag (meaning).")
    title: str | None
    tone: str | None = Field(description="genuine, mixed, caution, red_flag or none (meaning); technique or pitfall "
                                         "(coach).")
    explanation: str | None
    watch_for: list[str]
    suggestion: str | None
    name_used: bool | None
    tips: list[str]
    ranking: list[Ranked] = Field(description="Labels with their probability, best first.")
    evidence: Evidence


class BatchResponse(BaseModel):
    results: list[Interpretation] = Field(description="One interpretation per item, in order.")


class Label(BaseModel):
    label: str
    title: str | None
    tone: str | None


class TaskInfo(BaseModel):
    name: str
    available: bool = Field(description="False when the model is missing or unreadable; see error.")
    error: str | None = Field(description="What is wrong with the model and how to fix it.")
    labels: list[Label]


class Tasks(BaseModel):
    tasks: list[TaskInfo]


class Health(BaseModel):
    status: str
    models: dict[str, str] = Field(description="Each task's model: loaded, or what is wrong with it.")
