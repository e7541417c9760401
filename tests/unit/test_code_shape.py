"""The package stays readable: modules a newcomer can read in one sitting, functions they can hold in their head.

Limits from issue #12: no module in ml/ over 300 lines, no function in ml/ or
benchmarks/ over 60 (from its ``def`` to its last line, docstring included).
"""

import ast
from pathlib import Path

import pytest

from ml.config import PROJECT_ROOT

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def _python_files(folder: str) -> list[Path]:
    return sorted((PROJECT_ROOT / folder).rglob("*.py"))


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_no_module_in_ml_is_over_300_lines() -> None:
    long = {str(p.relative_to(PROJECT_ROOT)): n for p in _python_files("ml")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, long


@pytest.mark.parametrize("folder", ["ml", "benchmarks"])
def test_no_function_is_over_60_lines(folder: str) -> None:
    long = [entry for path in _python_files(folder) for entry in _long_functions(path)]
    assert not long, long
