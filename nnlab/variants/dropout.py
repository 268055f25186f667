"""Exercise 10: each student's own dropout rate."""

from __future__ import annotations

import numpy as np

EXERCISE = "10_dropout"

# Rates whose answers differ from their catalogued mistakes (0.5 would make 1/(1 − r) equal
# 1/r and 1 − r equal r) and from every guess of 0, ±1 and 0.5.
RATES = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.55, 0.6, 0.65, 0.7, 0.75)


def numbers(rng: np.random.Generator) -> dict:
    """A dropout rate (the fraction of units dropped)."""
    return {"rate": float(rng.choice(RATES))}
