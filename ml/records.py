"""Strict reading of JSON objects into typed records.

Model metadata is read back from a file someone else may have edited, so each
field is taken by name with its type and range checked, and leftovers are an
error too: a misspelt or injected key must not be silently ignored. Errors name
the field by its dotted path (``config.settings.C``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TypeVar

from ml.errors import MetadataError

Choice = TypeVar("Choice")

LABEL_PATTERN = r"[^\x00-\x1f]{1,100}"  # a label id as model metadata may record it


class Fields:
    """The fields of one JSON object, each taken exactly once, checked on the way out."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise MetadataError(f"{where} must be an object, got {type(data).__name__}")
        self._data = data
        self._where = where
        self._taken: set[str] = set()

    def _take(self, name: str) -> object:
        if name not in self._data:
            raise MetadataError(f"{self.path(name)} is missing")
        self._taken.add(name)
        return self._data[name]

    def path(self, name: str) -> str:
        return f"{self._where}.{name}" if self._where else name

    def integer(self, name: str, low: int, high: int | None = None) -> int:
        value = self._take(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise MetadataError(f"{self.path(name)} must be an integer, got {value!r}")
        if value < low or (high is not None and value > high):
            raise MetadataError(f"{self.path(name)} must be in [{low}, {high if high is not None else '∞'}], "
                                f"got {value}")
        return value

    def number(self, name: str, low: float, high: float, *, low_open: bool = False) -> float:
        value = self._take(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise MetadataError(f"{self.path(name)} must be a finite number, got {value!r}")
        if value < low or value > high or (low_open and value == low):
            bracket = "(" if low_open else "["
            raise MetadataError(f"{self.path(name)} must be in {bracket}{low:g}, {high:g}], got {value!r}")
        return float(value)

    def optional_number(self, name: str, low: float, high: float, *, low_open: bool = False) -> float | None:
        """Like :meth:`number`, but null is allowed too (the key must still be present)."""
        if name in self._data and self._data[name] is None:
            self._taken.add(name)
            return None
        return self.number(name, low, high, low_open=low_open)

    def text(self, name: str, pattern: str = r".{1,200}") -> str:
        value = self._take(name)
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise MetadataError(f"{self.path(name)} must be text matching {pattern}, got {value!r}")
        return value

    def optional_text(self, name: str, pattern: str = r".{1,200}") -> str | None:
        """Like :meth:`text`, but null is allowed too."""
        if self._data.get(name, "") is None:
            self._taken.add(name)
            return None
        return self.text(name, pattern)

    def boolean(self, name: str) -> bool:
        value = self._take(name)
        if not isinstance(value, bool):
            raise MetadataError(f"{self.path(name)} must be true or false, got {value!r}")
        return value

    def choice(self, name: str, allowed: tuple[Choice, ...]) -> Choice:
        """The one of ``allowed`` the value equals (same type too: True is not 1)."""
        value = self._take(name)
        for option in allowed:
            if type(value) is type(option) and value == option:
                return option
        raise MetadataError(f"{self.path(name)} must be one of {', '.join(map(repr, allowed))}, got {value!r}")

    def int_pair(self, name: str, low: int, high: int) -> tuple[int, int]:
        """An ordered pair (a, b) with low <= a <= b <= high, e.g. an n-gram range."""
        value = self._take(name)
        if (not isinstance(value, list | tuple) or len(value) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
                or not low <= value[0] <= value[1] <= high):
            raise MetadataError(f"{self.path(name)} must be a pair [a, b] with {low} <= a <= b <= {high}, "
                                f"got {value!r}")
        return int(value[0]), int(value[1])

    def text_list(self, name: str, pattern: str, min_items: int) -> tuple[str, ...]:
        value = self._take(name)
        if (not isinstance(value, list) or len(value) < min_items
                or any(not isinstance(v, str) or not re.fullmatch(pattern, v) for v in value)):
            raise MetadataError(f"{self.path(name)} must be a list of at least {min_items} texts matching "
                                f"{pattern}, got {value!r}")
        if len(set(value)) != len(value):
            raise MetadataError(f"{self.path(name)} repeats an entry")
        return tuple(value)

    def nested(self, name: str) -> tuple[object, str]:
        """The raw value of a nested object (or null) and its path, for that record's own ``from_dict``."""
        return self._take(name), self.path(name)

    def done(self) -> None:
        """Raise if the object holds a key no reader asked for."""
        unknown = sorted(str(key) for key in self._data if key not in self._taken)
        if unknown:
            raise MetadataError(f"{self._where or 'metadata'} has unknown field(s) {', '.join(unknown)}")
