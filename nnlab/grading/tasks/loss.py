"""Exercise 02: cross-entropy for integer and one-hot labels (a warm-up), MSE and MAE of the
student's own predictions with and without their worst sample, cross-entropy against smoothed
labels, and top-k accuracy.

``categorical_cross_entropy`` is answered by nnlab's public function; the other tasks are held
out: their references and mistakes are in ``exercises/reference/loss.py``.
"""

from __future__ import annotations

import numpy as np

from ... import losses
from ..core import Case, Exercise, Mistake, Task, keeps_inputs, manual_task

NAME = "02_loss"  # the student's numbers: nnlab/variants/loss.py
EPSILON = 1e-7  # the course's clipping of probabilities


def _probs(rng, n, c):
    p = rng.random((n, c)) + 0.05
    return p / p.sum(axis=1, keepdims=True)


def _one_hot(y, c):
    return np.eye(c)[y]


# ---- categorical_cross_entropy (warm-up) ----

def _label_cases(rng):
    p1, y1 = _probs(rng, 5, 3), rng.integers(0, 3, 5)
    p2, y2 = _probs(rng, 4, 4), rng.integers(0, 4, 4)
    p3 = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    y3 = np.array([0, 2, 0])  # a true-class probability of exactly 0, and one of exactly 1
    p4, y4 = _probs(rng, 1, 2), np.array([1])
    return [
        Case("integer labels (5,)", lambda fn: keeps_inputs(fn)(p1.copy(), y1.copy())),
        Case("one-hot labels (5, 3)", lambda fn: keeps_inputs(fn)(p1.copy(), _one_hot(y1, 3))),
        Case("integer labels, 4 classes", lambda fn: keeps_inputs(fn)(p2.copy(), y2.copy())),
        Case("one-hot labels, 4 classes", lambda fn: keeps_inputs(fn)(p2.copy(), _one_hot(y2, 4))),
        Case("probabilities of exactly 0 and 1", lambda fn: keeps_inputs(fn)(p3.copy(), y3.copy())),
        Case("one sample", lambda fn: keeps_inputs(fn)(p4.copy(), y4.copy())),
    ]


def _cce_idx(probs, y):
    y = np.asarray(y)
    return np.argmax(y, axis=1) if y.ndim == 2 else y


def _cce_sum(probs, y):
    p = np.clip(probs, EPSILON, 1 - EPSILON)
    return -np.sum(np.log(p[np.arange(len(p)), _cce_idx(probs, y)]))


def _cce_no_minus(probs, y):
    p = np.clip(probs, EPSILON, 1 - EPSILON)
    return np.mean(np.log(p[np.arange(len(p)), _cce_idx(probs, y)]))


def _cce_no_clip(probs, y):
    return -np.mean(np.log(probs[np.arange(len(probs)), _cce_idx(probs, y)]))


def _cce_log10(probs, y):
    p = np.clip(probs, EPSILON, 1 - EPSILON)
    return -np.mean(np.log10(p[np.arange(len(p)), _cce_idx(probs, y)]))


def _cce_mean_all(probs, y):
    p = np.clip(probs, EPSILON, 1 - EPSILON)
    return np.mean(-_one_hot(_cce_idx(probs, y), probs.shape[1]) * np.log(p))


# ---- answer_outlier (the student's own predictions; held out) ----

def _outlier_cases(rng, numbers):
    return [Case("your answer, an array of shape (2, 2)", lambda v: np.asarray(v, dtype=np.float64),
                 data={"shape": (2, 2)})]


def _outlier_properties(case, got):
    value = next(iter(got.values()))
    if value.shape != (2, 2):
        return None  # check() reports the shape itself
    mse, mae = value[:, 0], value[:, 1]
    if np.any(value < 0):
        return "squared and absolute errors are never negative, nor are their means"
    if np.any(mse < mae**2 * (1 - 1e-9)):
        return ("in each row the MSE must be at least the MAE squared (the mean of e² is never "
                "below the square of the mean of |e|): are the columns [MSE, MAE]?")
    if np.any(value[1] > value[0] * (1 + 1e-9)):
        return ("dropping the sample with the largest error cannot raise either mean: the second "
                "row must not exceed the first")
    return None


# ---- smoothed_cross_entropy (held out) ----

def _smoothed_cases(rng):
    def case(label, probs, y, smoothing, gate=False):
        c = probs.shape[1]
        t = np.array([1 - smoothing + smoothing / c] + [smoothing / c] * (c - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = float(-np.sum(np.where(t > 0, t * np.log(t), 0.0)))
        data = {"shape": (), "entropy": entropy,
                "plain": losses.categorical_cross_entropy(probs, y) if smoothing == 0 else None}
        return Case(label, lambda fn: keeps_inputs(fn)(probs.copy(), y.copy(), smoothing),
                    data=data, gate=gate)

    p1, y1 = _probs(rng, 5, 3), rng.integers(0, 3, 5)
    p2, y2 = _probs(rng, 6, 4), rng.integers(0, 4, 6)
    p3 = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    y3 = np.array([1, 2, 0])  # zeros only on wrong classes: smoothing still takes their log
    p4, y4 = _probs(rng, 1, 2), np.array([0])
    return [
        case("5 samples, 3 classes, smoothing 0.1", p1, y1, 0.1),
        case("6 samples, 4 classes, smoothing 0.2", p2, y2, 0.2),
        case("probabilities of exactly 0 and 1 on wrong classes, smoothing 0.1", p3, y3, 0.1),
        case("one sample, 2 classes, smoothing 0.3", p4, y4, 0.3),
        case("smoothing 1 (uniform targets)", p2, y2, 1.0),
        case("smoothing 0: the plain cross-entropy", p1, y1, 0.0, gate=True),
        case("smoothing 0 with a true-class probability of 0", p3, np.array([0, 2, 0]), 0.0,
             gate=True),
    ]


def _smoothed_properties(case, got):
    value = next(iter(got.values()))
    if value.shape != ():
        return None  # check() reports the shape itself
    loss = float(value)
    if loss < 0:
        return "−Σ t·log p̂ is never negative (t ≥ 0 and log p̂ ≤ 0): mind the minus sign"
    if case.data["plain"] is not None and not np.isclose(loss, case.data["plain"], rtol=1e-6):
        return ("with smoothing 0 the targets are the one-hot labels, so the loss must equal the "
                f"plain clipped cross-entropy, {case.data['plain']:.6f}")
    if loss < case.data["entropy"] - 1e-5:
        return ("no predictions can bring the loss below the entropy of the smoothed targets, "
                f"−Σ t·log t = {case.data['entropy']:.6f} here (with s > 0 every class's −log p̂ "
                "counts, weighted by its target t)")
    return None


# ---- top_k_accuracy (held out) ----

def _scores(rng, n, c):
    """Class scores (N, C) with no ties that favour the true class a little, and the labels."""
    y = rng.integers(0, c, n)
    return rng.normal(size=(n, c)) + 1.2 * _one_hot(y, c), y


def _top_k_cases(rng):
    def case(label, s, y, k, gate=False):
        data = {"shape": (), "n": len(y), "k": k, "classes": s.shape[1],
                "accuracy": losses.accuracy(s, y)}
        return Case(label, lambda fn: keeps_inputs(fn)(s.copy(), y.copy(), k), data=data, gate=gate)

    s1, y1 = _scores(rng, 12, 5)
    s2, y2 = _scores(rng, 10, 6)
    s3, y3 = _scores(rng, 7, 4)
    every_k = Case("scores (10, 6), k = 1, 2, …, 6 in turn",
                   lambda fn: np.stack([np.asarray(keeps_inputs(fn)(s2.copy(), y2.copy(), k),
                                                   dtype=np.float64) for k in range(1, 7)]),
                   data={"shape": (6,), "n": 10, "classes": 6,
                         "accuracy": losses.accuracy(s2, y2)})
    return [
        case("scores (12, 5), k = 2", s1, y1, 2),
        case("scores (12, 5), k = 3", s1, y1, 3),
        case("scores (7, 4), k = 2", s3, y3, 2),
        every_k,
        case("k = 1: the plain accuracy", s3, y3, 1, gate=True),
        case("k = C: every true class is among the C highest", s1, y1, 5, gate=True),
    ]


def _top_k_properties(case, got):
    value = next(iter(got.values()))
    if value.shape != case.data["shape"]:
        return None  # check() reports the shape itself
    if np.any((value < 0) | (value > 1)):
        return "an accuracy is a fraction of the samples, between 0 and 1"
    hits = value * case.data["n"]
    if not np.allclose(hits, np.round(hits), atol=1e-6):
        return f"an accuracy over {case.data['n']} samples is a multiple of 1/{case.data['n']}"
    k = case.data.get("k")
    if value.ndim == 1:  # k = 1, …, C on the same scores
        if np.any(np.diff(value) < -1e-12):
            return "a larger k can only add classes to the top k: the accuracy must not fall"
        first, last = value[0], value[-1]
    else:
        first = value if k == 1 else None
        last = value if k == case.data["classes"] else None
    if first is not None and not np.isclose(first, case.data["accuracy"]):
        return f"with k = 1 it is the plain accuracy, {case.data['accuracy']:.4f} here"
    if last is not None and not np.isclose(last, 1.0):
        return "with k = C every class is in the top k: the accuracy must be 1"
    return None


EXERCISE = Exercise(
    NAME,
    "Loss",
    (
        Task(
            "categorical_cross_entropy", 2, losses.categorical_cross_entropy, _label_cases,
            mistakes=(
                Mistake("the loss is summed over samples: take the mean (divide by N)", _cce_sum),
                Mistake("the minus sign is missing: −log p̂ is positive", _cce_no_minus),
                Mistake("log(0) gives inf: clip the probabilities to [1e-7, 1 − 1e-7] first",
                        _cce_no_clip),
                Mistake("the mean is taken over all N·C entries of −y·log p̂; average over the "
                        "N samples only", _cce_mean_all),
                Mistake("cross-entropy uses the natural logarithm (np.log), not log10", _cce_log10),
            ),
            forbidden=("nnlab.losses.categorical_cross_entropy",
                       "nnlab.losses.SoftmaxCrossEntropy.loss"),
        ),
        Task("answer_outlier", 1, None, _outlier_cases, kind="value", rtol=1e-4, variant=True,
             invariant=_outlier_properties),
        Task("smoothed_cross_entropy", 3, None, _smoothed_cases, invariant=_smoothed_properties),
        Task("top_k_accuracy", 2, None, _top_k_cases, invariant=_top_k_properties),
        manual_task("answer_text_clipping", 1),
    ),
)
