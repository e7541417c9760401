"""Speed of a saved model: load time, single-message latency, batch throughput, file size.

Run after training:  python benchmarks/latency.py [--task meaning] [--repeats 300]
Numbers depend on the machine; this prints them and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from ml.artifacts import MODEL_FILE
from ml.data import read_examples
from ml.pipeline import pipeline_input
from ml.predict import load_model
from ml.store import locate


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(task: str, repeats: int) -> dict[str, float]:
    directory = locate(task).directory
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        model = load_model(task)
        loads.append(time.perf_counter() - started)
    frame = read_examples(model.task.data_path, model.classes)
    messages, contexts = frame["message"].tolist(), frame["context"].tolist()
    model.interpret(messages[0], contexts[0])  # warm-up
    single = []
    for i in range(repeats):
        started = time.perf_counter()
        model.interpret(messages[i % len(messages)], contexts[i % len(messages)])
        single.append(time.perf_counter() - started)
    started = time.perf_counter()
    model.interpret_many(messages, contexts)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.pipeline.predict_proba(pipeline_input(frame))
    proba_seconds = time.perf_counter() - started
    return {
        "load_seconds_median": statistics.median(loads),
        "interpret_ms_median": 1000 * statistics.median(single),
        "interpret_ms_p95": 1000 * _percentile(single, 95),
        "batch_messages": len(messages),
        "interpret_many_per_second": len(messages) / batch_seconds,
        "predict_proba_per_second": len(messages) / proba_seconds,
        "model_file_mb": (directory / MODEL_FILE).stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="meaning")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.task, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.task} model")
    print(f"  load time (median of 5)        {result['load_seconds_median'] * 1000:8.1f} ms")
    print(f"  interpret, one message         {result['interpret_ms_median']:8.2f} ms median, "
          f"{result['interpret_ms_p95']:.2f} ms p95")
    batch = f"interpret_many ({result['batch_messages']} messages)"
    print(f"  {batch:<31}{result['interpret_many_per_second']:8.0f} messages/s (with explanations)")
    print(f"  pipeline.predict_proba         {result['predict_proba_per_second']:8.0f} messages/s (labels only)")
    print(f"  model file                     {result['model_file_mb']:8.2f} MB")


if __name__ == "__main__":
    main()
