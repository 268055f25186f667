"""Exercise 04: the numbers of one backpropagation step through the 2-2-2 sigmoid network, and
fixing the output delta of the lecture notes (g'(target) instead of g'(output))."""

from __future__ import annotations

import numpy as np

from ..core import Case, Exercise, Mistake, Task, manual_task, value_case

# The classic example: inputs 0.05, 0.10; targets 0.01, 0.99; learning rate 0.5.
X = np.array([[0.05, 0.10]])
W1 = np.array([[0.15, 0.25], [0.20, 0.30]])  # (n_in, n_hidden): column j feeds hidden unit j
B1 = np.array([[0.35, 0.35]])
W2 = np.array([[0.40, 0.50], [0.45, 0.55]])
B2 = np.array([[0.60, 0.60]])
TARGET = np.array([[0.01, 0.99]])
ETA = 0.5


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


NET_H = X @ W1 + B1
OUT_H = _sigmoid(NET_H)
OUT_O = _sigmoid(OUT_H @ W2 + B2)
DELTA_O = (OUT_O - TARGET) * OUT_O * (1 - OUT_O)
W5_NEW = W2[0, 0] - ETA * DELTA_O[0, 0] * OUT_H[0, 0]


def output_delta(outputs, targets):
    """δ = (output − target) · g'(output), with g'(output) = output · (1 − output) for a sigmoid."""
    outputs, targets = np.asarray(outputs, float), np.asarray(targets, float)
    return (outputs - targets) * outputs * (1 - outputs)


def hidden_delta(delta_o, weights2, out_h):
    """δ_hidden = (δ_out @ weights2ᵀ) · out_h · (1 − out_h).   Shapes: (N, n_out), (n_h, n_out), (N, n_h)."""
    return (np.asarray(delta_o) @ np.asarray(weights2).T) * out_h * (1 - out_h)


def _values(label="your answer, as an array of shape (2,)"):
    return [Case(label, lambda v: np.asarray(v, dtype=np.float64).reshape(-1))]


def _delta_cases(rng):
    o, t = rng.uniform(0.05, 0.95, size=(4, 2)), rng.uniform(0, 1, size=(4, 2))
    notes_o, notes_t = np.array([[0.5, 0.4]]), np.array([[0.7, 0.1]])
    return [
        Case("the lecture notes' outputs 0.5, 0.4 and targets 0.7, 0.1",
             lambda fn: fn(notes_o.copy(), notes_t.copy())),
        Case("a batch (4, 2)", lambda fn: fn(o.copy(), t.copy())),
        Case("the 2-2-2 network's outputs", lambda fn: fn(OUT_O.copy(), TARGET.copy())),
    ]


def _hidden_cases(rng):
    cases = [Case("the 2-2-2 network", lambda fn: fn(DELTA_O.copy(), W2.copy(), OUT_H.copy()))]
    d, w, h = rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.uniform(0.1, 0.9, (3, 4))
    cases.append(Case("3 samples, 4 hidden, 2 outputs", lambda fn: fn(d.copy(), w.copy(), h.copy())))
    return cases


EXERCISE = Exercise(
    "05_worked_example_2-2-2",
    "A worked example: the 2-2-2 sigmoid network",
    (
        Task(
            "answer_out_h", 1, OUT_H.ravel(), lambda rng: _values(), kind="value", rtol=1e-4,
            mistakes=(
                Mistake("those are the net inputs; squash them with the sigmoid", NET_H.ravel()),
                Mistake("the bias belongs inside the activation, g(Σ w·x + b), not g(Σ w·x) + b",
                        (_sigmoid(X @ W1) + B1).ravel()),
            ),
        ),
        Task(
            "answer_out_o", 1, OUT_O.ravel(), lambda rng: _values(), kind="value", rtol=1e-4,
            mistakes=(Mistake("the output layer takes the hidden outputs (after the sigmoid) as "
                              "its inputs", _sigmoid(NET_H @ W2 + B2).ravel()),),
        ),
        Task(
            "answer_delta_o", 1, DELTA_O.ravel(), lambda rng: _values(), kind="value", rtol=1e-4,
            mistakes=(
                Mistake("g' must be taken at the output, output · (1 − output), not at the target",
                        ((OUT_O - TARGET) * TARGET * (1 - TARGET)).ravel()),
                Mistake("the sign is flipped: δ = (output − target) · g'(output)", -DELTA_O.ravel()),
                Mistake("the sigmoid's derivative g'(output) is missing", (OUT_O - TARGET).ravel()),
            ),
        ),
        Task(
            "answer_w5_new", 1, W5_NEW, lambda rng: value_case(), kind="value", rtol=1e-4,
            mistakes=(
                Mistake("gradient descent subtracts: w5 − η · ∂E/∂w5",
                        W2[0, 0] + ETA * DELTA_O[0, 0] * OUT_H[0, 0]),
                Mistake("∂E/∂w5 = δ_o1 · out_h1: the hidden output is missing",
                        W2[0, 0] - ETA * DELTA_O[0, 0]),
            ),
        ),
        Task(
            "output_delta", 2, output_delta, _delta_cases,
            mistakes=(
                Mistake("g'(target) instead of g'(output): the derivative of the sigmoid is taken "
                        "at the neuron's output, output · (1 − output)",
                        lambda o, t: (o - t) * t * (1 - t)),
                Mistake("the sign is flipped: δ = (output − target) · g'(output)",
                        lambda o, t: (t - o) * o * (1 - o)),
            ),
        ),
        Task(
            "hidden_delta", 2, hidden_delta, _hidden_cases,
            mistakes=(
                Mistake("the weights must be transposed: δ_out @ weights2.T has shape (N, n_hidden)",
                        lambda d, w, h: (d @ w) * h * (1 - h)),
                Mistake("the sigmoid's derivative out_h · (1 − out_h) is missing",
                        lambda d, w, h: d @ w.T),
            ),
        ),
        manual_task("answer_text_output_delta", 1),
    ),
)
