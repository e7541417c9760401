"""Loading: every malformed file gets a DataError that names the problem and the rows."""

from pathlib import Path

import pytest

from ml.data import read_examples, read_messages, split_holdout
from ml.errors import DataError

LABELS = ("a", "b")


def write(tmp_path: Path, text: str | bytes, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_reads_the_guide_format_and_keeps_text_as_typed(tmp_path: Path) -> None:
    path = write(tmp_path, 'message,context,label\n"hi, you",,a\nNA,he said null,b\n')
    frame = read_examples(path, LABELS)
    assert frame["message"].tolist() == ["hi, you", "NA"]  # "NA" is a message, not a missing value
    assert frame["context"].tolist() == ["", "he said null"]


def test_context_column_is_optional_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    frame = read_examples(write(tmp_path, "label,message,split\na,hello,test\n"), LABELS)
    assert list(frame.columns) == ["message", "context", "label"]
    assert frame.loc[0, "context"] == ""


@pytest.mark.parametrize(("content", "fragment"), [
    ("message,context\nhi,\n", "missing column(s) label"),
    ("message,context,label\n   ,,a\n", "message in row 1 is empty once cleaned"),
    ("message,context,label\nhi,,a\nyo,,\n", "empty label in row(s) 2"),
    ("message,context,label\nhi,,a\nyo,,zzz\n", "unknown label(s) 'zzz' in row(s) 2"),
    ("message,context,label\nhi,,a,extra,fields\n", "malformed CSV"),
    ('message,context,label\n"unclosed,,a\nyo,,b\n', "malformed CSV"),
    ("", "empty"),
    ("message,context,label\n", "no rows"),
])
def test_malformed_files_raise_specific_errors(tmp_path: Path, content: str, fragment: str) -> None:
    with pytest.raises(DataError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        read_examples(write(tmp_path, content), LABELS)


def test_non_utf8_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not UTF-8"):
        read_examples(write(tmp_path, "message,context,label\ncaf\xe9,,a\n".encode("latin-1")), LABELS)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_examples(tmp_path / "nope.csv")


def test_many_bad_rows_are_summarised(tmp_path: Path) -> None:
    body = "".join("x,,bad\n" for _ in range(8))
    with pytest.raises(DataError, match=r"row\(s\) 1, 2, 3, 4, 5 and 3 more"):
        read_examples(write(tmp_path, "message,context,label\n" + body), LABELS)


def test_read_messages_needs_only_a_message_column(tmp_path: Path) -> None:
    frame = read_messages(write(tmp_path, "message\nhello\n"))
    assert frame.to_dict("records") == [{"message": "hello", "context": ""}]
    with pytest.raises(DataError, match="missing column message"):
        read_messages(write(tmp_path, "text\nhello\n", "other.csv"))


def test_split_is_seeded_and_stratified(tiny_frame) -> None:
    train_a, held_a = split_holdout(tiny_frame, 1 / 3, seed=1)
    train_b, held_b = split_holdout(tiny_frame, 1 / 3, seed=1)
    assert held_a.equals(held_b) and train_a.equals(train_b)
    assert held_a["label"].value_counts().to_dict() == {"hang": 2, "silence": 2, "other": 2}
