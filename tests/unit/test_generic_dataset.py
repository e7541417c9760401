"""Any dataset in the label-guide format trains through the CLI and interprets without a catalogue.

Runs on a tiny CLINC150 sample (8 intents x 8 rows; skipped when ../shared/benchmarks/clinc150
is absent) and on hand-written rows in the same style, so it runs on any clone. The CLINC150
benchmark's own helpers are tested in test_clinc150_benchmark.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.cli import main
from ml.config import PROJECT_ROOT
from ml.predict import load_model, model_metadata

CLINC_TRAIN = PROJECT_ROOT.parent / "shared" / "benchmarks" / "clinc150" / "train.csv"
SAMPLE_INTENTS = ("alarm", "balance", "book_flight", "greeting", "oos", "timer", "translate", "weather")

HAND_ROWS = {
    "alarm": ["wake me up at 7 tomorrow", "set an alarm for 6am", "alarm for noon please",
              "i need an alarm at 5:30", "set my alarm to go off at eight", "can you wake me at nine",
              "alarm at 6:15 on weekdays", "wake me up in the morning at 8"],
    "timer": ["set a timer for 10 minutes", "start a 5 minute timer", "timer for half an hour",
              "count down 20 minutes", "please set a 3 minute timer", "start a timer for one hour",
              "give me a 15 minute countdown", "timer for forty five minutes"],
    "weather": ["what is the weather in boston", "will it rain today", "how hot is it in miami",
                "is it going to snow tomorrow", "what's the forecast for paris", "how cold is it outside",
                "do i need an umbrella today", "what is the temperature in denver"],
    "translate": ["how do you say hello in french", "translate thank you to spanish", "what is cat in german",
                  "say good night in italian", "translate where is the station to japanese",
                  "how would i say i love you in portuguese",
                  "what does gracias mean in english", "translate good morning into korean"],
    "balance": ["what is my checking balance", "how much money is in my savings", "show my account balance",
                "tell me the balance of my bank account", "how much do i have in checking",
                "what's left in my savings account",
                "check my credit union balance", "how much cash is in my account"],
    "oos": ["what is the capital of peru", "how tall is mount everest", "who wrote hamlet",
            "tell me about black holes", "how many legs does a spider have", "what year did the war end",
            "who painted the mona lisa", "how deep is the ocean"],
}


def sample_frame(source: str) -> pd.DataFrame:
    """8 intents x 8 rows of CLINC150 train, or the hand-written rows (6 intents x 8)."""
    if source == "clinc150":
        if not CLINC_TRAIN.is_file():
            pytest.skip(f"{CLINC_TRAIN} is absent; the hand-written rows cover the same path")
        data = pd.read_csv(CLINC_TRAIN, keep_default_na=False)
        picked = data[data["label"].isin(SAMPLE_INTENTS)].groupby("label", sort=True).head(8)
        return picked[["message", "label"]].reset_index(drop=True)
    return pd.DataFrame([(m, label) for label, rows in HAND_ROWS.items() for m in rows], columns=["message", "label"])


@pytest.mark.parametrize("source", ["clinc150", "hand-written"])
def test_cli_trains_on_any_csv_and_the_model_interprets_without_a_catalogue(capsys, tmp_path: Path,
                                                                            source: str) -> None:
    frame = sample_frame(source)
    data, out = tmp_path / "intents.csv", tmp_path / "model"
    frame.to_csv(data, index=False)  # no context column: the format allows that

    code = main(["train", "--data", str(data), "--labels-from-data", "--task", "intents", "--out", str(out),
                 "--quick"])
    assert code == 0, capsys.readouterr().err
    labels = sorted(frame["label"].unique())
    meta = model_metadata(out)
    assert meta.task == "intents" and list(meta.labels) == labels
    assert meta.config.settings.use_context is False  # no context in the data, none in the model

    model = load_model(out)
    assert model.task.catalog == {} and model.labels == tuple(labels)
    message = frame["message"].iloc[0]
    answer = model.interpret(message)
    assert answer.label in labels and 0 < answer.probability <= 1
    probabilities = [p for _, p in answer.ranking]
    assert probabilities == sorted(probabilities, reverse=True)
    assert answer.ranking[0] == (answer.label, answer.probability) and len(answer.ranking) == len(labels)
    assert sum(probabilities) == pytest.approx(1.0)
    assert answer.evidence.toward, "evidence: words that pushed toward the label"
    assert answer.title is None and answer.explanation is None and answer.watch_for == ()
    json.dumps(answer.to_dict(top_k=3))  # the JSON the CLI prints

    answers = model.interpret_many(frame["message"].tolist())
    assert np.mean([a.label == y for a, y in zip(answers, frame["label"], strict=True)]) >= 0.9  # it learned
