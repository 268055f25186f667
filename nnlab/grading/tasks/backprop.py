"""Exercise 03: ReLU and dense backward passes, softmax + cross-entropy gradient, and fixing
the gradient check of the lecture notes (an aliased array)."""

from __future__ import annotations

import numpy as np

from ... import activations, gradcheck, layers, losses
from ..core import Case, Exercise, Mistake, Task, manual_task


def _relu_cases(rng):
    x1, d1 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x2 = np.array([[0.0, -0.0, 1e-9, -1e-9]])
    d2 = np.array([[1.0, 2.0, 3.0, 4.0]])
    x3, d3 = rng.normal(size=(2, 5)), -np.abs(rng.normal(size=(2, 5)))
    return [
        Case("a batch (4, 3)", lambda fn: fn(d1.copy(), x1.copy())),
        Case("inputs exactly 0 and tiny", lambda fn: fn(d2.copy(), x2.copy())),
        Case("negative upstream gradients", lambda fn: fn(d3.copy(), x3.copy())),
    ]


def _dense_cases(rng):
    cases = []
    for label, (n, n_in, n_out) in (
        ("4 samples, 3 inputs, 2 neurons", (4, 3, 2)),
        ("one sample, 2 inputs, 4 neurons", (1, 2, 4)),
        ("square weights (3, 3)", (5, 3, 3)),
    ):
        d, x, w = rng.normal(size=(n, n_out)), rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        cases.append(Case(label, lambda fn, d=d, x=x, w=w: fn(d.copy(), x.copy(), w.copy())))
    return cases


def _dense_mean(d, x, w):
    n = len(d)
    return d @ w.T, x.T @ d / n, d.sum(axis=0, keepdims=True) / n


def _dense_transposed(d, x, w):
    return d @ w, x.T @ d, d.sum(axis=0, keepdims=True)


def _dense_sign(d, x, w):
    return -(d @ w.T), -(x.T @ d), -d.sum(axis=0, keepdims=True)


def _sce_cases(rng):
    cases = []
    for label, n, c, onehot in (("integer labels, 5 samples", 5, 3, False),
                                ("one-hot labels, 5 samples", 5, 3, True),
                                ("integer labels, 8 samples, 4 classes", 8, 4, False)):
        z = rng.normal(size=(n, c))
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        y = rng.integers(0, c, n)
        y_in = np.eye(c)[y] if onehot else y
        cases.append(Case(label, lambda fn, p=p, y_in=y_in: fn(p.copy(), y_in.copy())))
    return cases


def _sce_no_n(p, y):
    y = np.asarray(y)
    return p - (y if y.ndim == 2 else np.eye(p.shape[1])[y])


def _sce_sign(p, y):
    return -_sce_no_n(p, y) / len(p)


def _gradcheck_cases(rng):
    a = rng.normal(size=(3, 3))
    quad = a @ a.T + 3 * np.eye(3)
    x1, x2, x3 = rng.normal(size=3), rng.normal(size=(2, 3)), np.array([0.5, -1.5, 2.0])

    def run(fn, f, x):
        x_given = x.copy()
        grad = fn(f, x_given, 1e-5)
        # the input must come back exactly as it was: compared with 0 to 1e-12, not to rtol
        return np.asarray(grad, dtype=np.float64), x_given - x

    return [
        Case("f(x) = Σ x⁴ on a vector", lambda fn: run(fn, lambda v: float(np.sum(v**4)), x1)),
        Case("f(x) = Σ sin(x) · x² on a (2, 3) array",
             lambda fn: run(fn, lambda v: float(np.sum(np.sin(v) * v**2)), x2)),
        Case("a quadratic form xᵀAx", lambda fn: run(fn, lambda v: float(v @ quad @ v), x3)),
        Case("f(x) = Σ sin(50 x), strongly curved",
             lambda fn: run(fn, lambda v: float(np.sum(np.sin(50 * v))), x1)),
    ]


def _gradcheck_alias(f, x, epsilon=1e-5):
    # The lecture notes' loop, literally: thetaPlus and thetaMinus are both the same array.
    theta = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        theta_plus = theta
        theta_plus.flat[i] += epsilon
        theta_minus = theta
        theta_minus.flat[i] -= epsilon
        grad.flat[i] = (f(theta_plus) - f(theta_minus)) / (2 * epsilon)
    return grad


def _gradcheck_forward(f, x, epsilon=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    fx = f(x.copy())
    for i in range(x.size):
        xp = x.copy()
        xp.flat[i] += epsilon
        grad.flat[i] = (f(xp) - fx) / epsilon
    return grad


EXERCISE = Exercise(
    "03_backprop_derivation",
    "Backpropagation",
    (
        Task(
            "relu_backward", 1, activations.relu_backward, _relu_cases,
            mistakes=(
                Mistake("the gate must test the layer's inputs (inputs > 0), not the upstream "
                        "gradient", lambda d, x: d * (d > 0)),
                Mistake("the 0/1 mask must multiply the upstream gradient dvalues",
                        lambda d, x: (x > 0).astype(float)),
                Mistake("at exactly 0 the course takes ReLU's slope as 0 (use inputs > 0, not >= 0)",
                        lambda d, x: d * (x >= 0)),
            ),
            forbidden=("nnlab.activations.relu_backward", "nnlab.activations.ReLU._grad"),
        ),
        Task(
            "dense_backward", 3, layers.dense_backward, _dense_cases,
            output_names=("dinputs", "dweights", "dbiases"),
            mistakes=(
                Mistake("dweights and dbiases are divided by N: the upstream gradient dvalues is "
                        "already the gradient of the mean loss, so just sum", _dense_mean),
                Mistake("the weights must be transposed in dinputs = dvalues @ weights.T",
                        _dense_transposed),
                Mistake("every sign is flipped", _dense_sign),
            ),
            forbidden=("nnlab.layers.dense_backward", "nnlab.layers.Dense.backward"),
        ),
        Task(
            "softmax_cross_entropy_backward", 2, losses.softmax_cross_entropy_backward, _sce_cases,
            mistakes=(
                Mistake("the gradient of the mean loss needs the 1/N factor", _sce_no_n),
                Mistake("the sign is flipped: the gradient is (p̂ − y) / N", _sce_sign),
            ),
            forbidden=("nnlab.losses.softmax_cross_entropy_backward",
                       "nnlab.losses.SoftmaxCrossEntropy.backward"),
        ),
        Task(
            "numerical_gradient", 3, gradcheck.numerical_gradient, _gradcheck_cases,
            output_names=("gradient", "change of x after the call"), rtol=1e-5, separable=False,
            mistakes=(
                Mistake("theta_plus = theta makes an alias, not a copy: both perturbations land "
                        "on the same array, so f(theta_plus) − f(theta_minus) is about 0 and the "
                        "caller's array is changed. Perturb a copy (theta.copy())", _gradcheck_alias),
                Mistake("that is a forward difference (f(x + ε) − f(x)) / ε; use central "
                        "differences (f(x + ε) − f(x − ε)) / 2ε", _gradcheck_forward),
            ),
            forbidden=("nnlab.gradcheck.numerical_gradient",),
        ),
        manual_task("answer_text_combined_gradient", 1),
    ),
)
