"""The figures: what each one draws (panels, bars, titles, values) and that none goes through pyplot."""

from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from ml import analysis, figures
from ml.config import SEED
from ml.pipeline import Settings
from ml.tasks import Task
from ml.train import fit
from ml.unsure import UnsureRule, tradeoff

from .frames import TOY, scored_frame


@pytest.fixture(autouse=True)
def no_pyplot_figure_left_open() -> Iterator[None]:
    """Every test here must leave pyplot's global figure list as it found it: empty."""
    assert plt.get_fignums() == []
    yield
    assert plt.get_fignums() == []


def _bars(ax) -> list[float]:
    """Widths of the horizontal bars of ``ax``, bottom to top."""
    return [patch.get_width() for patch in sorted(ax.containers[0], key=lambda p: p.get_y())]


def _ticks(ax) -> list[str]:
    """Y tick labels of ``ax``, top to bottom."""
    return [t.get_text() for t in sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])]


def test_plot_text_names_glyphs_the_font_lacks() -> None:
    assert figures.plot_text("miss u") == "miss u"
    assert figures.plot_text("miss u \U0001f648") == "miss u [see-no-evil monkey]"
    assert "\u200d" not in figures.plot_text("a\u200db")


def test_bar_plot_has_one_labelled_bar_per_entry_in_order() -> None:
    values = pd.Series({"wants_to_hang_out": 0.8, "matching_you": 0.5})
    fig = figures.plot_bar(values, "F1 per label", "F1", percent=True)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "F1 per label" and ax.get_xlabel() == "F1" and ax.get_ylabel() == "label"
    assert _ticks(ax) == ["wants_to_hang_out", "matching_you"]
    assert _bars(ax)[::-1] == pytest.approx([0.8, 0.5])  # read top to bottom, like the series
    assert [t.get_text() for t in ax.texts] == ["80%", "50%"]


def test_f1_plot_puts_the_worst_label_last_and_marks_the_macro_average() -> None:
    table = pd.DataFrame({"f1": [0.5, 0.9, 0.7]}, index=["a", "b", "c"])
    ax = figures.plot_f1(table, "F1").axes[0]
    assert _ticks(ax) == ["b", "c", "a"]
    (line,) = ax.get_lines()
    assert line.get_xdata()[0] == pytest.approx(0.7)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["macro-F1 (all folds pooled) 0.700"]


def test_length_plot_has_one_box_per_label_in_label_order() -> None:
    ax = figures.plot_length_by_label(TOY, "length").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["food", "pets"]
    assert ax.get_title() == "length" and ax.get_ylabel() == "words per message"
    medians = [line.get_ydata()[0] for line in ax.get_lines() if line.get_color() == "C1"]
    assert medians == [3.0, 3.0]  # boxplot draws medians in C1; TOY's labels both have median 3 words


def test_top_terms_plot_has_one_titled_panel_per_label_with_its_terms() -> None:
    terms = analysis.top_terms_per_label(TOY, k=3, min_df=2)
    fig = figures.plot_top_terms(terms, "typical words")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["food", "pets"]
    assert len(fig.axes) == 3  # a row of three panels, the spare one hidden
    assert fig.get_suptitle() == "typical words"
    food = terms.loc[terms["label"] == "food"]
    assert _ticks(visible[0]) == food["term"].tolist()
    assert _bars(visible[0])[::-1] == pytest.approx(food["in_label"].tolist())


def test_top_features_plot_draws_each_labels_weights_in_sign_colours() -> None:
    pipeline = fit(TOY, Settings(use_context=False), SEED)
    table = analysis.top_features_per_label(pipeline, k=2)
    fig = figures.plot_top_features(table, "weights")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["food", "pets"]
    assert all(ax.get_xlabel() for ax in visible)
    for ax, label in zip(visible, ["food", "pets"], strict=True):
        weights = sorted(table.loc[table["label"] == label, "weight"])
        assert _bars(ax) == pytest.approx(weights)  # weakest at the bottom
        colours = [patch.get_facecolor() for patch in sorted(ax.containers[0], key=lambda p: p.get_y())]
        assert colours == [to_rgba(figures.POSITIVE if w > 0 else figures.NEGATIVE) for w in weights]
    assert "'quoted'" not in fig.get_suptitle()
    with_chars = analysis.top_features_per_label(pipeline, k=2, sources=None)
    assert "'quoted' = character n-gram" in figures.plot_top_features(with_chars).get_suptitle()


def test_evidence_plot_has_one_bar_per_term_and_names_the_answer(tiny_csv: Path) -> None:
    model = analysis.fit_model(Task("tiny", None, data_path=tiny_csv))
    result = model.interpret("hey stranger, long time", context="he ghosted me")
    terms = result.evidence.toward + result.evidence.against
    ax = figures.plot_evidence(result).axes[0]
    assert _bars(ax) == pytest.approx(sorted(t.weight for t in terms))
    assert f"\u2192 {result.label} ({result.probability:.0%}" in ax.get_title()
    assert ax.get_xlabel() == f"contribution to the score of {result.label}"
    assert any(text.endswith("(context)") for text in _ticks(ax))  # "ghosted" came from the context


def test_coverage_plot_is_labelled_and_marks_the_tuned_rule() -> None:
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.55, 0.45], [0.52, 0.48]])
    y_index = np.array([0, 0, 1, 1])
    chosen = tradeoff(UnsureRule(0.6), proba, y_index)
    fig = figures.plot_coverage_curve(analysis.coverage_accuracy_curve(proba, y_index), chosen, "trade-off")
    ax = fig.axes[0]
    assert ax.get_title() == "trade-off" and "coverage" in ax.get_xlabel() and "accuracy" in ax.get_ylabel()
    assert any("answers 50% at 100%" in t.get_text() for t in ax.get_legend().get_texts())


def test_confusion_plot_shows_row_shares_with_label_names() -> None:
    scored = scored_frame([("a", "a", 0.9), ("a", "b", 0.6), ("a", "a", 0.8), ("a", "a", 0.7), ("b", "b", 0.9)])
    ax = figures.plot_confusion(scored, ["a", "b"], "confusion").axes[0]
    assert np.asarray(ax.images[0].get_array()) == pytest.approx(np.array([[0.75, 0.25], [0.0, 1.0]]))
    assert [t.get_text() for t in ax.texts] == ["0.75", "0.25", "0.00", "1.00"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.yaxis_inverted()  # first row on top
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("confusion", "predicted label", "true label")


def test_reliability_plot_draws_the_diagonal_and_one_line_per_variant() -> None:
    from ml.calibration import reliability_curve

    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
    truth = np.array([0, 1, 1, 1])
    fig = figures.plot_reliability({"raw": reliability_curve(proba, truth), "also": reliability_curve(proba, truth)})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["perfectly calibrated", "raw", "also"]
    raw = ax.get_lines()[1]
    assert np.allclose(raw.get_xdata(), [0.6, 0.7, 0.8, 0.9]) and np.allclose(raw.get_ydata(), [0, 1, 1, 1])


def test_confidence_plot_counts_right_and_wrong_answers_separately() -> None:
    scored = scored_frame([("a", "a", 0.95), ("a", "a", 0.9), ("a", "b", 0.4), ("b", "b", 0.85), ("b", "a", 0.3)])
    ax = figures.plot_confidence(scored).axes[0]
    right, wrong = ax.containers
    assert sum(p.get_height() for p in right) == 3 and sum(p.get_height() for p in wrong) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["right", "wrong"]
