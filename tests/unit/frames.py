"""Small hand-made frames shared by the analysis and figure tests."""

import pandas as pd

# Each label has one word no other label uses: "pizza" for food, "dog" for pets.
TOY = pd.DataFrame({
    "message": ["pizza tonight?", "i want pizza", "pizza and wine", "cold pizza is the best", "extra cheese pizza pls",
                "my dog is cute", "the dog barked all night", "walked the dog", "dog park later?", "new dog bed"],
    "context": [""] * 10,
    "label": ["food"] * 5 + ["pets"] * 5,
})


def scored_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A predictions_frame-like table from (true, predicted, probability) rows, messages numbered in order."""
    frame = pd.DataFrame(rows, columns=["label", "predicted", "probability"])
    frame["message"] = [f"message {i}" for i in range(len(frame))]
    frame["correct"] = frame["label"] == frame["predicted"]
    return frame
