"""Exercise 11: each student's own training values of one feature and three test values."""

from __future__ import annotations

import numpy as np

EXERCISE = "11_validation"


def numbers(rng: np.random.Generator) -> dict:
    """Eight training values (one decimal) and three test values: one inside the training
    range, one above its maximum and one below its minimum, in a random order."""
    x_train = np.round(rng.uniform(20.0, 80.0, size=8), 1)
    low, high = x_train.min(), x_train.max()
    while high - low < 20.0:  # a range wide enough that the three test values differ clearly
        x_train = np.round(rng.uniform(20.0, 80.0, size=8), 1)
        low, high = x_train.min(), x_train.max()
    inside = rng.uniform(low + 0.2 * (high - low), high - 0.2 * (high - low))
    above, below = high + rng.uniform(3.0, 15.0), low - rng.uniform(3.0, 15.0)
    x_test = np.round(rng.permutation([inside, above, below]), 1)
    return {"x_train": x_train, "x_test": x_test}
