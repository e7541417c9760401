"""Paths and fixed constants. Importing this module has no side effects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
MODELS_DIR = PROJECT_ROOT / "models"
LABEL_GUIDE = PROJECT_ROOT / "docs" / "LABEL_GUIDE.md"

SEED = 13
CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2
MAX_HOLDOUT_FRACTION = 0.5  # beyond this the training part is smaller than the part it is judged on

# The unsure rule must still answer at least this share of messages (out-of-fold).
MIN_COVERAGE = 0.85
# A confident red flag must name the right red flag at least this often (out-of-fold)...
RED_FLAG_MIN_PRECISION = 0.90
# ...counting everyday texts as this share of all messages, as on a real phone, rather than the
# share they have in the training data (about 46%): a precision measured on the training mix
# would hide how often an ordinary text gets called a red flag.
EVERYDAY_SHARE = 0.90



@dataclass(frozen=True)
class TrainingProtocol:
    """How a model is trained and judged, passed down as one value.

    The defaults live here once; a model's metadata records the protocol it
    was trained under, so ``evaluate`` can re-run exactly the same split.
    """

    seed: int = SEED
    cv_folds: int = CV_FOLDS
    holdout_fraction: float = HOLDOUT_FRACTION  # 0: no held-out split is scored
    min_coverage: float = MIN_COVERAGE


DEFAULT_PROTOCOL = TrainingProtocol()

# Real texts are short; anything longer is almost surely a paste by mistake and
# would only slow the vectorizers down. Documented in the README.
MAX_MESSAGE_CHARS = 2_000
MAX_CONTEXT_CHARS = 2_000
MAX_NAME_CHARS = 100

# Every read of user data is bounded, so a wrong path (or /dev/zero) fails fast instead of
# eating memory. The committed datasets are ~0.2 MB and CLINC150's training file ~1 MB.
MAX_DATA_BYTES = 50_000_000      # a CSV for training or evaluation
# Batch prediction streams its input, so its memory is bounded per line rather than per file: a CSV line
# (or a stdin line) over this many bytes is refused. A real row is at most ~16 KB (two 2,000-character
# fields of 4-byte characters); an endless source with no newline fails here instead of filling memory.
MAX_LINE_BYTES = 1_000_000
# Rows per chunk when batch prediction streams (predict --input and stdin); --chunk-rows overrides it.
BATCH_CHUNK_ROWS = 5_000
MAX_METADATA_BYTES = 1_000_000   # a model.json; real ones are ~3 KB

# Model versions kept per task (the current one is always kept, even when older).
KEEP_VERSIONS = 5
# A new model becomes current only if its held-out macro-F1 is at most this much below the current one's.
MAX_MACRO_F1_DROP = 0.02
# How long a save waits for another save of the same task to finish (saves take about a second).
SAVE_LOCK_TIMEOUT_SECONDS = 60.0
