"""Activation functions and their backward passes (pure functions), plus thin layer classes.

Every backward function takes the upstream gradient ``dvalues`` (same shape as the output) and
returns the gradient with respect to the activation's input.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_same_shape


def linear(x: np.ndarray) -> np.ndarray:
    """Identity: f(x) = x."""
    return as_float_array(x, "x").copy()


def step(x: np.ndarray) -> np.ndarray:
    """Heaviside step: 1 where x > 0, else 0."""
    return (as_float_array(x, "x") > 0).astype(np.float64)


def relu(x: np.ndarray) -> np.ndarray:
    """ReLU: f(x) = max(0, x)."""
    return np.maximum(0.0, as_float_array(x, "x"))


def relu_backward(dvalues: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """ReLU gradient: dinputs = dvalues · [inputs > 0].   Shapes: both (N, n)."""
    dvalues, inputs = as_float_array(dvalues, "dvalues"), as_float_array(inputs, "inputs")
    check_same_shape(inputs, dvalues, "inputs", "dvalues")
    return dvalues * (inputs > 0)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid σ(x) = 1 / (1 + e^(−x)), without overflow for large |x|."""
    x = as_float_array(x, "x")
    # e^(-|x|) never overflows; for x < 0 use σ(x) = e^x / (1 + e^x).
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_backward(dvalues: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Sigmoid gradient from its outputs: dinputs = dvalues · σ · (1 − σ)."""
    dvalues, outputs = as_float_array(dvalues, "dvalues"), as_float_array(outputs, "outputs")
    check_same_shape(outputs, dvalues, "outputs", "dvalues")
    return dvalues * outputs * (1.0 - outputs)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, range (−1, 1)."""
    return np.tanh(as_float_array(x, "x"))


def tanh_backward(dvalues: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Tanh gradient from its outputs: dinputs = dvalues · (1 − tanh²)."""
    dvalues, outputs = as_float_array(dvalues, "dvalues"), as_float_array(outputs, "outputs")
    check_same_shape(outputs, dvalues, "outputs", "dvalues")
    return dvalues * (1.0 - outputs**2)


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax: softmax(x)_ij = e^(x_ij − max_j x_ij) / Σ_k e^(x_ik − max_j x_ij).

    Subtracting each row's maximum leaves the result unchanged and keeps e^(·) ≤ 1.
    Shapes: x (N, C) -> (N, C).
    """
    x = as_float_array(x, "x", ndim=2)
    exp = np.exp(x - x.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def softmax_backward(dvalues: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Softmax gradient through the full Jacobian J = diag(s) − s sᵀ, for every row at once.

    dinputs_i = J_i · dvalues_i = s_i ⊙ (dvalues_i − s_i · dvalues_i).   Shapes: (N, C).
    """
    dvalues = as_float_array(dvalues, "dvalues", ndim=2)
    outputs = as_float_array(outputs, "outputs", ndim=2)
    check_same_shape(outputs, dvalues, "outputs", "dvalues")
    # Row-wise J·d without building the (N, C, C) tensor: s⊙d − s (sᵀd).
    return outputs * (dvalues - np.sum(outputs * dvalues, axis=1, keepdims=True))


def softmax_jacobian(outputs: np.ndarray) -> np.ndarray:
    """The per-sample Jacobians diag(s) − s sᵀ.   Shapes: outputs (N, C) -> (N, C, C)."""
    s = as_float_array(outputs, "outputs", ndim=2)
    return np.einsum("ij,jk->ijk", s, np.eye(s.shape[1])) - np.einsum("ij,ik->ijk", s, s)


# ---- layer classes: forward remembers what backward needs ----

class _Activation:
    """A layer without parameters: ``forward(inputs, training=False)``, ``backward(dvalues)``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(_Activation):
    """Identity activation (for regression outputs)."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        return linear(inputs)

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        return dvalues.copy()


class ReLU(_Activation):
    """outputs = max(0, inputs);   dinputs = dvalues · [inputs > 0]."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._inputs = inputs
        return relu(inputs)

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        return relu_backward(dvalues, self._inputs)


class Sigmoid(_Activation):
    """outputs = σ(inputs);   dinputs = dvalues · σ · (1 − σ), from the stored outputs."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._outputs = sigmoid(inputs)
        return self._outputs

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        return sigmoid_backward(dvalues, self._outputs)


class Tanh(_Activation):
    """outputs = tanh(inputs);   dinputs = dvalues · (1 − tanh²), from the stored outputs."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._outputs = tanh(inputs)
        return self._outputs

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        return tanh_backward(dvalues, self._outputs)


class Softmax(_Activation):
    """Row-wise softmax; backward through its Jacobian, from the stored outputs."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._outputs = softmax(inputs)
        return self._outputs

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        return softmax_backward(dvalues, self._outputs)
