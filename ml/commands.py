"""What each CLI command does: ``train``, ``evaluate``, ``predict``, ``stats``, ``models``, ``serve``.

:mod:`ml.cli` parses the arguments and calls one of these handlers. Handlers
import the heavy modules lazily so ``--help`` is instant; each returns the exit
code, and an MLError it raises becomes one ``error: ...`` line in ``ml.cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ml.config import TrainingProtocol

EXIT_OK = 0


def _task(args: argparse.Namespace):
    from ml.tasks import custom_task, get_task

    if getattr(args, "labels_from_data", False):
        if args.data is None:
            from ml.errors import DataError

            raise DataError("--labels-from-data needs --data FILE")
        return custom_task(args.task or "custom")
    return get_task(args.task or "meaning")


def _task_name(args: argparse.Namespace) -> str:
    from ml.tasks import check_task_name

    return check_task_name(args.task or "meaning")


def _model(args: argparse.Namespace):
    from ml.predict import load_model

    return load_model(args.model if args.model else _task_name(args))


def _model_root(args: argparse.Namespace) -> Path:
    from ml.config import MODELS_DIR

    return args.model if args.model else MODELS_DIR / _task_name(args)


def cmd_train(args: argparse.Namespace) -> int:
    from ml.datacheck import check_holdout_fraction
    from ml.train import SEARCH_SPACES
    from ml.workflow import portable_path, train_task

    space = {key: values[:1] for key, values in SEARCH_SPACES[args.features].items()} if args.quick else None
    protocol = TrainingProtocol(cv_folds=args.folds, holdout_fraction=check_holdout_fraction(args.holdout))
    trained = train_task(_task(args), args.data, args.out, features=args.features, space=space, protocol=protocol,
                         calibrate=not args.quick, allow_missing_labels=args.allow_missing_labels, force=args.force,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    meta = trained.metadata
    cv, rule, oof = meta.cv, meta.unsure_rule, meta.unsure_out_of_fold
    print(f"saved {meta.task} model to {portable_path(trained.directory)} as version {trained.version} (current)")
    print(f"settings: {meta.config.settings.to_dict()}")
    print("calibration (out-of-fold): " + "; ".join(f"{c.method} ECE {c.ece:.3f} log-loss {c.log_loss:.3f} "
                                                     f"macro-F1 {c.macro_f1:.3f}" for c in meta.calibration.candidates)
          + f"; adopted: {meta.calibration.method}")
    print(f"CV macro-F1 ({meta.config.protocol.cv_folds}-fold, {cv.rows} rows): "
          f"{cv.macro_f1_mean:.3f} ± {cv.macro_f1_std:.3f}")
    print(f"unsure rule: top probability < {rule.min_probability:.3f} or top-two margin < {rule.min_margin:.3f}; "
          f"out-of-fold it answers {oof.coverage:.1%} of messages at {oof.accuracy_answered:.1%} accuracy "
          f"(vs {oof.accuracy_all:.1%} answering all), flagging {oof.errors_caught:.1%} of errors and "
          f"{oof.correct_flagged:.1%} of right answers")
    if rule.red_flags:
        flags = meta.red_flags_out_of_fold
        print(f"red flags need probability >= {rule.red_flag_min_probability:.2f}: out-of-fold precision "
              f"{flags.precision:.1%} on {flags.answered} confident red flags (lowest: {flags.worst_label} "
              f"{flags.worst_precision:.1%}), recall {flags.recall:.1%}")
    if meta.holdout:
        print(f"held-out ({meta.holdout.rows} rows): accuracy {meta.holdout.accuracy:.3f}, "
              f"macro-F1 {meta.holdout.macro_f1:.3f}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ml.evaluate import format_summary
    from ml.workflow import evaluate_holdout, evaluate_saved

    model = _model(args)
    result = evaluate_saved(model, args.data) if args.data else evaluate_holdout(model)
    if args.report_dir:
        from ml.report import write_report_dir

        paths = write_report_dir(result.scored, result.labels, args.report_dir)
        print(f"wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)
    if args.json:
        print(json.dumps({"evaluated": result.description, **result.summary}, indent=2))
    else:
        print(format_summary(result.summary, f"evaluated: {result.description} ({result.summary['rows']} rows)"))
        rule = result.summary["unsure_rule"]
        if result.summary["per_label"]:  # only rows with a public true label have an accuracy
            print(f"\nunsure rule: answers {rule['coverage']:.1%} at {rule['accuracy_answered']:.1%} accuracy "
                  f"(vs {rule['accuracy_all']:.1%} answering all)")
    return EXIT_OK


def format_interpretation(r: Any, top_k: int) -> str:
    """A human-readable answer: title, confidence, meaning, evidence, what to watch for."""
    from ml.explain import format_terms
    from ml.unsure import NO_SCENARIO_CUE

    header = f"{r.title} ({r.label})" if r.title else r.label
    if r.reason == NO_SCENARIO_CUE:
        # Which scenario is the open question, so no scenario's percentage is shown as an answer.
        readings = [f"{kind} reading: {reading[0]}" for kind, reading in
                    (("Genuine", r.genuine_reading), ("Red-flag", r.red_flag_reading)) if reading]
        lines = [f"Unsure ({r.reason}): {r.reason_text}", " | ".join(readings)]
    elif r.unsure:
        lines = [f"Unsure ({r.reason}): {r.reason_text}",
                 f"Candidates: {', '.join(f'{label} {p:.0%}' for label, p in r.candidates)}",
                 f"Best guess: {header}  {r.probability:.0%}"]
    else:
        lines = [f"{header}  {r.probability:.0%}" + (f"  [{r.tone.replace('_', ' ')}]" if r.tone else "")]
    if r.explanation and not r.unsure:
        lines.append(r.explanation)
    if r.suggestion:
        lines.append(f"Suggestion: {r.suggestion}")
    target = " no scenario cue" if r.reason == NO_SCENARIO_CUE else f" {r.label}" if r.unsure else " it"
    lines.append(f"Words for{target}: {format_terms(r.evidence.toward)}")
    lines.append(f"Words against{target}: {format_terms(r.evidence.against)}")
    others = [f"{label} {p:.0%}" for label, p in r.ranking[1:top_k]]
    if others and not r.unsure:
        lines.append(f"Next likely: {', '.join(others)}")
    if r.name_used is not None:
        lines.append(f"His name used: {'yes' if r.name_used else 'no'}")
    lines.extend(f"Tip: {tip}" for tip in r.tips)
    if r.watch_for:
        lines.append("Watch for:")
        lines.extend(f"  - {sign}" for sign in r.watch_for)
    return "\n".join(lines)


def _write_interpretations(results: Sequence[Any], args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        for r in results:
            out.write(json.dumps(r.to_dict(args.top_k), ensure_ascii=False) + "\n")
    else:
        out.write("\n\n".join(format_interpretation(r, args.top_k) for r in results) + "\n")


def cmd_predict(args: argparse.Namespace) -> int:
    if args.input:
        return _predict_files(args)
    model = _model(args)
    if args.message is not None:
        _write_interpretations([model.interpret(args.message, args.context, his_name=args.his_name)], args, sys.stdout)
        return EXIT_OK
    from ml.data import iter_message_lines

    done = 0
    for lines in iter_message_lines(sys.stdin.buffer, args.chunk_rows):
        results = model.interpret_many(lines, his_name=args.his_name, first_row=done + 1)
        if done and not args.json:
            sys.stdout.write("\n")
        _write_interpretations(results, args, sys.stdout)
        sys.stdout.flush()
        done += len(lines)
    return EXIT_OK


def _predict_files(args: argparse.Namespace) -> int:
    """``--input``: the local engine streams one CSV; the Dask engine scores a glob of CSVs into a directory."""
    from ml.batch import score_csv, score_files_dask
    from ml.errors import DataError
    from ml.store import locate

    if not args.output:
        raise DataError("--input needs --output (a CSV file; a directory with --engine dask)")
    model_directory = locate(args.model if args.model else _task_name(args)).directory
    if args.engine == "dask":
        outputs = score_files_dask(model_directory, str(args.input), args.output, workers=args.workers,
                                   scheduler=args.scheduler)
        print(f"wrote {len(outputs)} file(s) to {args.output}", file=sys.stderr)
        return EXIT_OK
    if args.scheduler:
        raise DataError("--scheduler needs --engine dask")
    rows = score_csv(model_directory, args.input, args.output, chunk_rows=args.chunk_rows,
                     workers=args.workers or 1, progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {rows} interpretations to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from ml.datacheck import format_profile, profile
    from ml.workflow import load_task_data, portable_path

    frame, paths, _ = load_task_data(_task(args), args.data)
    print(f"{', '.join(portable_path(path) for path in paths)}\n")
    print(format_profile(profile(frame)))
    return EXIT_OK


def cmd_models_list(args: argparse.Namespace) -> int:
    from ml.store import ModelStore

    store = ModelStore(_model_root(args))
    entries = store.entries()
    if not entries:
        from ml.errors import ModelNotFoundError

        raise ModelNotFoundError(f"no model versions in {store.root}; train one with: python -m ml train")
    print(f"{'':2}{'version':<24}{'created (UTC)':<27}{'rows':>6}{'CV macro-F1':>13}{'held-out macro-F1':>19}")
    for entry in reversed(entries):
        mark = "* " if entry.current else "  "
        meta = entry.metadata
        if meta is None:
            print(f"{mark}{entry.version:<24}unreadable: {entry.problem}")
            continue
        held = f"{meta.holdout.macro_f1:.3f}" if meta.holdout else "-"
        print(f"{mark}{entry.version:<24}{meta.created_at:<27}{meta.data.rows:>6}{meta.cv.macro_f1_mean:>13.3f}"
              f"{held:>19}")
    print("\n* current; rollback with: python -m ml models rollback [--to VERSION]")
    return EXIT_OK


def cmd_models_rollback(args: argparse.Namespace) -> int:
    from ml.store import ModelStore

    store = ModelStore(_model_root(args))
    before = store.current_version()
    version = store.rollback(args.to)
    from ml.workflow import portable_path

    print(f"current model in {portable_path(store.root)} is now version {version} (was {before})")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ml.serve import create_app
    except ModuleNotFoundError as exc:
        from ml.errors import MLError

        raise MLError(f"serve needs the serve extra ({exc.name} is missing): pip install -e '.[serve]'") from None
    uvicorn.run(create_app(), host=args.host, port=args.port)
    return EXIT_OK
