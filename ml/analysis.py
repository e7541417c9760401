"""The numbers behind the notebooks: data access, tables and out-of-fold predictions.

The notebooks in ``notebooks/`` compute every number they show by calling
these, so the numbers come from package code that tests cover and cannot
drift from the package. Anything the package already does (cross-validation,
the unsure rule, metrics, the data profile) is reused, not redone. Nothing
here draws: :mod:`ml.figures` turns these tables into figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.feature_selection import chi2
from sklearn.pipeline import Pipeline

from ml.calibration import CalibrationScore, ReliabilityCurve, fit_temperature, probabilities, reliability_curve
from ml.config import DEFAULT_PROTOCOL, SEED, TrainingProtocol
from ml.datacheck import profile
from ml.evaluate import classification_summary, predictions_frame
from ml.explain import class_coefficients, format_terms
from ml.pipeline import (
    CONTEXT_WORD,
    MESSAGE_CHAR,
    MESSAGE_WORD,
    Settings,
    classifier_step,
    feature_blocks,
    feature_step,
)
from ml.predict import Interpretation, Model
from ml.tasks import Task, get_task
from ml.text import TOKEN_PATTERN, normalize_text
from ml.train import default_settings, fit, out_of_fold_proba
from ml.tuning import tune_unsure_rule
from ml.unsure import UnsureRule, UnsureTradeoff, tradeoff
from ml.workflow import load_task_data

# What a reader is told a feature block is: the source column, and whether its features are word fragments.
SOURCES = {MESSAGE_WORD: "message", MESSAGE_CHAR: "message chars", CONTEXT_WORD: "context"}
WORD_SOURCES = ("message", "context")


# --------------------------------------------------------------------------- the data


def task_data(task: str | Task) -> tuple[pd.DataFrame, Task]:
    """The task's committed, validated dataset and the task record (labels fixed)."""
    frame, _, task = load_task_data(get_task(task) if isinstance(task, str) else task)
    return frame, task


def label_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per label: rows, share with a context, median words (the data card's numbers).

    Wraps :func:`ml.datacheck.profile` so the notebook and ``python -m ml stats``
    agree to the digit.
    """
    table = pd.DataFrame.from_dict(profile(frame)["per_label"], orient="index")
    table.index.name = "label"
    return table


def examples_per_label(frame: pd.DataFrame, n: int = 3, seed: int = SEED) -> pd.DataFrame:
    """``n`` seeded random rows per label (message and context), for reading the data itself."""
    picked = frame.groupby("label", sort=True, group_keys=False).sample(n=n, random_state=seed)
    return picked[["label", "message", "context"]].reset_index(drop=True)


def top_terms_per_label(frame: pd.DataFrame, k: int = 8, *, ngram_range: tuple[int, int] = (1, 2),
                        min_df: int = 3) -> pd.DataFrame:
    """The ``k`` words or phrases most typical of each label, by chi-squared, one label vs the rest.

    Counts whether a term occurs in a message (not how often), after the
    model's own normalisation and tokenisation, so the terms are the ones the
    model can see. Only terms more frequent inside the label than outside are
    kept: chi2 also ranks terms a label avoids, which are not "typical".
    Columns: label, term, chi2, in_label (share of the label's messages with
    the term), elsewhere (share of other messages with it).
    """
    vectorizer = CountVectorizer(preprocessor=normalize_text, token_pattern=TOKEN_PATTERN,
                                 ngram_range=ngram_range, min_df=min_df, binary=True)
    present = vectorizer.fit_transform(frame["message"])
    terms = vectorizer.get_feature_names_out()
    rows: list[dict[str, object]] = []
    for label in sorted(frame["label"].unique()):
        inside = (frame["label"] == label).to_numpy()
        scores, _ = chi2(present, inside)
        in_label = np.asarray(present[inside].mean(axis=0)).ravel()
        elsewhere = np.asarray(present[~inside].mean(axis=0)).ravel()
        typical = np.flatnonzero(in_label > elsewhere)
        best = typical[np.lexsort((terms[typical], -scores[typical]))][:k]
        rows.extend({"label": label, "term": terms[j], "chi2": float(scores[j]),
                     "in_label": float(in_label[j]), "elsewhere": float(elsewhere[j])} for j in best)
    return pd.DataFrame(rows, columns=["label", "term", "chi2", "in_label", "elsewhere"])


# --------------------------------------------------------------------------- models fitted for analysis


@dataclass(frozen=True)
class OutOfFold:
    """Cross-validated predictions for every row of a task's data.

    Each row was predicted by a model that never saw it, so these are honest
    numbers for the whole dataset. ``rule`` is the unsure rule tuned on these
    probabilities the way training tunes it; ``scored`` is the data with
    predicted label, probability, runner-up, unsure flag and correctness.
    """

    task: Task
    settings: Settings
    frame: pd.DataFrame
    labels: tuple[str, ...]
    proba: np.ndarray
    y_index: np.ndarray
    rule: UnsureRule
    scored: pd.DataFrame

    @property
    def tradeoff(self) -> UnsureTradeoff:
        """What the tuned unsure rule costs and buys on these predictions."""
        return tradeoff(self.rule, self.proba, self.y_index, self.labels)


def out_of_fold_predictions(task: str | Task, settings: Settings | None = None,
                            protocol: TrainingProtocol = DEFAULT_PROTOCOL) -> OutOfFold:
    """Out-of-fold predictions for a task's data with the default (or given) settings.

    Uses the same folds, seed and rule tuning as ``ml train``, without the grid
    search, so it takes seconds rather than minutes.
    """
    frame, task = task_data(task)
    settings = settings or default_settings(frame)
    proba, labels = out_of_fold_proba(frame, settings, protocol)
    y_index = np.searchsorted(labels, frame["label"])
    base = UnsureRule(red_flags=task.red_flags, no_cue_label=task.no_cue_label)
    rule = tune_unsure_rule(proba, labels, frame["label"].to_numpy(), base, protocol.min_coverage,
                            task.out_of_scope_label)
    # The notebooks study the classifier itself, so its internal no-cue class counts as a prediction
    # here (UnsureRule() keeps every class); the unsure reasons are still the tuned rule's.
    scored = predictions_frame(frame, proba, labels, UnsureRule(), rule.reasons(proba, labels))
    return OutOfFold(task, settings, frame, tuple(labels), proba, y_index, rule, scored)


def fit_model(task: str | Task, settings: Settings | None = None, rule: UnsureRule | None = None,
              protocol: TrainingProtocol = DEFAULT_PROTOCOL) -> Model:
    """A :class:`ml.Model` fitted in memory on all of a task's rows, with no saved files.

    Lets a notebook interpret messages on a fresh clone without ``make train``.
    Pass the ``rule`` of :func:`out_of_fold_predictions` to flag unsure answers
    the way a trained model would.
    """
    frame, task = task_data(task)
    settings = settings or default_settings(frame)
    rule = rule or UnsureRule(red_flags=task.red_flags, no_cue_label=task.no_cue_label)
    return Model(fit(frame, settings, protocol.seed), task, rule)


# --------------------------------------------------------------------------- tables about a model


@dataclass(frozen=True)
class CalibrationView:
    """How far the out-of-fold probabilities are from honest, as trained and with temperature scaling."""

    temperature: float
    table: pd.DataFrame  # one row per variant: ECE (top label), log-loss, macro-F1
    curves: dict[str, ReliabilityCurve]


def calibration_view(oof: OutOfFold) -> CalibrationView:
    """ECE, log-loss and reliability curves of ``oof``'s probabilities, raw and divided by one temperature.

    The temperature is fitted on these same rows, so its ECE here is a little optimistic;
    training measures it nested (inside the outer training folds) and records that in the metadata.
    """
    logits = np.log(np.clip(oof.proba, 1e-300, None))  # softmax(log p) = p, so these are logits up to a constant
    temperature = fit_temperature(logits, oof.y_index)
    variants = {"as trained": oof.proba, f"temperature T={temperature:.2f}": probabilities(logits, temperature)}
    truth = np.asarray(oof.labels)[oof.y_index]
    scores = [CalibrationScore.measure(name, proba, oof.labels, truth) for name, proba in variants.items()]
    return CalibrationView(temperature, pd.DataFrame([asdict(s) for s in scores]).set_index("method"),
                           {name: reliability_curve(proba, oof.y_index) for name, proba in variants.items()})


def per_label_f1(scored: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Precision, recall, F1 and support per label (rows in ``labels`` order), from ml.evaluate."""
    summary = classification_summary(scored["label"], scored["predicted"], labels)
    table = pd.DataFrame.from_dict(summary["per_label"], orient="index")
    table.index.name = "label"
    return table


def confused_pairs(scored: pd.DataFrame, k: int = 5, examples: int = 2) -> pd.DataFrame:
    """The ``k`` most frequent (true label, predicted label) mistakes, with example messages.

    Right answers never appear. ``share`` is the share of the true label's
    messages that went to the predicted label. Examples are the most confident
    mistakes of each pair: the ones that show what misleads the model. Ties in
    count go to the alphabetically first pair, so the table is deterministic.
    """
    wrong = scored.loc[scored["label"] != scored["predicted"]]
    counts = (wrong.groupby(["label", "predicted"]).size().rename("count").reset_index()
              .sort_values(["count", "label", "predicted"], ascending=[False, True, True]).head(k))
    support = scored["label"].value_counts()
    rows = []
    for true, predicted, count in counts.itertuples(index=False):
        pair = wrong.loc[(wrong["label"] == true) & (wrong["predicted"] == predicted)]
        shown = pair.sort_values("probability", ascending=False, kind="stable")["message"].head(examples)
        rows.append({"true": true, "predicted": predicted, "count": int(count),
                     "share": float(count / support[true]), "examples": list(shown)})
    return pd.DataFrame(rows, columns=["true", "predicted", "count", "share", "examples"])


def readable_feature(block: str, term: str) -> tuple[str, str]:
    """(text, source) for one feature: ``term`` of the pipeline's feature block ``block``.

    Character n-grams are quoted with their spaces shown as "_" so a fragment
    like " u " is visibly a whole word and not a typo.
    """
    text = "'" + term.replace(" ", "_") + "'" if block == MESSAGE_CHAR else term
    return text, SOURCES.get(block, block)


def _readable_features(features: ColumnTransformer) -> list[tuple[str, str]]:
    """(text, source) of every column of the fitted feature matrix, in column order."""
    blocks = feature_blocks(features)
    readable: list[tuple[str, str]] = [("", "")] * max((b.stop for b in blocks.values()), default=0)
    for name, columns in blocks.items():
        terms = features.named_transformers_[name].get_feature_names_out()
        readable[columns] = [readable_feature(name, str(term)) for term in terms]
    return readable


def global_top_features(pipeline: Pipeline, label: str, k: int = 8,
                        sources: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``k`` features with the largest positive and the ``k`` with the largest negative weight for ``label``.

    These are the model's weights, not one message's evidence: a word's pull
    on any message that contains it, before tf-idf scaling. Columns: feature,
    source (message, message chars, context), weight; the positive rows
    first, then the negative ones, each strongest first.
    ``sources`` keeps only features from those sources, e.g. ``WORD_SOURCES``
    for whole words, which read better than character n-grams.
    """
    clf = classifier_step(pipeline)
    weights = class_coefficients(clf)[list(clf.classes_).index(label)]
    readable = _readable_features(feature_step(pipeline))
    order = np.argsort(-weights, kind="stable")
    if sources is not None:
        order = np.array([j for j in order if readable[j][1] in sources], dtype=int)
    picked = list(order[:k]) + list(order[::-1][:k])
    rows = [(*readable[j], float(weights[j])) for j in picked]
    return pd.DataFrame(rows, columns=["feature", "source", "weight"])


def top_features_per_label(pipeline: Pipeline, labels: Sequence[str] | None = None, k: int = 6,
                           sources: Sequence[str] | None = WORD_SOURCES) -> pd.DataFrame:
    """:func:`global_top_features` for each of ``labels`` (default: all the model's classes), with a label column.

    By default only whole words and phrases (of the message and the context):
    character n-grams are real features, but fragments like 'ss_u' say little
    to a reader; pass ``sources=None`` to include them.
    """
    labels = list(labels if labels is not None else classifier_step(pipeline).classes_)
    tables = [global_top_features(pipeline, label, k, sources).assign(label=label) for label in labels]
    return pd.concat(tables, ignore_index=True)[["label", "feature", "source", "weight"]]


def interpretations_table(results: Iterable[Interpretation], terms: int = 3) -> pd.DataFrame:
    """One row per interpreted message: label, probability, unsure, runner-up and the strongest evidence."""
    return pd.DataFrame([{
        "message": r.message, "label": r.label, "probability": round(r.probability, 2), "unsure": r.unsure,
        "runner_up": f"{r.ranking[1][0]} {r.ranking[1][1]:.0%}" if len(r.ranking) > 1 else "-",
        "words for it": format_terms(r.evidence.toward, terms),
        "words against it": format_terms(r.evidence.against, terms),
    } for r in results])


def coverage_accuracy_curve(proba: np.ndarray, y_index: np.ndarray,
                            thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """Coverage and accuracy of the unsure rule as its probability threshold rises.

    Each row is :func:`ml.unsure.tradeoff` for ``UnsureRule(min_probability=t)``
    (no margin), so the curve and the shipped rule use one definition. Raising
    the threshold answers fewer messages (coverage never rises) and usually
    answers them more accurately. Thresholds that answer nothing are left
    out: accuracy is undefined there.
    """
    grid = np.round(np.arange(0.0, 1.0, 0.02), 3) if thresholds is None else np.asarray(thresholds, dtype=float)
    rows = [{"min_probability": float(t), **asdict(tradeoff(UnsureRule(float(t)), proba, y_index))}
            for t in np.sort(grid)]
    curve = pd.DataFrame(rows)
    return curve.loc[curve["coverage"] > 0].reset_index(drop=True)
