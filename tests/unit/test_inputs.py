"""Input that used to slip through: each case gets a clear project error, or a sound answer."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.cli import main
from ml.config import MAX_DATA_BYTES, MAX_NAME_CHARS
from ml.data import read_examples, read_limited
from ml.errors import (
    DataError,
    InputError,
    InvalidTextError,
    MessageTooLongError,
    MessageTypeError,
    MLError,
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("message", ["אני מתגעגע אליך", "σου λείπω πολύ"])
def test_a_message_with_no_known_feature_is_unsure(tiny_model, message: str) -> None:
    assert tiny_model.interpret(message).unsure
    assert tiny_model.interpret(message, context="he ghosted me").unsure  # context alone is not enough


def test_zero_width_characters_inside_a_word_are_removed(tiny_model) -> None:
    plain = tiny_model.interpret("miss u, dinner friday?")
    assert tiny_model.interpret("mi\u200bss u, din\ufeffner fri\u2060day?").ranking == plain.ranking


def test_a_lone_surrogate_is_a_clear_input_error(tiny_model) -> None:
    with pytest.raises(InvalidTextError, match="lone surrogate"):
        tiny_model.interpret("miss \ud83d you")
    with pytest.raises(InvalidTextError, match="context"):
        tiny_model.interpret("miss you", context="\udc00")


@pytest.mark.parametrize(("name", "error"), [
    (42, MessageTypeError),
    ("S" * (MAX_NAME_CHARS + 1), MessageTooLongError),
    ("Sam\ud800", InvalidTextError),
])
def test_his_name_is_checked_like_a_message(tiny_model, name: object, error: type) -> None:
    with pytest.raises(error, match="his_name"):
        tiny_model.interpret("hey you", his_name=name)


@pytest.mark.parametrize(("draft", "name"), [
    ("José, dinner friday?", "JOSE\u0301"),
    ("JOSÉ dinner friday?", "josé"),
    ("ｊｏｓé, dinner?", "José"),
])
def test_his_name_matches_across_unicode_spellings_and_case(draft: str, name: str) -> None:
    from ml.coach import name_used

    assert name_used(draft, name)


def test_his_name_still_needs_a_whole_word() -> None:
    from ml.coach import name_used

    assert not name_used("the same old thing", "Sam")


@pytest.mark.parametrize("batch", [None, {"message": "hi"}, 42])
def test_interpret_many_refuses_what_is_not_a_list_of_messages(tiny_model, batch: object) -> None:
    with pytest.raises(MessageTypeError, match="list of messages"):
        tiny_model.interpret_many(batch)


@pytest.mark.parametrize("count", [0, -1, True, 2.5, "3"])
def test_evidence_terms_must_be_a_positive_integer(tiny_model, count: object) -> None:
    with pytest.raises(InputError, match="evidence_terms"):
        tiny_model.interpret("hi there", evidence_terms=count)


def test_evaluate_holds_rows_to_the_interpret_rules_naming_the_row(capsys, tiny_model_dir: Path,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "outside.csv"
    pd.DataFrame({"message": ["dinner friday?", "x" * 2001], "label": ["hang", "hang"]}).to_csv(data, index=False)
    code, _, err = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(data))
    assert code == 2 and "message in row 2 has 2,001 characters" in err


def test_batch_prediction_names_the_same_1_based_row_as_the_file(capsys, tiny_model_dir: Path,
                                                                 tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    pd.DataFrame({"message": ["dinner friday?", "fine", "   "]}).to_csv(source, index=False)
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", str(source),
                       "--output", str(tmp_path / "out.csv"))
    assert code == 2 and "message in row 3 is empty" in err


def test_an_oversized_or_endless_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="over the 10-byte limit"):
        read_limited(io.BytesIO(b"x" * 11), 10, "data")
    with open("/dev/zero", "rb") as endless, pytest.raises(DataError, match=f"over the {MAX_DATA_BYTES:,}-byte"):
        read_limited(endless, MAX_DATA_BYTES, "/dev/zero")


def test_predict_refuses_dev_zero_as_input(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", "/dev/zero",
                       "--output", str(tmp_path / "out.csv"))
    assert code == 2 and "byte limit" in err


def test_duplicate_column_names_are_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("message,label,message\nhi,a,there\n", encoding="utf-8")
    with pytest.raises(DataError, match="'message' appear more than once"):
        read_examples(path)


def test_undecodable_stdin_is_a_clear_error(capsys, tiny_model_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"miss you\n\xff\xfe bad\n")))
    code, out, err = run(capsys, "predict", "--model", str(tiny_model_dir))
    assert code == 2 and out == "" and "standard input: not UTF-8 text" in err


def test_output_equal_to_input_is_refused_and_the_input_kept(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("message\ndinner friday?\n", encoding="utf-8")
    code, _, err = run(capsys, "predict", "--model", str(tiny_model_dir), "--input", str(source),
                       "--output", str(tmp_path / "." / "in.csv"))
    assert code == 2 and "same file as --input" in err
    assert source.read_text(encoding="utf-8") == "message\ndinner friday?\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=st.text(st.characters(codec=None, exclude_categories=()), max_size=300),
       context=st.none() | st.text(st.characters(exclude_categories=()), max_size=50))
def test_any_text_is_answered_soundly_or_refused_with_a_project_error(tiny_model, message: str,
                                                                      context: str | None) -> None:
    try:
        result = tiny_model.interpret(message, context)
    except MLError:
        return
    assert sum(p for _, p in result.ranking) == pytest.approx(1.0)
    printed = json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # as the CLI prints it
    assert json.loads(printed)["label"] == result.label
