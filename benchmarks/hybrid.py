"""TF-IDF vs hybrid (TF-IDF + all-MiniLM-L6-v2), both tasks, side by side in one run.

Each model is trained through the product's own path into a temporary directory
(``ml.workflow.train_task``: CV search on the training 80%, or one fixed
candidate with ``--quick``; the calibration study; the held-out 20% scored
once), so CV macro-F1, held-out macro-F1 and out-of-fold ECE are the numbers
its metadata records. Speed and memory are then measured in a fresh process
per model (so one model's memory or warm cache cannot flatter another):
load time, single-message latency on messages it has not embedded yet, batch
throughput of ``interpret_many`` and the process's peak RSS.

    python benchmarks/hybrid.py [--tasks meaning coach] [--quick]

Needs the hybrid extra. Prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ml.pipeline import HYBRID, TFIDF
from ml.predict import load_model
from ml.tasks import get_task
from ml.train import SEARCH_SPACES
from ml.workflow import load_task_data, train_task

SINGLE_MESSAGES = 200
BATCH_MESSAGES = 1_000
# --quick: the TF-IDF settings each task's full search chose (README, Evaluation); hybrid adds the dense blocks at
# weight 1 with the same C and class weights, so it gets no search of its own.
QUICK_TFIDF = {"meaning": {"C": [30.0], "class_weight": ["balanced"]},
               "coach": {"C": [1.0], "class_weight": ["balanced"]}}


def train_and_describe(task: str, features: str, out: Path, quick: bool) -> dict[str, float | str]:
    """Train one model into ``out``; its recorded CV, held-out and calibration numbers."""
    space = {**{key: values[:1] for key, values in SEARCH_SPACES[HYBRID].items()}, **QUICK_TFIDF[task]}
    if features == TFIDF:
        space.pop("embedding_weight")
    started = time.perf_counter()
    meta = train_task(get_task(task), out_dir=out, features=features, space=space if quick else None,
                      progress=lambda line: print(f"  {task}/{features}: {line}", file=sys.stderr, flush=True)).metadata
    scores = {c.method: c for c in meta.calibration.candidates}
    adopted = scores[meta.calibration.method]
    return {"train_s": time.perf_counter() - started, "settings": meta.config.settings.describe(),
            "cv_f1": meta.cv.macro_f1_mean, "cv_std": meta.cv.macro_f1_std,
            "holdout_f1": meta.holdout.macro_f1 if meta.holdout else float("nan"),
            "ece_raw": scores["none"].ece, "ece": adopted.ece, "log_loss_raw": scores["none"].log_loss,
            "log_loss": adopted.log_loss, "calibration": meta.calibration.method,
            "candidates": [f"{c.method} ECE {c.ece:.3f} LL {c.log_loss:.3f} F1 {c.macro_f1:.3f}"
                           for c in meta.calibration.candidates]}


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not getrusage's ru_maxrss: a child started by fork and exec
    starts from its parent's peak there, so every model would report the trainer's memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def measure(directory: str) -> dict[str, float]:
    """Run in a fresh process: load time, latency, throughput and peak memory of the model at ``directory``."""
    started = time.perf_counter()
    model = load_model(Path(directory))
    model.interpret("warm up", "")  # the encoder loads lazily; its load counts as part of loading
    load_s = time.perf_counter() - started
    frame, _, _ = load_task_data(model.task)
    frame = frame.drop_duplicates("message").sample(frac=1.0, random_state=13)
    single_rows = frame.head(SINGLE_MESSAGES)
    batch_rows = frame.iloc[SINGLE_MESSAGES:SINGLE_MESSAGES + BATCH_MESSAGES]
    single = []
    for message, context in zip(single_rows["message"], single_rows["context"], strict=True):
        started = time.perf_counter()
        model.interpret(message, context)
        single.append(time.perf_counter() - started)
    started = time.perf_counter()
    model.interpret_many(batch_rows["message"].tolist(), batch_rows["context"].tolist())
    batch_s = time.perf_counter() - started
    return {"load_s": load_s, "single_ms": 1000 * statistics.median(single),
            "batch_per_s": len(batch_rows) / batch_s,
            "peak_mb": _peak_rss_mb()}


def measure_in_child(directory: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--measure", str(directory)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(rows: dict[tuple[str, str], dict]) -> None:
    columns = [("CV macro-F1", lambda r: f"{r['cv_f1']:.3f} ± {r['cv_std']:.3f}"),
               ("held-out macro-F1", lambda r: f"{r['holdout_f1']:.3f}"),
               ("ECE raw -> shipped", lambda r: f"{r['ece_raw']:.3f} -> {r['ece']:.3f}"),
               ("log-loss raw -> shipped", lambda r: f"{r['log_loss_raw']:.3f} -> {r['log_loss']:.3f}"),
               ("calibration", lambda r: r["calibration"]), ("one message", lambda r: f"{r['single_ms']:.1f} ms"),
               ("batch", lambda r: f"{r['batch_per_s']:,.0f} msg/s"), ("load", lambda r: f"{r['load_s']:.2f} s"),
               ("peak RSS", lambda r: f"{r['peak_mb']:,.0f} MB"), ("train", lambda r: f"{r['train_s']:.0f} s")]
    print(f"| measure | {' | '.join(f'{task} {features}' for task, features in rows)} |")
    print(f"|---|{'---:|' * len(rows)}")
    for name, cell in columns:
        print(f"| {name} | {' | '.join(cell(row) for row in rows.values())} |")
    for (task, features), row in rows.items():
        print(f"\n{task} {features}: {row['settings']}\n  " + "\n  ".join(row["candidates"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["meaning", "coach"])
    parser.add_argument("--quick", action="store_true", help="one fixed candidate per feature set, no search")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process's entry point
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            for features in (TFIDF, HYBRID):
                out = Path(tmp) / f"{task}-{features}"
                rows[(task, features)] = {**train_and_describe(task, features, out, args.quick),
                                          **measure_in_child(out)}
    print_table(rows)


if __name__ == "__main__":
    main()
