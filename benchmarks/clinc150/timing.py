"""Latency and throughput, measured the same way for every system."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ml.config import SEED

LATENCY_MESSAGES = 500      # single-message calls timed per system
THROUGHPUT_ROUNDS = 3       # batch passes over the whole test set per system; the median counts


def latency_sample(messages: Sequence[str], size: int = LATENCY_MESSAGES) -> list[str]:
    """The same seeded sample of messages for every system's single-message timing."""
    picked = np.random.default_rng(SEED).choice(len(messages), size=min(size, len(messages)), replace=False)
    return [messages[i] for i in picked]


def _percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def time_single(call: Callable[[str], Any], messages: Sequence[str], warmup: int = 20) -> dict[str, float]:
    """Median and p95 of one call per message, after ``warmup`` untimed calls."""
    for message in messages[:warmup]:
        call(message)
    taken = []
    for message in messages:
        started = time.perf_counter()
        call(message)
        taken.append(time.perf_counter() - started)
    return {"median_ms": _percentile_ms(taken, 50), "p95_ms": _percentile_ms(taken, 95), "calls": len(taken)}


def time_batches(calls: dict[str, Callable[[], Any]], rows: int,
                 rounds: int = THROUGHPUT_ROUNDS) -> dict[str, dict[str, Any]]:
    """Interleaved rounds (a, b, c, a, b, c, ...) so every system sees the same machine load."""
    taken: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            taken[name].append(time.perf_counter() - started)
    return {name: {"messages_per_s": rows / statistics.median(seconds), "median_s": statistics.median(seconds),
                   "rounds_s": [round(s, 4) for s in seconds], "rows": rows}
            for name, seconds in taken.items()}
