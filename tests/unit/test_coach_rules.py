import pytest

from ml.coach import VOICE_TIP, advise, name_used


@pytest.mark.parametrize(("draft", "expected"), [
    ("hey Sam!", True), ("SAM, you there", True), ("miss u sam 😘", True), ("sam.", True),
    ("same here", False), ("Samantha says hi", False), ("hey you", False),
])
def test_name_is_matched_as_a_whole_word_ignoring_case(draft: str, expected: bool) -> None:
    assert name_used(draft, "Sam") is expected


def test_names_with_regex_characters_are_literal() -> None:
    assert name_used("hi J.R.!", "J.R.") and not name_used("hi JxRx", "J.R.")


def test_advice_suggests_the_name_only_when_missing() -> None:
    used, tips = advise("hope the game was fun!", "positive_association", "Sam")
    assert used is False and any("Sam" in tip for tip in tips)
    used, tips = advise("hope the game was fun Sam!", "positive_association", "Sam")
    assert used is True and not any(tip.startswith("Use his name") for tip in tips)
    assert advise("hi", "generic", None)[0] is None


def test_voice_tip_only_for_warm_techniques() -> None:
    assert VOICE_TIP in advise("bet u cant beat me at pool", "playful_banter", None)[1]
    assert VOICE_TIP not in advise("why arent u answering??", "desperate", None)[1]
