"""Exercise 05: each student's own 2-2-2 sigmoid network."""

from __future__ import annotations

import numpy as np

EXERCISE = "05_worked_example_2-2-2"


def numbers(rng: np.random.Generator) -> dict:
    """A 2-2-2 sigmoid network of the classic example's kind, with two-decimal numbers."""
    def pick(low, high, shape):
        return np.round(rng.uniform(low, high, size=shape), 2)

    return {"x": pick(0.05, 0.5, (1, 2)), "W1": pick(0.1, 0.6, (2, 2)),
            "b1": np.full((1, 2), pick(0.2, 0.6, ())), "W2": pick(0.3, 0.8, (2, 2)),
            "b2": np.full((1, 2), pick(0.3, 0.7, ())), "target": pick(0.01, 0.99, (1, 2)),
            "eta": 0.5}
