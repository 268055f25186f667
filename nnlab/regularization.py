"""L1 and L2 penalties for one parameter array (weights or biases), and their gradients."""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_non_negative


def l1_penalty(weights: np.ndarray, lam: float) -> float:
    """L1 penalty: λ · Σ|w|."""
    check_non_negative(lam, "lam")
    return float(lam * np.sum(np.abs(as_float_array(weights, "weights"))))


def l1_gradient(weights: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of λΣ|w|: λ · sign(w), taking sign(0) = +1 as the nnfs book does."""
    check_non_negative(lam, "lam")
    weights = as_float_array(weights, "weights")
    return lam * np.where(weights < 0, -1.0, 1.0)


def l2_penalty(weights: np.ndarray, lam: float) -> float:
    """L2 penalty: λ · Σw²."""
    check_non_negative(lam, "lam")
    return float(lam * np.sum(as_float_array(weights, "weights") ** 2))


def l2_gradient(weights: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of λΣw²: 2λ · w (each weight gets its own term)."""
    check_non_negative(lam, "lam")
    return 2.0 * lam * as_float_array(weights, "weights")
