"""Checks on a dataset's quality: duplicates, near-duplicates, trainability and its profile.

The data tests assert on these, and ``python -m ml stats`` prints the profile
that the data card quotes, so the card's numbers come from a command. Training
calls :func:`check_trainable` before fitting anything, so bad data ends in a
DataError naming rows or labels instead of a scikit-learn traceback.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from ml.config import MAX_HOLDOUT_FRACTION, TrainingProtocol
from ml.data import split_holdout
from ml.errors import DataError
from ml.records import LABEL_PATTERN

NEAR_DUPLICATE_COSINE = 0.9
MIN_WORDS_FOR_WORD_EDIT = 4  # "hey u" vs "hey you" is two different short texts, not a template
_CANDIDATE_COSINE = 0.5      # pairs below this share too little to be one word apart


def dedup_key(message: str) -> str:
    """The form two messages must not share: case-folded, punctuation removed,
    whitespace collapsed. Emoji are kept, so "😘" and "🦆" stay different."""
    text = unicodedata.normalize("NFKC", message).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def exact_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose messages share a dedup key with another row (all copies)."""
    keys = frame["message"].map(dedup_key)
    repeated = keys.duplicated(keep=False)
    return frame.loc[repeated].assign(key=keys[repeated]).sort_values("key")


def _one_word_apart(a: list[str], b: list[str]) -> bool:
    """True when one word swapped, added or removed turns ``a`` into ``b``."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < MIN_WORDS_FOR_WORD_EDIT:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    a, b = a[prefix:], b[prefix:]
    suffix = 0
    while suffix < min(len(a), len(b)) and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return max(len(a), len(b)) - suffix <= 1


def near_duplicates(frame: pd.DataFrame, threshold: float = NEAR_DUPLICATE_COSINE) -> list[tuple[int, int, float]]:
    """Pairs (row, row, cosine) of messages that are near-duplicates.

    Two rules, either is enough: char 3-5-gram TF-IDF cosine of the dedup keys
    at least ``threshold``, or (for messages of four words or more) a single
    word swapped, added or removed. The second catches "the same sentence with
    a word swapped" in longer texts, where one rare word can pull the cosine
    down to about 0.8. Exact duplicates show up too, with cosine 1.
    """
    keys = frame["message"].map(dedup_key).tolist()
    words = [key.split() for key in keys]
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(keys)
    similarity = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similarity, 0.0)
    rows, cols = np.nonzero(np.triu(similarity) >= _CANDIDATE_COSINE)
    return [(int(i), int(j), float(similarity[i, j])) for i, j in zip(rows, cols, strict=True)
            if similarity[i, j] >= threshold or _one_word_apart(words[i], words[j])]


# "miss" and its texting spellings (mis, misss, missin, missed, missya), the word a model
# most easily turns into a label shortcut; its share per label is part of the profile.
MISS_WORD = re.compile(r"\bmis{1,4}(?:e[sd]|ing|in|ya|u)?\b", re.IGNORECASE)


def conflicting_labels(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """Pairs of 1-based rows holding the same message and context (by dedup key) under different labels."""
    keys = frame["message"].map(dedup_key) + "\x00" + frame["context"].map(dedup_key)
    first_row_per_label: dict[str, dict[str, int]] = {}
    pairs: list[tuple[int, int]] = []
    for row, (key, label) in enumerate(zip(keys, frame["label"], strict=True), 1):
        seen = first_row_per_label.setdefault(key, {})
        if label not in seen:
            pairs.extend((earlier, row) for earlier in seen.values())
            seen[label] = row
    return pairs


def check_holdout_fraction(fraction: float) -> float:
    """A held-out share in (0, MAX_HOLDOUT_FRACTION]: enough rows to judge, and fewer than to learn from."""
    if not 0 < fraction <= MAX_HOLDOUT_FRACTION:
        raise DataError(f"--holdout must be in (0, {MAX_HOLDOUT_FRACTION:g}], got {fraction:g}")
    return fraction


def check_trainable(frame: pd.DataFrame, protocol: TrainingProtocol, *,
                    catalogue: tuple[str, ...] | None, allow_missing_labels: bool, source: str) -> None:
    """Raise DataError when ``frame`` cannot honestly train a model, before anything is fitted.

    A ``holdout_fraction`` of 0 means no held-out split. ``catalogue`` is the label set
    the task promises; a dataset lacking some of its labels needs
    ``allow_missing_labels``, so a model never knows fewer labels by accident.
    """
    folds, holdout_fraction = protocol.cv_folds, protocol.holdout_fraction
    if holdout_fraction:
        check_holdout_fraction(holdout_fraction)
    if folds < 2:
        raise DataError(f"cross-validation needs at least 2 folds, got {folds}")
    counts = frame["label"].value_counts()
    unsavable = sorted(label for label in counts.index if not re.fullmatch(LABEL_PATTERN, label))
    if unsavable:
        raise DataError(f"{source}: label(s) {', '.join(map(repr, unsavable[:5]))} are over 100 characters or hold "
                        "control characters; a model's metadata can't record them")
    if len(counts) < 2:
        raise DataError(f"{source}: need at least two labels to train, found {len(counts)} "
                        f"({', '.join(counts.index)})")
    missing = sorted(set(catalogue or ()) - set(counts.index))
    if missing and not allow_missing_labels:
        raise DataError(f"{source}: no rows for label(s) {', '.join(missing)} of the task; add rows, or pass "
                        "--allow-missing-labels to train a model that cannot answer them")
    conflicts = conflicting_labels(frame)
    if conflicts:
        shown = "; ".join(f"rows {a} ({frame['label'].iat[a - 1]}) and {b} ({frame['label'].iat[b - 1]})"
                          for a, b in conflicts[:5])
        raise DataError(f"{source}: the same message and context appear under different labels: {shown}"
                        + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""))
    training_counts = counts
    if holdout_fraction:
        single = sorted(counts.index[counts < 2])
        if single:
            raise DataError(f"{source}: label(s) {', '.join(single)} have a single row; a held-out split needs "
                            "at least two rows per label")
        held_out_rows = int(np.ceil(len(frame) * holdout_fraction))
        if held_out_rows < len(counts):
            raise DataError(f"{source}: a {holdout_fraction:g} held-out split has {held_out_rows} rows for "
                            f"{len(counts)} labels; add rows or raise --holdout")
        training_counts = split_holdout(frame, holdout_fraction, protocol.seed)[0]["label"].value_counts()
    short = training_counts[training_counts < folds].sort_index()
    if len(short):
        listed = ", ".join(f"{label} ({counts.loc[str(label)]} rows, {n} for training)" for label, n in short.items())
        raise DataError(f"{source}: {folds}-fold cross-validation needs at least {folds} training rows per label; "
                        f"too few for {listed}. Add rows, or lower --folds or --holdout")


def message_words(frame: pd.DataFrame) -> pd.Series:
    """Words per message, split on whitespace: the length a reader perceives, and the profile's length."""
    return frame["message"].str.split().map(len)


def profile(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, context share, message length and share of messages saying "miss", per label and overall."""
    has_context = frame["context"].str.strip() != ""
    words = message_words(frame)
    says_miss = frame["message"].str.contains(MISS_WORD)
    per_label = {
        label: {"rows": int(len(group)), "context_share": float(has_context[group.index].mean()),
                "median_words": float(words[group.index].median()), "miss_share": float(says_miss[group.index].mean())}
        for label, group in frame.groupby("label", sort=True)
    }
    return {"rows": int(len(frame)), "context_share": float(has_context.mean()),
            "median_words": float(words.median()), "miss_share": float(says_miss.mean()), "per_label": per_label}


def format_profile(stats: dict[str, Any]) -> str:
    """The profile as a markdown table, ready to paste into a data card."""
    lines = ["| label | rows | with context | median words | says \"miss\" |", "|---|---:|---:|---:|---:|"]
    for label, row in stats["per_label"].items():
        lines.append(f"| `{label}` | {row['rows']} | {row['context_share']:.0%} | {row['median_words']:.0f} | "
                     f"{row['miss_share']:.0%} |")
    lines.append(f"| **all** | **{stats['rows']}** | **{stats['context_share']:.0%}** | "
                 f"**{stats['median_words']:.0f}** | **{stats['miss_share']:.0%}** |")
    return "\n".join(lines)
