"""The "unsure" rule: when the model should show candidates instead of one answer.

A prediction is unsure when its top probability is under ``min_probability``
or the top two are closer than ``min_margin``. The two thresholds are tuned on
out-of-fold probabilities of the training data, never on a test set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ml.config import MIN_COVERAGE
from ml.records import Fields


@dataclass(frozen=True)
class RejectRule:
    min_probability: float = 0.0
    min_margin: float = 0.0

    def unsure(self, proba: np.ndarray) -> np.ndarray:
        """Boolean mask over rows of an (n, labels) probability matrix."""
        top2 = np.sort(proba, axis=1)[:, -2:] if proba.shape[1] > 1 else np.hstack([np.zeros_like(proba), proba])
        return (top2[:, 1] < self.min_probability) | (top2[:, 1] - top2[:, 0] < self.min_margin)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: object, where: str = "reject_rule") -> RejectRule:
        """The rule saved in a model's metadata, every field present and within what tuning can choose.

        A hand-edited threshold (say 0.99, which would mark nearly every answer unsure)
        raises MetadataError naming the field. New fields only need a line here.
        """
        record = Fields(values, where)
        rule = cls(min_probability=record.number("min_probability", 0.0, float(PROBABILITY_GRID[-1])),
                   min_margin=record.number("min_margin", 0.0, float(MARGIN_GRID[-1])))
        record.done()
        return rule


@dataclass(frozen=True)
class RejectTradeoff:
    """What a rule costs and buys on a set of labelled predictions."""

    coverage: float              # share of messages answered (not unsure)
    accuracy_all: float          # accuracy if every top label counted
    accuracy_answered: float     # accuracy on the answered share
    errors_caught: float         # share of wrong top labels the rule flags as unsure
    correct_flagged: float       # share of right top labels flagged anyway (the cost)

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def tradeoff(rule: RejectRule, proba: np.ndarray, y_index: np.ndarray) -> RejectTradeoff:
    correct = proba.argmax(axis=1) == y_index
    unsure = rule.unsure(proba)
    answered = ~unsure
    return RejectTradeoff(
        coverage=float(answered.mean()),
        accuracy_all=float(correct.mean()),
        accuracy_answered=float(correct[answered].mean()) if answered.any() else 0.0,
        errors_caught=float(unsure[~correct].mean()) if (~correct).any() else 0.0,
        correct_flagged=float(unsure[correct].mean()) if correct.any() else 0.0,
    )


PROBABILITY_GRID = np.round(np.arange(0.0, 0.91, 0.025), 3)
MARGIN_GRID = np.round(np.arange(0.0, 0.51, 0.025), 3)


def tune_reject_rule(proba: np.ndarray, y_index: np.ndarray, min_coverage: float = MIN_COVERAGE) -> RejectRule:
    """The rule with the best accuracy on answered messages that still answers
    at least ``min_coverage`` of them; ties go to the higher coverage, then the
    looser thresholds. Deterministic: an exhaustive grid, no sampling.
    """
    correct = proba.argmax(axis=1) == y_index
    best_key, best_rule = None, RejectRule()
    for p in PROBABILITY_GRID:
        for m in MARGIN_GRID:
            rule = RejectRule(float(p), float(m))
            answered = ~rule.unsure(proba)
            coverage = answered.mean()
            if coverage < min_coverage or not answered.any():
                continue
            key = (round(float(correct[answered].mean()), 6), round(float(coverage), 6), -p, -m)
            if best_key is None or key > best_key:
                best_key, best_rule = key, rule
    return best_rule


def tune_reject_as_label(proba: np.ndarray, y_index: np.ndarray, reject_index: int) -> RejectRule:
    """A probability-only threshold that maximises accuracy when unsure answers
    become the out-of-scope label (``reject_index``), as in Larson et al. 2019.
    """
    best_key, best_rule = None, RejectRule()
    predicted = proba.argmax(axis=1)
    for p in np.round(np.arange(0.0, 1.0, 0.01), 3):
        rule = RejectRule(float(p), 0.0)
        labels = np.where(rule.unsure(proba), reject_index, predicted)
        key = (round(float((labels == y_index).mean()), 6), -p)
        if best_key is None or key > best_key:
            best_key, best_rule = key, rule
    return best_rule
