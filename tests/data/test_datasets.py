"""Checks on the committed datasets. Each test fails on a concrete data problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ml.config import DATA_DIR
from ml.data import read_examples
from ml.datacheck import dedup_key, exact_duplicates, format_profile, near_duplicates, profile
from ml.tasks import NO_CUE_LABEL, TASKS
from ml.workflow import load_task_data

MIN_CONTEXT_SHARE = 0.35
# For these labels the context is what decides them, so most rows carry one.
CONTEXT_DECIDED = {"meaning": ("matching_you", "back_from_silence", "feels_you_slipping")}
MIN_EVERYDAY_NEGATIVES = 1_500   # not_about_missing rows the meaning model trains on
MIN_NO_CUE_ROWS = 150            # "miss you" with no scenario cue, trained as the internal class
MIN_EVERYDAY_EVAL_ROWS = 500     # the everyday evaluation set, never trained on
MIN_NO_CUE_EVAL_ROWS = 150
# After the re-balancing rows, no scenario label may say "miss" in most or in few of its rows.
MISS_SHARE_RANGE = (0.35, 0.65)

MEANING = TASKS["meaning"]
SCENARIOS = [label for label in MEANING.labels if label != MEANING.out_of_scope_label]

# Every committed data file and the only labels it may hold.
FILES = {
    "meaning.csv": set(MEANING.labels),
    "meaning_everyday.csv": {"not_about_missing"},
    "meaning_cueless.csv": {NO_CUE_LABEL},
    "coach.csv": set(TASKS["coach"].labels),
    "eval/everyday.csv": {"not_about_missing"},
    "eval/cueless.csv": {NO_CUE_LABEL},
    "eval/cueless_2.csv": {NO_CUE_LABEL},
}
EVAL_FILES = ("eval/everyday.csv", "eval/cueless.csv", "eval/cueless_2.csv")
TASK_NAMES = list(TASKS)


def read(name: str) -> pd.DataFrame:
    return read_examples(DATA_DIR / name)


@pytest.fixture(scope="module", params=TASK_NAMES)
def dataset(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame]:
    """A task's whole training set: every file it trains on, as one frame."""
    frame, _, _ = load_task_data(TASKS[request.param])
    return request.param, frame


def test_every_data_file_is_listed_here() -> None:
    on_disk = {path.relative_to(DATA_DIR).as_posix() for path in DATA_DIR.rglob("*.csv")}
    assert on_disk == set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_header_is_exactly_the_guide_format(name: str) -> None:
    assert (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[0] == "message,context,label"


@pytest.mark.parametrize("name", FILES)
def test_each_file_holds_only_its_own_labels(name: str) -> None:
    assert set(read(name)["label"]) <= FILES[name]


def test_every_task_trains_on_its_files_and_every_label_is_used(dataset) -> None:
    name, frame = dataset
    assert set(frame["label"]) == set(TASKS[name].trained_labels)


@pytest.mark.parametrize("name", FILES)
def test_no_file_has_an_empty_message(name: str) -> None:
    # Read raw, not with read_examples: the reader refuses an empty message itself, so a check
    # on its output could never fail; this one names the rows.
    raw = pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False)
    empty = raw.index[raw["message"].str.strip() == ""] + 2  # file line numbers (header is line 1)
    assert empty.empty, f"{name}: empty message on line(s) {list(empty[:10])}"


def test_no_exact_duplicates_after_normalising(dataset) -> None:
    _, frame = dataset
    duplicates = exact_duplicates(frame)
    assert duplicates.empty, duplicates[["message", "label"]].to_string()


def test_no_near_duplicates(dataset) -> None:
    _, frame = dataset
    pairs = near_duplicates(frame)
    shown = [(frame.at[i, "message"], frame.at[j, "message"], round(c, 3)) for i, j, c in pairs[:10]]
    assert not pairs, shown


def test_no_message_carries_two_labels(dataset) -> None:
    _, frame = dataset
    labels_per_key = frame.groupby(frame["message"].map(dedup_key))["label"].nunique()
    assert (labels_per_key == 1).all(), labels_per_key[labels_per_key > 1]


def test_enough_rows_per_label(dataset) -> None:
    name, frame = dataset
    counts = frame["label"].value_counts()
    assert counts.min() >= TASKS[name].min_rows_per_label, counts.to_dict()


@pytest.mark.parametrize("name", TASK_NAMES)
def test_context_share_of_the_scenario_file(name: str) -> None:
    assert profile(read_examples(TASKS[name].data_path))["context_share"] >= MIN_CONTEXT_SHARE


def test_context_decided_labels_mostly_have_context(dataset) -> None:
    name, frame = dataset
    stats = profile(frame)["per_label"]
    for label in CONTEXT_DECIDED.get(name, ()):
        assert stats[label]["context_share"] > 0.5, label


def test_meaning_trains_on_enough_everyday_negatives_and_no_cue_messages() -> None:
    frame, _, _ = load_task_data(MEANING)
    counts = frame["label"].value_counts()
    assert counts["not_about_missing"] >= MIN_EVERYDAY_NEGATIVES
    assert counts[NO_CUE_LABEL] >= MIN_NO_CUE_ROWS


def test_evaluation_sets_are_large_enough() -> None:
    assert len(read("eval/everyday.csv")) >= MIN_EVERYDAY_EVAL_ROWS
    assert len(read("eval/cueless.csv")) >= MIN_NO_CUE_EVAL_ROWS


def test_no_evaluation_message_is_in_any_training_file() -> None:
    training = pd.concat([load_task_data(task)[0] for task in TASKS.values()], ignore_index=True)
    held_out = pd.concat([read(name) for name in EVAL_FILES], ignore_index=True)
    both = pd.concat([held_out, training], ignore_index=True)
    leaks = [(both.at[i, "message"], both.at[j, "message"]) for i, j, _ in near_duplicates(both)
             if (i < len(held_out)) != (j < len(held_out))]
    assert not leaks, leaks[:10]


def test_meaning_hard_negatives_use_miss_in_other_senses() -> None:
    frame, _, _ = load_task_data(MEANING)
    negatives = frame.loc[frame["label"] == "not_about_missing", "message"]
    assert negatives.str.contains(r"(?i)\bmiss").sum() >= 100


def test_no_scenario_is_tied_to_the_word_miss() -> None:
    stats = profile(read_examples(MEANING.data_path))["per_label"]
    shares = {label: round(stats[label]["miss_share"], 2) for label in SCENARIOS}
    low, high = MISS_SHARE_RANGE
    assert all(low <= share <= high for share in shares.values()), shares


def test_coach_generic_includes_very_short_drafts() -> None:
    frame = read_examples(TASKS["coach"].data_path)
    generic = frame.loc[frame["label"] == "generic", "message"]
    assert (generic.str.split().str.len() <= 2).sum() >= 10


@pytest.mark.parametrize("name", TASK_NAMES)
def test_data_card_shows_the_current_counts(name: str) -> None:
    frame, _, _ = load_task_data(TASKS[name])
    card = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert format_profile(profile(frame)) in card, f"data/README.md is stale: paste `python -m ml stats --task {name}`"


def test_data_dir_has_no_stray_files() -> None:
    allowed = {Path(name) for name in FILES} | {Path("README.md")}
    stray = [p for p in DATA_DIR.rglob("*") if p.is_file() and p.relative_to(DATA_DIR) not in allowed]
    assert not stray, stray
