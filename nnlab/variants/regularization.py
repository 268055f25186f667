"""Exercise 09: each student's own small layer and penalty strengths."""

from __future__ import annotations

import numpy as np

EXERCISE = "09_regularization"


def numbers(rng: np.random.Generator) -> dict:
    """Weights (2, 3) and biases (1, 3) with two decimals, and the four penalty strengths."""
    def pick(shape, high):
        sizes = np.round(rng.uniform(0.1, high, size=shape), 2)
        return sizes * rng.choice([-1.0, 1.0], size=shape)

    weights, biases = pick((2, 3), 2.0), pick((1, 3), 1.0)
    zero, negative = rng.permutation(6)[:2]
    weights.flat[negative] = -abs(weights.flat[negative])  # at least one negative weight ...
    weights.flat[zero] = 0.0                                 # ... and one exactly at L1's corner
    return {"weights": weights, "biases": biases,
            "weight_l1": float(rng.choice([0.001, 0.002, 0.005, 0.01])),
            "weight_l2": float(rng.choice([0.001, 0.002, 0.005, 0.01])),
            "bias_l1": 0.0,
            "bias_l2": float(rng.choice([0.01, 0.02, 0.05]))}
