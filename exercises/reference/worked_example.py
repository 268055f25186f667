"""Exercise 05's answers: the 2-2-2 network's numbers for a student's weights and targets."""

from __future__ import annotations

import numpy as np

from nnlab.grading.core import Mistake, Reference


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(n):
    """(net_h, out_h, out_o) of a student's network."""
    net_h = n["x"] @ n["W1"] + n["b1"]
    out_h = _sigmoid(net_h)
    return net_h, out_h, _sigmoid(out_h @ n["W2"] + n["b2"])


def delta_o(n):
    _, _, out_o = forward(n)
    return (out_o - n["target"]) * out_o * (1 - out_o)


def w5_new(n, sign=-1.0, with_hidden=True):
    _, out_h, _ = forward(n)
    step = n["eta"] * delta_o(n)[0, 0] * (out_h[0, 0] if with_hidden else 1.0)
    return n["W2"][0, 0] + sign * step


def output_delta(outputs, targets):
    """δ = (output − target) · g'(output), with g'(output) = output · (1 − output)."""
    return (outputs - targets) * outputs * (1 - outputs)


def hidden_delta(delta_o, weights2, out_h):
    """δ_hidden = (δ_out @ weights2ᵀ) · out_h · (1 − out_h)."""
    return (delta_o @ weights2.T) * out_h * (1 - out_h)


REFERENCES = {
    "answer_out_h": Reference(lambda n: forward(n)[1].ravel(), (
        Mistake("those are the net inputs; squash them with the sigmoid",
                lambda n: forward(n)[0].ravel()),
        Mistake("the bias belongs inside the activation, g(Σ w·x + b), not g(Σ w·x) + b",
                lambda n: (_sigmoid(n["x"] @ n["W1"]) + n["b1"]).ravel()),
        Mistake("the weights are transposed: column j of W1 feeds hidden unit j (x @ W1)",
                lambda n: _sigmoid(n["x"] @ n["W1"].T + n["b1"]).ravel()),
    )),
    "answer_out_o": Reference(lambda n: forward(n)[2].ravel(), (
        Mistake("the output layer takes the hidden outputs (after the sigmoid) as its inputs",
                lambda n: _sigmoid(forward(n)[0] @ n["W2"] + n["b2"]).ravel()),
    )),
    "answer_delta_o": Reference(lambda n: delta_o(n).ravel(), (
        Mistake("g' must be taken at the output, output · (1 − output), not at the target",
                lambda n: ((forward(n)[2] - n["target"]) * n["target"] * (1 - n["target"])).ravel()),
        Mistake("the sign is flipped: δ = (output − target) · g'(output)",
                lambda n: -delta_o(n).ravel()),
        Mistake("the sigmoid's derivative g'(output) is missing",
                lambda n: (forward(n)[2] - n["target"]).ravel()),
    )),
    "answer_w5_new": Reference(lambda n: w5_new(n), (
        Mistake("gradient descent subtracts: w5 − η · ∂E/∂w5", lambda n: w5_new(n, sign=1.0)),
        Mistake("∂E/∂w5 = δ_o1 · out_h1: the hidden output is missing",
                lambda n: w5_new(n, with_hidden=False)),
    )),
    "output_delta": Reference(output_delta, (
        Mistake("g'(target) instead of g'(output): the derivative of the sigmoid is taken at the "
                "neuron's output, output · (1 − output)", lambda o, t: (o - t) * t * (1 - t)),
        Mistake("the sign is flipped: δ = (output − target) · g'(output)",
                lambda o, t: (t - o) * o * (1 - o)),
    )),
    "hidden_delta": Reference(hidden_delta, (
        Mistake("the weights must be transposed: δ_out @ weights2.T has shape (N, n_hidden)",
                lambda d, w, h: (d @ w) * h * (1 - h)),
        Mistake("the sigmoid's derivative out_h · (1 − out_h) is missing",
                lambda d, w, h: d @ w.T),
    )),
}
