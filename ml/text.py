"""Text normalisation shared by training and prediction.

The functions here are referenced by the fitted vectorizers inside the saved
pipeline, so the exact same cleaning runs at training and at prediction time.
Changing them changes what a saved model sees: bump ``FORMAT_VERSION`` in
:mod:`ml.metadata` when you do.
"""

from __future__ import annotations

import re
import unicodedata

# Words (including one-letter slang like "u" and "r"), "?" and "!" (their count
# matters: "why aren't you answering??"), and single emoji/symbol characters.
TOKEN_PATTERN = r"(?u)\b\w+\b|[?!]|[\u2190-\u2bff\u2600-\u27bf\U0001f000-\U0001faff]"

_URL = re.compile(r"https?://\S+|www\.\S+")
_ELONGATED = re.compile(r"(\w)\1{2,}")  # "soooo" -> "soo", "heyyyy" -> "heyy"
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "'": "", "`": ""})
_KEEP_FORMAT_CHARS = {"\u200d"}  # zero-width joiner glues multi-part emoji together


def _cleaned(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "  # tabs, newlines and stray control bytes separate words
    if category == "Cf" and ch not in _KEEP_FORMAT_CHARS:
        return ""  # zero-width and other invisible format characters sit inside words: "mi\u200bss" is "miss"
    return ch


def strip_control_characters(text: str) -> str:
    """Turn control characters into spaces and drop invisible format characters.

    Pasted texts carry zero-width spaces, byte-order marks and stray control
    bytes; they must neither crash the model nor split a word in two.
    """
    if text.isascii() and text.isprintable():
        return text  # fast path with the same result: printable ASCII has no Cc or Cf character
    return "".join(_cleaned(ch) for ch in text)


def normalize_text(text: str) -> str:
    """Canonical form of a message for the vectorizers.

    NFKC folds look-alike characters (full-width letters, ligatures), casefold
    lowers case, apostrophes are dropped so "don't" and "dont" match, URLs
    become one token, and letters repeated three or more times are cut to two
    so "soooo" and "sooooooo" are the same word. Emoji are kept: they carry tone.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = strip_control_characters(text)
    text = _URL.sub(" url ", text)
    text = text.translate(_APOSTROPHES)
    text = _ELONGATED.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()
