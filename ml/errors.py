"""The project's exceptions.

Every error a user can cause derives from :class:`MLError`, so callers (and the
CLI) can catch one type and still tell the cases apart by subclass.
"""

from __future__ import annotations


class MLError(Exception):
    """Base class of every error the package raises on purpose."""


class UnknownTaskError(MLError):
    """A task name that is not registered."""


class TaskNameError(MLError, ValueError):
    """A task name outside ``[a-z0-9_-]{1,40}``; task names become directory names."""


class DataError(MLError):
    """A dataset file that cannot be read or breaks the label-guide format."""


class InputError(MLError, ValueError):
    """A message handed to ``interpret`` that cannot be interpreted."""


class MessageTypeError(InputError, TypeError):
    """The message (or context) is None or not a string."""


class EmptyMessageError(InputError):
    """The message is empty once whitespace and control characters are removed."""


class MessageTooLongError(InputError):
    """The message or context is over the documented size limit."""


class InvalidTextError(InputError):
    """Text that is not valid Unicode, e.g. a lone surrogate, which no file or JSON can hold."""


class ModelFileError(MLError):
    """A model file that is missing, truncated, tampered with or unreadable."""


class ModelNotFoundError(ModelFileError):
    """No trained model where one was expected."""


class IncompatibleModelError(ModelFileError):
    """A readable model that belongs to another task, format or library version."""


class MetadataError(ModelFileError):
    """Model metadata with a missing, mistyped, out-of-range or unknown field."""


class UntrustedModelError(ModelFileError):
    """A model file that holds types outside the allow-list; it is refused without being built."""


class ModelBusyError(ModelFileError):
    """Another process is saving a model for the same task and did not finish in time."""


class QualityGateError(MLError):
    """A newly trained model scored clearly worse than the current one; it was not made current."""


class MissingExtraError(MLError):
    """An optional feature whose extra (e.g. ``pip install -e ".[hybrid]"``) is not installed."""


class EncoderWeightsError(MLError):
    """Sentence-encoder weights on disk that are missing or differ from the pinned sha256; never loaded."""
