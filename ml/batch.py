"""Batch scoring at scale: one vectorised partition scorer, run by a local streaming engine or by Dask.

:func:`score_partition` turns a DataFrame of messages into the answer columns
(label, probability, unsure, reason, title, tone, evidence) in one pass: one
transform, one ``predict_proba``, and evidence for the whole partition at
once, with no per-row ``Interpretation`` objects. Both engines call it, so a
file scored on a laptop and on a cluster gets the same bytes.

- :func:`score_csv` (local) streams a CSV in chunks, so memory stays flat
  whatever the file's size, and rows are written in input order as they are
  done, optionally scoring chunks in several processes.
- :func:`score_files_dask` reads each file as a ``dask.dataframe`` partition
  and maps :func:`score_partition` over them on a ``distributed`` cluster,
  with the model loaded once per worker. Dask is the optional ``dask`` extra.

Outputs are written under a ``.partial`` name and renamed at the end, so an
interrupted run never leaves a file that looks complete.

    >>> import dask.dataframe as dd
    >>> from ml.batch import OUTPUT_META, score_partition_at
    >>> frame = dd.read_csv("archive/*.csv", dtype=str, keep_default_na=False)[["message", "context"]]
    >>> scored = frame.map_partitions(score_partition_at, "/shared/models/meaning/<version>", meta=OUTPUT_META)
    >>> scored.to_csv("scored-*.csv", index=False)
"""

from __future__ import annotations

import glob
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from ml.data import iter_message_chunks, read_messages
from ml.errors import DataError, MLError
from ml.inputs import check_context, check_message
from ml.predict import Model, load_model
from ml.unsure import public_view

OUTPUT_COLUMNS = ("message", "context", "label", "probability", "unsure", "reason", "title", "tone", "evidence")
# The empty frame Dask needs to know the output's columns and types without scoring anything.
OUTPUT_META = pd.DataFrame({column: pd.Series(dtype=bool if column == "unsure" else float if column == "probability"
                                              else object) for column in OUTPUT_COLUMNS})
EVIDENCE_TERMS = 6  # words toward the label written per row, as `predict` shows


def score_partition(frame: pd.DataFrame, model: Model) -> pd.DataFrame:
    """The answer columns for a partition's rows, in its order and with its index.

    ``frame`` needs a ``message`` column (``context`` optional). Errors name the
    row as ``index + 1``, which is the file's 1-based row for frames from
    :func:`ml.data.iter_message_chunks` (for your own frames, give each a
    0-based row index if you want exact row numbers). Probabilities are the
    pipeline's ``predict_proba`` over the public labels, rounded to 4 places.
    """
    rows = frame.index + 1 if isinstance(frame.index, pd.RangeIndex) else range(1, len(frame) + 1)
    contexts = frame["context"] if "context" in frame.columns else [""] * len(frame)
    checked = pd.DataFrame({
        "message": [check_message(m, row) for m, row in zip(frame["message"], rows, strict=True)],
        "context": [check_context("" if pd.isna(c) else c, row) for c, row in zip(contexts, rows, strict=True)],
    })
    if checked.empty:
        return OUTPUT_META.copy()
    features, proba, reasons = model.score(checked)
    public = public_view(proba, model.classes, model.unsure_rule.no_cue_label).proba
    top = public.argmax(axis=1)
    labels = np.asarray(model.labels, dtype=object)[top]
    evidence = model.explainer.evidence_rows(checked["message"].tolist(), features,
                                             model.explained_classes(public, reasons), EVIDENCE_TERMS)
    catalog = model.task.catalog
    return pd.DataFrame({
        "message": checked["message"].to_numpy(), "context": checked["context"].to_numpy(), "label": labels,
        "probability": [round(p, 4) for p in public[np.arange(len(top)), top].tolist()],
        "unsure": pd.notna(reasons), "reason": [reason or "" for reason in reasons],
        "title": [catalog[label].title if label in catalog else "" for label in labels],
        "tone": [catalog[label].tone if label in catalog else "" for label in labels],
        "evidence": ["; ".join(f"{t.text} {t.weight:+.2f}" for t in e.toward) for e in evidence],
    }, index=frame.index)


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield ``TARGET.partial`` to write; rename it to ``target`` only when the block finishes.

    An interrupted or failed run leaves the ``.partial`` file (the rows done
    so far, clearly named), and an earlier complete ``target`` is untouched.
    """
    partial = target.with_name(target.name + ".partial")
    yield partial
    os.replace(partial, target)


def _count_lines(path: Path) -> int:
    """Data lines in a file (newlines minus the header): the progress bar's total, read at disk speed."""
    with open(path, "rb") as handle:
        return max(sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


def _scored_chunks(model_directory: str, chunks: Iterator[pd.DataFrame], workers: int) -> Iterator[pd.DataFrame]:
    """Scored chunks in input order; with ``workers`` > 1, scored in that many processes.

    At most two chunks per worker are in flight, so memory stays flat
    however long the input is (``Executor.map`` would read it all first).
    """
    if workers == 1:
        yield from (score_partition_at(chunk, model_directory) for chunk in chunks)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[pd.DataFrame]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(score_partition_at, chunk, model_directory))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def score_csv(model_directory: str | Path, source: Path, target: Path, *, chunk_rows: int, workers: int = 1,
              progress: bool = False) -> int:
    """Score a CSV into ``target`` chunk by chunk (the local engine); returns the rows written.

    ``workers`` > 1 scores chunks in that many processes (one model load
    each): worth it for files of tens of thousands of rows, not for a few.
    ``progress`` shows a tqdm bar with rows per second and time left (on a
    terminal only: tqdm turns itself off otherwise).
    """
    from tqdm import tqdm

    if target.resolve() == source.resolve():
        raise DataError(f"--output is the same file as --input ({source}); writing it would destroy the input")
    written = 0
    total = _count_lines(source) if progress and source.is_file() else None
    with (atomic_output(target) as partial, open(partial, "w", encoding="utf-8", newline="") as out,
          tqdm(total=total, unit="msg", disable=None if progress else True, file=sys.stderr) as bar):
        for scored in _scored_chunks(str(model_directory), iter_message_chunks(source, chunk_rows), workers):
            scored.to_csv(out, header=written == 0, index=False)
            written += len(scored)
            bar.update(len(scored))
        if written == 0:
            OUTPUT_META.to_csv(out, index=False)
    return written


@lru_cache(maxsize=4)
def _worker_model(directory: str) -> Model:
    """The model at ``directory``, loaded (and checked) once per worker process, not shipped with every task."""
    return load_model(directory)


def score_partition_at(frame: pd.DataFrame, model_directory: str) -> pd.DataFrame:
    """:func:`score_partition` with the model found by directory on the worker (the Dask engine's task)."""
    return score_partition(frame, _worker_model(model_directory))


def _input_files(pattern: str, out_dir: Path) -> list[Path]:
    files = sorted(Path(name) for name in glob.glob(pattern))
    if not files:
        raise DataError(f"no file matches {pattern!r}")
    names = [path.name for path in files]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"inputs share file names ({', '.join(repeated)}); their outputs in {out_dir} would collide")
    clashes = [path for path in files if (out_dir / path.name).resolve() == path.resolve()]
    if clashes:
        raise DataError(f"--output {out_dir} holds the input {clashes[0]}; writing it would destroy the input")
    return files


def score_files_dask(model_directory: Path, pattern: str, out_dir: Path, *, workers: int | None = None,
                     scheduler: str | None = None, log: TextIO = sys.stderr) -> list[Path]:
    """Score every file matching ``pattern`` on a Dask cluster into ``out_dir/<same name>``; returns the outputs.

    Each file is one partition (read by :func:`ml.data.read_messages`, so
    rows, errors and columns match the local engine, and row order holds
    within each file). ``scheduler`` connects to an existing cluster, whose
    workers must see the files and the model directory at the same paths and
    have this package installed; otherwise a ``LocalCluster`` of ``workers``
    single-threaded processes on 127.0.0.1 is started and stopped here.
    """
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ModuleNotFoundError as exc:
        raise MLError(f"--engine dask needs the dask extra ({exc.name} is missing): "
                      "pip install -e '.[dask]'") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _input_files(pattern, out_dir)
    partial = out_dir / ".partial"
    partial.mkdir(exist_ok=True)
    with ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            cluster = stack.enter_context(LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                                       host="127.0.0.1", dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        print(f"scoring {len(files)} file(s) on {client.scheduler.address}", file=log)
        frames = dd.from_map(read_messages, [str(path) for path in files],
                             meta=pd.DataFrame({"message": pd.Series(dtype=object),
                                                "context": pd.Series(dtype=object)}))
        scored = frames.map_partitions(score_partition_at, str(model_directory), meta=OUTPUT_META)
        scored.to_csv([str(partial / path.name) for path in files], index=False)
    outputs = [out_dir / path.name for path in files]
    for path, output in zip(files, outputs, strict=True):
        os.replace(partial / path.name, output)
    partial.rmdir()
    return outputs
