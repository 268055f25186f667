"""Exercise 09's held-out references: a layer's penalty on the student's numbers, the repaired
regularized backward pass, max-norm, the proximal L1 step and a training run with L2."""

from __future__ import annotations

import numpy as np

from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.regularization import FIXED, MIN_ACCURACY, REPEAT, validation_scores


def _sign(w):
    """sign(w) with sign(0) = +1, the course's (and the book's) convention."""
    return np.where(np.asarray(w) < 0, -1.0, 1.0)


# ---- answer_penalty ----

def penalty(n, *, half=False, mean=False, biases=True, absolute=True, swapped=False,
            shared=False):
    """λ₁ʷΣ|W| + λ₂ʷΣW² + λ₁ᵇΣ|b| + λ₂ᵇΣb², or one of its wrong variants."""
    total = np.mean if mean else np.sum
    l2 = 0.5 if half else 1.0

    def one(x, s1, s2):
        if swapped:
            s1, s2 = s2, s1
        return s1 * total(np.abs(x) if absolute else x) + l2 * s2 * total(x**2)

    value = one(n["weights"], n["weight_l1"], n["weight_l2"])
    if biases:
        strengths = ("weight_l1", "weight_l2") if shared else ("bias_l1", "bias_l2")
        value += one(n["biases"], *(n[k] for k in strengths))
    return float(value)


# ---- regularized_gradients ----

def regularized_gradients(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1,
                          bias_l2):
    """The data gradients plus each penalty's gradient, each guarded by its own strength."""
    dweights, dbiases = np.array(dweights, float), np.array(dbiases, float)
    if weight_l1 > 0:
        dweights += weight_l1 * _sign(weights)
    if weight_l2 > 0:
        dweights += 2 * weight_l2 * weights
    if bias_l1 > 0:
        dbiases += bias_l1 * _sign(biases)
    if bias_l2 > 0:
        dbiases += 2 * bias_l2 * biases
    return dweights, dbiases


def _slides_version(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    dweights, dbiases = np.array(dweights, float), np.array(dbiases, float)
    if weight_l1 > 0:
        dweights += weight_l1 * _sign(weights)
    if weight_l1 > 0:  # the slides' bug: L2 guarded by the L1 strength
        dweights += 2 * weight_l2 * weights
    if bias_l1 > 0:
        dbiases += bias_l1 * _sign(biases)
    if bias_l1 > 0:
        dbiases += 2 * bias_l2 * biases
    return dweights, dbiases


def _no_two(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    dw, db = regularized_gradients(weights, biases, dweights, dbiases, weight_l1, 0, bias_l1, 0)
    return dw + weight_l2 * weights, db + bias_l2 * biases


def _np_sign(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    return (dweights + weight_l1 * np.sign(weights) + 2 * weight_l2 * weights,
            dbiases + bias_l1 * np.sign(biases) + 2 * bias_l2 * biases)


# ---- max_norm ----

def max_norm(weights, c):
    """Each column (one unit's incoming weights) scaled to a norm of at most c.

    w_j ← w_j · min(1, c / ‖w_j‖);  shapes: weights (n_in, n_out) -> (n_in, n_out).
    """
    weights = np.asarray(weights, dtype=np.float64)
    norms = np.linalg.norm(weights, axis=0, keepdims=True)          # (1, n_out)
    with np.errstate(divide="ignore"):
        scale = np.minimum(1.0, c / norms)                           # c / 0 = inf -> 1
    return weights * scale


def _norm_rows(weights, c):
    return max_norm(np.asarray(weights).T, c).T


def _norm_every_column(weights, c):
    norms = np.linalg.norm(weights, axis=0, keepdims=True)
    return weights * c / np.where(norms == 0, 1.0, norms)


def _norm_whole(weights, c):
    return weights * min(1.0, c / max(float(np.linalg.norm(weights)), 1e-300))


def _norm_squared(weights, c):
    norms = np.sum(weights**2, axis=0, keepdims=True)
    with np.errstate(divide="ignore"):
        return weights * np.minimum(1.0, c / norms)


# ---- l1_prox_step ----

def l1_prox_step(weights, dweights, learning_rate, lam):
    """A gradient step on the data loss, then soft-thresholding by αλ.

    u = w − α·dweights;  w ← sign(u) · max(|u| − αλ, 0).
    """
    u = weights - learning_rate * dweights
    return np.sign(u) * np.maximum(np.abs(u) - learning_rate * lam, 0.0)


def _prox_subgradient(w, d, a, lam):
    return w - a * (d + lam * _sign(w))


def _prox_lam(w, d, a, lam):
    u = w - a * d
    return np.sign(u) * np.maximum(np.abs(u) - lam, 0.0)


def _prox_first(w, d, a, lam):
    return np.sign(w) * np.maximum(np.abs(w) - a * lam, 0.0) - a * d


def _prox_crossing(w, d, a, lam):
    u = w - a * d
    return u - a * lam * np.sign(u)


def _prox_hard(w, d, a, lam):
    u = w - a * d
    return u * (np.abs(u) > a * lam)


def _prox_truncated(w, d, a, lam):
    u = w - a * (d + lam * _sign(w))
    return np.where(u * w < 0, 0.0, u)


def _prox_ascent(w, d, a, lam):
    return l1_prox_step(w, -d, a, lam)


# ---- train_regularized ----

def _train(X, y, X_val, lam, epochs, rng, *, hidden=64, learning_rate=0.5, penalty=1.0,
           init="he"):
    """A 20-64-2 ReLU network, softmax cross-entropy plus λ·ΣW² on both weight matrices,
    full-batch gradient descent -> the softmax probabilities of X_val (n_val, 2).

    ``penalty`` scales the L2 gradient (1 right; 0, −1 and N are the catalogued mistakes)."""
    sizes = [(X.shape[1], hidden), (hidden, 2)]
    if init == "he":
        weights = [rng.standard_normal(s) * np.sqrt(2.0 / s[0]) for s in sizes]
    else:  # "zeros"
        weights = [np.zeros(s) for s in sizes]
    biases = [np.zeros((1, s[1])) for s in sizes]
    targets = np.eye(2)[y]                                      # (N, 2)
    for _ in range(epochs):
        z1 = X @ weights[0] + biases[0]                         # (N, 64)
        a1 = np.maximum(z1, 0.0)
        probs = _softmax(a1 @ weights[1] + biases[1])           # (N, 2)
        dz2 = (probs - targets) / len(X)
        dz1 = (dz2 @ weights[1].T) * (z1 > 0)
        grads = [(X.T @ dz1, dz1.sum(axis=0, keepdims=True)),
                 (a1.T @ dz2, dz2.sum(axis=0, keepdims=True))]
        for k, (dW, db) in enumerate(grads):
            dW = dW + penalty * 2 * lam * weights[k]            # the L2 gradient, 2λW
            weights[k] -= learning_rate * dW
            biases[k] -= learning_rate * db
    return _softmax(np.maximum(X_val @ weights[0] + biases[0], 0.0) @ weights[1] + biases[1])


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def train_regularized(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, rng)


def _train_ignoring_lam(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, rng, penalty=0.0)


def _train_wrong_sign(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, rng, penalty=-1.0)


def _train_per_sample(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, rng, penalty=float(len(X)))


def _train_zeros(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, rng, init="zeros")


def _train_own_generator(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, np.random.default_rng())


def _train_own_seed(X, y, X_val, *, lam, epochs, rng):
    return _train(X, y, X_val, lam, epochs, np.random.default_rng(0))


# The wrong sign and a penalty added once per sample both make λ = 0.05 worse than no penalty
# (N·2λ·α = 3 > 2: the weights flip sign and grow every step); one hint names both.
WORSE = ("with the penalty the validation loss got worse, not better: the L2 gradient +2λW is "
         "added to dweights (so that the update shrinks the weights), once per update for the "
         "whole batch (the data gradient is already a mean), not once per sample")


def _says(message):
    def detect(case, got):
        scores = validation_scores(case, got)
        return not isinstance(scores, str) and scores[-1] == message
    return detect


def _detect(kind):
    def detect(case, got):
        scores = validation_scores(case, got)
        if isinstance(scores, str):
            return False
        p0, p1, loss_0, loss_lam, accuracy, _ = scores
        if kind == "same":
            return bool(np.allclose(p0, p1))
        if kind == "worse":
            return loss_lam > loss_0
        # "constant": one class for every validation point
        return len(np.unique(np.argmax(p1, axis=1))) == 1 and accuracy < MIN_ACCURACY
    return detect


REFERENCES = {
    "answer_penalty": Reference(penalty, (
        Mistake("this course's L2 penalty has no ½: λ·Σw²", lambda n: penalty(n, half=True)),
        Mistake("the penalties are sums over the weights, not means",
                lambda n: penalty(n, mean=True)),
        Mistake("the biases have their own penalties: add λ₁ᵇ·Σ|b| + λ₂ᵇ·Σb²",
                lambda n: penalty(n, biases=False)),
        Mistake("the biases have strengths of their own, bias_l1 and bias_l2 (one of yours is 0: "
                "that penalty is off)", lambda n: penalty(n, shared=True)),
        Mistake("the L1 penalty sums the absolute values |w|: negative weights cost too",
                lambda n: penalty(n, absolute=False)),
        Mistake("the strengths are swapped: the L1 strength goes with Σ|w|, the L2 strength "
                "with Σw²", lambda n: penalty(n, swapped=True)),
    )),
    "regularized_gradients": Reference(regularized_gradients, (
        Mistake("the L2 terms are still guarded by the L1 strengths (the slides' bug): "
                "with λ₁ = 0 the L2 gradient is skipped. Guard each term by its own "
                "strength", _slides_version),
        Mistake("the L2 gradient is 2λw: the factor 2 is missing", _no_two),
        Mistake("np.sign(0) is 0; the course (like the book) takes the L1 gradient at w = 0 as "
                "+λ, which matters for biases that are still 0", _np_sign),
    )),
    "max_norm": Reference(max_norm, (
        Mistake("a unit's incoming weights are a column of weights (n_in, n_out): take the norm "
                "of each column (axis=0), not of each row", _norm_rows),
        Mistake("only columns longer than c are scaled down: min(1, c/‖w‖) leaves the shorter "
                "ones as they are", _norm_every_column),
        Mistake("the constraint holds per unit: each column gets its own norm, not the whole "
                "matrix one", _norm_whole),
        Mistake("scale by c / ‖w‖ with the norm itself √(Σw²), not the sum of squares",
                _norm_squared),
        Mistake("clipping each weight to [−c, c] is not a norm constraint: scale the whole "
                "column by min(1, c/‖w‖)", lambda w, c: np.clip(w, -c, c)),
    )),
    "l1_prox_step": Reference(l1_prox_step, (
        Mistake("that is the subgradient step w − α(dw + λ·sign(w)) of the notebook, which "
                "jumps over 0; the proximal step first steps on the data loss, then shrinks "
                "each weight towards 0 by αλ and stops at 0", _prox_subgradient),
        Mistake("the threshold is αλ, the learning rate times λ, not λ", _prox_lam),
        Mistake("shrink after the gradient step: u = w − α·dweights first, then threshold u",
                _prox_first),
        Mistake("a weight whose |u| is below αλ must stop at 0, not cross to the other side: "
                "max(|u| − αλ, 0)", _prox_crossing),
        Mistake("soft-thresholding also shrinks the weights it keeps: sign(u)·(|u| − αλ), not "
                "u itself", _prox_hard),
        Mistake("a weight is not set to 0 because the whole step crosses 0, but because the data "
                "step leaves it within αλ of 0: u = w − α·dweights first, then "
                "sign(u)·max(|u| − αλ, 0)", _prox_truncated),
        Mistake("gradient descent subtracts: u = w − α·dweights", _prox_ascent),
    )),
    "train_regularized": Reference(train_regularized, (
        Mistake("every validation point gets the same class: nothing was learned (weights "
                "that start at 0 keep every ReLU unit dead)", _train_zeros, _detect("constant")),
        Mistake("λ changes nothing: both runs return the same probabilities. Is the L2 gradient "
                "2λW added to dweights before each update (not only to the loss), and guarded "
                "by λ itself?", _train_ignoring_lam, _detect("same")),
        Mistake(REPEAT, _train_own_generator, _says(REPEAT)),
        Mistake(FIXED, _train_own_seed, _says(FIXED)),
        Mistake(WORSE, _train_wrong_sign, _detect("worse")),
        Mistake(WORSE, _train_per_sample, _detect("worse")),
    )),
}
