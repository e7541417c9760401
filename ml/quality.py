"""The quality gate: training may not silently replace a good model with a worse one.

A shuffled or conflicting CSV still trains; only a score tells the result is bad.
The gate compares held-out macro-F1 under the same protocol (held-out fraction
and seed), the one number both models earned on data they never saw.
"""

from __future__ import annotations

from ml.config import MAX_MACRO_F1_DROP
from ml.metadata import ModelMetadata


def gate_refusal(candidate: ModelMetadata, current: ModelMetadata | None,
                 max_drop: float = MAX_MACRO_F1_DROP) -> str | None:
    """Why ``candidate`` must not replace ``current``, or None when it may.

    With no current model, or one without a held-out score, anything goes. When
    the current model has a score but the candidate has none, or was scored
    under another protocol, the two cannot be compared, and that is a refusal
    too: replacing a measured model needs a measurement (or ``--force``).
    """
    if current is None or current.holdout is None:
        return None
    was = current.holdout.macro_f1
    if candidate.holdout is None:
        return f"the new model has no held-out score to compare with the current one's macro-F1 {was:.3f}"
    new, old = candidate.config.protocol, current.config.protocol
    if (new.holdout_fraction, new.seed) != (old.holdout_fraction, old.seed):
        return (f"the new model was scored on another held-out protocol (fraction {new.holdout_fraction:g}, "
                f"seed {new.seed}) than the current one (fraction {old.holdout_fraction:g}, seed {old.seed}), "
                f"so the scores cannot be compared")
    now = candidate.holdout.macro_f1
    if now < was - max_drop:
        return (f"held-out macro-F1 {now:.3f} is {was - now:.3f} below the current model's {was:.3f} "
                f"(at most {max_drop:.2f} lower is allowed)")
    return None
