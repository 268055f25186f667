"""Exercise 09: the L2 gradient (a warm-up); a layer's penalty on the student's own numbers;
fixing the slides' regularized backward pass (its L2 terms are guarded by the L1 strengths);
a max-norm constraint; a proximal L1 step; and a whole training run with an L2 penalty, graded
by what the penalty does to the validation loss.

Every task but ``l2_gradient`` is held out: the references and mistakes are in the course
repository's ``exercises/reference/regularization.py``, not in this package.
"""

from __future__ import annotations

import numpy as np

from ... import regularization
from ..core import Case, Exercise, Mistake, Task, manual_task
from .layers_and_training import NNLAB_TRAINING

NAME = "09_regularization"  # the student's numbers: nnlab/variants/regularization.py

# ---- l2_gradient (warm-up) ----


def _weight_cases(rng):
    w1, w2 = rng.normal(size=(3, 4)), rng.normal(size=(1, 5))
    return [Case("weights (3, 4), λ = 0.01", lambda fn: fn(w1.copy(), 0.01)),
            Case("biases (1, 5), λ = 0.5", lambda fn: fn(w2.copy(), 0.5)),
            Case("λ = 0", lambda fn: fn(w1.copy(), 0.0), gate=True)]


# ---- answer_penalty (the student's numbers) ----

def _penalty_case(rng, numbers):
    return [Case("your answer, one number", lambda v: np.asarray(v, dtype=np.float64).reshape(()),
                 data={"shape": ()})]


def _not_negative(case, got):
    value = next(iter(got.values()))
    return None if np.all(value >= 0) else "a sum of penalties λ·Σ|w| and λ·Σw² is never negative"


# ---- regularized_gradients (find the bug) ----

def _reg_cases(rng):
    w, b = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    dw, db = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    settings = [("L2 only (λ₁ = 0)", (0.0, 0.01, 0.0, 0.02), b),
                ("L1 only", (0.01, 0.0, 0.02, 0.0), b),
                ("L1 and L2", (0.01, 0.05, 0.02, 0.03), b),
                ("L1 and L2, biases still 0 as initialised", (0.01, 0.05, 0.02, 0.03), np.zeros_like(b)),
                ("no regularization", (0.0, 0.0, 0.0, 0.0), b)]
    return [Case(label, lambda fn, s=s, b=bias: fn(w.copy(), b.copy(), dw.copy(), db.copy(), *s),
                 data={"dweights": dw, "dbiases": db}, gate=not any(s))
            for label, s, bias in settings]


def _unchanged_without_penalties(case, got):
    if not case.gate:
        return None
    dweights, dbiases = got.get("0"), got.get("1")
    if dweights is None or dbiases is None:
        return "return two arrays: (dweights, dbiases)"
    if dweights.shape != case.data["dweights"].shape or dbiases.shape != case.data["dbiases"].shape:
        return "dweights and dbiases keep the shapes of the data gradients"
    if not (np.allclose(dweights, case.data["dweights"]) and np.allclose(dbiases, case.data["dbiases"])):
        return "with every strength 0 the data gradients must come back unchanged"
    return None


# ---- max_norm ----

def _norm_cases(rng):
    w1 = rng.normal(size=(4, 3)) * np.array([[0.2, 1.0, 2.0]])   # column norms about 0.4, 2, 4
    w2 = rng.normal(size=(6, 5)) * rng.uniform(0.05, 0.4, size=(1, 5))
    w3 = rng.normal(size=(3, 4))
    w3[:, 1] = 0.0                                                # a unit with no weights yet
    w4 = rng.normal(size=(2, 6))
    settings = [("weights (4, 3), c = 1", w1, 1.0), ("weights (6, 5), c = 0.5", w2, 0.5),
                ("weights (3, 4) with a column of zeros, c = 1", w3, 1.0),
                ("weights (2, 6), c = 1.5", w4, 1.5)]
    cases = [Case(label, lambda fn, w=w, c=c: fn(w.copy(), c), data={"weights": w, "c": c,
                                                                        "shape": w.shape})
             for label, w, c in settings]
    cases.append(Case("c = 1e6 (no column is too long)", lambda fn: fn(w1.copy(), 1e6),
                      data={"weights": w1, "c": 1e6, "shape": w1.shape}, gate=True))
    return cases


def _within_the_norm(case, got):
    out, w, c = next(iter(got.values())), case.data["weights"], case.data["c"]
    if out.shape != w.shape:
        return None
    if np.any(np.linalg.norm(out, axis=0) > c * (1 + 1e-9) + 1e-12):
        return f"a column (a unit's incoming weights) is still longer than c = {c:g}"
    short = np.linalg.norm(w, axis=0) <= c
    if not np.allclose(out[:, short], w[:, short]):
        return "a column that was already within c must be left as it is"
    return None


# ---- l1_prox_step ----

def _prox_cases(rng):
    w1, d1 = 0.1 * rng.normal(size=(3, 4)), 0.2 * rng.normal(size=(3, 4))
    w2, d2 = 0.2 * rng.normal(size=(2, 5)), 0.2 * rng.normal(size=(2, 5))
    w3, d3 = np.array([[0.3, -0.3, 0.02, 0.0]]), np.array([[1.0, -1.0, 0.0, 0.0]])
    settings = [("weights (3, 4), α = 0.1, λ = 0.5", w1, d1, 0.1, 0.5),
                ("weights (2, 5), α = 0.5, λ = 0.2", w2, d2, 0.5, 0.2),
                ("weights that cross 0 in the step, α = 0.5, λ = 0.1", w3, d3, 0.5, 0.1),
                ("λ = 0 (a plain gradient step)", w1, d1, 0.1, 0.0),
                ("α = 0 (no step at all)", w2, d2, 0.0, 0.2)]
    return [Case(label, lambda fn, w=w, d=d, a=a, lam=lam: fn(w.copy(), d.copy(), a, lam),
                 data={"step": w - a * d, "shape": w.shape}, gate=lam == 0 or a == 0)
            for label, w, d, a, lam in settings]


def _shrinks_towards_zero(case, got):
    out, step = next(iter(got.values())), case.data["step"]
    if out.shape != step.shape:
        return None
    if case.gate and not np.allclose(out, step):
        return "with λ = 0 or α = 0 the result is the plain gradient step w − α·dweights"
    if np.any(out * step < -1e-12):
        return "a weight may stop at 0, but never cross it: its sign flipped"
    if np.any(np.abs(out) > np.abs(step) + 1e-12):
        return "the L1 part may only move a weight towards 0, never away from it"
    return None


# ---- train_regularized (integrative, graded by running it) ----

# Data: 20 inputs, of which only the first two carry the class (±2 around 0, unit noise), the
# other 18 are pure noise; exactly 10 % of the labels are flipped. 60 training points (30 of
# each class), 400 validation points. A 20-64-2 ReLU network trained on 60 points in 20
# dimensions memorises the noise; an L2 penalty keeps its predictions calibrated.
EPOCHS = 300
SHIFT = 2.0
LAM = 0.05
# Measured on the reference (He weights, full-batch gradient descent, learning rate 0.5) over
# 200 data sets: with λ = 0.05 the validation loss is at most 0.46 of the unpenalised one
# (mean 0.38), at most 0.53 in absolute terms (mean 0.41), and the validation accuracy at least
# 0.79 (mean 0.86). Variants, 60 data sets each (the book's 0.01·N(0, 1) weights, learning rate
# 0.1, 32 or 2 × 64 hidden units, L2 on the biases too, mini-batches of 16): ratio at most 0.60,
# loss at most 0.52, accuracy at least 0.79 — except mini-batches of 16 at rate 0.5, which
# failed one data set of the 60 (accuracy 0.62, loss 0.67). Ignoring λ gives a ratio of 1, the
# wrong sign a ratio above 1, weights that start at 0 one class everywhere.
MAX_RATIO = 0.75   # the penalised validation loss must be at most 75 % of the unpenalised one
MAX_LOSS = 0.65    # ... and below ln 2 = 0.69, the loss of answering 50/50 everywhere
MIN_ACCURACY = 0.7


def regularization_data(rng, n_train=60, n_val=400):
    """(X (n_train, 20), y, X_val (n_val, 20), y_val): two informative inputs, 18 of noise."""
    def draw(n):
        y = rng.permutation(np.arange(n) % 2)                # as many of each class
        X = rng.standard_normal((n, 20))
        X[:, :2] += SHIFT * np.where(y == 1, 1.0, -1.0)[:, None]
        flipped = rng.permutation(n) < n // 10               # exactly 10 % wrong labels
        return X, np.where(flipped, 1 - y, y)

    X, y = draw(n_train)
    X_val, y_val = draw(n_val)
    return X, y, X_val, y_val


def _train_cases(rng):
    cases = []
    for k in range(3):
        X, y, X_val, y_val = regularization_data(np.random.default_rng(int(rng.integers(2**31))))
        seed = int(rng.integers(2**31))

        def run(fn, X=X, y=y, X_val=X_val, seed=seed):
            # The same generator state for the first three runs: the penalty is the only
            # difference, and the third (λ = 0 again) must repeat the first. The fourth, from
            # another state, must not: the initial weights come from rng.
            runs = ((0.0, seed), (LAM, seed), (0.0, seed), (0.0, seed + 1))
            return tuple(fn(X.copy(), y.copy(), X_val.copy(), lam=lam, epochs=EPOCHS,
                            rng=np.random.default_rng(s)) for lam, s in runs)
        cases.append(Case(f"data set {k + 1} (60 training, 400 validation points; λ = 0, "
                          f"λ = {LAM:g}, λ = 0 again, λ = 0 from another rng)", run,
                          data={"y_val": y_val}))
    return cases


REPEAT = ("two runs with the same generator state and the same λ gave different probabilities: "
          "draw every random number (the initial weights) from rng, not from a generator of "
          "your own")
FIXED = ("runs from two different generator states gave the same probabilities: draw the "
         "initial weights from the rng you are given, not from a seed of your own")


def validation_scores(case, got):
    """(probabilities at λ = 0, at λ = LAM, loss at 0, loss at LAM, accuracy at LAM, what is
    wrong with the use of rng or None), or a message that says what is wrong with the outputs."""
    n = len(case.data["y_val"])
    if sorted(got) != ["0", "1", "2", "3"]:
        return "return one array: the probabilities of the two classes for each validation point"
    probs = [got[key] for key in ("0", "1", "2", "3")]
    for p in probs:
        if p.shape == (n,):
            return (f"return probabilities, shape ({n}, 2), not labels: the softmax outputs of "
                    "X_val")
        if p.shape != (n, 2):
            return (f"probabilities have shape {p.shape}, expected ({n}, 2): one row per "
                    "validation point (X_val, not X)")
        if not (np.all(np.isfinite(p)) and np.all(p >= 0) and np.allclose(p.sum(axis=1), 1)):
            return "each row must be probabilities: finite, at least 0, summing to 1 (softmax)"
    rng_problem = None
    if not np.allclose(probs[0], probs[2], rtol=1e-9, atol=1e-12):
        rng_problem = REPEAT
    elif np.allclose(probs[0], probs[3]):
        rng_problem = FIXED
    y_val = case.data["y_val"]
    losses = [float(-np.mean(np.log(np.clip(p[np.arange(n), y_val], 1e-7, 1.0)))) for p in probs[:2]]
    accuracy = float(np.mean(np.argmax(probs[1], axis=1) == y_val))
    return probs[0], probs[1], losses[0], losses[1], accuracy, rng_problem


def _compare_training(case, got, expected=None):
    scores = validation_scores(case, got)
    if isinstance(scores, str):
        return scores
    _, _, loss_0, loss_lam, accuracy, rng_problem = scores
    if accuracy < MIN_ACCURACY:
        return f"validation accuracy with λ = {LAM:g} is {accuracy:.0%}, needs at least {MIN_ACCURACY:.0%}"
    if loss_lam > MAX_RATIO * loss_0:
        return (f"with λ = {LAM:g} the validation loss is {loss_lam:.3f}, not clearly below the "
                f"{loss_0:.3f} of λ = 0 (it must be at most {MAX_RATIO:.0%} of it)")
    if loss_lam > MAX_LOSS:
        return f"with λ = {LAM:g} the validation loss is {loss_lam:.3f}, needs at most {MAX_LOSS:g}"
    return rng_problem


PENALTY_FUNCTIONS = ("nnlab.regularization.l1_penalty", "nnlab.regularization.l1_gradient",
                     "nnlab.regularization.l2_penalty", "nnlab.regularization.l2_gradient",
                     "nnlab.layers.Dense.regularization_loss")


EXERCISE = Exercise(
    NAME,
    "Regularization",
    (
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
        Task("answer_penalty", 1, None, _penalty_case, kind="value", rtol=1e-4, variant=True,
             invariant=_not_negative),
        Task("regularized_gradients", 3, None, _reg_cases, output_names=("dweights", "dbiases"),
             invariant=_unchanged_without_penalties,
             forbidden=("nnlab.layers.Dense.backward", *PENALTY_FUNCTIONS)),
        Task("max_norm", 2, None, _norm_cases, invariant=_within_the_norm),
        Task("l1_prox_step", 2, None, _prox_cases, invariant=_shrinks_towards_zero,
             forbidden=PENALTY_FUNCTIONS),
        Task("train_regularized", 3, None, _train_cases, compare=_compare_training,
             invariant=_compare_training, timeout=60.0,
             forbidden=(*NNLAB_TRAINING, *PENALTY_FUNCTIONS, "nnlab.optimizers.adam_update",
                        "nnlab.optimizers.Adam.update")),
        manual_task("answer_text_l1_l2", 1),
    ),
)
