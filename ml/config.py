"""Paths and fixed constants. Importing this module has no side effects."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
MODELS_DIR = PROJECT_ROOT / "models"
LABEL_GUIDE = PROJECT_ROOT / "docs" / "LABEL_GUIDE.md"

SEED = 13
CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2

# Real texts are short; anything longer is almost surely a paste by mistake and
# would only slow the vectorizers down. Documented in the README.
# The unsure rule must still answer at least this share of messages (out-of-fold).
MIN_COVERAGE = 0.85
# A confident red flag must name the right red flag at least this often (out-of-fold).
RED_FLAG_MIN_PRECISION = 0.90

MAX_MESSAGE_CHARS = 2_000
MAX_CONTEXT_CHARS = 2_000
