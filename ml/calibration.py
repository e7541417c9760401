"""Honest confidence: how well probabilities match how often answers are right, and temperature scaling.

A model whose "90%" answers are right 90% of the time is calibrated. This
module measures that (expected calibration error over the top label, and the
reliability curve a notebook draws) and holds the one calibration the product
can adopt without losing exact evidence: temperature scaling, which divides
every logit by one number T. Folded into the logistic regression's
coefficients and intercepts, the calibrated model is still one linear model,
so the shown contributions still sum to the label's (scaled) score minus its
intercept, and the ranking of labels, hence macro-F1, cannot change.
Sigmoid calibration is measured for comparison only: it rescales each class
apart and renormalises, which is not a rescaling of the logits, so evidence
would no longer add up to the probability's score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, softmax
from sklearn.metrics import f1_score, log_loss
from sklearn.pipeline import Pipeline

from ml.errors import MetadataError
from ml.pipeline import classifier_step
from ml.records import Fields
from ml.unsure import Labels

ECE_BINS = 15
NONE, SIGMOID, TEMPERATURE = "none", "sigmoid", "temperature"
METHODS = (NONE, SIGMOID, TEMPERATURE)
ADOPTABLE = (TEMPERATURE,)  # the methods that keep evidence exact (see the module docstring)
MAX_MACRO_F1_DROP = 0.005   # a calibration may cost at most this much out-of-fold macro-F1
TEMPERATURE_BOUNDS = (1e-3, 1e3)


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per equal-width confidence bin: mean top probability, accuracy and row count (empty bins are NaN, 0)."""

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray


def reliability_curve(proba: np.ndarray, truth_index: np.ndarray, bins: int = ECE_BINS) -> ReliabilityCurve:
    """The reliability diagram's data for the top label of each row of ``proba`` (columns = classes)."""
    top = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(truth_index)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, top, side="left") - 1, 0, bins - 1)  # bins are (a, b], the first [0, b]
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(which, weights=top, minlength=bins) / counts
        accuracy = np.bincount(which, weights=correct, minlength=bins) / counts
    return ReliabilityCurve(edges, confidence, accuracy, counts)


def expected_calibration_error(proba: np.ndarray, truth_index: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label ECE: the row-weighted mean gap between confidence and accuracy over ``bins`` equal-width bins."""
    curve = reliability_curve(proba, truth_index, bins)
    filled = curve.counts > 0
    gaps = np.abs(curve.accuracy[filled] - curve.confidence[filled])
    return float((gaps * curve.counts[filled]).sum() / curve.counts.sum())


@dataclass(frozen=True)
class CalibrationScore:
    """One calibration method's out-of-fold numbers."""

    method: str
    ece: float
    log_loss: float
    macro_f1: float

    @classmethod
    def measure(cls, method: str, proba: np.ndarray, classes: Labels, truth: Labels) -> CalibrationScore:
        truth_index = np.searchsorted(np.asarray(classes), np.asarray(truth))
        predicted = np.asarray(classes)[proba.argmax(axis=1)]
        return cls(method, round(expected_calibration_error(proba, truth_index), 4),
                   round(float(log_loss(truth_index, proba, labels=np.arange(len(classes)))), 4),
                   round(float(f1_score(truth, predicted, average="macro")), 4))

    @classmethod
    def from_dict(cls, values: object, where: str) -> CalibrationScore:
        record = Fields(values, where)
        score = cls(method=str(record.choice("method", METHODS)), ece=record.number("ece", 0.0, 1.0),
                    log_loss=record.number("log_loss", 0.0, 1e6), macro_f1=record.number("macro_f1", 0.0, 1.0))
        record.done()
        return score


@dataclass(frozen=True)
class Calibration:
    """What training measured, out-of-fold, and adopted: ``method`` is "none" or "temperature" (with its T)."""

    method: str
    temperature: float | None
    candidates: tuple[CalibrationScore, ...]

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "temperature": self.temperature,
                "candidates": [asdict(c) for c in self.candidates]}

    @classmethod
    def from_dict(cls, values: object, where: str = "calibration") -> Calibration:
        record = Fields(values, where)
        method = str(record.choice("method", (NONE, *ADOPTABLE)))
        temperature = record.optional_number("temperature", *TEMPERATURE_BOUNDS)
        raw, path = record.nested("candidates")
        if not isinstance(raw, list) or len(raw) > len(METHODS):
            raise MetadataError(f"{path} must be a list of at most {len(METHODS)} scores, got {raw!r}")
        record.done()
        if (method == TEMPERATURE) != (temperature is not None):
            raise MetadataError(f"{where}.temperature must be a number exactly when the method is {TEMPERATURE!r}")
        return cls(method, temperature, tuple(CalibrationScore.from_dict(c, f"{path}[{i}]") for i, c in enumerate(raw)))


def choose(candidates: Sequence[CalibrationScore]) -> str:
    """The adoptable method that lowers both ECE and log-loss against no calibration without costing more
    than MAX_MACRO_F1_DROP of macro-F1; "none" when no method does."""
    by_method = {c.method: c for c in candidates}
    base = by_method[NONE]
    for method in ADOPTABLE:
        c = by_method.get(method)
        if c and c.ece < base.ece and c.log_loss < base.log_loss and c.macro_f1 >= base.macro_f1 - MAX_MACRO_F1_DROP:
            return method
    return NONE


def probabilities(logits: np.ndarray, temperature: float | None = None) -> np.ndarray:
    """Class probabilities from decision values, as logistic regression makes them, optionally divided by T.

    Binary models give one decision value per row (for ``classes_[1]``).
    """
    scaled = logits / (temperature or 1.0)
    if scaled.ndim == 1:
        positive = expit(scaled)
        return np.column_stack([1 - positive, positive])
    return softmax(scaled, axis=1)


def fit_temperature(logits: np.ndarray, truth_index: np.ndarray) -> float:
    """The T that minimises the log-loss of ``probabilities(logits, T)`` (Guo et al., 2017)."""
    labels = np.arange(2 if logits.ndim == 1 else logits.shape[1])
    low, high = np.log(TEMPERATURE_BOUNDS)
    found = minimize_scalar(lambda log_t: log_loss(truth_index, probabilities(logits, float(np.exp(log_t))),
                                                   labels=labels),
                            bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(found.x))


def apply_temperature(pipeline: Pipeline, temperature: float | None) -> Pipeline:
    """Divide the fitted classifier's coefficients and intercepts by T, in place: the calibrated model is
    still one logistic regression (same file types, exact evidence)."""
    if temperature is not None:
        clf = classifier_step(pipeline)
        clf.coef_ = clf.coef_ / temperature
        clf.intercept_ = clf.intercept_ / temperature
    return pipeline
