"""Files for a human to look at after an evaluation: plots and the error list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; works on machines with no screen
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(scored: pd.DataFrame, labels: Sequence[str], title: str = "Confusion matrix (row-normalised)"):
    """Row-normalised confusion matrix with label names on both axes; returns the figure."""
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(labels), 0.8 + 0.65 * len(labels)))
    ConfusionMatrixDisplay.from_predictions(scored["label"], scored["predicted"], labels=list(labels),
                                            normalize="true", values_format=".2f", cmap="Blues",
                                            ax=ax, colorbar=False, xticks_rotation=45)
    for text in ax.texts:
        text.set_fontsize(8)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")  # long names end under their column
    ax.set_title(title)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    fig.tight_layout()
    return fig


def plot_confidence(scored: pd.DataFrame, title: str = "Top-label probability, right vs wrong"):
    """Overlaid histograms of the top probability for right and wrong answers."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 1, 21)
    ax.hist(scored.loc[scored["correct"], "probability"], bins=bins, alpha=0.6, label="right")
    ax.hist(scored.loc[~scored["correct"], "probability"], bins=bins, alpha=0.6, label="wrong")
    ax.set_title(title)
    ax.set_xlabel("probability of the predicted label")
    ax.set_ylabel("messages")
    ax.legend()
    fig.tight_layout()
    return fig


def write_report_dir(scored: pd.DataFrame, labels: Sequence[str], directory: str | Path) -> list[Path]:
    """Write confusion_matrix.png, confidence.png and errors.csv; return their paths."""
    plt = _pyplot()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "confusion_matrix.png", directory / "confidence.png", directory / "errors.csv"]
    for fig, path in ((plot_confusion(scored, labels), paths[0]), (plot_confidence(scored), paths[1])):
        fig.savefig(path, dpi=120)
        plt.close(fig)
    errors = scored.loc[~scored["correct"]].sort_values("probability", ascending=False)
    errors.to_csv(paths[2], index=False)
    return paths
