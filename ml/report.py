"""Files for a human to look at after an evaluation: plots and the error list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ml.figures import plot_confidence, plot_confusion


def write_report_dir(scored: pd.DataFrame, labels: Sequence[str], directory: str | Path) -> list[Path]:
    """Write confusion_matrix.png, confidence.png and errors.csv (most confident mistakes first); return their paths.

    The figures are the notebooks' own (:mod:`ml.figures`), saved straight
    from their Figure objects, so nothing needs closing afterwards.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "confusion_matrix.png", directory / "confidence.png", directory / "errors.csv"]
    for figure, path in ((plot_confusion(scored, labels), paths[0]), (plot_confidence(scored), paths[1])):
        figure.savefig(path, dpi=120, bbox_inches="tight")  # as a notebook shows it: long labels not cut off
    errors = scored.loc[~scored["correct"]].sort_values("probability", ascending=False)
    errors.to_csv(paths[2], index=False)
    return paths
