"""Text-message intent classifier: what his "I miss you" means, and what your draft does."""

from ml.errors import (
    DataError,
    EmptyMessageError,
    IncompatibleModelError,
    InputError,
    InvalidTextError,
    MessageTooLongError,
    MessageTypeError,
    MetadataError,
    MLError,
    ModelBusyError,
    ModelFileError,
    ModelNotFoundError,
    QualityGateError,
    TaskNameError,
    UnknownTaskError,
    UntrustedModelError,
)
from ml.predict import Interpretation, Model, load_model

__version__ = "0.1.0"

__all__ = [
    "DataError", "EmptyMessageError", "IncompatibleModelError", "InputError", "Interpretation", "InvalidTextError",
    "MLError", "MessageTooLongError", "MessageTypeError", "MetadataError", "Model", "ModelBusyError",
    "ModelFileError", "ModelNotFoundError", "QualityGateError", "TaskNameError", "UnknownTaskError",
    "UntrustedModelError", "__version__", "load_model",
]
