"""The dense (fully connected) layer: pure forward/backward functions, initialisers, a class."""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_rng
from .regularization import l1_gradient, l1_penalty, l2_gradient, l2_penalty


def _check_dense(inputs, weights, biases=None):
    inputs = as_float_array(inputs, "inputs", ndim=2)
    weights = as_float_array(weights, "weights", ndim=2)
    if inputs.shape[1] != weights.shape[0]:
        raise ValueError(
            f"inputs must have shape (N, {weights.shape[0]}) to match weights {weights.shape}; "
            f"got {inputs.shape}"
        )
    if biases is None:
        return inputs, weights, None
    biases = as_float_array(biases, "biases")
    n_out = weights.shape[1]
    if biases.shape not in ((n_out,), (1, n_out)):
        raise ValueError(f"biases must have shape (1, {n_out}) or ({n_out},); got {biases.shape}")
    return inputs, weights, biases


def dense_forward(inputs: np.ndarray, weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """outputs = inputs · weights + biases.

    Shapes: inputs (N, n_in), weights (n_in, n_out), biases (1, n_out) -> (N, n_out).
    """
    inputs, weights, biases = _check_dense(inputs, weights, biases)
    return inputs @ weights + biases


def dense_backward(dvalues: np.ndarray, inputs: np.ndarray, weights: np.ndarray):
    """Gradients of a dense layer.

    dinputs = dvalues · weightsᵀ,  dweights = inputsᵀ · dvalues,  dbiases = Σ_rows dvalues.
    Shapes: dvalues (N, n_out), inputs (N, n_in), weights (n_in, n_out)
    -> dinputs (N, n_in), dweights (n_in, n_out), dbiases (1, n_out).
    """
    inputs, weights, _ = _check_dense(inputs, weights)
    dvalues = as_float_array(dvalues, "dvalues", ndim=2)
    expected = (inputs.shape[0], weights.shape[1])
    if dvalues.shape != expected:
        raise ValueError(f"dvalues must have shape {expected}; got {dvalues.shape}")
    return dvalues @ weights.T, inputs.T @ dvalues, dvalues.sum(axis=0, keepdims=True)


def count_parameters(layer_sizes) -> int:
    """Weights plus biases of a fully connected network: Σ (n_in · n_out + n_out).

    count_parameters([3, 4, 2]) == 26.
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes needs at least two positive sizes; got {list(layer_sizes)}")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False))


# ---- weight initialisers: (n_in, n_out, rng) -> weights (n_in, n_out) ----

def init_book(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """The nnfs book's 0.01 · N(0, 1)."""
    check_rng(rng)
    return 0.01 * rng.standard_normal((n_in, n_out))


def init_uniform(n_in: int, n_out: int, rng: np.random.Generator, epsilon: float = 0.12):
    """Uniform on [−ε, ε]."""
    check_rng(rng)
    return rng.uniform(-epsilon, epsilon, size=(n_in, n_out))


def init_zeros(n_in: int, n_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """All zeros: every hidden unit stays identical (the symmetry problem)."""
    return np.zeros((n_in, n_out))


def init_he(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """He: N(0, 2 / n_in), suited to ReLU."""
    check_rng(rng)
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


def init_xavier(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Xavier/Glorot: uniform on ±√(6 / (n_in + n_out)), suited to tanh and sigmoid."""
    check_rng(rng)
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


INITIALIZERS = {
    "book": init_book,
    "uniform": init_uniform,
    "zeros": init_zeros,
    "he": init_he,
    "xavier": init_xavier,
}


class Dense:
    """A fully connected layer with optional L1/L2 penalties on weights and biases.

    Shapes: inputs (N, n_inputs) -> outputs (N, n_neurons); weights (n_inputs, n_neurons);
    biases (1, n_neurons).
    """

    def __init__(
        self,
        n_inputs: int,
        n_neurons: int,
        *,
        rng: np.random.Generator,
        init: str = "book",
        weight_regularizer_l1: float = 0.0,
        weight_regularizer_l2: float = 0.0,
        bias_regularizer_l1: float = 0.0,
        bias_regularizer_l2: float = 0.0,
    ):
        if init not in INITIALIZERS:
            raise ValueError(f"init must be one of {sorted(INITIALIZERS)}; got {init!r}")
        if n_inputs < 1 or n_neurons < 1:
            raise ValueError(f"layer sizes must be positive; got ({n_inputs}, {n_neurons})")
        self.weights = INITIALIZERS[init](n_inputs, n_neurons, rng)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1 = weight_regularizer_l1
        self.weight_regularizer_l2 = weight_regularizer_l2
        self.bias_regularizer_l1 = bias_regularizer_l1
        self.bias_regularizer_l2 = bias_regularizer_l2
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.weights, self.biases]

    @property
    def grads(self) -> list[np.ndarray]:
        return [self.dweights, self.dbiases]

    def set_params(self, params) -> None:
        self.weights, self.biases = params

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._inputs = inputs
        return inputs @ self.weights + self.biases

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        dinputs = dvalues @ self.weights.T
        self.dweights = self._inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        # Each penalty adds its own gradient, guarded by its own strength.
        if self.weight_regularizer_l1 > 0:
            self.dweights += l1_gradient(self.weights, self.weight_regularizer_l1)
        if self.weight_regularizer_l2 > 0:
            self.dweights += l2_gradient(self.weights, self.weight_regularizer_l2)
        if self.bias_regularizer_l1 > 0:
            self.dbiases += l1_gradient(self.biases, self.bias_regularizer_l1)
        if self.bias_regularizer_l2 > 0:
            self.dbiases += l2_gradient(self.biases, self.bias_regularizer_l2)
        return dinputs

    def regularization_loss(self) -> float:
        """λ₁Σ|w| + λ₂Σw² for the weights, and the same for the biases."""
        loss = 0.0
        if self.weight_regularizer_l1 > 0:
            loss += l1_penalty(self.weights, self.weight_regularizer_l1)
        if self.weight_regularizer_l2 > 0:
            loss += l2_penalty(self.weights, self.weight_regularizer_l2)
        if self.bias_regularizer_l1 > 0:
            loss += l1_penalty(self.biases, self.bias_regularizer_l1)
        if self.bias_regularizer_l2 > 0:
            loss += l2_penalty(self.biases, self.bias_regularizer_l2)
        return loss

    def __repr__(self) -> str:
        n_in, n_out = self.weights.shape
        return f"Dense({n_in}, {n_out})"
