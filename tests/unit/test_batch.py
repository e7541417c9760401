"""Batch scoring: streamed reads, the partition scorer, atomic output, and the Dask engine against the local one."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import batch
from ml.batch import OUTPUT_COLUMNS, score_csv, score_files_dask, score_partition
from ml.config import DATA_DIR
from ml.data import iter_message_chunks
from ml.errors import DataError
from ml.pipeline import feature_step, transform_features
from ml.unsure import public_view
from tests.unit.test_cli import run

ROWS = {"message": ["dinner friday?", "remember me?", "hey stranger", "running late", "miss u"],
        "context": ["", "he vanished", "", "", "he ghosted me"]}


def _csv(tmp_path: Path, name: str = "in.csv", rows: dict | None = None) -> Path:
    path = tmp_path / name
    pd.DataFrame(rows or ROWS).to_csv(path, index=False)
    return path


def test_chunked_read_keeps_rows_and_file_row_numbers(tmp_path: Path) -> None:
    chunks = list(iter_message_chunks(_csv(tmp_path), chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    whole = pd.concat(chunks)
    assert whole.to_dict("list") == ROWS and list(whole.index) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("content", "fragment"), [
    ("message\na\nb\nc,extra\n", "row 3 has more fields than the header"),
    ('message\na\n"unclosed\n', "malformed CSV in row 2"),
    ("message,message\na,b\n", "'message' appear more than once"),
    ("text\nhello\n", "missing column message"),
    ("", "the file is empty"),
    ("message\nb\xe9\n".encode("latin-1"), "not UTF-8 text (invalid continuation byte in line 2)"),
])
def test_streamed_read_errors_say_what_and_where(tmp_path: Path, content: str | bytes, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(DataError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        list(iter_message_chunks(path, chunk_rows=1))


def test_a_bad_row_in_a_later_chunk_names_its_file_row(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    source = _csv(tmp_path, rows={"message": ["hi there", "dinner?", "ok", "   ", "yo"]})
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", str(source),
                       "--output", str(tmp_path / "out.csv"), "--chunk-rows", "2")
    assert code == 2 and "message in row 4 is empty" in err


def test_partition_scores_match_interpret_many(tiny_model) -> None:
    scored = score_partition(pd.DataFrame(ROWS), tiny_model)
    results = tiny_model.interpret_many(ROWS["message"], ROWS["context"])
    assert tuple(scored.columns) == OUTPUT_COLUMNS
    assert scored["label"].tolist() == [r.label for r in results]
    assert scored["probability"].tolist() == [round(r.probability, 4) for r in results]
    assert scored["reason"].tolist() == [r.reason or "" for r in results]
    assert scored["evidence"].tolist() == ["; ".join(f"{t.text} {t.weight:+.2f}" for t in r.evidence.toward)
                                           for r in results]


@pytest.mark.model
def test_probabilities_and_features_are_the_pipelines(meaning_model) -> None:
    frame = pd.concat([pd.read_csv(path, dtype=str, keep_default_na=False)
                       for path in sorted(DATA_DIR.glob("meaning*.csv"))], ignore_index=True)[["message", "context"]]
    expected = public_view(meaning_model.pipeline.predict_proba(frame), meaning_model.classes,
                           meaning_model.unsure_rule.no_cue_label).proba
    got = np.array([[dict(r.ranking)[label] for label in meaning_model.labels]
                    for r in meaning_model.interpret_many(frame)])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    features = feature_step(meaning_model.pipeline)
    assert (transform_features(features, frame) != features.transform(frame)).nnz == 0


def test_interrupted_run_leaves_only_a_partial_file(tiny_model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.csv"
    calls = []

    def interrupted(frame: pd.DataFrame, model) -> pd.DataFrame:
        calls.append(len(frame))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return score_partition(frame, model)

    monkeypatch.setattr(batch, "score_partition", interrupted)
    with pytest.raises(KeyboardInterrupt):
        score_csv(tiny_model_dir, _csv(tmp_path), target, chunk_rows=2)
    assert not target.exists()
    assert len(pd.read_csv(tmp_path / "out.csv.partial")) == 2


def test_stdin_streams_in_chunks_with_running_row_numbers(capsys, tiny_model_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"dinner friday?\nremember me?\n\nhi\nyo\n")))
    code, out, _ = run(capsys, "predict", "--model", str(tiny_model_dir), "--json", "--chunk-rows", "2")
    assert code == 0 and len(out.strip().splitlines()) == 4
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"dinner friday?\nremember me?\n'\n")))
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--chunk-rows", "2")
    assert code == 2 and "message in row 3 is empty" in err


def test_dask_needs_a_glob_that_matches(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no file matches"):
        score_files_dask(tiny_model_dir, str(tmp_path / "*.csv"), tmp_path / "out")


def test_dask_engine_writes_what_the_local_engine_writes(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    """20,000 rows resampled from the committed messages (test input only), in four files, on 2 workers."""
    pytest.importorskip("distributed")
    messages = pd.concat([pd.read_csv(path, dtype=str, keep_default_na=False)
                          for path in sorted(DATA_DIR.glob("meaning*.csv"))])[["message", "context"]]
    rows = messages.sample(20_000, replace=True, random_state=11).reset_index(drop=True)
    (tmp_path / "in").mkdir()
    for part in range(4):
        rows.iloc[part * 5_000:(part + 1) * 5_000].to_csv(tmp_path / "in" / f"part{part}.csv", index=False)
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", str(tmp_path / "in" / "*.csv"),
                       "--output", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == [f"part{i}.csv" for i in range(4)]
    for part in range(4):
        local = tmp_path / f"local{part}.csv"
        score_csv(tiny_model_dir, tmp_path / "in" / f"part{part}.csv", local, chunk_rows=1_500,
                  workers=2 if part == 3 else 1)
        assert (tmp_path / "dask" / f"part{part}.csv").read_bytes() == local.read_bytes()
