"""The library API: input checks, the shape of an answer, batch = single, exact evidence."""

import numpy as np
import pandas as pd
import pytest

from ml import explain
from ml.config import MAX_MESSAGE_CHARS
from ml.errors import EmptyMessageError, InputError, MessageTooLongError, MessageTypeError, MLError
from ml.pipeline import classifier_step, feature_step


@pytest.mark.parametrize(("message", "error"), [
    (None, MessageTypeError),
    (42, MessageTypeError),
    (b"bytes", MessageTypeError),
    ("", EmptyMessageError),
    ("   \n\t", EmptyMessageError),
    ("\x00\x07\u200b", EmptyMessageError),
    ("x" * (MAX_MESSAGE_CHARS + 1), MessageTooLongError),
])
def test_bad_messages_raise_specific_errors(tiny_model, message, error) -> None:
    with pytest.raises(error) as caught:
        tiny_model.interpret(message)
    assert isinstance(caught.value, MLError) and str(caught.value)


def test_bad_context_raises(tiny_model) -> None:
    with pytest.raises(MessageTypeError, match="context"):
        tiny_model.interpret("hi", context=3)
    with pytest.raises(MessageTooLongError, match="context"):
        tiny_model.interpret("hi", context="y" * 100_000)


@pytest.mark.parametrize("message", ["😘", "miss u\x00 😭\u200b", "ｍｉｓｓ ｙｏｕ", "x" * MAX_MESSAGE_CHARS, "¿qué?"])
def test_unusual_but_valid_text_is_interpreted(tiny_model, message) -> None:
    result = tiny_model.interpret(message)
    assert result.label in tiny_model.labels


def test_ranking_is_complete_sorted_and_sums_to_one(tiny_model) -> None:
    result = tiny_model.interpret("hey stranger", context="he ghosted me")
    probabilities = [p for _, p in result.ranking]
    assert sorted(label for label, _ in result.ranking) == sorted(tiny_model.labels)
    assert probabilities == sorted(probabilities, reverse=True)
    assert abs(sum(probabilities) - 1.0) < 1e-9
    assert result.label == result.ranking[0][0] and result.probability == probabilities[0]
    assert result.candidates == result.ranking[:3]


def test_batch_equals_single_and_accepts_a_dataframe(tiny_model) -> None:
    messages, contexts = ["dinner friday?", "long time no talk"], ["", "he went quiet in may"]
    singles = [tiny_model.interpret(m, c) for m, c in zip(messages, contexts, strict=True)]
    assert tiny_model.interpret_many(messages, contexts) == singles
    assert tiny_model.interpret_many(pd.DataFrame({"message": messages, "context": contexts})) == singles


def test_each_rows_evidence_is_its_own_when_a_batch_shares_words_between_rows(tiny_model) -> None:
    # Evidence is summed for the whole batch at once; rows sharing words and n-grams must not leak into each other.
    messages = ["miss you miss you", "miss u", "hey stranger!! miss you", "qqqq zzzz", "🙂", "missing u, stranger"]
    alone = [tiny_model.interpret(m, evidence_terms=10) for m in messages]
    together = tiny_model.interpret_many(messages, evidence_terms=10)
    assert [r.evidence for r in together] == [r.evidence for r in alone]
    assert together[3].evidence.toward == () and together[3].evidence.against == ()  # no known word, no n-gram
    assert any(t.text == "miss" for t in together[0].evidence.toward + together[0].evidence.against)


def test_evidence_does_not_depend_on_how_many_rows_are_explained_at_once(tiny_model, monkeypatch) -> None:
    messages = ["miss you miss you", "miss u", "hey stranger!! miss you", "qqqq zzzz", "🙂", "missing u, stranger"]
    whole = tiny_model.interpret_many(messages, evidence_terms=10)
    monkeypatch.setattr(explain, "ROWS_AT_ONCE", 4)  # two slices, the second shorter
    assert [r.evidence for r in tiny_model.interpret_many(messages, evidence_terms=10)] == [r.evidence for r in whole]


def test_batch_errors_name_the_item(tiny_model) -> None:
    with pytest.raises(EmptyMessageError, match="message in row 2"):  # 1-based, as in data files
        tiny_model.interpret_many(["fine", "  "])
    with pytest.raises(InputError, match="2 messages but 1 contexts"):
        tiny_model.interpret_many(["a", "b"], ["c"])
    with pytest.raises(MessageTypeError, match="list of messages"):
        tiny_model.interpret_many("one string")
    assert tiny_model.interpret_many([]) == []


def test_evidence_is_exact(tiny_model) -> None:
    """Contributions + intercept reproduce the model's score for the chosen label."""
    message, context = "hey stranger, miss you!!", "he ghosted me"
    result = tiny_model.interpret(message, context)
    frame = pd.DataFrame({"message": [message], "context": [context]})
    features = feature_step(tiny_model.pipeline).transform(frame)
    clf = classifier_step(tiny_model.pipeline)
    k = list(clf.classes_).index(result.label)
    contributions = tiny_model.explainer.contributions(message, features[0], k)
    assert np.isclose(sum(contributions.values()) + clf.intercept_[k], clf.decision_function(features)[0, k])
    assert any(term.text == "stranger" for term in result.evidence.toward)
    assert all(t.weight > 0 for t in result.evidence.toward) and all(t.weight < 0 for t in result.evidence.against)


def test_evidence_is_deterministic(tiny_model) -> None:
    first = tiny_model.interpret("sorry i disappeared, remember me?")
    assert tiny_model.interpret("sorry i disappeared, remember me?").evidence == first.evidence


def test_a_model_without_catalogue_still_interprets(tiny_model) -> None:
    result = tiny_model.interpret("can you send the file")
    assert result.title is None and result.explanation is None and result.watch_for == ()
    assert result.to_dict()["label"] == result.label
