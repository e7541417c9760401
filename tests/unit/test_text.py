import pytest

from ml.text import normalize_text, strip_control_characters


@pytest.mark.parametrize(("raw", "expected"), [
    ("Miss  YOU", "miss you"),
    ("sooooo bored", "soo bored"),
    ("don't", "dont"),
    ("don\u2019t", "dont"),
    ("see https://example.com/x?y=1 now", "see url now"),
    ("ｍｉｓｓ ｕ", "miss u"),               # full-width letters fold to ASCII
    ("hey\x00there!", "hey there!"),         # a control character separates words
    ("mi\u200bss you\ufeff", "miss you"),   # zero-width characters inside a word vanish
    ("  \t\n ", ""),
])
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_emoji_survive_including_joined_ones() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert normalize_text(f"miss u 😘 {family}") == f"miss u 😘 {family}"


def test_normalize_is_idempotent() -> None:
    text = "Heyyyy STRANGER!!! don't https://x.y 😘"
    assert normalize_text(normalize_text(text)) == normalize_text(text)


def test_strip_control_characters_keeps_ordinary_text() -> None:
    assert strip_control_characters("a\x07b") == "a b"
    assert strip_control_characters("ça va? 😊") == "ça va? 😊"


def test_ascii_fast_path_matches_the_character_rule() -> None:
    import unicodedata

    for code in range(128):
        char = chr(code)
        expected = " " if unicodedata.category(char) in ("Cc", "Cf") else char
        assert strip_control_characters(f"a{char}b") == f"a{expected}b"
