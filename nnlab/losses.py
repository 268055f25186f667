"""Loss functions (mean over samples) and their gradients, accuracy, and loss classes.

Every ``*_backward`` returns the gradient of the *mean* loss, so it is already divided by N.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_same_shape, labels_to_indices, one_hot

EPSILON = 1e-7  # probabilities are clipped to [ε, 1 − ε] so that log never sees 0


def _check_probs(probs) -> np.ndarray:
    return as_float_array(probs, "probs", ndim=2)


def categorical_cross_entropy(probs: np.ndarray, y_true) -> float:
    """Mean of −log p̂_(i, y_i) over samples, with p̂ clipped to [1e-7, 1 − 1e-7].

    Shapes: probs (N, C); y_true integer labels (N,) or one-hot (N, C).
    """
    probs = _check_probs(probs)
    n, c = probs.shape
    idx = labels_to_indices(y_true, n, c)
    correct = probs[np.arange(n), idx]  # p̂ of the true class, (N,)
    return float(-np.mean(np.log(np.clip(correct, EPSILON, 1 - EPSILON))))


def categorical_cross_entropy_backward(probs: np.ndarray, y_true) -> np.ndarray:
    """∂L/∂p̂ = −y / p̂ / N (p̂ clipped as in the forward pass).   Shapes: (N, C)."""
    probs = _check_probs(probs)
    n, c = probs.shape
    return -one_hot(y_true, n, c) / np.clip(probs, EPSILON, 1 - EPSILON) / n


def softmax_cross_entropy_backward(probs: np.ndarray, y_true) -> np.ndarray:
    """Gradient of softmax followed by cross-entropy w.r.t. the logits: (p̂ − y) / N.

    ``probs`` are the softmax outputs.   Shapes: (N, C).
    """
    probs = _check_probs(probs)
    n, c = probs.shape
    return (probs - one_hot(y_true, n, c)) / n


def _check_targets(y_pred, y_true, name="y_pred"):
    y_pred = as_float_array(y_pred, name)
    if y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1)
    if y_pred.ndim != 2:
        raise ValueError(f"{name} must have shape (N, n_outputs); got {y_pred.shape}")
    y_true = as_float_array(y_true, "y_true")
    if y_true.ndim == 1 and y_pred.shape[1] == 1:
        y_true = y_true.reshape(-1, 1)
    check_same_shape(y_pred, y_true, name, "y_true")
    return y_pred, y_true


def binary_cross_entropy(probs: np.ndarray, y_true) -> float:
    """Mean over outputs, then samples, of −[y log p̂ + (1 − y) log(1 − p̂)], p̂ clipped.

    Shapes: probs (N, n_outputs) (or (N,) for one output), y_true the same.
    """
    probs, y_true = _check_targets(probs, y_true, "probs")
    p = np.clip(probs, EPSILON, 1 - EPSILON)
    return float(np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))))


def binary_cross_entropy_backward(probs: np.ndarray, y_true) -> np.ndarray:
    """∂L/∂p̂ = −(y / p̂ − (1 − y) / (1 − p̂)) / n_outputs / N.   Shapes: (N, n_outputs)."""
    probs, y_true = _check_targets(probs, y_true, "probs")
    p = np.clip(probs, EPSILON, 1 - EPSILON)
    n, outputs = probs.shape
    return -(y_true / p - (1 - y_true) / (1 - p)) / outputs / n


def mean_squared_error(y_pred: np.ndarray, y_true) -> float:
    """Mean over outputs, then samples, of (y − ŷ)².   Shapes: (N, n_outputs)."""
    y_pred, y_true = _check_targets(y_pred, y_true)
    return float(np.mean((y_true - y_pred) ** 2))


def mean_squared_error_backward(y_pred: np.ndarray, y_true) -> np.ndarray:
    """∂L/∂ŷ = −2 (y − ŷ) / n_outputs / N.   Shapes: (N, n_outputs)."""
    y_pred, y_true = _check_targets(y_pred, y_true)
    n, outputs = y_pred.shape
    return -2.0 * (y_true - y_pred) / outputs / n


def mean_absolute_error(y_pred: np.ndarray, y_true) -> float:
    """Mean over outputs, then samples, of |y − ŷ|.   Shapes: (N, n_outputs)."""
    y_pred, y_true = _check_targets(y_pred, y_true)
    return float(np.mean(np.abs(y_true - y_pred)))


def mean_absolute_error_backward(y_pred: np.ndarray, y_true) -> np.ndarray:
    """∂L/∂ŷ = −sign(y − ŷ) / n_outputs / N.   Shapes: (N, n_outputs)."""
    y_pred, y_true = _check_targets(y_pred, y_true)
    n, outputs = y_pred.shape
    return -np.sign(y_true - y_pred) / outputs / n


def accuracy(outputs: np.ndarray, y_true) -> float:
    """Fraction of samples whose highest score is the true class.

    Shapes: outputs (N, C) class scores or probabilities; y_true (N,) integers or (N, C) one-hot.
    """
    outputs = as_float_array(outputs, "outputs", ndim=2)
    n, c = outputs.shape
    idx = labels_to_indices(y_true, n, c)
    return float(np.mean(np.argmax(outputs, axis=1) == idx))


def binary_accuracy(probs: np.ndarray, y_true) -> float:
    """Fraction of outputs where (p̂ > 0.5) equals the 0/1 target."""
    probs, y_true = _check_targets(probs, y_true, "probs")
    return float(np.mean((probs > 0.5) == (y_true > 0.5)))


def regression_accuracy(y_pred: np.ndarray, y_true, precision: float) -> float:
    """Fraction of outputs within ``precision`` of the target (the book's regression 'accuracy')."""
    y_pred, y_true = _check_targets(y_pred, y_true)
    return float(np.mean(np.abs(y_pred - y_true) < precision))


# ---- loss classes used by Model: value, gradient w.r.t. the last layer's output, accuracy ----

class SoftmaxCrossEntropy:
    """Softmax output and categorical cross-entropy, with the combined gradient (p̂ − y) / N.

    The model's last layer outputs logits; ``output`` turns them into probabilities.
    """

    def output(self, logits: np.ndarray) -> np.ndarray:
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def prepare_targets(self, y, n_outputs: int) -> np.ndarray:
        return labels_to_indices(y, len(y), n_outputs)

    def loss(self, outputs: np.ndarray, y: np.ndarray) -> float:
        p = outputs[np.arange(len(y)), y]
        return float(-np.mean(np.log(np.clip(p, EPSILON, 1 - EPSILON))))

    def backward(self, outputs: np.ndarray, y: np.ndarray) -> np.ndarray:
        dvalues = outputs.copy()
        dvalues[np.arange(len(y)), y] -= 1.0
        return dvalues / len(y)

    def accuracy(self, outputs: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(outputs, axis=1) == y))


class BinaryCrossEntropy:
    """Sigmoid outputs with binary cross-entropy; targets 0/1 of shape (N, n_outputs)."""

    def output(self, logits: np.ndarray) -> np.ndarray:
        from .activations import sigmoid

        return sigmoid(logits)

    def prepare_targets(self, y, n_outputs: int) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        return y.reshape(-1, 1) if y.ndim == 1 and n_outputs == 1 else y

    def loss(self, outputs, y):
        return binary_cross_entropy(outputs, y)

    def backward(self, outputs, y):
        # Through the sigmoid as well: ∂L/∂z = (p̂ − y) / n_outputs / N.
        return (outputs - y) / outputs.shape[1] / len(y)

    def accuracy(self, outputs, y):
        return binary_accuracy(outputs, y)


class MeanSquaredError:
    """Linear outputs with mean squared error; 'accuracy' is the share within std(y)/250."""

    def output(self, logits: np.ndarray) -> np.ndarray:
        return logits

    def prepare_targets(self, y, n_outputs: int) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        self._precision = float(np.std(y)) / 250
        return y.reshape(-1, 1) if y.ndim == 1 and n_outputs == 1 else y

    def loss(self, outputs, y):
        return mean_squared_error(outputs, y)

    def backward(self, outputs, y):
        return mean_squared_error_backward(outputs, y)

    def accuracy(self, outputs, y):
        return regression_accuracy(outputs, y, self._precision)


LOSSES = {
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "mean_squared_error": MeanSquaredError,
}
