"""Batch scoring at scale, side by side in one run: the numbers issue #11 asks for.

    python benchmarks/batch_scale.py [--model DIR] [--rows 20000] [--memory-rows 200000 2000000]
                                     [--train-scales 1 10 100] [--workers 2]

- throughput of the product's batch path (label, probability, unsure, evidence:
  ``ml.batch.score_partition``) against a plain word TF-IDF + logistic regression
  ``predict_proba`` trained here on the same data, and fastText if installed
  (the ``benchmark`` extra);
- single-message ``interpret`` against the plain pipeline's single ``predict_proba``;
- peak memory (max RSS of a ``predict --input`` subprocess) at each ``--memory-rows``;
- the Dask engine on a local cluster against the local engine on the same rows;
- train time and peak memory of one fit of the product pipeline at 1x, 10x, ... the
  CLINC150 training rows (resampled), each in its own subprocess.

Input rows are resampled from the committed ``data/meaning*.csv`` messages: test
input, never training data for what is measured. Numbers depend on the machine
(and on whatever else runs on it); this prints them and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from ml.batch import score_partition
from ml.config import DATA_DIR, PROJECT_ROOT
from ml.predict import load_model

CLINC150 = PROJECT_ROOT.parent / "shared" / "benchmarks" / "clinc150" / "train.csv"

# Runs a command and prints the largest resident set size of its process tree, in bytes (Linux: KiB * 1024).
_MAX_RSS = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")

_FIT = """
import sys, time, pandas as pd
from ml.config import SEED
from ml.pipeline import Settings, build_pipeline
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
started = time.perf_counter()
build_pipeline(Settings(use_context=False), seed=SEED).fit(frame[["message", "context"]], frame["label"])
print(time.perf_counter() - started, file=sys.stderr)
"""


def _messages() -> pd.DataFrame:
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in sorted(DATA_DIR.glob("meaning*.csv"))]
    return pd.concat(frames, ignore_index=True)


def _rate(seconds: float, rows: int) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def _timed(call, repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def _median_latency(call, items: list, repeats: int) -> float:
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        call(items[i % len(items)])
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _max_rss(command: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MAX_RSS, *command], check=True, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def throughput(model_dir: Path, data: pd.DataFrame, rows: pd.DataFrame) -> dict[str, float]:
    model = load_model(model_dir)
    plain = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=3000))
    plain.fit(data["message"], data["label"])
    score_partition(rows.head(200), model)  # warm-up: caches, lazy imports
    result = {
        "rows": len(rows),
        "plain_rows_per_s": _rate(_timed(lambda: plain.predict_proba(rows["message"]), 3), len(rows)),
        "product_rows_per_s": _rate(_timed(lambda: score_partition(rows, model)), len(rows)),
        "plain_single_ms": 1000 * _median_latency(lambda m: plain.predict_proba([m]), rows["message"].tolist(), 300),
        "product_single_ms": 1000 * _median_latency(lambda m: model.interpret(m), rows["message"].tolist(), 300),
    }
    result["throughput_ratio"] = result["product_rows_per_s"] / result["plain_rows_per_s"]
    result["single_ratio"] = result["product_single_ms"] / result["plain_single_ms"]
    try:
        import fasttext
    except ModuleNotFoundError:
        result["fasttext"] = "not installed (pip install -e '.[benchmark]')"
        return result
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        for message, label in zip(data["message"], data["label"], strict=True):
            handle.write(f"__label__{label} {' '.join(message.split())}\n")
    peer = fasttext.train_supervised(handle.name, epoch=25, wordNgrams=2, verbose=0, thread=1)
    os.unlink(handle.name)
    texts = [" ".join(m.split()) for m in rows["message"]]
    result["fasttext_rows_per_s"] = _rate(_timed(lambda: peer.predict(texts, k=-1), 3), len(rows))
    return result


def engines(model_dir: Path, rows: pd.DataFrame, workers: int, work: Path) -> dict[str, float]:
    """The same rows (in four files) through the local engine and through Dask on a local cluster, end to end."""
    inputs = work / "engines"
    inputs.mkdir()
    for part, chunk in enumerate(np.array_split(np.arange(len(rows)), 4)):
        rows.iloc[chunk].to_csv(inputs / f"part{part}.csv", index=False)
    cli = [sys.executable, "-m", "ml", "predict", "--model", str(model_dir), "--quiet"]
    started = time.perf_counter()
    for part in range(4):
        subprocess.run([*cli, "--input", str(inputs / f"part{part}.csv"), "--output", str(work / f"local{part}.csv")],
                       check=True)
    local = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([*cli, "--input", str(inputs / "*.csv"), "--output", str(work / "dask"), "--engine", "dask",
                    "--workers", str(workers)], check=True, capture_output=True)
    dask = time.perf_counter() - started
    return {"rows": len(rows), "local_s": local, "dask_s": dask, "dask_workers": workers, "dask_vs_local": local / dask}


def memory(model_dir: Path, data: pd.DataFrame, sizes: list[int], work: Path) -> list[dict[str, float]]:
    results = []
    for size in sizes:
        source = work / f"memory{size}.csv"
        data[["message", "context"]].sample(size, replace=True, random_state=size).to_csv(source, index=False)
        peak, seconds = _max_rss([sys.executable, "-m", "ml", "predict", "--model", str(model_dir), "--quiet",
                                  "--input", str(source), "--output", str(work / "memory-out.csv")])
        results.append({"rows": size, "peak_rss_mb": peak / 1e6, "seconds": seconds, "rows_per_s": size / seconds})
        source.unlink()
    return results


def training(scales: list[int], work: Path) -> list[dict[str, float]]:
    clinc = pd.read_csv(CLINC150, dtype=str, keep_default_na=False).assign(context="")
    results = []
    for scale in scales:
        source = work / f"clinc{scale}.csv"
        clinc.sample(len(clinc) * scale, replace=scale > 1, random_state=scale).to_csv(source, index=False)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _MAX_RSS, sys.executable, "-c", _FIT, str(source)],
                              check=True, capture_output=True, text=True)
        results.append({"scale": scale, "rows": len(clinc) * scale,
                        "fit_s": float(done.stderr.strip().splitlines()[-1]),
                        "wall_s": time.perf_counter() - started,
                        "peak_rss_mb": int(done.stdout.strip().splitlines()[-1]) / 1e6})
        source.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: models/meaning)")
    parser.add_argument("--rows", type=int, default=20_000, help="rows for throughput and the engines")
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[200_000, 2_000_000])
    parser.add_argument("--train-scales", type=int, nargs="*", default=[1, 10, 100])
    parser.add_argument("--workers", type=int, default=2, help="Dask local cluster workers")
    args = parser.parse_args()
    model_dir = args.model or PROJECT_ROOT / "models" / "meaning"
    data = _messages()
    rows = data[["message", "context"]].sample(args.rows, replace=True, random_state=7).reset_index(drop=True)
    report: dict[str, object] = {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        report["throughput"] = throughput(model_dir, data, rows)
        print(json.dumps(report, indent=2), flush=True)
        report["engines"] = engines(model_dir, rows, args.workers, work)
        print(json.dumps(report["engines"], indent=2), flush=True)
        report["memory"] = memory(model_dir, data, args.memory_rows, work)
        print(json.dumps(report["memory"], indent=2), flush=True)
        if args.train_scales:
            report["training"] = training(args.train_scales, work)
    report["load_average_1m_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
