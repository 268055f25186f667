"""Exercise 02: each student's own regression targets and predictions, one of them far off."""

from __future__ import annotations

import numpy as np

EXERCISE = "02_loss"


def numbers(rng: np.random.Generator) -> dict:
    """Six targets and predictions with two decimals; one prediction is 3 to 6 too high."""
    y_true = np.round(rng.uniform(0.0, 5.0, size=6), 2)
    noise = np.round(rng.uniform(-0.6, 0.6, size=6), 2)
    noise[rng.integers(6)] = np.round(rng.uniform(3.0, 6.0), 2)
    return {"y_true": y_true, "y_pred": np.round(y_true + noise, 2)}
