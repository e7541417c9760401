"""The CLINC150 benchmark's helpers (``benchmarks/clinc150/``), and one quick run end to end on a tiny
hand-made dataset in CLINC150's layout, so the benchmark's wiring breaks a test rather than a 15-minute run."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from benchmarks.clinc150.__main__ import default_out, main
from benchmarks.clinc150.data import QUICK_ROWS_PER_LABEL, load_splits, missing_splits, quick_splits
from benchmarks.clinc150.ours import answers_proba
from benchmarks.clinc150.report import END_MARKER, MARKERS, README, START_MARKER, check_targets, update_readme
from benchmarks.clinc150.scoring import both_schemes, is_better, oos_metrics, threshold_rule
from ml.pipeline import HYBRID, TFIDF
from ml.unsure import UnsureRule

CLASSES = ["a", "b", "oos"]


def test_oos_metrics_on_a_toy_example() -> None:
    y_true = ["a", "a", "b", "b", "oos", "oos", "oos", "oos"]
    y_pred = ["a", "oos", "b", "a", "oos", "oos", "b", "oos"]
    m = oos_metrics(y_true, y_pred)
    assert m["in_scope_accuracy"] == pytest.approx(2 / 4)   # a ok, a->oos wrong, b ok, b->a wrong
    assert m["oos_recall"] == pytest.approx(3 / 4)          # three of four oos rows caught
    assert m["oos_precision"] == pytest.approx(3 / 4)       # four oos predictions, three right
    assert m["accuracy_151"] == pytest.approx(5 / 8)
    assert (m["in_scope_rows"], m["oos_rows"], m["predicted_oos"]) == (4, 4, 4)


def test_oos_metrics_without_oos_predictions_gives_nan_precision() -> None:
    m = oos_metrics(["a", "oos"], ["a", "a"])
    assert m["oos_recall"] == 0.0 and np.isnan(m["oos_precision"])


def test_oos_metrics_refuses_label_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same, non-zero number"):
        oos_metrics(["a", "oos"], ["a"])


def test_threshold_scheme_turns_only_answers_below_the_threshold_into_oos() -> None:
    proba = np.array([[0.9, 0.05, 0.05], [0.4, 0.3, 0.3], [0.5, 0.25, 0.25]])
    scores = both_schemes(["a", "oos", "a"], proba, CLASSES, UnsureRule(min_probability=0.5))
    plain, thresholded = scores["oos-train"], scores["oos-threshold"]
    assert plain["predicted_oos"] == 0 and plain["oos_recall"] == 0.0     # the top label is always "a"
    assert thresholded["predicted_oos"] == 1 and thresholded["oos_recall"] == 1.0  # 0.4 < 0.5; 0.5 stays "a"
    assert thresholded["in_scope_accuracy"] == 1.0 and thresholded["threshold"] == 0.5


def test_threshold_choice_maximises_151_way_accuracy_on_val() -> None:
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.45, 0.3, 0.25]])
    y_true = ["a", "b", "oos", "oos"]
    rule = threshold_rule(proba, CLASSES, y_true)
    assert 0.5 < rule.min_probability <= 0.8  # catches both unsure oos rows, keeps both confident in-scope answers
    assert rule.min_margin == 0.0             # the paper's rule is a probability threshold only
    assert both_schemes(y_true, proba, CLASSES, rule)["oos-threshold"]["accuracy_151"] == 1.0


def test_a_tie_on_val_keeps_the_earlier_candidate() -> None:
    def scores(accuracy_151: float, in_scope: float) -> dict:
        return {"oos-threshold": {"accuracy_151": accuracy_151, "in_scope_accuracy": in_scope}}

    assert is_better(scores(0.5, 0.5), None)
    assert not is_better(scores(0.9, 0.8), scores(0.9, 0.8))
    assert is_better(scores(0.9, 0.81), scores(0.9, 0.8))   # in-scope accuracy breaks a 151-way tie
    assert not is_better(scores(0.89, 0.99), scores(0.9, 0.8))


def test_answers_proba_puts_each_ranked_probability_in_its_label_column() -> None:
    answers = [SimpleNamespace(ranking=(("b", 0.7), ("oos", 0.2), ("a", 0.1))),
               SimpleNamespace(ranking=(("a", 0.6), ("b", 0.3), ("oos", 0.1)))]
    assert answers_proba(answers, CLASSES).tolist() == [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]


def test_targets_say_not_met_below_the_bar_and_unmeasured_without_fasttext() -> None:
    ours = {"test": {"oos-threshold": {"in_scope_accuracy": 0.95, "oos_recall": 0.40}}}
    met = {check["target"].split(" >=")[0]: check["met"] for check in check_targets(ours, {"skipped": "no"})}
    assert met["in-scope accuracy"] is True and met["OOS recall"] is False
    assert met["batch throughput above fastText's"] is False


def test_readme_section_is_replaced_between_markers_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    update_readme(readme, "first")
    text = readme.read_text()
    assert text.startswith("# Benchmarks") and "first" in text
    readme.write_text(text + "\n## Latency\nkeep me\n")
    update_readme(readme, "second")
    text = readme.read_text()
    assert "second" in text and "first" not in text and "keep me" in text
    assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1


def test_each_feature_set_rewrites_only_its_own_readme_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    update_readme(readme, "tfidf run one", TFIDF)
    update_readme(readme, "hybrid run one", HYBRID)
    update_readme(readme, "tfidf run two", TFIDF)
    text = readme.read_text()
    assert "tfidf run two" in text and "tfidf run one" not in text and "hybrid run one" in text
    for features in (TFIDF, HYBRID):
        start, end = MARKERS[features]
        assert text.count(start) == 1 and text.count(end) == 1


def test_each_feature_set_and_quick_run_has_its_own_results_file() -> None:
    names = {default_out(features, quick).name for features in (TFIDF, HYBRID) for quick in (False, True)}
    assert names == {"clinc150.json", "clinc150.quick.json", "clinc150.hybrid.json", "clinc150.hybrid.quick.json"}


# --------------------------------------------------------------------------- data and a whole quick run

TEMPLATES = {
    "alarm": "set an alarm for {n} o'clock please",
    "weather": "what will the weather be like in {n} days",
    "oos": "how many people lived in the year {n}",
}


def write_tiny_clinc(directory: Path, train_rows: int = QUICK_ROWS_PER_LABEL, other_rows: int = 6) -> Path:
    """CLINC150's layout (train/val/test.csv, an ``oos`` label) with distinct templated rows per label."""
    directory.mkdir(parents=True, exist_ok=True)
    numbers = iter(range(10_000))
    for split, rows in (("train", train_rows), ("val", other_rows), ("test", other_rows)):
        frame = pd.DataFrame([(template.format(n=next(numbers)), label)
                              for label, template in TEMPLATES.items() for _ in range(rows)],
                             columns=["message", "label"])
        frame.to_csv(directory / f"{split}.csv", index=False)
    return directory


def test_missing_splits_names_each_absent_file(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("message,label\nhi,a\n")
    assert missing_splits(tmp_path) == ["val.csv", "test.csv"]


def test_quick_splits_sample_the_same_rows_per_intent_and_write_them_for_train_task(tmp_path: Path) -> None:
    splits = load_splits(write_tiny_clinc(tmp_path / "data", train_rows=40))
    quick = quick_splits(splits, tmp_path, rows_per_label=5)
    assert quick.train["label"].value_counts().to_dict() == {label: 5 for label in TEMPLATES}
    assert pd.read_csv(quick.train_csv, keep_default_na=False)["message"].tolist() == quick.train["message"].tolist()
    assert quick.val is splits.val and quick.test is splits.test
    (tmp_path / "again").mkdir()
    again = quick_splits(splits, tmp_path / "again", rows_per_label=5)
    assert again.train["message"].tolist() == quick.train["message"].tolist()  # seeded: the same sample each run


def test_command_refuses_a_data_dir_without_the_splits(capsys, tmp_path: Path) -> None:
    assert main(["--data-dir", str(tmp_path), "--quick"]) == 2
    assert "lacks train.csv, val.csv, test.csv" in capsys.readouterr().err


def test_quick_run_scores_test_once_and_leaves_the_readme_alone(capsys, tmp_path: Path) -> None:
    data, out = write_tiny_clinc(tmp_path / "clinc"), tmp_path / "results.json"
    readme_before = README.read_text(encoding="utf-8")

    assert main(["--data-dir", str(data), "--out", str(out), "--quick", "--jobs", "1"]) == 0

    results = json.loads(out.read_text(encoding="utf-8"))
    ours = results["systems"]["ours"]
    assert results["quick"] is True and results["data"]["test_rows"] == 3 * 6
    assert ours["test"]["oos-threshold"]["rows"] == 18 and ours["test"]["oos-train"]["oos_rows"] == 6
    assert 0 <= ours["threshold"] < 1 and ours["interpret_many_matches_predict_proba"] is True
    assert ours["model_size_bytes"] > 0 and ours["speed"]["batch"]["ours_interpret_many"]["rows"] == 18
    assert "test" in results["systems"]["fasttext"] or "skipped" in results["systems"]["fasttext"]
    assert "python -m benchmarks.clinc150" in capsys.readouterr().out
    assert README.read_text(encoding="utf-8") == readme_before


def test_quick_hybrid_run_trains_the_hybrid_model_and_scores_it_like_predict_proba(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers", reason='needs the hybrid extra: pip install -e ".[hybrid]"')
    data, out = write_tiny_clinc(tmp_path / "clinc"), tmp_path / "results.json"

    assert main(["--data-dir", str(data), "--out", str(out), "--quick", "--jobs", "1", "--features", "hybrid"]) == 0

    ours = json.loads(out.read_text(encoding="utf-8"))["systems"]["ours"]
    assert ours["features"] == HYBRID and ours["settings"]["embedding_weight"] == 1.0
    assert "MiniLM" in ours["system"] and ours["interpret_many_matches_predict_proba"] is True
    assert ours["test"]["oos-threshold"]["rows"] == 18
