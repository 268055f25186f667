"""Exercise 02: cross-entropy for sparse and one-hot labels, mean squared error, accuracy."""

from __future__ import annotations

import numpy as np

from ... import losses
from ..core import Case, Exercise, Mistake, Task, manual_task, value_case


def _probs(rng, n, c):
    p = rng.random((n, c)) + 0.05
    return p / p.sum(axis=1, keepdims=True)


def _one_hot(y, c):
    return np.eye(c)[y]


def _label_cases(rng):
    p1, y1 = _probs(rng, 5, 3), rng.integers(0, 3, 5)
    p2, y2 = _probs(rng, 4, 4), rng.integers(0, 4, 4)
    p3 = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    y3 = np.array([0, 2, 0])  # a true-class probability of exactly 0, and one of exactly 1
    p4, y4 = _probs(rng, 1, 2), np.array([1])
    return [
        Case("integer labels (5,)", lambda fn: fn(p1.copy(), y1.copy())),
        Case("one-hot labels (5, 3)", lambda fn: fn(p1.copy(), _one_hot(y1, 3))),
        Case("integer labels, 4 classes", lambda fn: fn(p2.copy(), y2.copy())),
        Case("one-hot labels, 4 classes", lambda fn: fn(p2.copy(), _one_hot(y2, 4))),
        Case("probabilities of exactly 0 and 1", lambda fn: fn(p3.copy(), y3.copy())),
        Case("one sample", lambda fn: fn(p4.copy(), y4.copy())),
    ]


def _cce_idx(probs, y):
    y = np.asarray(y)
    return np.argmax(y, axis=1) if y.ndim == 2 else y


def _cce_sum(probs, y):
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    return -np.sum(np.log(p[np.arange(len(p)), _cce_idx(probs, y)]))


def _cce_no_minus(probs, y):
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    return np.mean(np.log(p[np.arange(len(p)), _cce_idx(probs, y)]))


def _cce_no_clip(probs, y):
    return -np.mean(np.log(probs[np.arange(len(probs)), _cce_idx(probs, y)]))


def _cce_mean_all(probs, y):
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    return np.mean(-_one_hot(_cce_idx(probs, y), probs.shape[1]) * np.log(p))


def _mse_cases(rng):
    a, b = rng.normal(size=(6, 1)), rng.normal(size=(6, 1))
    c, d = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    e, f = rng.normal(size=5), rng.normal(size=5)
    return [
        Case("one output, (6, 1)", lambda fn: fn(a.copy(), b.copy())),
        Case("three outputs, (4, 3)", lambda fn: fn(c.copy(), d.copy())),
        Case("flat vectors (5,)", lambda fn: fn(e.copy(), f.copy())),
    ]


def _accuracy_cases(rng):
    s1, y1 = rng.normal(size=(8, 3)), rng.integers(0, 3, 8)
    s2, y2 = rng.normal(size=(3, 3)), np.array([2, 0, 1])
    return [
        Case("scores (8, 3), integer labels", lambda fn: fn(s1.copy(), y1.copy())),
        Case("scores (8, 3), one-hot labels", lambda fn: fn(s1.copy(), _one_hot(y1, 3))),
        Case("square scores (3, 3)", lambda fn: fn(s2.copy(), y2.copy())),
    ]


def _acc_axis0(outputs, y):
    return np.mean(np.argmax(outputs, axis=0) == np.asarray(y))


EXERCISE = Exercise(
    "02_loss",
    "Loss",
    (
        Task(
            "categorical_cross_entropy", 3, losses.categorical_cross_entropy, _label_cases,
            mistakes=(
                Mistake("the loss is summed over samples: take the mean (divide by N)", _cce_sum),
                Mistake("the minus sign is missing: −log p̂ is positive", _cce_no_minus),
                Mistake("log(0) gives inf: clip the probabilities to [1e-7, 1 − 1e-7] first",
                        _cce_no_clip),
                Mistake("the mean is taken over all N·C entries of −y·log p̂; average over the "
                        "N samples only", _cce_mean_all),
            ),
            forbidden=("nnlab.losses.categorical_cross_entropy",
                       "nnlab.losses.SoftmaxCrossEntropy.loss"),
        ),
        Task(
            "mean_squared_error", 1, losses.mean_squared_error, _mse_cases,
            mistakes=(
                Mistake("the squared errors are summed: take their mean",
                        lambda p, t: np.sum((np.asarray(t) - p) ** 2)),
                Mistake("a factor ½ crept in (the lecture notes' convention); this course's MSE "
                        "has no ½", lambda p, t: 0.5 * np.mean((np.asarray(t) - p) ** 2)),
                Mistake("the errors are not squared", lambda p, t: np.mean(np.abs(np.asarray(t) - p))),
            ),
            forbidden=("nnlab.losses.mean_squared_error",),
        ),
        Task(
            "accuracy", 1, losses.accuracy, _accuracy_cases,
            mistakes=(
                Mistake("argmax over axis 0 (samples); the predicted class is the argmax of each "
                        "row (axis=1)", _acc_axis0),
            ),
            forbidden=("nnlab.losses.accuracy",),
        ),
        Task(
            "answer_loss_07", 1, float(-np.log(0.7)), lambda rng: value_case(), kind="value",
            mistakes=(
                Mistake("cross-entropy uses the natural logarithm (np.log), not log10",
                        float(-np.log10(0.7))),
                Mistake("the loss is −log p̂: mind the sign", float(np.log(0.7))),
            ),
        ),
        manual_task("answer_text_clipping", 1),
    ),
)
