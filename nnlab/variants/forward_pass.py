"""Exercise 01: each student's own layer sizes and a small 2-4-3 network of one-decimal numbers."""

from __future__ import annotations

import numpy as np

EXERCISE = "01_forward_pass"


def numbers(rng: np.random.Generator) -> dict:
    """Layer sizes [n_in, h1, h2, n_out] (n_in ≠ n_out) and a 2-4-3 ReLU/softmax network.

    The network is redrawn until its hidden layer has at least three negative and three positive
    net inputs, none within 0.05 of 0: then the ReLU changes something and the biases matter.
    """
    n_in = int(rng.integers(3, 21))
    n_out = int(rng.choice([k for k in range(2, 11) if k != n_in]))
    sizes = [n_in, 8 * int(rng.integers(2, 17)), 4 * int(rng.integers(2, 17)), n_out]

    def pick(low, high, shape):
        return np.round(rng.uniform(low, high, size=shape), 1) + 0.0  # + 0.0: no -0. printed

    while True:
        x, w1 = pick(-2.0, 2.0, (3, 2)), pick(-1.0, 1.0, (2, 4))
        b1 = pick(0.1, 0.5, (1, 4)) * rng.choice([-1.0, 1.0], size=(1, 4))
        w2, b2 = pick(-1.0, 1.0, (4, 3)), pick(-0.5, 0.5, (1, 3))
        z1 = x @ w1 + b1  # (3, 4): only its signs are looked at
        if (z1 < -0.05).sum() >= 3 and (z1 > 0.05).sum() >= 3 and np.all(np.abs(z1) > 0.05):
            break
    return {"layer_sizes": sizes, "X": x, "W1": w1, "b1": b1, "W2": w2, "b2": b2}
