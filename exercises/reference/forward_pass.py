"""Exercise 01's answers: the student's parameter count and 2-4-3 forward pass, the repaired
sigmoid layer of the lecture notes, and a numerically stable log-softmax."""

from __future__ import annotations

import numpy as np

import nnlab
from nnlab.grading.core import Mistake, Reference


def _pairs(sizes):
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def n_params(n):
    """Σ over layers of n_in · n_out weights + n_out biases."""
    return float(sum(a * b + b for a, b in _pairs(n["layer_sizes"])))


def probs(n, *, relu=True, bias_inside=True, axis=1, softmax=True):
    """softmax(relu(X W1 + b1) W2 + b2), with switches for the catalogued mistakes."""
    z1 = n["X"] @ n["W1"]  # (3, 2) @ (2, 4)
    a1 = (np.maximum(z1 + n["b1"], 0.0) if relu else z1 + n["b1"]) if bias_inside \
        else np.maximum(z1, 0.0) + n["b1"]
    z2 = a1 @ n["W2"] + n["b2"]  # (3, 4) @ (4, 3) + (1, 3)
    if not softmax:
        return z2
    e = np.exp(z2 - z2.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid_layer_forward(inputs, weights, biases):
    """a = g(inputs · weights + biases), g the sigmoid.   Shapes: (N, n_in), (n_in, n_out) -> (N, n_out)."""
    return nnlab.sigmoid(inputs @ weights + biases)


def log_softmax(x):
    """log softmax(x) = x − m − log Σ_k exp(x_k − m), m each row's maximum.   Shapes: (N, C) -> (N, C)."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _log_softmax_global_max(x):
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _lse(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


REFERENCES = {
    "answer_n_params": Reference(n_params, (
        Mistake("that counts only the weights: every neuron also has a bias",
                lambda n: float(sum(a * b for a, b in _pairs(n["layer_sizes"])))),
        Mistake("one bias per input was counted; a layer has one bias per neuron (n_out of them)",
                lambda n: float(sum(a * b + a for a, b in _pairs(n["layer_sizes"])))),
        Mistake("the input layer has no biases: its numbers are the data, not neurons",
                lambda n: n_params(n) + n["layer_sizes"][0]),
        Mistake("one bias per layer was counted; every neuron has its own",
                lambda n: float(sum(a * b + 1 for a, b in _pairs(n["layer_sizes"])))),
    )),
    "answer_probs": Reference(lambda n: probs(n), (
        Mistake("the ReLU between the two layers is missing: A1 = max(0, X W1 + b1)",
                lambda n: probs(n, relu=False)),
        Mistake("the bias belongs inside the activation, max(0, X W1 + b1), not max(0, X W1) + b1",
                lambda n: probs(n, bias_inside=False)),
        Mistake("softmax was taken over axis 0 (columns): each row (one sample) must sum to 1",
                lambda n: probs(n, axis=0)),
        Mistake("those are the logits Z2: softmax turns them into probabilities",
                lambda n: probs(n, softmax=False)),
    )),
    "sigmoid_layer_forward": Reference(sigmoid_layer_forward, (
        Mistake("the bias is added after the activation, g(Σ w·x) + b, as in the lecture notes; "
                "it belongs inside: g(Σ w·x + b)",
                lambda x, w, b: nnlab.sigmoid(x @ w) + b),
        Mistake("the bias is added twice, inside and after the activation: keep only g(Σ w·x + b)",
                lambda x, w, b: nnlab.sigmoid(x @ w + b) + b),
        Mistake("the biases are missing: g(Σ w·x + b)", lambda x, w, b: nnlab.sigmoid(x @ w)),
        Mistake("the sign in the exponent is flipped: g(z) = 1 / (1 + e^(−z)), so a large z gives "
                "an output near 1", lambda x, w, b: nnlab.sigmoid(-(x @ w + b))),
        Mistake("the weights are transposed: with weights of shape (n_in, n_out) the product is "
                "inputs @ weights", lambda x, w, b: nnlab.sigmoid(x @ w.T + b)),
    )),
    "log_softmax": Reference(log_softmax, (
        Mistake("log(softmax(x)) underflows: a probability that rounds to 0 gives log 0 = −inf; "
                "compute x − m − log Σ exp(x − m) without forming the probabilities",
                lambda x: np.log(nnlab.softmax(x))),
        Mistake("without the max shift exp(1000) overflows to inf; subtract each row's maximum "
                "m before exponentiating", lambda x: x - np.log(np.exp(x).sum(axis=1, keepdims=True))),
        Mistake("the maximum of the whole array was subtracted: a row far below it underflows "
                "to log 0; subtract each row's own maximum (axis=1, keepdims=True)",
                _log_softmax_global_max),
        Mistake("clipping the probabilities before the log changes every tiny log-probability; "
                "compute x − m − log Σ exp(x − m) without forming the probabilities",
                lambda x: np.log(np.clip(nnlab.softmax(x), 1e-7, 1.0))),
        Mistake("the maximum must be subtracted from x too: x − m − log Σ exp(x − m)",
                lambda x: x - np.log(np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))),
        Mistake("the sum runs over the whole array: each row (sample) needs its own "
                "log Σ exp(x − m), summed with axis=1, keepdims=True",
                lambda x: (x - x.max(axis=1, keepdims=True))
                - np.log(np.exp(x - x.max(axis=1, keepdims=True)).sum())),
        Mistake("the term log Σ exp(x − m) is missing: x − m alone is not normalised",
                lambda x: x - x.max(axis=1, keepdims=True)),
        Mistake("normalised over axis 0 (columns): each row (sample) holds one distribution",
                lambda x: x - _lse(x, axis=0)),
    )),
}
