"""Shared fixtures: a tiny labelled set, a tiny trained model, and the shipped meaning and coach models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ml.config import TrainingProtocol
from ml.pipeline import Settings
from ml.predict import Model, load_model
from ml.tasks import custom_task, get_task
from ml.workflow import train_task

TINY_ROWS = [
    ("miss u, dinner friday?", "", "hang"), ("lets grab coffee sat, miss you", "", "hang"),
    ("free this weekend? want to see u", "", "hang"), ("brunch sunday? i miss hanging out", "", "hang"),
    ("movie tuesday night? would love to see you", "", "hang"), ("hike on saturday morning?", "", "hang"),
    ("hey stranger long time", "he ghosted me in march", "silence"), ("remember me? its been months", "", "silence"),
    ("sorry i disappeared, miss u", "he went quiet for 6 weeks", "silence"),
    ("long time no talk", "no word from him since may", "silence"),
    ("been ages huh", "he vanished all summer", "silence"), ("i know i fell off the map", "", "silence"),
    ("can you send me the file", "", "other"), ("running 10 min late", "", "other"),
    ("did you feed the cat", "", "other"), ("happy birthday!!", "", "other"),
    ("missed the bus again lol", "", "other"), ("whats the wifi password", "", "other"),
]

# The quick search space used by unit tests: one candidate, no grid.
ONE_CANDIDATE = {"C": [10.0], "word_ngrams": [(1, 2)], "char_ngrams": [(2, 4)], "class_weight": [None]}


@pytest.fixture(scope="session")
def tiny_frame() -> pd.DataFrame:
    return pd.DataFrame(TINY_ROWS, columns=["message", "context", "label"])


@pytest.fixture(scope="session")
def tiny_csv(tmp_path_factory: pytest.TempPathFactory, tiny_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    tiny_frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_csv: Path) -> Path:
    """A model trained through the public workflow on the tiny set, with a custom task."""
    out = tmp_path_factory.mktemp("models") / "tiny"
    train_task(custom_task("tiny"), tiny_csv, out, space=ONE_CANDIDATE,
               protocol=TrainingProtocol(cv_folds=3, holdout_fraction=0), calibrate=False)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path) -> Model:
    return load_model(tiny_model_dir)


def _shipped_model_dir(tmp_path_factory: pytest.TempPathFactory, task: str) -> Path:
    """A task's model as shipped: the committed data, the default settings (which the
    CV search chose), trained without the grid so the suite stays fast."""
    out = tmp_path_factory.mktemp("models") / task
    space = {k: [v] for k, v in Settings().to_dict().items()
             if k not in ("use_context", "features", "embedding_weight")}
    train_task(get_task(task), out_dir=out, space=space, protocol=TrainingProtocol(holdout_fraction=0),
               calibrate=False)
    return out


@pytest.fixture(scope="session")
def meaning_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _shipped_model_dir(tmp_path_factory, "meaning")


@pytest.fixture(scope="session")
def coach_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _shipped_model_dir(tmp_path_factory, "coach")


@pytest.fixture(scope="session")
def meaning_model(meaning_model_dir: Path) -> Model:
    return load_model(meaning_model_dir)


@pytest.fixture(scope="session")
def coach_model(coach_model_dir: Path) -> Model:
    return load_model(coach_model_dir)
