"""One whole run: both systems under the same protocol, timed in one interleaved session, into one record."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from benchmarks.clinc150 import fasttext_peer, log, ours
from benchmarks.clinc150.data import QUICK_ROWS_PER_LABEL, Splits, describe_data, load_splits, quick_splits
from benchmarks.clinc150.report import NOTES, PAPER_ROWS, check_targets
from benchmarks.clinc150.timing import latency_sample, time_batches, time_single
from ml.config import PROJECT_ROOT
from ml.pipeline import TFIDF
from ml.predict import Model

QUICK_NOTE = (f"QUICK smoke run: {QUICK_ROWS_PER_LABEL} training rows per intent and one candidate per system; "
              "not comparable with the paper.")


@dataclass(frozen=True)
class RunOptions:
    """What the command line chose."""

    data_dir: Path
    out: Path
    quick: bool
    jobs: int
    features: str = TFIDF


def shown(path: Path) -> str:
    """``path`` relative to the repository when it can be, for the results file and the README."""
    try:
        return os.path.relpath(path, PROJECT_ROOT)
    except ValueError:
        return str(path)


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _load_average() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def environment(jobs: int, load_start: float | None, with_fasttext: bool) -> dict[str, Any]:
    """Versions, machine and load, so a reader can judge the timings."""
    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__,
            "fasttext": fasttext_peer.fasttext_version() if with_fasttext else None,
            "cpus": os.cpu_count(), "platform": platform.platform(), "jobs": jobs,
            "load_average_start": load_start, "load_average_end": _load_average(), "git_commit": _git_commit()}


def measure_speed(model: Model, peer: fasttext_peer.FastTextPeer | None, messages: list[str],
                  our_record: dict[str, Any], fast_record: dict[str, Any]) -> None:
    """Single-message latency per system, then batch passes interleaved across systems; added to each record."""
    log("timing single messages and batches")
    sample = latency_sample(messages)
    our_record["speed"] = {name: time_single(call, sample) for name, call in ours.single_calls(model).items()}
    batches = ours.batch_calls(model, messages)
    our_batches = set(batches)
    if peer is not None:
        fast_record["speed"] = {name: time_single(call, sample)
                                for name, call in fasttext_peer.single_calls(peer).items()}
        batches |= fasttext_peer.batch_calls(peer, messages)
    timed = time_batches(batches, len(messages))
    our_record["speed"]["batch"] = {k: v for k, v in timed.items() if k in our_batches}
    our_record["speed"]["what"] = ours.SPEED_WHAT
    if peer is not None:
        fast_record["speed"]["batch"] = timed["fasttext_multilinePredict"]
        fast_record["speed"]["what"] = fasttext_peer.SPEED_WHAT


def _systems(options: RunOptions, splits: Splits, workdir: Path) -> dict[str, dict[str, Any]]:
    """Both systems through the protocol, then timed together while both are loaded."""
    spaces = ours.QUICK_SPACES if options.quick else ours.SPACES
    model, our_record = ours.run_ours(splits, spaces[options.features], options.jobs, workdir, options.features)
    space = fasttext_peer.QUICK_FASTTEXT_SPACE if options.quick else fasttext_peer.FASTTEXT_SPACE
    peer, fast_record = fasttext_peer.run_fasttext(fasttext_peer.fasttext_module(), splits, space, workdir)
    measure_speed(model, peer, splits.test["message"].tolist(), our_record, fast_record)
    return {"ours": our_record, "fasttext": fast_record}


def run(options: RunOptions) -> dict[str, Any]:
    """The benchmark, start to end; returns the results record (floats unrounded)."""
    started_at, started, load_start = datetime.now(UTC), time.perf_counter(), _load_average()
    splits = load_splits(options.data_dir)
    notes = [] if options.quick else list(NOTES[options.features])
    with tempfile.TemporaryDirectory(prefix="clinc150-") as tmp:
        if options.quick:
            splits = quick_splits(splits, Path(tmp))
            notes.append(QUICK_NOTE)
        systems = _systems(options, splits, Path(tmp))
    if "skipped" in systems["fasttext"]:
        notes.append(systems["fasttext"]["skipped"])
    return {
        "benchmark": "CLINC150 Full (Larson et al. 2019)",
        "quick": options.quick,
        "data": describe_data(shown(options.data_dir), splits),
        "protocol": "train on train; settings and oos threshold chosen on val only; test scored once",
        "systems": systems,
        "paper": [{"method": name, "oos-train": {"in_scope_accuracy": a / 100, "oos_recall": b / 100},
                   "oos-threshold": {"in_scope_accuracy": c / 100, "oos_recall": d / 100}}
                  for name, a, b, c, d in PAPER_ROWS],
        "targets": check_targets(systems["ours"], systems["fasttext"]),
        "environment": environment(options.jobs, load_start, "skipped" not in systems["fasttext"]),
        "run": {"started_at": started_at.isoformat(timespec="seconds"),
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "duration_s": time.perf_counter() - started, "out": shown(options.out)},
        "notes": notes,
    }
