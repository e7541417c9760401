"""Re-run notebooks and save their outputs: ``python -m ml.notebooks notebooks/*.ipynb``.

The notebooks are committed with their outputs so they read well on GitHub;
this regenerates those outputs (``make notebooks``), and the tests call
:func:`execute_notebook` on a temporary copy so a broken notebook fails the suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

KERNEL = "python3"
TIMEOUT_SECONDS = 600


def execute_notebook(path: str | Path, out_path: str | Path | None = None, *, cwd: str | Path | None = None,
                     timeout: int = TIMEOUT_SECONDS):
    """Run every cell of ``path`` top to bottom and write the result to ``out_path`` (default: in place).

    Cells run with the notebook's own directory as the working directory
    (``cwd`` overrides it). Per-cell timing metadata is not recorded, so
    re-running an unchanged notebook only changes what the code prints.
    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing
    cell, without writing anything. Returns the executed notebook.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=KERNEL, timeout=timeout, record_timing=False,
                            resources={"metadata": {"path": str(Path(cwd) if cwd is not None else path.parent)}})
    client.execute()
    nbformat.write(notebook, Path(out_path) if out_path is not None else path)
    return notebook


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks to execute in place")
    args = parser.parse_args(argv)
    from nbclient.exceptions import CellExecutionError

    for path in args.paths:
        started = time.perf_counter()
        print(f"executing {path} ...", file=sys.stderr, flush=True)
        try:
            execute_notebook(path)
        except CellExecutionError as exc:
            print(f"error: {path} failed, left unchanged:\n{exc}", file=sys.stderr)
            return 1
        print(f"saved {path} ({time.perf_counter() - started:.1f}s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
