"""Exercise 12: each student's own class counts and number of folds for stratified dealing."""

from __future__ import annotations

import numpy as np

EXERCISE = "12_k_fold"


def numbers(rng: np.random.Generator) -> dict:
    """Three class sizes (a common, a middling and a rare class) and k in 4..6.

    Redrawn until the first class does not fill whole rounds of k (so the dealing of the next
    class starts at a fold other than 0) and the rare class is not a multiple of k either.
    """
    while True:
        k = int(rng.integers(4, 7))
        counts = np.array([rng.integers(25, 61), rng.integers(9, 25), rng.integers(3, 9)])
        if counts[0] % k and counts[2] % k and (counts[0] + counts[1]) % k:
            return {"class_counts": counts.astype(np.int64), "k": k}
