"""One model version on disk, written and read without pickle.

A version directory holds exactly three files::

    model.skops   the fitted Pipeline in skops' format: JSON describing objects, plus numpy arrays
    model.json    its ModelMetadata
    SHA256SUMS    the sha256 of both, in sha256sum's format (``sha256sum -c SHA256SUMS`` checks them)

Reading checks the checksums, then the metadata, then builds the pipeline with
skops, which refuses any type not on :data:`TRUSTED_TYPES` before creating a
single object. Model files are not pickles because unpickling runs whatever
code the file names; skops only creates the types it is told to trust. The
checksums catch corruption and truncation; they cannot stop someone who can
rewrite every file, which is why the allow-list, not the checksum, is what keeps
a replaced model from running code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import sklearn
import skops.io as sio
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.pipeline import Pipeline
from skops.io.exceptions import UntrustedTypesFoundException

from ml.config import MAX_METADATA_BYTES
from ml.embeddings import SentenceEmbedding, require_extra
from ml.errors import (
    IncompatibleModelError,
    MetadataError,
    ModelFileError,
    ModelNotFoundError,
    UntrustedModelError,
)
from ml.metadata import ModelMetadata
from ml.pipeline import EMBEDDING_BLOCKS, feature_step, settings_of
from ml.text import normalize_text

MODEL_FILE = "model.skops"
META_FILE = "model.json"
CHECKSUM_FILE = "SHA256SUMS"
VERSION_FILES = (MODEL_FILE, META_FILE, CHECKSUM_FILE)
LEGACY_PICKLE_FILE = "model.joblib"  # the pickle layout before format 2; never loaded

# The only types a model file may hold beyond skops' own safe list of scikit-learn,
# numpy and scipy types: the project's function that the fitted vectorizers call, and
# the embedding block (plain fields only: which encoder and its weights' hash; the
# encoder is loaded from its installed package, never from the file).
# Adding a type to the pipeline means adding it here; saving checks that it was.
TRUSTED_TYPES: tuple[str, ...] = tuple(f"{f.__module__}.{f.__qualname__}" for f in (normalize_text, SentenceEmbedding))

RETRAIN_HINT = "retrain with: python -m ml train --task TASK"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_durably(path: Path, data: bytes) -> None:
    """Write, flush and fsync one file, so a crash after this call cannot leave it half-written."""
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new entry in ``directory`` survive a power cut."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_version(directory: Path, pipeline: Pipeline, metadata: ModelMetadata,
                  on_step: Callable[[str], None]) -> None:
    """Write the three files of a version into the empty ``directory``, each fsynced, then the directory.

    ``on_step`` is called after each file, with the step's name (see ml.store.SAVE_STEPS).
    """
    # Deflate: skops writes vocabularies as JSON, 10x larger than the pickle was; compressed, smaller.
    model_bytes = sio.dumps(pipeline, compression=zipfile.ZIP_DEFLATED)
    meta_bytes = (json.dumps(metadata.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    _write_durably(directory / MODEL_FILE, model_bytes)
    on_step("model-written")
    _write_durably(directory / META_FILE, meta_bytes)
    on_step("metadata-written")
    sums = f"{sha256_bytes(model_bytes)}  {MODEL_FILE}\n{sha256_bytes(meta_bytes)}  {META_FILE}\n"
    _write_durably(directory / CHECKSUM_FILE, sums.encode("ascii"))
    fsync_directory(directory)
    on_step("checksums-written")


def _read_checksums(directory: Path) -> dict[str, str]:
    path = directory / CHECKSUM_FILE
    try:
        text = path.read_bytes()[:4096].decode("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path} is unreadable ({exc}); {RETRAIN_HINT}") from None
    sums = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, flags=re.M)}
    if set(sums) != {MODEL_FILE, META_FILE} or len(text.splitlines()) != 2:
        raise ModelFileError(f"{path} must list exactly {MODEL_FILE} and {META_FILE}; {RETRAIN_HINT}")
    return sums


def _read_checked(directory: Path, name: str, expected: str, limit: int | None = None) -> bytes:
    path = directory / name
    with open(path, "rb") as handle:
        data = handle.read() if limit is None else handle.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise ModelFileError(f"{path} is over the {limit:,}-byte limit; {RETRAIN_HINT}")
    if sha256_bytes(data) != expected:
        raise ModelFileError(f"{path} does not match its checksum in {CHECKSUM_FILE} (truncated, replaced or "
                             f"tampered with); {RETRAIN_HINT}")
    return data


def _check_files(directory: Path) -> None:
    if not (directory / META_FILE).is_file():
        if (directory / LEGACY_PICKLE_FILE).is_file():
            raise IncompatibleModelError(f"{directory} holds a model saved as a pickle by an older version; pickles "
                                         f"are no longer loaded because loading one can run code. {RETRAIN_HINT}")
        raise ModelNotFoundError(f"no trained model in {directory} ({META_FILE} is missing); {RETRAIN_HINT}")
    missing = [name for name in VERSION_FILES if not (directory / name).is_file()]
    if missing:
        raise ModelFileError(f"{directory} is incomplete ({', '.join(missing)} missing); {RETRAIN_HINT}")


def read_metadata(directory: Path) -> ModelMetadata:
    """The checked metadata of one version, without touching the model file beyond its presence."""
    _check_files(directory)
    raw = _read_checked(directory, META_FILE, _read_checksums(directory)[META_FILE], MAX_METADATA_BYTES)
    try:
        metadata = ModelMetadata.from_dict(json.loads(raw.decode("utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{directory / META_FILE} is corrupt ({exc}); {RETRAIN_HINT}") from None
    except (MetadataError, IncompatibleModelError) as exc:
        raise type(exc)(f"{directory / META_FILE}: {exc}; {RETRAIN_HINT}") from None
    if metadata.sklearn_version != sklearn.__version__:
        raise IncompatibleModelError(f"{directory / META_FILE}: saved with scikit-learn {metadata.sklearn_version}, "
                                     f"this environment has {sklearn.__version__}; {RETRAIN_HINT}")
    return metadata


def untrusted_types(model_bytes: bytes) -> list[str]:
    """The types in a skops file that are neither skops' safe defaults nor on TRUSTED_TYPES."""
    return sorted(set(sio.get_untrusted_types(data=model_bytes)) - set(TRUSTED_TYPES))


def load_pipeline(model_bytes: bytes, source: Path) -> Pipeline:
    """Build a Pipeline from skops bytes; skops audits every type against the allow-list
    before it creates any object, and refuses the whole file if one is not on it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            pipeline = sio.loads(model_bytes, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        raise UntrustedModelError(f"{source} holds types this package does not trust: "
                                  f"{', '.join(untrusted_types(model_bytes))}; it was not loaded. Only load models "
                                  f"trained by this package; {RETRAIN_HINT}") from None
    except InconsistentVersionWarning as exc:
        raise IncompatibleModelError(f"{source}: {exc}; {RETRAIN_HINT}") from None
    except Exception as exc:  # not a zip, no schema, malformed JSON, inconsistent state: all unreadable
        raise ModelFileError(f"{source} is not a skops model file this package can load "
                             f"({type(exc).__name__}: {exc}); {RETRAIN_HINT}") from None
    if not isinstance(pipeline, Pipeline):
        raise ModelFileError(f"{source} does not hold a scikit-learn Pipeline; {RETRAIN_HINT}")
    return pipeline


def read_version(directory: Path) -> tuple[Pipeline, ModelMetadata]:
    """Load one version: checksums of both files, the metadata, then the pipeline through the allow-list,
    and last the metadata's labels and settings against the pipeline itself.

    Raises ModelNotFoundError, ModelFileError (corrupt, truncated, tampered),
    MetadataError, UntrustedModelError or IncompatibleModelError (format,
    scikit-learn version), each naming the file and the fix.
    """
    metadata = read_metadata(directory)
    model_bytes = _read_checked(directory, MODEL_FILE, _read_checksums(directory)[MODEL_FILE])
    pipeline = load_pipeline(model_bytes, directory / MODEL_FILE)
    if tuple(getattr(pipeline, "classes_", ())) != metadata.labels:
        raise MetadataError(f"{directory}: the labels in {META_FILE} differ from the model's; {RETRAIN_HINT}")
    try:
        built_with = settings_of(pipeline)
    except (KeyError, AttributeError, TypeError, ValueError):
        raise ModelFileError(f"{directory / MODEL_FILE} is not a pipeline this package builds; "
                             f"{RETRAIN_HINT}") from None
    if built_with != metadata.config.settings:
        raise MetadataError(f"{directory}: the settings in {META_FILE} differ from the model's "
                            f"({built_with.describe()}); {RETRAIN_HINT}")
    _check_encoder(pipeline, directory)
    return pipeline, metadata


def _check_encoder(pipeline: Pipeline, directory: Path) -> None:
    """A hybrid model needs the hybrid extra and the pinned encoder; say so at load, not at the first message."""
    blocks = [part for name, part in feature_step(pipeline).named_transformers_.items() if name in EMBEDDING_BLOCKS]
    if not blocks:
        return
    require_extra()
    for block in blocks:
        if not isinstance(block, SentenceEmbedding):
            raise ModelFileError(f"{directory / MODEL_FILE} is not a pipeline this package builds; {RETRAIN_HINT}")
        try:
            block.check_pinned()
        except IncompatibleModelError as exc:
            raise IncompatibleModelError(f"{directory / MODEL_FILE}: {exc}") from None
