"""The "unsure" rule: when the model shows candidates instead of one answer, and why.

A prediction is unsure, with one reason, when

- ``no_known_words``: no word or character n-gram of the message is in the model's vocabulary;
- ``no_scenario_cue``: the internal class "says he misses you, but nothing points to a
  scenario" is the most probable class (``ml.tasks.NO_CUE_LABEL``);
- ``low_confidence``: the top probability is under ``min_probability``;
- ``too_close``: the top two are closer than ``min_margin``;
- ``red_flag_below_bar``: the answer is a red flag and its probability is under the
  stricter ``red_flag_min_probability``, because a wrong red flag about a real
  partner is the most harmful mistake the product can make.

Probabilities here are over the public labels only (the internal class removed,
the rest renormalised to sum to 1), so what the rule compares is what users see.
Every threshold is tuned on out-of-fold probabilities of the training data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ml.config import EVERYDAY_SHARE
from ml.records import LABEL_PATTERN, Fields

# Labels arrive as a model's ``classes_`` (a numpy array) or as a plain sequence of strings.
Labels = Sequence[str] | np.ndarray

NO_KNOWN_WORDS = "no_known_words"
NO_SCENARIO_CUE = "no_scenario_cue"
LOW_CONFIDENCE = "low_confidence"
TOO_CLOSE = "too_close"
RED_FLAG_BELOW_BAR = "red_flag_below_bar"
UNSURE_REASONS = (NO_KNOWN_WORDS, NO_SCENARIO_CUE, LOW_CONFIDENCE, TOO_CLOSE, RED_FLAG_BELOW_BAR)


@dataclass(frozen=True)
class PublicView:
    """Probabilities over the public labels, and where the internal no-cue class came first."""

    proba: np.ndarray          # (rows, public labels), each row sums to 1
    labels: np.ndarray         # the public labels, in column order
    no_cue_top: np.ndarray     # bool per row


def public_view(proba: np.ndarray, classes: Labels, no_cue_label: str | None) -> PublicView:
    """Drop the internal class (if the model has one) and renormalise the rest."""
    names = np.asarray(classes)
    if no_cue_label is None or no_cue_label not in names:
        return PublicView(proba, names, np.zeros(len(proba), dtype=bool))
    internal = int(np.flatnonzero(names == no_cue_label)[0])
    keep = np.arange(len(names)) != internal
    public = proba[:, keep]
    total = public.sum(axis=1, keepdims=True)
    public = np.divide(public, total, out=np.full_like(public, 1 / public.shape[1]), where=total > 0)
    return PublicView(public, names[keep], proba.argmax(axis=1) == internal)


@dataclass(frozen=True)
class UnsureRule:
    """When an answer is unsure; see the module docstring for each threshold."""

    min_probability: float = 0.0
    min_margin: float = 0.0
    red_flag_min_probability: float = 0.0
    red_flags: tuple[str, ...] = ()
    no_cue_label: str | None = None

    def public_labels(self, classes: Labels) -> tuple[str, ...]:
        """The labels answers can carry: every class but the internal no-cue one."""
        return tuple(c for c in classes if c != self.no_cue_label)

    def reasons(self, proba: np.ndarray, classes: Labels,
                known: np.ndarray | None = None) -> np.ndarray:
        """One reason per row (None = a confident answer), first matching rule wins."""
        view = public_view(proba, classes, self.no_cue_label)
        top2 = np.sort(view.proba, axis=1)[:, -2:] if view.proba.shape[1] > 1 else \
            np.hstack([np.zeros_like(view.proba), view.proba])
        top_label = view.labels[view.proba.argmax(axis=1)]
        checks = [
            (np.zeros(len(proba), dtype=bool) if known is None else ~np.asarray(known, dtype=bool), NO_KNOWN_WORDS),
            (view.no_cue_top, NO_SCENARIO_CUE),
            (top2[:, 1] < self.min_probability, LOW_CONFIDENCE),
            (top2[:, 1] - top2[:, 0] < self.min_margin, TOO_CLOSE),
            (np.isin(top_label, self.red_flags) & (top2[:, 1] < self.red_flag_min_probability), RED_FLAG_BELOW_BAR),
        ]
        reasons = np.full(len(proba), None, dtype=object)
        for fires, reason in reversed(checks):  # the first check in the list has the last word
            reasons[fires] = reason
        return reasons

    def unsure(self, proba: np.ndarray, classes: Labels | None = None,
               known: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask over rows of an (n, classes) probability matrix."""
        names = np.arange(proba.shape[1]).astype(str) if classes is None else classes
        return self.reasons(proba, names, known).astype(bool)  # None -> False, a reason -> True

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["red_flags"] = list(self.red_flags)
        return values

    @classmethod
    def from_dict(cls, values: object, where: str = "unsure_rule") -> UnsureRule:
        """The rule saved in a model's metadata, every field present and within what tuning can choose.

        A hand-edited threshold (say 0.99, which would mark nearly every answer unsure)
        raises MetadataError naming the field. New fields only need a line here.
        """
        record = Fields(values, where)
        rule = cls(min_probability=record.number("min_probability", 0.0, float(PROBABILITY_GRID[-1])),
                   min_margin=record.number("min_margin", 0.0, float(MARGIN_GRID[-1])),
                   red_flag_min_probability=record.number("red_flag_min_probability", 0.0, 1.0),
                   red_flags=record.text_list("red_flags", LABEL_PATTERN, min_items=0),
                   no_cue_label=record.optional_text("no_cue_label", LABEL_PATTERN))
        record.done()
        return rule


@dataclass(frozen=True)
class UnsureTradeoff:
    """What a rule costs and buys on a set of labelled predictions."""

    coverage: float              # share of messages answered (not unsure)
    accuracy_all: float          # accuracy if every top label counted
    accuracy_answered: float     # accuracy on the answered share
    errors_caught: float         # share of wrong top labels the rule flags as unsure
    correct_flagged: float       # share of right top labels flagged anyway (the cost)

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def _mean(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def tradeoff(rule: UnsureRule, proba: np.ndarray, y_index: np.ndarray,
             classes: Labels | None = None) -> UnsureTradeoff:
    """The rule's trade-off on rows whose true label is public (``y_index`` indexes ``classes``)."""
    names = np.arange(proba.shape[1]).astype(str) if classes is None else np.asarray(classes)
    truth = names[y_index]
    public_rows = truth != rule.no_cue_label
    view = public_view(proba, names, rule.no_cue_label)
    correct = (view.labels[view.proba.argmax(axis=1)] == truth)[public_rows]
    unsure = rule.unsure(proba, names)[public_rows]
    answered = ~unsure
    return UnsureTradeoff(
        coverage=_mean(answered),
        accuracy_all=_mean(correct),
        accuracy_answered=_mean(correct[answered]),
        errors_caught=_mean(unsure[~correct]),
        correct_flagged=_mean(unsure[correct]),
    )


PROBABILITY_GRID = np.round(np.arange(0.0, 0.91, 0.025), 3)
MARGIN_GRID = np.round(np.arange(0.0, 0.51, 0.025), 3)
RED_FLAG_GRID = np.round(np.arange(0.0, 1.0, 0.01), 3)


@dataclass(frozen=True)
class RedFlagPrecision:
    """How often a confident red-flag answer names the right red flag, overall and for the worst one."""

    threshold: float
    precision: float        # right red flag / confident red-flag answers, all red flags together
    worst_precision: float  # the same for the red flag with the lowest precision
    worst_label: str
    answered: int           # confident red-flag answers
    recall: float           # confident and right / rows whose true label is a red flag

    def to_dict(self) -> dict[str, float | int | str]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: object, where: str = "red_flags_out_of_fold") -> RedFlagPrecision:
        record = Fields(values, where)
        worst_label = record.text("worst_label", r"[^\x00-\x1f]{0,100}")
        precision = cls(threshold=record.number("threshold", 0.0, 1.0), precision=record.number("precision", 0.0, 1.0),
                        worst_precision=record.number("worst_precision", 0.0, 1.0), worst_label=worst_label,
                        answered=record.integer("answered", 0), recall=record.number("recall", 0.0, 1.0))
        record.done()
        return precision


def everyday_weights(truth: Labels, out_of_scope_label: str | None,
                     share: float = EVERYDAY_SHARE) -> np.ndarray:
    """Row weights under which rows of ``out_of_scope_label`` make up ``share`` of the total.

    All ones when the task has no such label or the rows lack either kind.
    """
    everyday = np.asarray(truth) == out_of_scope_label
    weights = np.ones(len(everyday))
    if out_of_scope_label is not None and everyday.any() and (~everyday).any():
        weights[everyday] = share / (1 - share) * (~everyday).sum() / everyday.sum()
    return weights


def red_flag_precision(rule: UnsureRule, proba: np.ndarray, classes: Labels, truth: Labels,
                       weights: np.ndarray | None = None) -> RedFlagPrecision:
    """Precision (under row ``weights``) and recall of confident red-flag answers under ``rule``.

    A red flag never answered confidently counts as precision 1: it cannot be
    wrongly shown.
    """
    view = public_view(proba, classes, rule.no_cue_label)
    predicted = view.labels[view.proba.argmax(axis=1)]
    true_labels = np.asarray(truth)
    weights = np.ones(len(true_labels)) if weights is None else weights
    shown = np.isin(predicted, rule.red_flags) & ~rule.unsure(proba, classes)
    right = shown & (predicted == true_labels)

    def precision(mask: np.ndarray) -> float:
        return float(weights[mask & right].sum() / weights[mask].sum()) if mask.any() else 1.0

    per_label = {label: precision(shown & (predicted == label)) for label in rule.red_flags}
    worst = min(per_label, key=per_label.__getitem__) if per_label else ""
    return RedFlagPrecision(rule.red_flag_min_probability, precision(shown), per_label.get(worst, 1.0), worst,
                            int(shown.sum()), _mean(right[np.isin(true_labels, rule.red_flags)]))
