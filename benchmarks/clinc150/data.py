"""Where CLINC150 lives and how its splits are read (label-guide CSVs, through ``ml.data``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ml.config import PROJECT_ROOT, SEED
from ml.data import read_examples

# The data lives outside the repository (it is CC BY 3.0, the repository's data CC BY 4.0).
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "benchmarks" / "clinc150"
SPLITS = ("train", "val", "test")
OOS = "oos"
QUICK_ROWS_PER_LABEL = 30


@dataclass(frozen=True)
class Splits:
    """The three splits, and the CSV ``train_task`` reads for the final model (the train split's rows)."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    train_csv: Path


def missing_splits(data_dir: Path) -> list[str]:
    """The split files ``data_dir`` lacks, so a wrong path fails before any training starts."""
    return [f"{split}.csv" for split in SPLITS if not (data_dir / f"{split}.csv").is_file()]


def load_splits(data_dir: Path) -> Splits:
    """Read train, val and test with the project's CSV reader (its checks and limits apply)."""
    frames = {split: read_examples(data_dir / f"{split}.csv") for split in SPLITS}
    return Splits(frames["train"], frames["val"], frames["test"], data_dir / "train.csv")


def quick_splits(splits: Splits, workdir: Path, rows_per_label: int = QUICK_ROWS_PER_LABEL) -> Splits:
    """A smoke-run version: ``rows_per_label`` training rows per intent (written to ``workdir``), val and test whole."""
    train = (splits.train.groupby("label", group_keys=False).sample(n=rows_per_label, random_state=SEED)
             .reset_index(drop=True))
    train_csv = workdir / "train-quick.csv"
    train.to_csv(train_csv, index=False)
    return replace(splits, train=train, train_csv=train_csv)


def describe_data(shown_dir: str, splits: Splits) -> dict[str, Any]:
    """The results file's record of what was scored."""
    test = splits.test
    return {"dir": shown_dir, "train_rows": len(splits.train), "val_rows": len(splits.val), "test_rows": len(test),
            "test_in_scope": int((test["label"] != OOS).sum()), "test_oos": int((test["label"] == OOS).sum())}
