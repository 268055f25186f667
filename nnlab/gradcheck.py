"""Numerical gradients by central differences, and the relative error used to compare them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, epsilon: float = 1e-5):
    """Central differences: ∂f/∂x_i ≈ (f(x + ε e_i) − f(x − ε e_i)) / 2ε.

    ``f`` maps an array shaped like ``x`` to a scalar. ``x`` itself is never changed: each
    perturbation is made on a private copy (perturbing an alias would accumulate the steps).
    Shapes: x any -> gradient shaped like x.
    """
    x = np.array(x, dtype=np.float64)  # a copy we own
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + epsilon
        f_plus = float(f(x.copy()))
        flat[i] = original - epsilon
        f_minus = float(f(x.copy()))
        flat[i] = original
        gflat[i] = (f_plus - f_minus) / (2.0 * epsilon)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max(|a| + |b|, 1e-8), element-wise; about 1e-7 or less means 'agree'."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"arrays to compare must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))
