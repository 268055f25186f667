"""Exercise 07: each student's own mini-batch training run, for the learning rate its decay reaches."""

from __future__ import annotations

import numpy as np

EXERCISE = "07_optimizers"


def numbers(rng: np.random.Generator) -> dict:
    """An initial learning rate, an inverse-time decay, a data set size that is not a multiple of
    the batch size (the last mini-batch is smaller), and an epoch counted from 0."""
    batch_size = int(rng.choice([16, 32, 64]))
    epoch = int(rng.integers(3, 10))
    # ⌈N/B⌉ updates per epoch; not epoch + 1 or epoch + 2, where two wrong counts would coincide
    updates_per_epoch = int(rng.choice([u for u in range(4, 13) if u not in (epoch + 1, epoch + 2)]))
    n_samples = (updates_per_epoch - 1) * batch_size + int(rng.integers(1, batch_size))
    decay = float(rng.choice([0.01, 0.02, 0.05]))
    shrink = 1 + decay * ((epoch + 1) * updates_per_epoch - 1)
    while True:
        learning_rate = round(float(rng.uniform(0.1, 1.0)), 2)
        if abs(learning_rate / shrink - 0.5) >= 0.01:  # keep the answer clear of a guessed 0.5
            break
    return {"learning_rate": learning_rate, "decay": decay, "n_samples": n_samples,
            "batch_size": batch_size, "epoch": epoch}
