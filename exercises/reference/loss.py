"""Exercise 02's answers: MSE and MAE of a student's predictions with and without the worst
sample, cross-entropy against smoothed labels, top-k accuracy, and the wrong variants the grader
recognises."""

from __future__ import annotations

import numpy as np

from nnlab.grading.core import Mistake, Reference

EPSILON = 1e-7


# ---- answer_outlier ----

def _errors(n):
    return np.asarray(n["y_true"], dtype=np.float64) - np.asarray(n["y_pred"], dtype=np.float64)


def outlier_table(n, worst=None, mse=None, mae=None, divisor=None):
    """[[MSE, MAE] of all samples, [MSE, MAE] without the sample of largest |error|]."""
    e = _errors(n)
    worst = np.argmax(np.abs(e)) if worst is None else worst(e)
    rest = np.delete(e, worst)
    mse = mse or (lambda e, m: np.sum(e**2) / m)
    mae = mae or (lambda e, m: np.sum(np.abs(e)) / m)
    m_rest = len(rest) if divisor is None else divisor(len(e))
    return np.array([[mse(e, len(e)), mae(e, len(e))], [mse(rest, m_rest), mae(rest, m_rest)]])


# ---- smoothed_cross_entropy ----

def _targets(y, c, smoothing):
    return (1 - smoothing) * np.eye(c)[y] + smoothing / c


def smoothed_cross_entropy(probs, y_true, smoothing):
    """L = −(1/N) Σ_i Σ_j t_ij · log p̂_ij, t = (1 − s)·one_hot(y) + s/C, p̂ clipped to
    [1e-7, 1 − 1e-7].   Shapes: probs (N, C), y_true (N,) integers."""
    c = probs.shape[1]
    log_p = np.log(np.clip(probs, EPSILON, 1 - EPSILON))
    return float(-np.mean(np.sum(_targets(y_true, c, smoothing) * log_p, axis=1)))


def _smoothed_with(targets=None, clip=True, reduce=None, swap=False):
    def loss(probs, y, smoothing):
        c = probs.shape[1]
        t = (targets or _targets)(y, c, smoothing)
        p = np.clip(probs, EPSILON, 1 - EPSILON) if clip else probs
        terms = -p * np.log(np.clip(t, EPSILON, 1)) if swap else -t * np.log(p)
        return float((reduce or (lambda x: np.mean(np.sum(x, axis=1))))(terms))
    return loss


def _smoothed_probs(probs, y, smoothing):
    c = probs.shape[1]
    p = np.clip((1 - smoothing) * probs + smoothing / c, EPSILON, 1 - EPSILON)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def _spread_over_others(y, c, s):
    one_hot = np.eye(c)[y]
    return (1 - s) * one_hot + s / (c - 1) * (1 - one_hot)


# ---- top_k_accuracy ----

def top_k_accuracy(outputs, y_true, k):
    """Fraction of samples whose true class is among their k highest scores.

    Shapes: outputs (N, C) with no ties in a row, y_true (N,) integers, 1 ≤ k ≤ C."""
    top = np.argsort(outputs, axis=1)[:, -k:]  # (N, k): the columns of the k highest scores
    return float(np.mean(np.any(top == np.asarray(y_true)[:, None], axis=1)))


def _top_k_slice(pick):
    def accuracy(outputs, y_true, k):
        top = pick(np.argsort(outputs, axis=1), k)
        return float(np.mean(np.any(top == np.asarray(y_true)[:, None], axis=1)))
    return accuracy


def _top_k_rank(outputs, y_true, k):
    y = np.asarray(y_true)
    higher = np.sum(outputs > outputs[np.arange(len(y)), y][:, None], axis=1)
    return float(np.mean(higher <= k))


def _top_k_strict(outputs, y_true, k):
    y = np.asarray(y_true)
    kth_highest = np.sort(outputs, axis=1)[:, -k]
    return float(np.mean(outputs[np.arange(len(y)), y] > kth_highest))


def _top_k_mean_slots(outputs, y_true, k):
    top = np.argsort(outputs, axis=1)[:, -k:]
    return float(np.mean(top == np.asarray(y_true)[:, None]))


def _top_k_count(outputs, y_true, k):
    return float(top_k_accuracy(outputs, y_true, k) * len(y_true))


REFERENCES = {
    "answer_outlier": Reference(outlier_table, (
        Mistake("each row is [MSE, MAE] and the rows are [all samples, without the worst one]: "
                "transposed?", lambda n: outlier_table(n).T),
        Mistake("this course's MSE has no factor ½ (that is the lecture notes' error E)",
                lambda n: outlier_table(n) * np.array([0.5, 1.0])),
        Mistake("that is the root of the MSE (RMSE); the MSE is the mean of the squared errors",
                lambda n: outlier_table(n, mse=lambda e, m: np.sqrt(np.sum(e**2) / m))),
        Mistake("the MAE averages |y − ŷ|: without the absolute value, errors of opposite signs "
                "cancel", lambda n: outlier_table(n, mae=lambda e, m: np.sum(e) / m)),
        Mistake("the worst sample is the one with the largest |y − ŷ|, whatever its sign",
                lambda n: outlier_table(n, worst=np.argmax)),
        Mistake("without the worst sample, average over the N − 1 samples that remain",
                lambda n: outlier_table(n, divisor=lambda m: m)),
        Mistake("these are sums of errors; MSE and MAE are means (divide by the number of samples)",
                lambda n: outlier_table(n, divisor=lambda m: 1,
                                        mse=lambda e, m: np.sum(e**2),
                                        mae=lambda e, m: np.sum(np.abs(e)))),
    )),
    "smoothed_cross_entropy": Reference(smoothed_cross_entropy, (
        Mistake("smoothing changes the targets, not the predictions: t = (1 − s)·y + s/C, then "
                "−Σ t·log p̂ with the network's own p̂", _smoothed_probs),
        Mistake("the smoothing is ignored: for s > 0 every class gets s/C of the target, so "
                "every class's log p̂ enters the loss",
                lambda p, y, s: _smoothed_with()(p, y, 0.0)),
        Mistake("s is spread over all C classes, the true class included: t = (1 − s)·y + s/C "
                "(s/(C − 1) on the other classes only is a different convention)",
                _smoothed_with(targets=_spread_over_others)),
        Mistake("the smoothed targets must sum to 1: the true class keeps (1 − s) of the one-hot "
                "label, t = (1 − s)·y + s/C", _smoothed_with(targets=lambda y, c, s:
                                                             np.eye(c)[y] + s / c)),
        Mistake("s is shared among the C classes: each gets s/C, t = (1 − s)·y + s/C",
                _smoothed_with(targets=lambda y, c, s: (1 - s) * np.eye(c)[y] + s)),
        Mistake("s and 1 − s are swapped: the one-hot label keeps the weight 1 − s",
                _smoothed_with(targets=lambda y, c, s: s * np.eye(c)[y] + (1 - s) / c)),
        Mistake("the targets weight the log of the predictions: −Σ t·log p̂, not −Σ p̂·log t",
                _smoothed_with(swap=True)),
        Mistake("log(0) gives inf: with smoothing every class's log p̂ counts, so clip every "
                "probability to [1e-7, 1 − 1e-7], not only the true class's",
                _smoothed_with(clip=False)),
        Mistake("the loss is summed over samples: take the mean over the N samples",
                _smoothed_with(reduce=np.sum)),
        Mistake("the mean is taken over all N·C entries; sum over the classes, then average over "
                "the N samples", _smoothed_with(reduce=np.mean)),
        Mistake("the minus sign is missing: −Σ t·log p̂ is positive",
                lambda p, y, s: -smoothed_cross_entropy(p, y, s)),
    )),
    "top_k_accuracy": Reference(top_k_accuracy, (
        Mistake("np.argsort sorts in ascending order: [:, :k] are the k lowest scores; the k "
                "highest are the last k columns, [:, -k:]", _top_k_slice(lambda a, k: a[:, :k])),
        Mistake("[:, k:] keeps the C − k highest scores; the k highest are the last k columns, "
                "[:, -k:]", _top_k_slice(lambda a, k: a[:, k:])),
        Mistake("that is top-(k + 1): the true class is in the top k when fewer than k classes "
                "score higher", _top_k_rank),
        Mistake("that is top-(k − 1): the true class counts when its score is at least the k-th "
                "highest (≥, not >)", _top_k_strict),
        Mistake("that is a mean over all N·k entries of the top-k table; count each sample once "
                "(np.any over its k columns), then average over the N samples", _top_k_mean_slots),
        Mistake("that is the number of samples; the accuracy is their fraction (divide by N)",
                _top_k_count),
    )),
}
