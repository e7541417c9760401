"""Checks on what a caller hands to a model: messages, contexts, his name, options.

Training, evaluation and prediction all pass their text through these, so one
message is accepted or refused the same way everywhere, with the same words.
``row`` is the 1-based data row (or batch position) an error should name.
"""

from __future__ import annotations

from ml.config import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_CHARS
from ml.errors import EmptyMessageError, InputError, InvalidTextError, MessageTooLongError, MessageTypeError
from ml.text import normalize_text


def _where(what: str, row: int | None) -> str:
    return f"{what} in row {row}" if row is not None else what


def check_text(value: object, what: str, limit: int, row: int | None = None) -> str:
    """A string of at most ``limit`` characters that is valid Unicode; raises an InputError subclass."""
    if not isinstance(value, str):
        raise MessageTypeError(f"{_where(what, row)} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise MessageTooLongError(f"{_where(what, row)} has {len(value):,} characters; the limit is {limit:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidTextError(f"{_where(what, row)} holds a lone surrogate (U+{ord(value[exc.start]):04X} at "
                               f"position {exc.start + 1}), which is not valid Unicode text") from None
    return value


def check_message(message: object, row: int | None = None) -> str:
    """A message the model can read; empty means nothing is left once cleaned (spaces, control
    characters, lone apostrophes), because such a message would have no features at all."""
    message = check_text(message, "message", MAX_MESSAGE_CHARS, row)
    if not normalize_text(message):
        raise EmptyMessageError(f"{_where('message', row)} is empty once cleaned "
                                "(only whitespace, control characters or apostrophes)")
    return message


def check_context(context: object, row: int | None = None) -> str:
    """A context, or "" for None: the context is optional."""
    return "" if context is None else check_text(context, "context", MAX_CONTEXT_CHARS, row)


def check_his_name(name: object) -> str | None:
    """His name as given, or None; held to the rules of a message, with its own shorter limit."""
    return None if name is None else check_text(name, "his_name", MAX_NAME_CHARS)


def check_evidence_terms(count: object) -> int:
    """How many terms to show for and against a label: a positive integer."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"evidence_terms must be a positive integer, got {count!r}")
    return count
