"""Inverted dropout: drop a fraction ``rate`` of units while training, rescale the rest."""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_rng, check_same_shape


def _check_rate(rate: float) -> None:
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate (fraction dropped) must be in [0, 1); got {rate}")


def dropout_forward(inputs: np.ndarray, rate: float, rng: np.random.Generator):
    """Drop each unit with probability ``rate`` and scale survivors by 1 / (1 − rate).

    mask = Bernoulli(1 − rate) / (1 − rate),  outputs = inputs ⊙ mask, so E[outputs] = inputs.
    Shapes: inputs (N, n) -> outputs (N, n), mask (N, n).
    """
    _check_rate(rate)
    check_rng(rng)
    inputs = as_float_array(inputs, "inputs")
    keep = 1.0 - rate
    mask = (rng.random(inputs.shape) < keep) / keep
    return inputs * mask, mask


def dropout_backward(dvalues: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dinputs = dvalues ⊙ mask (the same mask, scaling included)."""
    dvalues, mask = as_float_array(dvalues, "dvalues"), as_float_array(mask, "mask")
    check_same_shape(mask, dvalues, "mask", "dvalues")
    return dvalues * mask


class Dropout:
    """Dropout layer: active only when ``forward(..., training=True)``; identity otherwise."""

    def __init__(self, rate: float, *, rng: np.random.Generator):
        _check_rate(rate)
        check_rng(rng)
        self.rate = rate
        self.rng = rng

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0.0:
            self._mask = None
            return inputs
        outputs, self._mask = dropout_forward(inputs, self.rate, self.rng)
        return outputs

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return dvalues
        return dropout_backward(dvalues, self._mask)

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate})"
