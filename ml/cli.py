"""Command line: ``python -m ml train | evaluate | predict | stats | models | serve`` (also installed as ``ml``).

This module only parses arguments; :mod:`ml.commands` does the work, importing
the heavy modules lazily so ``--help`` is instant. Every MLError becomes one
``error: ...`` line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml import commands
from ml.config import BATCH_CHUNK_ROWS, DEFAULT_PROTOCOL

EXIT_ERROR = 2


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_train(sub: Any) -> None:
    """train: the CV search, held-out score and save."""
    train = sub.add_parser("train", help="choose settings by CV, train, score held-out, save")
    train.add_argument("--task", help="meaning or coach (any name with --labels-from-data); default meaning")
    train.add_argument("--data", type=Path, help="label-guide CSV (default: the task's data/ file)")
    train.add_argument("--out", type=Path, help="model directory (default: models/<task>)")
    train.add_argument("--labels-from-data", action="store_true", help="take the label set from --data")
    train.add_argument("--allow-missing-labels", action="store_true",
                       help="train even though the data lacks some of the task's labels")
    defaults = DEFAULT_PROTOCOL
    train.add_argument("--holdout", type=float, default=defaults.holdout_fraction,
                       help=f"held-out fraction for honest scoring, in (0, 0.5] "
                            f"(default {defaults.holdout_fraction:g})")
    train.add_argument("--folds", type=int, default=defaults.cv_folds,
                       help=f"cross-validation folds, at least 2 "
                            f"(default {defaults.cv_folds}; fewer for small datasets)")
    train.add_argument("--features", choices=("tfidf", "hybrid"), default="tfidf",
                       help="tfidf (default), or hybrid: TF-IDF plus sentence embeddings of message and context "
                            "(needs the hybrid extra: pip install -e \".[hybrid]\")")
    train.add_argument("--quick", action="store_true",
                       help="skip the search and the calibration study: one candidate, for smoke runs")
    train.add_argument("--force", action="store_true",
                       help="make the new model current even if it scores worse than the current one")
    train.set_defaults(handler=commands.cmd_train)


def _add_evaluate(sub: Any) -> None:
    """evaluate: the held-out protocol again, or any label-guide CSV."""
    evaluate = sub.add_parser("evaluate", help="score a saved model (held-out split, or any CSV with --data)")
    evaluate.add_argument("--task", help="meaning or coach; default meaning")
    evaluate.add_argument("--model", type=Path, help="model directory instead of models/<task>")
    evaluate.add_argument("--data", type=Path, help="label-guide CSV to score the saved model on")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--report-dir", type=Path, help="write confusion matrix, confidence plot and errors.csv")
    evaluate.set_defaults(handler=commands.cmd_evaluate)


def _add_predict(sub: Any) -> None:
    """predict: one message, lines on stdin, or a CSV streamed locally or on Dask."""
    predict = sub.add_parser("predict", help="interpret a message (or a CSV, or lines on stdin)")
    predict.add_argument("message", nargs="?", help="the message; omit to read one message per line on stdin")
    predict.add_argument("--task", help="meaning or coach; default meaning")
    predict.add_argument("--model", type=Path, help="model directory instead of models/<task>")
    predict.add_argument("--context", help="what you know about the situation")
    predict.add_argument("--his-name", help="coach: his name, to check whether the draft uses it")
    predict.add_argument("--top-k", type=_positive_int, default=3, help="how many labels to show (default 3)")
    predict.add_argument("--json", action="store_true", help="one JSON object per message")
    predict.add_argument("--input", type=Path,
                         help="CSV with a message column (context optional); with --engine dask a glob ('DIR/*.csv')")
    predict.add_argument("--output", type=Path,
                         help="where --input's interpretations go (a directory with --engine dask)")
    predict.add_argument("--chunk-rows", type=_positive_int, default=BATCH_CHUNK_ROWS,
                         help=f"rows read, scored and written at a time (default {BATCH_CHUNK_ROWS:,})")
    predict.add_argument("--quiet", action="store_true", help="no progress bar or summary line")
    predict.add_argument("--engine", choices=("local", "dask"), default="local",
                         help="local: stream on this machine (default); dask: a Dask cluster (the dask extra)")
    predict.add_argument("--workers", type=_positive_int,
                         help="processes that score: local engine default 1; dask starts a local cluster of N "
                              "(default one per core)")
    predict.add_argument("--scheduler", help="dask: address of an existing cluster's scheduler (tcp://host:8786)")
    predict.set_defaults(handler=commands.cmd_predict)


def _add_stats(sub: Any) -> None:
    """stats: a dataset profile per label."""
    stats = sub.add_parser("stats", help="print a dataset's rows, context share and length per label")
    stats.add_argument("--task", help="meaning or coach; default meaning")
    stats.add_argument("--data", type=Path, help="label-guide CSV (default: the task's data/ file)")
    stats.add_argument("--labels-from-data", action="store_true", help="take the label set from --data")
    stats.set_defaults(handler=commands.cmd_stats)


def _add_models(sub: Any) -> None:
    """models list | rollback: the kept versions of a task."""
    models = sub.add_parser("models", help="list a task's kept model versions, or roll back to one")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    listing = models_sub.add_parser("list", help="every kept version, newest first; * marks the current one")
    rollback = models_sub.add_parser("rollback", help="make an earlier (or any kept) version current")
    rollback.add_argument("--to", help="the version id to make current (default: the one before the current)")
    for command, handler in ((listing, commands.cmd_models_list), (rollback, commands.cmd_models_rollback)):
        command.add_argument("--task", help="meaning or coach (or a custom task's name); default meaning")
        command.add_argument("--model", type=Path, help="a model directory instead of models/<task>")
        command.set_defaults(handler=handler)


def _add_serve(sub: Any) -> None:
    """serve: the web page and HTTP API."""
    serve = sub.add_parser("serve", help="the web page and HTTP API (needs the serve extra)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.set_defaults(handler=commands.cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ml", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_train, _add_evaluate, _add_predict, _add_stats, _add_models, _add_serve):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ml.errors import MLError

    try:
        return args.handler(args)
    except MLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # e.g. an --output path that cannot be written
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
