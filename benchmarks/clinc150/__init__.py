"""CLINC150 (Larson et al. 2019): the project's pipeline against the paper's table and fastText.

    python -m benchmarks.clinc150 [--features tfidf|hybrid] [--data-dir DIR] [--out FILE] [--quick]

Protocol, as in the paper: train on ``train``; choose the settings and the
out-of-scope threshold on ``val`` only; score ``test`` once. Our model is
trained and saved by the same code the CLI runs (``ml.workflow.train_task``
with a task record for a generic dataset), loaded with ``ml.load_model`` and
scored through the Model API. Two schemes, as in the paper's Table 2:

* oos-train:     ``oos`` is the 151st class; the top label is the answer.
* oos-threshold: on top of that, an answer the product's unsure rule
                 (``ml.unsure.UnsureRule``, probability threshold only) marks
                 unsure becomes ``oos``; the threshold is the one with the best
                 val accuracy over all 151 classes (``ml.tuning.tune_unsure_as_label``).

``--features hybrid`` runs our system with the hybrid feature set (TF-IDF plus
sentence embeddings; ``pip install -e ".[hybrid]"``) and writes its own results
file and README section, so both feature sets' runs stand side by side.

fastText (``pip install -e ".[benchmark]"``, i.e. fasttext-wheel) runs in the
same process as a peer, with the same protocol; without it the benchmark says
so and goes on.

Modules: ``data`` (the splits), ``scoring`` (the paper's metrics, the threshold
rule, choosing on val), ``ours`` and ``fasttext_peer`` (one system each),
``timing`` (latency and throughput), ``report`` (the table and the README
section), ``run`` (one whole run) and ``__main__`` (the command line).
"""

from __future__ import annotations

import sys


def log(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the markdown result."""
    print(message, file=sys.stderr, flush=True)
