"""The explanation catalogue must match the label guide, the contract for every dataset."""

import re

import pytest

from ml.catalog import CATALOGS
from ml.config import LABEL_GUIDE, PROJECT_ROOT
from ml.tasks import TASKS

TONES = {"meaning": {"genuine", "mixed", "caution", "red_flag", "none"}, "coach": {"technique", "pitfall"}}


def guide_ids(task: str) -> list[str]:
    """Label ids from the guide's table under '## Task `<task>`'."""
    text = LABEL_GUIDE.read_text(encoding="utf-8")
    section = text.split(f"## Task `{task}`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


@pytest.mark.parametrize("task", ["meaning", "coach"])
def test_catalogue_ids_equal_the_guide_ids(task: str) -> None:
    assert guide_ids(task), "could not read any ids from the guide"
    assert list(CATALOGS[task]) == guide_ids(task)
    assert list(TASKS[task].labels) == guide_ids(task)


@pytest.mark.parametrize("task", ["meaning", "coach"])
def test_every_entry_is_complete(task: str) -> None:
    for label, info in CATALOGS[task].items():
        assert info.title and len(info.explanation) > 40, label
        assert info.tone in TONES[task], label
        if task == "coach":
            assert info.suggestion, label


def test_meaning_tones_follow_the_guide() -> None:
    text = LABEL_GUIDE.read_text(encoding="utf-8")
    for label, info in CATALOGS["meaning"].items():
        row = re.search(rf"^\| `{label}` \| [^|]+ \| (\w+) \|", text, flags=re.MULTILINE)
        assert row and row.group(1) == info.tone, label


def test_genuine_signs_are_shown_with_every_meaning_answer_but_the_negative() -> None:
    for label, info in CATALOGS["meaning"].items():
        assert (len(info.watch_for) >= 3) == (label != "not_about_missing"), label


def test_docs_copy_of_the_guide_matches_the_shared_one() -> None:
    shared = PROJECT_ROOT.parent / "shared" / "LABEL_GUIDE.md"
    if not shared.is_file():
        pytest.skip("no ../shared checkout beside the repo")
    assert LABEL_GUIDE.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")
