"""The fastText peer (``pip install -e ".[benchmark]"``, i.e. fasttext-wheel), under the same protocol as ours.

Its ``predict()`` breaks under numpy 2, so the binding (``model.f.predict`` /
``model.f.multilinePredict``) is called directly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import ParameterGrid

from benchmarks.clinc150 import log
from benchmarks.clinc150.data import Splits
from benchmarks.clinc150.scoring import Scores, both_schemes, describe_scores, is_better, score_on_val
from ml.config import SEED
from ml.unsure import UnsureRule

FASTTEXT_SPACE: dict[str, list[Any]] = {"epoch": [25, 50, 100], "lr": [0.5, 1.0], "wordNgrams": [1, 2]}
QUICK_FASTTEXT_SPACE: dict[str, list[Any]] = {"epoch": [25], "lr": [0.5], "wordNgrams": [2]}
FASTTEXT_FIXED = {"dim": 100, "thread": 1, "seed": SEED, "verbose": 0}  # one thread: deterministic runs
SKIPPED = ('fastText skipped: `import fasttext` failed; install the optional extra with '
           '`pip install -e ".[benchmark]"` (fasttext-wheel)')
SPEED_WHAT = ("single: binding f.predict(text, k=1); batch: binding f.multilinePredict over "
              "the test set, k=1 (top label and probability, all the threshold rule needs)")


def fasttext_module() -> Any | None:
    """The fasttext module, or None when the optional extra is not installed."""
    try:
        import fasttext
    except ImportError:
        return None
    return fasttext


def fasttext_version() -> str | None:
    try:
        return version("fasttext-wheel")
    except PackageNotFoundError:
        return None


def fasttext_line(message: str) -> str:
    """fastText reads one line per example; the CLINC text is already lower-cased, so it is fed as is."""
    return " ".join(message.split())


class FastTextPeer:
    """A trained fastText classifier, called through its binding (``model.f``)."""

    def __init__(self, model: Any, params: dict[str, Any], fit_s: float) -> None:
        self.model, self.params, self.fit_s = model, params, fit_s

    @staticmethod
    def train(fasttext: Any, train: pd.DataFrame, params: dict[str, Any], workdir: Path) -> FastTextPeer:
        """Train on ``train`` (written once to ``workdir`` in fastText's format) with ``params``."""
        path = workdir / "train.txt"
        if not path.exists():
            with open(path, "w", encoding="utf-8") as out:
                for message, label in zip(train["message"], train["label"], strict=True):
                    out.write(f"__label__{label} {fasttext_line(message)}\n")
        started = time.perf_counter()
        model = fasttext.train_supervised(input=str(path), **FASTTEXT_FIXED, **params)
        return FastTextPeer(model, params, time.perf_counter() - started)

    def top(self, messages: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Top label and its probability for each message: one multilinePredict call."""
        labels, probs = self.model.f.multilinePredict([fasttext_line(m) + "\n" for m in messages], 1, 0.0, "strict")
        return (np.array([row[0].removeprefix("__label__") for row in labels], dtype=object),
                np.array([float(row[0]) for row in probs]))

    def proba(self, messages: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """The full (rows, labels) probability matrix, labels sorted, for the threshold rule.

        One ``f.predict`` call per message: ``f.multilinePredict`` with k > 1
        returns every probability of a row equal to its top one in this build.
        """
        classes = sorted(label.removeprefix("__label__") for label in self.model.f.getLabels("strict")[0])
        column = {label: i for i, label in enumerate(classes)}
        matrix = np.zeros((len(messages), len(classes)))
        for i, message in enumerate(messages):
            for p, label in self.model.f.predict(fasttext_line(message) + "\n", -1, 0.0, "strict"):
                matrix[i, column[label.removeprefix("__label__")]] = p
        return matrix, classes

    def predict_one(self, message: str) -> tuple[str, float]:
        probability, label = self.model.f.predict(fasttext_line(message) + "\n", 1, 0.0, "strict")[0]
        return label.removeprefix("__label__"), float(probability)

    def size_bytes(self, workdir: Path) -> int:
        path = workdir / "model.bin"
        self.model.save_model(str(path))
        size = path.stat().st_size
        path.unlink()
        return size


def select_fasttext(fasttext: Any, train: pd.DataFrame, val: pd.DataFrame, space: dict[str, list[Any]],
                    workdir: Path) -> tuple[FastTextPeer, UnsureRule, list[dict[str, Any]]]:
    """Train every candidate on train, score on val; the best peer, its threshold rule and the val table."""
    grid = list(ParameterGrid(space))
    log(f"fastText: training {len(grid)} candidate(s) on train, scoring val")
    table: list[dict[str, Any]] = []
    best: tuple[FastTextPeer, UnsureRule, Scores] | None = None
    for params in grid:
        peer = FastTextPeer.train(fasttext, train, params, workdir)
        proba, classes = peer.proba(val["message"].tolist())
        scores, rule = score_on_val(proba, classes, val["label"])
        table.append({"params": params, "fit_s": round(peer.fit_s, 2), "val": scores})
        if is_better(scores, best[2] if best else None):
            best = (peer, rule, scores)  # only the best peer is kept: a full-size one is ~0.8 GB
        log(f"  {json.dumps(params):<50} {describe_scores(scores)}  (fit {peer.fit_s:.1f}s)")
    peer, rule, _ = best
    log(f"fastText: chose {json.dumps(peer.params)}")
    return peer, rule, table


def run_fasttext(fasttext: Any | None, splits: Splits, space: dict[str, list[Any]],
                 workdir: Path) -> tuple[FastTextPeer | None, dict[str, Any]]:
    """The whole protocol for fastText, or a record saying why it was skipped."""
    if fasttext is None:
        log(SKIPPED)
        return None, {"skipped": SKIPPED}
    peer, rule, candidates = select_fasttext(fasttext, splits.train, splits.val, space, workdir)
    messages = splits.test["message"].tolist()
    proba, classes = peer.proba(messages)
    labels, top = peer.top(messages)
    agree = bool((labels == np.asarray(classes, dtype=object)[proba.argmax(axis=1)]).all()
                 and np.allclose(top, proba.max(axis=1)))
    return peer, {"params": peer.params, "fixed": {k: v for k, v in FASTTEXT_FIXED.items() if k != "verbose"},
                  "selection": {"rule": "same as ours", "candidates": candidates},
                  "threshold": rule.min_probability, "test": both_schemes(splits.test["label"], proba, classes, rule),
                  "fit_s": peer.fit_s, "model_size_bytes": peer.size_bytes(workdir),
                  "input": "raw message, whitespace-joined (the data are already lower-cased)",
                  "multilinePredict_matches_predict": agree}


def single_calls(peer: FastTextPeer) -> dict[str, Callable[[str], Any]]:
    """What one-message latency is timed on: the binding's predict, k=1."""
    return {"single": peer.predict_one}


def batch_calls(peer: FastTextPeer, messages: list[str]) -> dict[str, Callable[[], Any]]:
    """What batch throughput is timed on: one multilinePredict over the test set."""
    return {"fasttext_multilinePredict": lambda: peer.top(messages)}
