"""Plain-words explanations for every label, in the project's own words.

The meanings paraphrase two articles ("What's The Meaning Of A Guy Telling You
He Misses You?" and "7 Genius Ways To Make Him Miss You Through Text"); the
label ids are fixed by docs/LABEL_GUIDE.md and a test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class LabelInfo:
    """What the product tells a user about one label.

    ``tone`` is one of genuine, mixed, caution, red_flag, none (meaning task)
    or technique, pitfall (coach task). ``watch_for`` lists what to look for
    next; ``suggestion`` says how to improve a draft (coach task only).
    """

    title: str
    tone: str
    explanation: str
    watch_for: tuple[str, ...] = ()
    suggestion: str | None = None


# The article's three signs that he means it, shown with every meaning answer.
GENUINE_SIGNS = (
    "Things between you keep moving forward, instead of the words coming out of nowhere.",
    "What he does over the next weeks lines up with what he says, online and in person.",
    "He follows the text with effort straight away: he gets in touch and sets up a real date.",
)

MEANING = MappingProxyType({
    "not_ready_to_say_love": LabelInfo(
        title='Not ready to say "I love you"',
        tone="genuine",
        explanation=(
            "He is developing real feelings for you. Saying he misses you is the safe "
            "version of a bigger word he does not feel ready to use yet: a way to let "
            "you know you matter to him."
        ),
        watch_for=("Whether the shy hints turn into plainer words as time goes on.",) + GENUINE_SIGNS,
    ),
    "wants_to_hang_out": LabelInfo(
        title="Wants to see you",
        tone="genuine",
        explanation=(
            "He misses your company and would like to spend time with you face to face. "
            "The text is a nudge for the two of you to make plans."
        ),
        watch_for=("Whether he names a day and place, or leaves all the planning to you.",) + GENUINE_SIGNS,
    ),
    "matching_you": LabelInfo(
        title="Just saying it back",
        tone="mixed",
        explanation=(
            "You said it first and he is returning it, mostly so the moment does not "
            "feel awkward. It may be true, but it tells you little about how he feels."
        ),
        watch_for=("Whether he ever says it first, without being prompted.",) + GENUINE_SIGNS,
    ),
    "hasnt_heard_from_you": LabelInfo(
        title="Misses hearing from you",
        tone="genuine",
        explanation=(
            "You have been quieter than usual and he noticed. He misses your chats and "
            "the laughs you share, which suggests the feelings run both ways."
        ),
        watch_for=("Whether he keeps the conversation going once you reply.",) + GENUINE_SIGNS,
    ),
    "did_something_bad": LabelInfo(
        title="Making up for something",
        tone="caution",
        explanation=(
            "He knows he upset you and is using sweet words to get back on your good "
            "side. The feeling may last only until the trouble blows over."
        ),
        watch_for=(
            "Whether he owns what he did and changes it, or only repeats the sweet words.",
        ) + GENUINE_SIGNS,
    ),
    "feels_you_slipping": LabelInfo(
        title="Feels you slipping away",
        tone="red_flag",
        explanation=(
            "He senses you pulling back and answers with a big emotional statement to "
            "keep you around, without fixing what made you step back. Once you stay, the "
            "old behaviour tends to return."
        ),
        watch_for=(
            "Whether anything actually changes, or the declaration is a patch over the problem.",
        ) + GENUINE_SIGNS,
    ),
    "back_from_silence": LabelInfo(
        title="Back after going silent",
        tone="red_flag",
        explanation=(
            "He dropped out of contact and is now resurfacing with charm, hoping warm "
            "words will make you forget that he disappeared."
        ),
        watch_for=(
            "Whether he explains the silence and sticks around this time, or vanishes again.",
        ) + GENUINE_SIGNS,
    ),
    "wants_something": LabelInfo(
        title="Wants something from you",
        tone="red_flag",
        explanation=(
            "The sudden romance is out of character and seems aimed at getting "
            "something: sex, a rebound after a breakup, or a convenient no-strings setup."
        ),
        watch_for=(
            "Whether the affection survives once he has, or doesn't get, what he was after.",
        ) + GENUINE_SIGNS,
    ),
    "bored_or_lonely": LabelInfo(
        title="Bored or lonely",
        tone="red_flag",
        explanation=(
            "Reaching out is convenient for him right now: he has time to kill or feels "
            "alone, and wants you to fill the gap, usually on his terms and at short notice."
        ),
        watch_for=(
            "Whether he ever makes plans ahead of time, at an hour that suits you too.",
        ) + GENUINE_SIGNS,
    ),
    "wants_to_progress": LabelInfo(
        title="Wants more",
        tone="genuine",
        explanation=(
            "He wants the relationship to become more serious, and missing you is part of "
            "that: he is signalling that he is ready for a next step."
        ),
        watch_for=("Whether he follows through on the step he talks about.",) + GENUINE_SIGNS,
    ),
    "not_about_missing": LabelInfo(
        title='Not a "miss you" message',
        tone="none",
        explanation=(
            "Nothing here says he misses you: it reads as logistics, small talk or "
            "something unrelated, so there is no hidden meaning to decode."
        ),
    ),
})

COACH = MappingProxyType({
    "positive_association": LabelInfo(
        title="Positive association",
        tone="technique",
        explanation=(
            "A light, warm text that asks for nothing. Texts like this leave him in a good "
            "mood, so he links hearing from you with feeling good."
        ),
        suggestion="Keep it short and upbeat, and send it when he has a moment to enjoy it.",
    ),
    "playful_banter": LabelInfo(
        title="Playful banter",
        tone="technique",
        explanation=(
            "Teasing and light challenges build momentum and a bit of suspense, which keeps "
            "the conversation from turning predictable."
        ),
        suggestion="Keep the tease obviously friendly (an emoji helps) and leave him an easy way to hit back.",
    ),
    "genuine_interest": LabelInfo(
        title="Genuine interest",
        tone="technique",
        explanation=(
            "A specific question about something he cares about shows you listened. Real "
            "curiosity is rare, and he will remember it."
        ),
        suggestion="Follow up on his answer; the second question is the one that shows you care.",
    ),
    "emotional_connection": LabelInfo(
        title="Emotional connection",
        tone="technique",
        explanation=(
            "You step into his world: you notice what he is struggling with and cheer what "
            "he achieves. That understanding is what builds a bond."
        ),
        suggestion="Name the specific thing you noticed; concrete beats general praise.",
    ),
    "ignite_memory": LabelInfo(
        title="Ignite a memory",
        tone="technique",
        explanation=(
            "Bringing back a moment, place or inside joke you share makes him relive it, and "
            "the good feeling attaches to you."
        ),
        suggestion="Add a photo or a detail only the two of you would know.",
    ),
    "make_him_feel_desired": LabelInfo(
        title="Make him feel desired",
        tone="technique",
        explanation=(
            "Telling him what you admire and find attractive makes him feel wanted, which "
            "deepens attachment when there are real feelings."
        ),
        suggestion="Be specific about what you like; keep anything racy for someone you trust.",
    ),
    "generic": LabelInfo(
        title="Generic",
        tone="pitfall",
        explanation=(
            "The draft could be sent to anyone on any day. Fine now and then, but as a habit "
            "it gives him nothing to answer and nothing to remember."
        ),
        suggestion=(
            "Ask about something specific he told you, for example: "
            "\"did the interview with the design team go ok?\""
        ),
    ),
    "taking": LabelInfo(
        title="Only asking for something",
        tone="pitfall",
        explanation=(
            "The text exists to get something from him. When most texts are requests, "
            "hearing from you starts to feel like a chore."
        ),
        suggestion=(
            "Send the request with warmth, or connect first and ask later, for example: "
            "\"hope work's been kind today 😊 random favour: could you help me move the couch sat?\""
        ),
    ),
    "criticizing": LabelInfo(
        title="Criticizing",
        tone="pitfall",
        explanation=(
            "Lecturing or criticizing by text puts him on the defensive and links your name "
            "on his screen with feeling judged."
        ),
        suggestion=(
            "Raise real problems face to face, and by text say what you would like instead: "
            "\"I love hearing from you, a quick text when you're running late would mean a lot\"."
        ),
    ),
    "drama": LabelInfo(
        title="Stirring drama",
        tone="pitfall",
        explanation=(
            "Guilt trips, jealousy and vague hints at trouble create negative drama; he comes "
            "to dread the next message instead of looking forward to it."
        ),
        suggestion=(
            "Say what you feel plainly, or wait until you can talk: "
            "\"I felt a bit left out tonight, can we talk tomorrow?\""
        ),
    ),
    "desperate": LabelInfo(
        title="Desperate",
        tone="pitfall",
        explanation=(
            "Pushing for an answer, especially while he is busy, reads as needy pressure and "
            "makes replying feel like an obligation."
        ),
        suggestion=(
            "Give him room and send one relaxed text for when he is free: "
            "\"no rush, hope the shift's going ok, talk tonight?\""
        ),
    ),
})

# Why an answer is unsure, in plain words; keys are the reason ids of ml.unsure.
UNSURE_EXPLANATIONS: Mapping[str, str] = MappingProxyType({
    "no_known_words": "None of the message's words are ones the model has learned from, so it has nothing to go on.",
    "no_scenario_cue": (
        "It says he misses you, but nothing in the message or the situation points to one scenario: "
        "the text alone can't tell which. What he does next tells you more than the words."
    ),
    "low_confidence": "No scenario stands out: the best guess is still a weak one.",
    "too_close": "Two readings fit about equally well, so the model won't pick one.",
    "red_flag_below_bar": (
        "The best guess is a red flag, but the evidence isn't strong enough to call it one: "
        "a red flag is only shown when the words clearly point to it."
    ),
})

CATALOGS: Mapping[str, Mapping[str, LabelInfo]] = MappingProxyType({"meaning": MEANING, "coach": COACH})
