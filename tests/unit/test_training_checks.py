"""Training refuses bad data before fitting, and never silently replaces a good model with a worse one."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ml import workflow
from ml.cli import main
from ml.config import MAX_MACRO_F1_DROP, TrainingProtocol
from ml.datacheck import check_trainable
from ml.predict import load_model
from ml.store import ModelStore
from tests.conftest import TINY_ROWS

QUICK = ["--quick", "--folds", "3"]


def write_rows(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    pd.DataFrame(rows, columns=["message", "context", "label"]).to_csv(path, index=False)
    return path


@pytest.fixture
def no_fitting(monkeypatch):
    """Fail the test if training gets as far as fitting anything."""

    def refuse(*_, **__):
        raise AssertionError("fitting started before the data was checked")

    monkeypatch.setattr(workflow, "train", refuse)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("rows", "extra", "fragment"), [
    (TINY_ROWS + [("only once", "", "lonely")], [], "lonely .*single row"),
    ([(m, c, "hang") for m, c, _ in TINY_ROWS], [], "need at least two labels to train, found 1"),
    (TINY_ROWS[:2] + TINY_ROWS[6:8], [], "a 0.2 held-out split has 1 rows for 2 labels"),
    (TINY_ROWS + [("Miss u, dinner Friday?!", "", "other")], [],
     r"same message and context appear under different labels: rows 1 \(hang\) and 19 \(other\)"),
    (TINY_ROWS, ["--holdout", "1.5"], r"--holdout must be in \(0, 0.5\], got 1.5"),
    (TINY_ROWS, ["--holdout", "0"], r"--holdout must be in \(0, 0.5\], got 0"),
    (TINY_ROWS, ["--folds", "6"], r"6-fold cross-validation needs at least 6 training rows per label; too few for"),
    (TINY_ROWS + [("x" * 2001, "", "hang")], [], "message in row 19 has 2,001 characters"),
    (TINY_ROWS + [("'''", "", "hang")], [], "message in row 19 is empty once cleaned"),
    (TINY_ROWS + [("hello there", "", "x" * 101)], [], "are over 100 characters"),
])
def test_bad_training_data_is_a_data_error_before_any_fitting(capsys, tmp_path: Path, no_fitting, rows, extra,
                                                              fragment: str) -> None:
    data = write_rows(tmp_path / "bad.csv", rows)
    argv = ["train", "--data", str(data), "--labels-from-data", "--task", "bad", "--out", str(tmp_path / "m"),
            *QUICK, *extra]
    code, err = run(capsys, *argv)
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(fragment, err), err
    assert not (tmp_path / "m").exists()


def test_a_task_trained_on_fewer_labels_than_its_catalogue_must_say_so(capsys, tmp_path: Path, no_fitting) -> None:
    data = write_rows(tmp_path / "meaning-part.csv", [(f"{m} {i}", "", label) for i, (m, label) in enumerate(
        [("wanna hang out this weekend", "wants_to_hang_out"), ("so bored rn", "bored_or_lonely")] * 8)])
    code, err = run(capsys, "train", "--task", "meaning", "--data", str(data), "--out", str(tmp_path / "m"), *QUICK)
    assert code == 2 and "no rows for label(s) back_from_silence" in err and "--allow-missing-labels" in err
    with pytest.raises(AssertionError, match="fitting started"):  # saying so gets past the check
        main(["train", "--task", "meaning", "--data", str(data), "--out", str(tmp_path / "m"), *QUICK,
              "--allow-missing-labels"])


def test_check_trainable_accepts_the_tiny_set(tiny_frame) -> None:
    check_trainable(tiny_frame, TrainingProtocol(cv_folds=3), catalogue=None,
                    allow_missing_labels=False, source="tiny")


# Three labels with words of their own, and a context on every row (so no fold lacks one):
# a model of them scores near 1 on the held-out part.
_FILLERS = ("ok", "then", "so", "well", "hmm", "right", "yes", "now", "sure", "cool", "anyway", "yeah")
GOOD_ROWS = [(f"{words} {filler}", "we text most days", label)
             for label, words in (("hang", "dinner friday"), ("silence", "long time no talk"),
                                  ("other", "send the file"))
             for filler in _FILLERS]


def noise_rows() -> list[tuple[str, str, str]]:
    """The same messages with labels that ignore the text: a model of them is no better than chance."""
    labels = ("hang", "other", "silence")
    return [(m, c, labels[(i + i // len(_FILLERS)) % 3]) for i, (m, c, _) in enumerate(GOOD_ROWS)]


def test_a_clearly_worse_model_is_kept_but_not_made_current(capsys, tmp_path: Path) -> None:
    out = tmp_path / "m"
    good = write_rows(tmp_path / "good.csv", GOOD_ROWS)
    assert main(["train", "--data", str(good), "--labels-from-data", "--task", "t", "--out", str(out), *QUICK]) == 0
    before = load_model(out)
    noise = write_rows(tmp_path / "noise.csv", noise_rows())
    code, err = run(capsys, "train", "--data", str(noise), "--labels-from-data", "--task", "t", "--out", str(out),
                    *QUICK)
    assert code == 2 and "was not made current" in err and "below the current model's" in err
    store = ModelStore(out)
    candidate = store.versions()[-1]
    assert store.current_version() == before.version != candidate and f"--to {candidate}" in err
    assert load_model(out).metadata == before.metadata
    candidate_score = load_model(store.version_dir(candidate)).metadata.holdout.macro_f1
    assert candidate_score < before.metadata.holdout.macro_f1 - MAX_MACRO_F1_DROP


def test_force_makes_a_worse_model_current(capsys, tmp_path: Path) -> None:
    out = tmp_path / "m"
    good, noise = write_rows(tmp_path / "good.csv", GOOD_ROWS), write_rows(tmp_path / "noise.csv", noise_rows())
    assert main(["train", "--data", str(good), "--labels-from-data", "--task", "t", "--out", str(out), *QUICK]) == 0
    assert main(["train", "--data", str(noise), "--labels-from-data", "--task", "t", "--out", str(out), *QUICK,
                 "--force"]) == 0
    assert ModelStore(out).current_version() == ModelStore(out).versions()[-1]


def test_a_custom_task_is_found_again_by_name(capsys, tmp_path: Path, monkeypatch) -> None:
    from ml import config, store, tasks

    monkeypatch.setattr(config, "MODELS_DIR", tmp_path)
    monkeypatch.setattr(store, "MODELS_DIR", tmp_path)
    monkeypatch.setattr(tasks, "MODELS_DIR", tmp_path)
    data = write_rows(tmp_path / "mine.csv", GOOD_ROWS)
    assert main(["train", "--data", str(data), "--labels-from-data", "--task", "mine", *QUICK]) == 0
    capsys.readouterr()
    assert main(["predict", "--task", "mine", "dinner friday?", "--json"]) == 0
    assert '"label": "hang"' in capsys.readouterr().out


@pytest.mark.parametrize("name", ["../../x", "Meaning", "a b", "x" * 41])
def test_task_names_outside_the_pattern_are_refused(capsys, name: str) -> None:
    code, err = run(capsys, "predict", "--task", name, "hi")
    assert code == 2 and "invalid task name" in err



def scored(metadata, macro_f1: float | None, fraction: float = 0.2, seed: int = 13):
    from dataclasses import replace

    from ml.metadata import HoldoutScore

    holdout = None if macro_f1 is None else HoldoutScore(rows=10, accuracy=macro_f1, macro_f1=macro_f1)
    protocol = replace(metadata.config.protocol, holdout_fraction=fraction if holdout else 0.0, seed=seed)
    config = replace(metadata.config, protocol=protocol)
    return replace(metadata, holdout=holdout, config=config)


@pytest.mark.parametrize(("candidate", "current", "refused"), [
    ((0.80,), None, None),
    ((0.80,), (None,), None),
    ((0.79,), (0.80,), None),
    ((0.77,), (0.80,), "0.030 below the current model's 0.800"),
    ((None,), (0.80,), "no held-out score"),
    ((0.90, 0.3), (0.80,), "another held-out protocol"),
    ((0.90, 0.2, 7), (0.80,), "another held-out protocol"),
])
def test_quality_gate_compares_held_out_macro_f1_under_the_same_protocol(tiny_model, candidate, current,
                                                                         refused) -> None:
    from ml.quality import gate_refusal

    new = scored(tiny_model.metadata, *candidate)
    old = None if current is None else scored(tiny_model.metadata, *current)
    reason = gate_refusal(new, old)
    assert (reason is None) if refused is None else (refused in reason)
