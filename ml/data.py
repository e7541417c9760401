"""Reading and checking datasets in the label-guide CSV format.

Every CSV that enters the package goes through :func:`read_examples`, so the
training data, the held-out split and any outside evaluation set are held to
one contract: columns ``message`` and ``label`` (``context`` optional, extra
columns ignored), UTF-8, no empty message, labels from the task.
"""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from sklearn.model_selection import train_test_split

from ml.config import BATCH_CHUNK_ROWS, MAX_DATA_BYTES, MAX_LINE_BYTES
from ml.errors import DataError, InputError
from ml.inputs import check_context, check_message

COLUMNS = ("message", "context", "label")
_MAX_LISTED = 5


def _rows(index: pd.Index) -> str:
    """Human row numbers (1 = first data row) for an error message."""
    shown = ", ".join(str(i + 1) for i in index[:_MAX_LISTED])
    return shown + (f" and {len(index) - _MAX_LISTED} more" if len(index) > _MAX_LISTED else "")


def read_limited(handle: BinaryIO, limit: int, what: str) -> str:
    """At most ``limit`` bytes of UTF-8 text from ``handle``; more, or bytes that are not UTF-8, is a DataError.

    Reading one byte past the limit is how an endless source (``/dev/zero``) is
    refused without being read to the end.
    """
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise DataError(f"{what} is over the {limit:,}-byte limit; split it into smaller files")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start + 1})") from None


def _check_header(text: str, path: Path) -> None:
    header = [name.strip() for name in next(csv.reader(io.StringIO(text)), [])]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: column(s) {', '.join(map(repr, repeated))} appear more than once in the header")


def _read_csv(path: Path) -> pd.DataFrame:
    """Every cell as text, empty cells as "" (never NaN), or a DataError naming the file."""
    try:
        with open(path, "rb") as handle:
            text = read_limited(handle, MAX_DATA_BYTES, str(path))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    try:
        _check_header(text, path)
        with warnings.catch_warnings():
            # index_col=False stops pandas from silently turning extra leading fields into an
            # index (which shifts every column); the warning it gives instead becomes an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=False,
                                skip_blank_lines=False)  # a blank line is a row: row numbers match the file
    except pd.errors.ParserWarning:
        raise DataError(f"{path}: malformed CSV (a row has more fields than the header; "
                        "quote fields that contain commas)") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header row message,context,label") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_examples(path: str | Path, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Load a label-guide CSV as a DataFrame with columns message, context, label.

    ``labels`` is the allowed label set; None accepts whatever the file holds.
    Raises DataError naming the file and the offending rows when the file is
    missing, not UTF-8, not parseable, lacks a column, has an empty message or
    label, or uses a label outside ``labels``.
    """
    return validate_examples(_read_csv(Path(path)), labels, source=str(path))


def _bounded_lines(handle: BinaryIO, what: str) -> Iterator[str]:
    """The decoded lines of ``handle``, each at most ``MAX_LINE_BYTES``: a stream's memory stays flat
    and an endless source with no newline (``/dev/zero``) is refused after one line's worth of bytes."""
    for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
        if len(raw) > MAX_LINE_BYTES:
            raise DataError(f"{what}: line {number} is over the {MAX_LINE_BYTES:,}-byte limit; "
                            "is this a text file with one row per line?")
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{what}: not UTF-8 text ({exc.reason} in line {number})") from None


def iter_message_lines(handle: BinaryIO, chunk_rows: int, what: str = "standard input") -> Iterator[list[str]]:
    """One message per non-empty line, in lists of at most ``chunk_rows``: ``predict`` on standard input."""
    chunk: list[str] = []
    for line in _bounded_lines(handle, what):
        if line.strip():
            chunk.append(line.rstrip("\r\n"))
            if len(chunk) == chunk_rows:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def iter_message_chunks(path: str | Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Unlabelled messages for batch prediction, streamed: frames of at most ``chunk_rows`` rows.

    Columns ``message`` and ``context`` ("" when the file has none; other
    columns are ignored); the index is the 0-based data row in the file, so
    row errors downstream name the file's 1-based row however the file was
    chunked. Malformed CSV (a row with more fields than the header, an
    unclosed quote), repeated or missing columns, non-UTF-8 bytes and
    over-long lines raise DataError naming the file and the row or line.
    A row with fewer fields than the header, or a blank line, is a row of
    empty fields (as in :func:`read_examples`).
    """
    source = str(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{source}: is a directory, not a CSV file") from None
    with handle:
        rows = csv.reader(_bounded_lines(handle, source), strict=True)
        try:
            header = [name.strip() for name in next(rows)]
        except StopIteration:
            raise DataError(f"{source}: the file is empty; expected a header row with a message column") from None
        except csv.Error as exc:
            raise DataError(f"{source}: malformed CSV in the header ({exc})") from None
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise DataError(f"{source}: column(s) {', '.join(map(repr, repeated))} appear more than once "
                            "in the header")
        if "message" not in header:
            raise DataError(f"{source}: missing column message; found {', '.join(header)}")
        message_at = header.index("message")
        context_at = header.index("context") if "context" in header else None
        width, first = len(header), 0
        messages: list[str] = []
        contexts: list[str] = []
        while True:
            try:
                row = next(rows, None)
            except csv.Error as exc:
                raise DataError(f"{source}: malformed CSV in row {first + len(messages) + 1} ({exc})") from None
            if row is not None:
                if len(row) > width:
                    raise DataError(f"{source}: malformed CSV (row {first + len(messages) + 1} has more fields "
                                    "than the header; quote fields that contain commas)")
                messages.append(row[message_at] if message_at < len(row) else "")
                contexts.append(row[context_at] if context_at is not None and context_at < len(row) else "")
            if messages and (row is None or len(messages) == chunk_rows):
                yield pd.DataFrame({"message": messages, "context": contexts},
                                   index=pd.RangeIndex(first, first + len(messages)))
                first, messages, contexts = first + len(messages), [], []
            if row is None:
                return


def read_messages(path: str | Path) -> pd.DataFrame:
    """All of a file's messages in one frame (see :func:`iter_message_chunks`): one Dask partition per file."""
    chunks = list(iter_message_chunks(path, BATCH_CHUNK_ROWS))
    if not chunks:
        return pd.DataFrame({"message": pd.Series(dtype=object), "context": pd.Series(dtype=object)})
    return pd.concat(chunks)


def validate_examples(frame: pd.DataFrame, labels: tuple[str, ...] | None = None,
                      source: str = "data") -> pd.DataFrame:
    """Check a DataFrame against the contract and return the three columns, cleaned.

    Labels are stripped of surrounding spaces; messages are kept exactly as typed.
    """
    missing = [c for c in ("message", "label") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}. "
            "Expected a header row message,context,label (context optional)"
        )
    frame = frame.reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{source}: no rows")
    out = pd.DataFrame({
        "message": frame["message"].fillna("").astype(str),
        "context": frame["context"].fillna("").astype(str) if "context" in frame.columns else "",
        "label": frame["label"].fillna("").astype(str).str.strip(),
    })
    _check_texts(out, source)
    no_label = out.index[out["label"] == ""]
    if len(no_label):
        raise DataError(f"{source}: empty label in row(s) {_rows(no_label)}")
    if labels is not None:
        unknown = out.index[~out["label"].isin(labels)]
        if len(unknown):
            names = sorted(out.loc[unknown, "label"].unique())
            raise DataError(
                f"{source}: unknown label(s) {', '.join(map(repr, names))} in row(s) {_rows(unknown)}; "
                f"allowed: {', '.join(labels)}"
            )
    return out


def _check_texts(frame: pd.DataFrame, source: str) -> None:
    """Hold every row to the rules ``interpret`` applies (length, valid text, not empty once cleaned)."""
    problems = []
    for row, (message, context) in enumerate(zip(frame["message"], frame["context"], strict=True), 1):
        try:
            check_message(message, row)
            check_context(context, row)
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        more = f" (and {len(problems) - 1} more row(s) with problems)" if len(problems) > 1 else ""
        raise DataError(f"{source}: {problems[0]}{more}")


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks so large models do not load twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def split_holdout(frame: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded stratified split into (train, held-out); the same seed gives the same rows."""
    train, held_out = train_test_split(frame, test_size=fraction, stratify=frame["label"], random_state=seed)
    return train.reset_index(drop=True), held_out.reset_index(drop=True)
