"""The coach task's two rules that are not labels: using his name, and voice notes.

The second article recommends saying his name now and then, and mixing voice
messages into texting; neither is something a text classifier can label, so
they are checked by rule and returned as tips next to the label.
"""

from __future__ import annotations

import re
import unicodedata

# Warm techniques read even better spoken; pitfalls should not be sent at all.
VOICE_FRIENDLY = frozenset({"positive_association", "playful_banter", "emotional_connection",
                            "ignite_memory", "make_him_feel_desired"})

VOICE_TIP = ("Try this one as a short voice message: your tone carries the warmth or the tease, "
             "and hearing you say his name lands more strongly than reading it.")


def _comparable(text: str) -> str:
    """NFKC then casefold: "JOSE" + combining accent, "José" and "ｊｏｓé" all become "josé"."""
    return unicodedata.normalize("NFKC", text).casefold()


def name_used(draft: str, his_name: str) -> bool:
    """Whether ``his_name`` appears in ``draft`` as a whole word, ignoring case and Unicode spelling.

    "Sam" matches "sam!" and "SAM," but not "same" or "Samantha".
    """
    pattern = r"(?<!\w)" + re.escape(_comparable(his_name.strip())) + r"(?!\w)"
    return re.search(pattern, _comparable(draft)) is not None


def advise(draft: str, label: str, his_name: str | None) -> tuple[bool | None, tuple[str, ...]]:
    """(whether his name is used, or None when no name was given; tips for this draft)."""
    tips: list[str] = []
    used: bool | None = None
    if his_name is not None and his_name.strip():
        used = name_used(draft, his_name)
        if not used:
            tips.append(f"Use his name now and then (\"{his_name.strip()}, ...\"): hearing or reading his own "
                        "name makes a message feel more personal.")
    if label in VOICE_FRIENDLY:
        tips.append(VOICE_TIP)
    return used, tuple(tips)
