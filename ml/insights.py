"""Analysis helpers for the notebooks: tables and figures about the data and the model.

The notebooks in ``notebooks/`` only call these, so every number they show
comes from package code that tests cover, and the notebooks cannot drift from
the package. Anything already in the package (cross-validation, the unsure
rule, metrics, the confusion and confidence plots) is reused, not redone.

Figures are built as :class:`matplotlib.figure.Figure` objects without pyplot,
so nothing is shown twice, no global figure list grows, and the functions work
on machines with no screen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.feature_selection import chi2
from sklearn.pipeline import Pipeline

from ml.config import DEFAULT_PROTOCOL, SEED, TrainingProtocol
from ml.datacheck import profile
from ml.evaluate import classification_summary, predictions_frame
from ml.explain import class_coefficients, format_terms
from ml.pipeline import CONTEXT_WORD, MESSAGE_CHAR, MESSAGE_WORD, Settings, classifier_step, feature_step
from ml.predict import Interpretation, Model
from ml.tasks import Task, get_task
from ml.text import TOKEN_PATTERN, normalize_text
from ml.train import default_settings, fit, out_of_fold_proba
from ml.tuning import tune_unsure_rule
from ml.unsure import UnsureRule, UnsureTradeoff, tradeoff
from ml.workflow import load_task_data

_SOURCES = {MESSAGE_WORD: "message", MESSAGE_CHAR: "message chars", CONTEXT_WORD: "context"}
_POSITIVE, _NEGATIVE = "#2b7bba", "#d6604d"


# --------------------------------------------------------------------------- data


def task_data(task: str | Task) -> tuple[pd.DataFrame, Task]:
    """The task's committed, validated dataset and the task record (labels fixed)."""
    frame, _, task = load_task_data(get_task(task) if isinstance(task, str) else task)
    return frame, task


def message_words(frame: pd.DataFrame) -> pd.Series:
    """Words per message, split on whitespace: the length a reader perceives."""
    return frame["message"].str.split().map(len)


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


# --------------------------------------------------------------------------- model


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


def readable_feature(name: str) -> tuple[str, str]:
    """(text, source) for a pipeline feature name such as ``message_word__miss you``.

    Character n-grams are quoted with their spaces shown as "_" so a fragment
    like " u " is visibly a whole word and not a typo.
    """
    block, _, text = name.partition("__")
    if block == MESSAGE_CHAR:
        text = "'" + text.replace(" ", "_") + "'"
    return text, _SOURCES.get(block, block)


def global_top_features(pipeline: Pipeline, label: str, k: int = 8,
                        sources: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``k`` features with the largest positive and the ``k`` with the largest negative weight for ``label``.

    These are the model's weights, not one message's evidence: a word's pull
    on any message that contains it, before tf-idf scaling. Columns: feature,
    source (message, message chars, context), weight; the positive rows
    first, then the negative ones, each strongest first.
    ``sources`` keeps only features from those sources, e.g. ("message",
    "context") for whole words, which read better than character n-grams.
    """
    features, clf = feature_step(pipeline), classifier_step(pipeline)
    weights = class_coefficients(clf)[list(clf.classes_).index(label)]
    readable = [readable_feature(name) for name in features.get_feature_names_out()]
    order = np.argsort(-weights, kind="stable")
    if sources is not None:
        order = np.array([j for j in order if readable[j][1] in sources], dtype=int)
    picked = list(order[:k]) + list(order[::-1][:k])
    rows = [(*readable[j], float(weights[j])) for j in picked]
    return pd.DataFrame(rows, columns=["feature", "source", "weight"])


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


# --------------------------------------------------------------------------- figures


@lru_cache(maxsize=1)
def _font_characters() -> frozenset[int]:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    return frozenset(get_font(findfont(FontProperties())).get_charmap())


def plot_text(text: str) -> str:
    """``text`` with every character the plotting font cannot draw replaced by its name.

    Messages are full of emoji the default font lacks; matplotlib would draw an
    empty box and warn once per glyph. "miss u 🙈" becomes "miss u [see-no-evil monkey]".
    Invisible joiners and variation selectors are dropped.
    """
    known = _font_characters()
    out = []
    for ch in text:
        if unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f":
            continue
        out.append(ch if ord(ch) in known or ch in "\n\t " else f"[{unicodedata.name(ch, hex(ord(ch))).lower()}]")
    return "".join(out)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def plot_bar(values: pd.Series, title: str, xlabel: str, *, ylabel: str = "label", percent: bool = False,
             reference: float | None = None, reference_label: str | None = None) -> Figure:
    """Horizontal bars, one per index entry (label names on the y axis, read top to bottom).

    ``percent`` formats the value labels as percentages; ``reference`` draws a
    dashed vertical line, e.g. the overall share or the macro average.
    """
    fig = _figure(7.5, 0.9 + 0.34 * len(values))
    ax = fig.subplots()
    positions = np.arange(len(values))[::-1]
    bars = ax.barh(positions, values.to_numpy(dtype=float), color=_POSITIVE)
    ax.set_yticks(positions, [plot_text(str(i)) for i in values.index])
    ax.bar_label(bars, labels=[f"{v:.0%}" if percent else f"{v:.3g}" for v in values], padding=3, fontsize=8)
    if reference is not None:
        ax.axvline(reference, color="0.3", linestyle="--", linewidth=1, label=reference_label)
        if reference_label:
            ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, max(float(values.max()), reference or 0) * 1.15)
    if percent:
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


def plot_length_by_label(frame: pd.DataFrame, title: str = "Message length per label") -> Figure:
    """Box plots of words per message for each label (box: middle half; line: median; dots: outliers)."""
    labels = sorted(frame["label"].unique())
    words = message_words(frame)
    fig = _figure(1.5 + 0.62 * len(labels), 4.6)
    ax = fig.subplots()
    ax.boxplot([words[frame["label"] == label] for label in labels], widths=0.6, flierprops={"markersize": 3})
    ax.set_xticks(np.arange(1, len(labels) + 1), labels, rotation=35, ha="right")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title)
    ax.set_xlabel("label")
    ax.set_ylabel("words per message")
    return fig


def _grid(panels: int, ncols: int, width: float, height: float) -> tuple[Figure, list]:
    nrows = -(-panels // ncols)
    fig = _figure(width * ncols, height * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, list(axes[:panels])


def plot_top_terms(terms: pd.DataFrame, title: str = "Most typical words per label (chi-squared, label vs rest)",
                   ncols: int = 3) -> Figure:
    """One small bar chart per label of :func:`top_terms_per_label`: how many of the label's messages use each term."""
    labels = list(dict.fromkeys(terms["label"]))
    fig, axes = _grid(len(labels), ncols, 4.2, 2.6)
    right = min(1.0, np.ceil(float(terms["in_label"].max()) * 10 + 0.5) / 10)  # one scale for every panel
    for ax, label in zip(axes, labels, strict=True):
        rows = terms.loc[terms["label"] == label]
        positions = np.arange(len(rows))[::-1]
        ax.barh(positions, rows["in_label"], color=_POSITIVE, label="in this label")
        ax.scatter(rows["elsewhere"], positions, color="0.2", marker="|", s=120, zorder=3, label="other labels")
        ax.set_yticks(positions, [plot_text(t) for t in rows["term"]], fontsize=8)
        ax.set_xlim(0, right)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("share of messages containing it", fontsize=8)
    axes[0].legend(loc="lower right", fontsize=7)
    fig.suptitle(title)
    return fig


def plot_top_features(pipeline: Pipeline, labels: Sequence[str] | None = None, k: int = 6,
                      sources: Sequence[str] | None = ("message", "context"),
                      title: str = "Strongest word weights per label", ncols: int = 3) -> Figure:
    """Per label, the ``k`` features pulling hardest toward it (blue) and away from it (red).

    By default only whole words and phrases (of the message and the context):
    character n-grams are real features but fragments like 'ss_u' say little to
    a reader; pass ``sources=None`` to include them.
    """
    labels = list(labels if labels is not None else pipeline.classes_)
    fig, axes = _grid(len(labels), ncols, 4.4, 0.8 + 0.26 * 2 * k)
    for ax, label in zip(axes, labels, strict=True):
        table = global_top_features(pipeline, label, k, sources)
        table = table.sort_values("weight", kind="stable")
        names = [plot_text(f"{f} (ctx)" if s == "context" else f)
                 for f, s in zip(table["feature"], table["source"], strict=True)]
        positions = np.arange(len(table))
        ax.barh(positions, table["weight"], color=[_POSITIVE if w > 0 else _NEGATIVE for w in table["weight"]])
        ax.set_yticks(positions, names, fontsize=8)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("weight (log-odds per tf-idf unit)", fontsize=8)
    note = "ctx = word in the context" + ("; 'quoted' = character n-gram, _ = space" if sources is None else "")
    fig.suptitle(f"{title}  ({note})")
    return fig


def plot_f1(table: pd.DataFrame, title: str = "Cross-validated F1 per label") -> Figure:
    """F1 per label of :func:`per_label_f1`, worst at the bottom, with the macro average as a line."""
    ordered = table["f1"].sort_values(ascending=False)
    return plot_bar(ordered, title, "F1 (out-of-fold)", reference=float(table["f1"].mean()),
                    reference_label=f"macro-F1 (all folds pooled) {table['f1'].mean():.3f}")


def plot_coverage_curve(curve: pd.DataFrame, chosen: UnsureTradeoff | None = None,
                        title: str = 'The "unsure" trade-off: answer fewer, get more right') -> Figure:
    """Accuracy on answered messages against the share answered, one point per threshold.

    The x axis runs from answering everything (left) to answering little
    (right), so reading left to right means a stricter threshold; every fifth
    point is labelled with its threshold, unless it would overlap the last label. ``chosen`` marks
    the shipped rule (which may also use a margin, so it can sit off the curve).
    """
    fig = _figure(7.5, 4.6)
    ax = fig.subplots()
    ax.plot(curve["coverage"], curve["accuracy_answered"], marker="o", markersize=3, color=_POSITIVE,
            label="threshold on the top probability")
    last = None
    for _, row in curve.iloc[::5].iterrows():
        if last is not None and abs(last - row["coverage"]) < 0.04:
            continue  # thresholds that change nothing would print on top of each other
        last = row["coverage"]
        ax.annotate(f"{row['min_probability']:.1f}", (row["coverage"], row["accuracy_answered"]),
                    textcoords="offset points", xytext=(4, -10), fontsize=7, color="0.35")
    if chosen is not None:
        ax.scatter([chosen.coverage], [chosen.accuracy_answered], color=_NEGATIVE, zorder=3, s=50,
                   label=f"tuned rule: answers {chosen.coverage:.0%} at {chosen.accuracy_answered:.0%}")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_xlim(1.02, max(0.0, float(curve["coverage"].min()) - 0.05))  # strict thresholds to the right
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.set_xlabel("coverage: share of messages answered (not unsure)")
    ax.set_ylabel("accuracy on answered messages")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_evidence(result: Interpretation, title: str | None = None) -> Figure:
    """The words that pushed one interpretation toward its label (blue) and against it (red)."""
    terms = sorted(result.evidence.toward + result.evidence.against, key=lambda t: t.weight)
    fig = _figure(6.5, 1.2 + 0.3 * max(len(terms), 1))
    ax = fig.subplots()
    positions = np.arange(len(terms))
    ax.barh(positions, [t.weight for t in terms], color=[_POSITIVE if t.weight > 0 else _NEGATIVE for t in terms])
    ax.set_yticks(positions, [plot_text(f"{t.text} (context)" if t.source == "context" else t.text) for t in terms])
    ax.axvline(0, color="0.3", linewidth=0.8)
    unsure = ", unsure" if result.unsure else ""
    answer = f"\u2192 {result.label} ({result.probability:.0%}{unsure})"
    ax.set_title(title or f"\u201c{plot_text(result.message)}\u201d\n{answer}", fontsize=10)
    ax.set_xlabel(f"contribution to the score of {result.label}")
    ax.set_ylabel("word or phrase")
    return fig
