"""The command line: ``python -m benchmarks.clinc150 [--features tfidf|hybrid] [--data-dir DIR] [--out FILE]
[--quick] [--jobs N]``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.clinc150 import __doc__ as PACKAGE_DOC
from benchmarks.clinc150 import log
from benchmarks.clinc150.data import DEFAULT_DATA_DIR, QUICK_ROWS_PER_LABEL, missing_splits
from benchmarks.clinc150.report import MARKERS, README, markdown, round_floats, update_readme
from benchmarks.clinc150.run import RunOptions, run, shown
from ml.config import PROJECT_ROOT
from ml.errors import MLError
from ml.pipeline import FEATURE_SETS, TFIDF

RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"


def default_out(features: str, quick: bool) -> Path:
    """clinc150[.hybrid][.quick].json under benchmarks/results/."""
    return RESULTS_DIR / "".join(["clinc150", "" if features == TFIDF else f".{features}", ".quick" if quick else "",
                                  ".json"])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clinc150", description=PACKAGE_DOC.splitlines()[0])
    parser.add_argument("--features", choices=FEATURE_SETS, default=TFIDF,
                        help="our model's feature set (default tfidf; hybrid needs pip install -e \".[hybrid]\")")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="folder with train.csv, val.csv, test.csv (default: ../shared/benchmarks/clinc150 "
                             "next to the repository)")
    parser.add_argument("--out", type=Path,
                        help="results JSON (default benchmarks/results/clinc150[.hybrid][.quick].json)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_ROWS_PER_LABEL} train rows per intent, one candidate per system; "
                             "does not touch benchmarks/README.md")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="candidates fitted at a time (default: 2, or 1 on one CPU)")
    parser.add_argument("--no-readme", action="store_true", help="do not write benchmarks/README.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run once; write the results JSON, print the markdown, and for a full run update benchmarks/README.md."""
    args = parse_args(argv)
    out = args.out or default_out(args.features, args.quick)
    if missing := missing_splits(args.data_dir):
        print(f"error: {args.data_dir} lacks {', '.join(missing)} (CLINC150 in the label-guide format); "
              "pass --data-dir", file=sys.stderr)
        return 2
    try:
        results = round_floats(run(RunOptions(args.data_dir, out, args.quick, args.jobs, args.features)))
    except MLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(results)
    print(text)
    log(f"wrote {shown(out)}")
    if not args.quick and not args.no_readme:
        update_readme(README, text, args.features)
        log(f"updated {shown(README)} between {' and '.join(MARKERS[args.features])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
