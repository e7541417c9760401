"""Checks on the committed datasets. Each test fails on a concrete data problem."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.data import read_examples
from ml.datacheck import dedup_key, exact_duplicates, near_duplicates, profile
from ml.tasks import TASKS

MIN_CONTEXT_SHARE = 0.35
# For these labels the context is what decides them, so most rows carry one.
CONTEXT_DECIDED = {"meaning": ("matching_you", "back_from_silence", "feels_you_slipping")}

TASK_NAMES = list(TASKS)


@pytest.fixture(scope="module", params=TASK_NAMES)
def dataset(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame]:
    task = TASKS[request.param]
    return task.name, read_examples(task.data_path, task.labels)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_header_is_exactly_the_guide_format(name: str) -> None:
    header = TASKS[name].data_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "message,context,label"


def test_every_label_is_a_guide_id_and_every_id_is_used(dataset) -> None:
    name, frame = dataset
    assert set(frame["label"]) == set(TASKS[name].labels)


def test_no_empty_messages(dataset) -> None:
    _, frame = dataset
    assert (frame["message"].str.strip() != "").all()


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


def test_context_share(dataset) -> None:
    _, frame = dataset
    assert profile(frame)["context_share"] >= MIN_CONTEXT_SHARE


def test_context_decided_labels_mostly_have_context(dataset) -> None:
    name, frame = dataset
    stats = profile(frame)["per_label"]
    for label in CONTEXT_DECIDED.get(name, ()):
        assert stats[label]["context_share"] > 0.5, label


def test_meaning_hard_negatives_use_miss_in_other_senses() -> None:
    frame = read_examples(TASKS["meaning"].data_path)
    negatives = frame.loc[frame["label"] == "not_about_missing", "message"].str.lower()
    assert negatives.str.contains(r"\bmiss").sum() >= 20


def test_coach_generic_includes_very_short_drafts() -> None:
    frame = read_examples(TASKS["coach"].data_path)
    generic = frame.loc[frame["label"] == "generic", "message"]
    assert (generic.str.split().str.len() <= 2).sum() >= 10


@pytest.mark.parametrize("name", TASK_NAMES)
def test_data_card_shows_the_current_counts(name: str) -> None:
    from ml.config import DATA_DIR
    from ml.datacheck import format_profile

    task = TASKS[name]
    card = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    table = format_profile(profile(read_examples(task.data_path, task.labels)))
    assert table in card, f"data/README.md is stale: paste `python -m ml stats --task {name}`"
