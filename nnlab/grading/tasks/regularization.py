"""Exercise 06: L2 penalty, L1 and L2 gradients, and fixing the slides' regularized backward
pass (its L2 terms are guarded by the L1 strengths)."""

from __future__ import annotations

import numpy as np

from ... import regularization
from ..core import Case, Exercise, Mistake, Task, manual_task


def _weight_cases(rng, with_zero=False):
    w1, w2 = rng.normal(size=(3, 4)), rng.normal(size=(1, 5))
    cases = [Case("weights (3, 4), λ = 0.01", lambda fn: fn(w1.copy(), 0.01)),
             Case("biases (1, 5), λ = 0.5", lambda fn: fn(w2.copy(), 0.5)),
             Case("λ = 0", lambda fn: fn(w1.copy(), 0.0), gate=True)]
    if with_zero:
        w3 = np.array([[0.0, -2.0, 3.0], [0.5, 0.0, -0.1]])
        cases.append(Case("weights that are exactly 0", lambda fn: fn(w3.copy(), 0.1)))
    return cases


def regularized_gradients(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    """The data gradients plus each penalty's gradient, each guarded by its own strength."""
    dweights, dbiases = np.array(dweights, float), np.array(dbiases, float)
    if weight_l1 > 0:
        dweights += regularization.l1_gradient(weights, weight_l1)
    if weight_l2 > 0:
        dweights += regularization.l2_gradient(weights, weight_l2)
    if bias_l1 > 0:
        dbiases += regularization.l1_gradient(biases, bias_l1)
    if bias_l2 > 0:
        dbiases += regularization.l2_gradient(biases, bias_l2)
    return dweights, dbiases


def _slides_version(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    dweights, dbiases = np.array(dweights, float), np.array(dbiases, float)
    if weight_l1 > 0:
        dweights += weight_l1 * np.where(weights < 0, -1.0, 1.0)
    if weight_l1 > 0:  # the slides' bug: L2 guarded by the L1 strength
        dweights += 2 * weight_l2 * weights
    if bias_l1 > 0:
        dbiases += bias_l1 * np.where(biases < 0, -1.0, 1.0)
    if bias_l1 > 0:
        dbiases += 2 * bias_l2 * biases
    return dweights, dbiases


def _no_two(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    dw, db = regularized_gradients(weights, biases, dweights, dbiases, weight_l1, 0, bias_l1, 0)
    return dw + weight_l2 * weights, db + bias_l2 * biases


def _reg_cases(rng):
    w, b = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    dw, db = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    settings = [("L2 only (λ₁ = 0)", (0.0, 0.01, 0.0, 0.02)),
                ("L1 only", (0.01, 0.0, 0.02, 0.0)),
                ("L1 and L2", (0.01, 0.05, 0.02, 0.03)),
                ("no regularization", (0.0, 0.0, 0.0, 0.0))]
    return [Case(label, lambda fn, s=s: fn(w.copy(), b.copy(), dw.copy(), db.copy(), *s))
            for label, s in settings]


EXERCISE = Exercise(
    "09_regularization",
    "Regularization",
    (
        Task(
            "l2_penalty", 1, regularization.l2_penalty, _weight_cases,
            mistakes=(
                Mistake("the penalty sums the squared weights: λ · Σ w²",
                        lambda w, lam: lam * np.sum(np.abs(w))),
                Mistake("this course's L2 penalty has no ½ (λ · Σ w²)",
                        lambda w, lam: 0.5 * lam * np.sum(w**2)),
                Mistake("the penalty is a sum over the weights, not a mean",
                        lambda w, lam: lam * np.mean(w**2)),
            ),
            forbidden=("nnlab.regularization.l2_penalty",),
        ),
        Task(
            "l1_gradient", 1, regularization.l1_gradient, lambda rng: _weight_cases(rng, True),
            mistakes=(
                Mistake("np.sign(0) is 0; the course (like the book) takes the gradient at w = 0 "
                        "as +λ", lambda w, lam: lam * np.sign(w)),
                Mistake("the gradient of λ|w| is λ · sign(w), not λ · w", lambda w, lam: lam * w),
            ),
            forbidden=("nnlab.regularization.l1_gradient",),
        ),
        Task(
            "l2_gradient", 1, regularization.l2_gradient, _weight_cases,
            mistakes=(
                Mistake("the derivative of λw² is 2λw: the factor 2 is missing", lambda w, lam: lam * w),
                Mistake("each weight gets its own term 2λ·w; a sum over all weights (as in the "
                        "lecture notes) gives every weight the same number",
                        lambda w, lam: 2 * lam * np.sum(w) + 0 * w),
                Mistake("the gradient is per weight: 2λ·w, an array of the same shape as the "
                        "weights, not one number (2λ·Σw sums the weights away)",
                        lambda w, lam: 2 * lam * np.sum(w)),
            ),
            forbidden=("nnlab.regularization.l2_gradient",),
        ),
        Task(
            "regularized_gradients", 3, regularized_gradients, _reg_cases,
            output_names=("dweights", "dbiases"),
            mistakes=(
                Mistake("the L2 terms are still guarded by the L1 strengths (the slides' bug): "
                        "with λ₁ = 0 the L2 gradient is skipped. Guard each term by its own "
                        "strength", _slides_version),
                Mistake("the L2 gradient is 2λw: the factor 2 is missing", _no_two),
            ),
            forbidden=("nnlab.layers.Dense.backward", "nnlab.regularization.l1_gradient",
                       "nnlab.regularization.l2_gradient"),
        ),
        manual_task("answer_text_l1_l2", 1),
    ),
)
