"""Text-message intent classifier: what his "I miss you" means, and what your draft does."""

from ml.errors import (
    DataError,
    EmptyMessageError,
    IncompatibleModelError,
    InputError,
    MessageTooLongError,
    MessageTypeError,
    MLError,
    ModelFileError,
    ModelNotFoundError,
    UnknownTaskError,
)
from ml.predict import Interpretation, Model, load_model

__version__ = "0.1.0"

__all__ = [
    "DataError", "EmptyMessageError", "IncompatibleModelError", "InputError", "Interpretation", "MLError",
    "MessageTooLongError", "MessageTypeError", "Model", "ModelFileError", "ModelNotFoundError",
    "UnknownTaskError", "__version__", "load_model",
]
