"""The notebooks run top to bottom on a fresh checkout, and their committed outputs are what they show now.

Each notebook is executed into a temporary directory (the committed files are
only read), the way ``make notebooks`` executes them in place.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from ml.catalog import COACH
from ml.config import PROJECT_ROOT
from ml.notebooks import execute_notebook

pytestmark = pytest.mark.model

NOTEBOOKS = PROJECT_ROOT / "notebooks"
# Figures each notebook must produce: both tasks' charts (01: 4 meaning + 3 coach; 02: 7 + 6).
MIN_IMAGES = {"01-explore-data.ipynb": 7, "02-model-and-errors.ipynb": 13}


def _images(notebook) -> int:
    return sum("image/png" in output.get("data", {})
               for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs)


def _shown(notebook) -> list[tuple[str, ...]]:
    """Per code cell, what a reader sees: its stdout and stderr, each text form of each result, "<image>" per image."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        streams = {"stdout": "", "stderr": ""}  # one stream may arrive split over several outputs
        shown = []
        for output in cell.outputs:
            if output.output_type == "stream":
                streams[output.name] += output.text
            elif output.output_type == "error":
                shown.append(f"error: {output.ename}: {output.evalue}")
            else:
                data = output.get("data", {})
                shown.extend(f"{kind}: {data[kind]}" for kind in sorted(data) if kind.startswith("text/"))
                shown.extend("<image>" for kind in data if kind.startswith("image/"))
        cells.append((f"stdout: {streams['stdout']}", f"stderr: {streams['stderr']}", *shown))
    return cells


def _outputs_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(v for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def test_every_notebook_is_covered() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(MIN_IMAGES)


@pytest.fixture(scope="module", params=sorted(MIN_IMAGES))
def executed(request, tmp_path_factory: pytest.TempPathFactory):
    name = request.param
    workdir = tmp_path_factory.mktemp("notebooks")
    copy = workdir / name
    shutil.copy(NOTEBOOKS / name, copy)
    return name, execute_notebook(copy, cwd=workdir)


def test_runs_without_errors_or_warnings(executed) -> None:
    name, notebook = executed
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], name
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"{name} wrote to stderr (warnings?): {stderr}"


def test_draws_its_figures(executed) -> None:
    name, notebook = executed
    assert _images(notebook) >= MIN_IMAGES[name]


def test_first_code_cell_is_the_task_parameter(executed) -> None:
    name, notebook = executed
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", []), name
    assert 'TASK = "meaning"' in first.source and 'OTHER_TASK = "coach"' in first.source


def test_covers_the_coach_task(executed) -> None:
    name, notebook = executed
    assert any(cell.cell_type == "markdown" and cell.source.startswith("---\n## The coach task")
               for cell in notebook.cells), name
    text = _outputs_text(notebook)
    assert [label for label in COACH if label not in text] == []  # every coach label shows up


def test_committed_copy_has_current_outputs(executed) -> None:
    """The committed notebook holds what a run of the current code shows (saved by ``make notebooks``).

    Every code cell's printed text, tables and returned values must equal the
    fresh run's; an image only has to be there, because its PNG bytes vary
    with the matplotlib and font versions while the numbers it plots are in
    the text of the same or an earlier cell.
    """
    name, notebook = executed
    committed = nbformat.read(NOTEBOOKS / name, as_version=4)
    saved, fresh = _shown(committed), _shown(notebook)
    assert len(saved) == len(fresh), f"{name}: cells were added or removed since the run; run `make notebooks`"
    stale = [i for i, (old, new) in enumerate(zip(saved, fresh, strict=True)) if old != new]
    assert not stale, f"{name}: code cells {stale} show other outputs than a fresh run; run `make notebooks`"


def test_outputs_hold_no_machine_paths(executed) -> None:
    name, _ = executed
    text = _outputs_text(nbformat.read(NOTEBOOKS / name, as_version=4))
    assert str(PROJECT_ROOT) not in text and "/home/" not in text and "site-packages" not in text, name
