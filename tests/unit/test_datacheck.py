"""The duplicate checks the data tests rely on must themselves catch what they claim to."""

import pandas as pd

from ml.datacheck import dedup_key, exact_duplicates, format_profile, near_duplicates, profile


def frame(messages: list[str], contexts: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"message": messages, "context": contexts or [""] * len(messages),
                         "label": ["a"] * len(messages)})


def test_dedup_key_ignores_case_punctuation_and_spacing_but_keeps_emoji() -> None:
    assert dedup_key("Miss  you!!") == dedup_key("miss you") == "miss you"
    assert dedup_key("😘") != dedup_key("🦆")


def test_exact_duplicates_finds_both_copies() -> None:
    found = exact_duplicates(frame(["Miss you!", "miss you", "see you at 5"]))
    assert sorted(found.index) == [0, 1]


def test_near_duplicates_catches_a_swapped_word_only() -> None:
    pairs = near_duplicates(frame([
        "i really miss you so much tonight babe",
        "i really miss you so much tonight baby",
        "can you pick up milk on the way home",
    ]))
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_profile_counts_context_share() -> None:
    stats = profile(frame(["a b", "c", "d e f"], ["", "ctx", "ctx"]))
    assert stats["rows"] == 3
    assert abs(stats["context_share"] - 2 / 3) < 1e-9
    assert "| `a` | 3 | 67% | 2 |" in format_profile(stats)


def test_near_duplicates_catch_an_added_word_in_a_long_text_but_not_short_texts() -> None:
    pairs = near_duplicates(frame([
        "cant wait to see you on friday night",
        "cant wait to see you on friday",
        "hey u",
        "hey you",
    ]))
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
