"""Every figure the project draws, for the notebooks and the evaluation report alike.

Each function takes a table (from :mod:`ml.analysis` or :func:`ml.evaluate.predictions_frame`)
and returns a :class:`matplotlib.figure.Figure` built without pyplot: no global
figure list grows, nothing stays open after the figure is dropped, no backend
or screen is needed, and a notebook shows a returned figure exactly once (as
the cell's value). The report saves the same figures with ``fig.savefig``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from ml.datacheck import message_words

if TYPE_CHECKING:
    from ml.calibration import ReliabilityCurve
    from ml.predict import Interpretation
    from ml.unsure import UnsureTradeoff

POSITIVE, NEGATIVE = "#2b7bba", "#d6604d"


@lru_cache(maxsize=1)
def _font_characters() -> frozenset[int]:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    return frozenset(get_font(findfont(FontProperties())).get_charmap())


def plot_text(text: str) -> str:
    """``text`` with every character the plotting font cannot draw replaced by its name.

    Messages are full of emoji the default font lacks; matplotlib would draw an
    empty box and warn once per glyph. "miss u 🙈" becomes "miss u [see-no-evil monkey]".
    Invisible joiners and variation selectors are dropped.
    """
    known = _font_characters()
    out = []
    for ch in text:
        if unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f":
            continue
        out.append(ch if ord(ch) in known or ch in "\n\t " else f"[{unicodedata.name(ch, hex(ord(ch))).lower()}]")
    return "".join(out)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _grid(panels: int, ncols: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    """A figure of ``panels`` axes, ``ncols`` per row, each ``width`` x ``height`` inches; spare cells hidden."""
    nrows = -(-panels // ncols)
    fig = _figure(width * ncols, height * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, list(axes[:panels])


def _signed_bars(ax: Axes, names: Sequence[str], weights: Sequence[float], fontsize: float) -> None:
    """Horizontal bars, first name at the bottom: blue for a pull toward the label, red for one against it."""
    positions = np.arange(len(names))
    ax.barh(positions, weights, color=[POSITIVE if w > 0 else NEGATIVE for w in weights])
    ax.set_yticks(positions, [plot_text(name) for name in names], fontsize=fontsize)
    ax.axvline(0, color="0.3", linewidth=0.8)


def plot_bar(values: pd.Series, title: str, xlabel: str, *, ylabel: str = "label", percent: bool = False,
             reference: float | None = None, reference_label: str | None = None) -> Figure:
    """Horizontal bars, one per index entry (label names on the y axis, read top to bottom).

    ``percent`` formats the value labels as percentages; ``reference`` draws a
    dashed vertical line, e.g. the overall share or the macro average.
    """
    fig = _figure(7.5, 0.9 + 0.34 * len(values))
    ax = fig.subplots()
    positions = np.arange(len(values))[::-1]
    bars = ax.barh(positions, values.to_numpy(dtype=float), color=POSITIVE)
    ax.set_yticks(positions, [plot_text(str(i)) for i in values.index])
    ax.bar_label(bars, labels=[f"{v:.0%}" if percent else f"{v:.3g}" for v in values], padding=3, fontsize=8)
    if reference is not None:
        ax.axvline(reference, color="0.3", linestyle="--", linewidth=1, label=reference_label)
        if reference_label:
            ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, max(float(values.max()), reference or 0) * 1.15)
    if percent:
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def plot_f1(table: pd.DataFrame, title: str = "Cross-validated F1 per label") -> Figure:
    """F1 per label of :func:`ml.analysis.per_label_f1`, worst at the bottom, with the macro average as a line."""
    macro = float(table["f1"].mean())
    return plot_bar(table["f1"].sort_values(ascending=False), title, "F1 (out-of-fold)", reference=macro,
                    reference_label=f"macro-F1 (all folds pooled) {macro:.3f}")


def plot_length_by_label(frame: pd.DataFrame, title: str = "Message length per label") -> Figure:
    """Box plots of words per message for each label (box: middle half; line: median; dots: outliers)."""
    labels = sorted(frame["label"].unique())
    words = message_words(frame)
    fig = _figure(1.5 + 0.62 * len(labels), 4.6)
    ax = fig.subplots()
    ax.boxplot([words[frame["label"] == label] for label in labels], widths=0.6, flierprops={"markersize": 3})
    ax.set_xticks(np.arange(1, len(labels) + 1), labels, rotation=35, ha="right")
    ax.grid(axis="y", alpha=0.3)
    ax.set(title=title, xlabel="label", ylabel="words per message")
    return fig


def plot_top_terms(terms: pd.DataFrame, title: str = "Most typical words per label (chi-squared, label vs rest)",
                   ncols: int = 3) -> Figure:
    """One small bar chart per label of :func:`ml.analysis.top_terms_per_label`.

    Bars: the share of the label's messages using each term; ticks: the share
    of other labels' messages using it. One x scale for every panel, so
    panels compare at a glance.
    """
    labels = list(dict.fromkeys(terms["label"]))
    fig, axes = _grid(len(labels), ncols, 4.2, 2.6)
    right = min(1.0, np.ceil(float(terms["in_label"].max()) * 10 + 0.5) / 10)
    for ax, label in zip(axes, labels, strict=True):
        rows = terms.loc[terms["label"] == label]
        positions = np.arange(len(rows))[::-1]
        ax.barh(positions, rows["in_label"], color=POSITIVE, label="in this label")
        ax.scatter(rows["elsewhere"], positions, color="0.2", marker="|", s=120, zorder=3, label="other labels")
        ax.set_yticks(positions, [plot_text(t) for t in rows["term"]], fontsize=8)
        ax.set_xlim(0, right)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("share of messages containing it", fontsize=8)
    axes[0].legend(loc="lower right", fontsize=7)
    fig.suptitle(title)
    return fig


def plot_top_features(features: pd.DataFrame, title: str = "Strongest word weights per label",
                      ncols: int = 3) -> Figure:
    """Per label of :func:`ml.analysis.top_features_per_label`, the features pulling toward it (blue) and away (red).

    Context words are marked "(ctx)"; when the table holds character n-grams
    the title says how they are written.
    """
    labels = list(dict.fromkeys(features["label"]))
    per_panel = int(features["label"].value_counts().max())
    fig, axes = _grid(len(labels), ncols, 4.4, 0.8 + 0.26 * per_panel)
    for ax, label in zip(axes, labels, strict=True):
        table = features.loc[features["label"] == label].sort_values("weight", kind="stable")
        names = [f"{f} (ctx)" if s == "context" else f for f, s in zip(table["feature"], table["source"], strict=True)]
        _signed_bars(ax, names, table["weight"].tolist(), fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("weight (log-odds per tf-idf unit)", fontsize=8)
    note = "ctx = word in the context"
    if (features["source"] == "message chars").any():
        note += "; 'quoted' = character n-gram, _ = space"
    fig.suptitle(f"{title}  ({note})")
    return fig


def plot_evidence(result: Interpretation, title: str | None = None) -> Figure:
    """The words that pushed one interpretation toward its label (blue) and against it (red)."""
    terms = sorted(result.evidence.toward + result.evidence.against, key=lambda t: t.weight)
    fig = _figure(6.5, 1.2 + 0.3 * max(len(terms), 1))
    ax = fig.subplots()
    _signed_bars(ax, [f"{t.text} (context)" if t.source == "context" else t.text for t in terms],
                 [t.weight for t in terms], fontsize=10)
    unsure = ", unsure" if result.unsure else ""
    answer = f"\u2192 {result.label} ({result.probability:.0%}{unsure})"
    ax.set_title(title or f"\u201c{plot_text(result.message)}\u201d\n{answer}", fontsize=10)
    ax.set(xlabel=f"contribution to the score of {result.label}", ylabel="word or phrase")
    return fig


def plot_coverage_curve(curve: pd.DataFrame, chosen: UnsureTradeoff | None = None,
                        title: str = 'The "unsure" trade-off: answer fewer, get more right') -> Figure:
    """Accuracy on answered messages against the share answered, one point per threshold.

    ``curve`` is :func:`ml.analysis.coverage_accuracy_curve`. The x axis runs
    from answering everything (left) to answering little (right), so reading
    left to right means a stricter threshold; every fifth point is labelled
    with its threshold, unless it would overlap the last label. ``chosen``
    marks the shipped rule (which may also use a margin, so it can sit off the curve).
    """
    fig = _figure(7.5, 4.6)
    ax = fig.subplots()
    ax.plot(curve["coverage"], curve["accuracy_answered"], marker="o", markersize=3, color=POSITIVE,
            label="threshold on the top probability")
    last = None
    for _, row in curve.iloc[::5].iterrows():
        if last is not None and abs(last - row["coverage"]) < 0.04:
            continue  # thresholds that change nothing would print on top of each other
        last = row["coverage"]
        ax.annotate(f"{row['min_probability']:.1f}", (row["coverage"], row["accuracy_answered"]),
                    textcoords="offset points", xytext=(4, -10), fontsize=7, color="0.35")
    if chosen is not None:
        ax.scatter([chosen.coverage], [chosen.accuracy_answered], color=NEGATIVE, zorder=3, s=50,
                   label=f"tuned rule: answers {chosen.coverage:.0%} at {chosen.accuracy_answered:.0%}")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_xlim(1.02, max(0.0, float(curve["coverage"].min()) - 0.05))  # strict thresholds to the right
    ax.grid(alpha=0.3)
    ax.set(title=title, xlabel="coverage: share of messages answered (not unsure)",
           ylabel="accuracy on answered messages")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_confusion(scored: pd.DataFrame, labels: Sequence[str],
                   title: str = "Confusion matrix (row-normalised)") -> Figure:
    """Row-normalised confusion matrix of a scored frame, label names on both axes.

    Each row sums to 1, so the diagonal is each label's recall. Drawn with
    ``imshow`` rather than scikit-learn's display class, which goes through pyplot.
    """
    labels = list(labels)
    shares = confusion_matrix(scored["label"], scored["predicted"], labels=labels, normalize="true")
    fig = _figure(1.0 + 0.75 * len(labels), 0.8 + 0.65 * len(labels))
    ax = fig.subplots()
    ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for (row, column), share in np.ndenumerate(shares):
        ax.text(column, row, f"{share:.2f}", ha="center", va="center", fontsize=8,
                color="white" if share > 0.5 else "black")
    positions = np.arange(len(labels))
    ax.set_xticks(positions, labels, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(positions, labels)
    ax.set(title=title, xlabel="predicted label", ylabel="true label")
    return fig


def plot_reliability(curves: Mapping[str, ReliabilityCurve],
                     title: str = "Reliability: top-label probability vs share right") -> Figure:
    """One line per variant through its filled bins; on the diagonal, "80%" is right 80% of the time."""
    fig = _figure(6, 5.5)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.6", label="perfectly calibrated")
    for name, curve in curves.items():
        filled = curve.counts > 0
        ax.plot(curve.confidence[filled], curve.accuracy[filled], marker="o", label=name)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean top-label probability in the bin", ylabel="share right in the bin",
           title=title)
    ax.legend(loc="upper left")
    return fig


def plot_confidence(scored: pd.DataFrame, title: str = "Top-label probability, right vs wrong") -> Figure:
    """Overlaid histograms of the top probability for right and wrong answers: are mistakes unconfident?"""
    fig = _figure(7, 4)
    ax = fig.subplots()
    bins = np.linspace(0, 1, 21).tolist()  # twenty bins of 0.05
    ax.hist(scored.loc[scored["correct"], "probability"], bins=bins, alpha=0.6, label="right")
    ax.hist(scored.loc[~scored["correct"], "probability"], bins=bins, alpha=0.6, label="wrong")
    ax.set(title=title, xlabel="probability of the predicted label", ylabel="messages")
    ax.legend()
    return fig
