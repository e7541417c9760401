"""Checks on a dataset's quality: duplicates, near-duplicates and its profile.

The data tests assert on these, and ``python -m ml stats`` prints the profile
that the data card quotes, so the card's numbers come from a command.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

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


def profile(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, context share, message length and share of messages saying "miss", per label and overall."""
    has_context = frame["context"].str.strip() != ""
    words = frame["message"].str.split().str.len()
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
