"""The CLI through its real entry point: exit codes, JSON shapes, files written."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ml.cli import main
from ml.predict import model_metadata


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_on_any_csv_with_labels_from_data(capsys, tiny_csv: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--data", str(tiny_csv), "--labels-from-data", "--task", "tiny",
                         "--out", str(tmp_path / "m"), "--quick", "--folds", "3")
    assert code == 0, err
    assert "CV macro-F1" in out and "held-out" in out and "[ 1/1]" in err  # progress goes to stderr
    assert model_metadata(tmp_path / "m").labels == ("hang", "other", "silence")


def test_predict_json(capsys, tiny_model_dir: Path) -> None:
    code, out, _ = run(capsys, "predict", "--model", str(tiny_model_dir), "hey stranger", "--context",
                       "he ghosted me", "--json", "--top-k", "2")
    answer = json.loads(out)
    assert code == 0 and len(answer["ranking"]) == 2
    assert {"label", "probability", "unsure", "evidence", "explanation"} <= set(answer)


def test_predict_text_output_shows_evidence(capsys, tiny_model_dir: Path) -> None:
    code, out, _ = run(capsys, "predict", "--model", str(tiny_model_dir), "can you send me the file")
    assert code == 0 and out.startswith("other") and "Words for it:" in out


def test_predict_csv_in_csv_out(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = {"message": ["dinner friday?", "remember me?"], "context": ["", "he vanished"]}
    pd.DataFrame(rows).to_csv(source, index=False)
    code, _, _ = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", str(source), "--output", str(target))
    result = pd.read_csv(target)
    assert code == 0 and len(result) == 2 and {"label", "probability", "unsure", "evidence"} <= set(result.columns)


def test_predict_reads_stdin_lines(capsys, tiny_model_dir: Path, monkeypatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"dinner friday?\n\nremember me?\n")))
    code, out, _ = run(capsys, "predict", "--model", str(tiny_model_dir), "--json")
    assert code == 0 and len(out.strip().splitlines()) == 2


def test_evaluate_outside_csv_json_and_report_dir(capsys, tiny_model_dir: Path, tiny_csv: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(tiny_csv), "--json",
                         "--report-dir", str(tmp_path / "report"))
    report = json.loads(out)
    assert code == 0, err
    assert {"accuracy", "macro_f1", "per_label"} <= set(report)
    assert set(report["per_label"]["hang"]) == {"precision", "recall", "f1", "support"}
    assert report["per_label"]["hang"]["support"] == 6
    for name in ("confusion_matrix.png", "confidence.png", "errors.csv"):
        assert (tmp_path / "report" / name).stat().st_size > 0


def test_evaluate_text_report(capsys, tiny_model_dir: Path, tiny_csv: Path) -> None:
    code, out, _ = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(tiny_csv))
    assert code == 0 and "macro-F1" in out and "silence" in out


@pytest.mark.parametrize("argv", [
    ["predict", "--task", "nonsense", "hi"],
    ["predict", "--model", "/no/such/model", "hi"],
    ["train", "--labels-from-data"],
    ["stats", "--data", "/no/such.csv", "--labels-from-data"],
])
def test_errors_exit_2_with_one_line(capsys, argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_unwritable_output_exits_2(capsys, tiny_model_dir: Path, tiny_csv: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", str(tiny_csv),
                       "--output", str(tmp_path / "no" / "such" / "dir" / "out.csv"))
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_top_k_must_be_positive(capsys, tiny_model_dir: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["predict", "--model", str(tiny_model_dir), "hi", "--top-k", "0"])
    assert exited.value.code == 2 and "at least 1" in capsys.readouterr().err


def test_bad_message_exits_2(capsys, tiny_model_dir: Path) -> None:
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "   ")
    assert code == 2 and "empty" in err


def test_unknown_label_in_outside_set_exits_2(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("message,context,label\nhi,,not_a_label\n")
    code, _, err = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(path))
    assert code == 2 and "unknown label" in err


def test_module_entry_point_runs_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ml", "predict", "--model", str(tmp_path), "hi"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.startswith("error: ")
