"""Exercise 08: Adagrad (warm-up), the slides' RMSprop repaired, Nesterov momentum, AdamW's
decoupled weight decay, a warm-up + cosine learning-rate schedule, and a spiral trained with the
learner's own Adam for a fixed number of steps. All but Adagrad are held out: their references and
mistakes are in ``exercises/reference/adaptive_optimizers.py``.

As in exercise 07, update rules are graded on gradients chosen by the grader: each case runs a few
steps from an empty state, feeding back the state the student returns, and compares the
parameters after every step (never the state, whose keys are the student's choice).
"""

from __future__ import annotations

import numpy as np

from ... import optimizers
from ..core import Case, Exercise, Mistake, Task, keeps_inputs, manual_task
from .layers_and_training import NNLAB_TRAINING, accuracy_at_least, spiral_cases
from .optimizers import OPTIMIZER_CLASSES, _update_cases, _with

# train_adam: 2-64-3, full batch, STEPS Adam steps. The reference (learning rate 0.05) reaches
# 0.70-0.85 validation accuracy on 30 spirals (mean 0.79); plain SGD (rate 0.5 or 1) 0.36-0.50.
STEPS = 300
THRESHOLD = 0.65

# ---- Task 1: Adagrad ----

def _adagrad(param, grad, state, *, learning_rate, epsilon=1e-7, sign=-1, inside=False,
             square=True, keep=True, rho=None):
    cache = state.get("c", np.zeros_like(param)) if keep else np.zeros_like(param)
    g2 = grad**2 if square else np.abs(grad)
    cache = cache + g2 if rho is None else rho * cache + (1 - rho) * g2
    denom = np.sqrt(cache + epsilon) if inside else np.sqrt(cache) + epsilon
    return param + sign * learning_rate * grad / denom, {"c": cache}


# ---- Task 2: the slides' RMSprop, repaired ----

def _layer_steps(fn, weights, biases, grads, hyper):
    state, ws, bs = {}, [], []
    for dw, db in grads:
        weights, biases, state = keeps_inputs(fn)(weights.copy(), biases.copy(), dw.copy(), db.copy(), state,
                                                **hyper)
        ws.append(np.array(weights, dtype=np.float64))
        bs.append(np.array(biases, dtype=np.float64))
    return np.stack(ws), np.stack(bs)


def _unchanged_at_zero_gradients(case, got):
    if case.gate and any(np.any(v != v[0]) for v in got.values()):
        return "with zero gradients nothing may move"
    return None


def _layer_cases(rng):
    cases = []
    for label, hyper in (("learning_rate=0.01, rho=0.9", {"learning_rate": 0.01, "rho": 0.9}),
                         ("learning_rate=0.001, rho=0.5", {"learning_rate": 0.001, "rho": 0.5})):
        w, b = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
        grads = [(rng.normal(size=(3, 2)), rng.normal(size=(1, 2))) for _ in range(4)]
        cases.append(Case(f"4 steps, {label}",
                          lambda fn, w=w, b=b, g=grads, h=hyper: _layer_steps(fn, w, b, g, h)))
    w, b = rng.normal(size=(2, 3)), rng.normal(size=(1, 3))
    shrinking = [(s * rng.normal(size=(2, 3)), s * rng.normal(size=(1, 3))) for s in (2.0, 0.5, 0.1, 0.02)]
    cases.append(Case("4 steps with gradients shrinking towards a minimum, learning_rate=0.01",
                      lambda fn: _layer_steps(fn, w, b, shrinking, {"learning_rate": 0.01})))
    zero = [(np.zeros((2, 3)), np.zeros((1, 3)))] * 3
    cases.append(Case("zero gradients, learning_rate=0.01",
                      lambda fn: _layer_steps(fn, w, b, zero, {"learning_rate": 0.01}), gate=True))
    return cases


# ---- Task 3: Nesterov momentum ----

# ---- Task 4: AdamW ----

# ---- Task 5: warm-up + cosine schedule ----


def _within_the_rates(case, got):
    """What needs no answer: every rate lies between min_learning_rate and learning_rate, and
    after total_steps it is min_learning_rate."""
    rates, lr, lo, total = next(iter(got.values())), *case.data["rates"]
    if rates.shape != (total + 6,):
        return f"return one number per step: {total + 6} rates for steps 0 to {total + 5}"
    if np.any(rates < lo - 1e-12) or np.any(rates > lr + 1e-12):
        return "every rate lies between min_learning_rate and learning_rate"
    if not np.allclose(rates[total:], lo):
        return "from total_steps on the rate is min_learning_rate"
    return None


def _schedule_cases(rng):
    settings = [(0.1, 5, 40, 0.0), (1.0, 10, 30, 0.05), (0.3, 1, 12, 0.01), (0.5, 0, 20, 0.0)]

    def run(fn, lr, w, t, lo):
        return np.array([float(fn(lr, step, warmup_steps=w, total_steps=t, min_learning_rate=lo))
                         for step in range(t + 6)])

    cases = []
    for lr, w, t, lo in settings:
        label = (f"learning_rate={lr}, warmup_steps={w}{' (no warm-up)' if w == 0 else ''}, "
                 f"total_steps={t}{f', min_learning_rate={lo}' if lo else ''}, steps 0 to {t + 5}")
        cases.append(Case(label, lambda fn, lr=lr, w=w, t=t, lo=lo: run(fn, lr, w, t, lo), gate=w == 0,
                          data={"rates": (lr, lo, t)}))
    return cases


EXERCISE = Exercise(
    "08_adaptive_optimizers",
    "Adaptive optimizers",
    (
        Task(
            "adagrad_update", 1, optimizers.adagrad_update,
            lambda rng: _update_cases(rng, [("learning_rate=0.5", {"learning_rate": 0.5}),
                                            ("learning_rate=0.05, epsilon=1e-4",
                                             {"learning_rate": 0.05, "epsilon": 1e-4})]),
            mistakes=(
                Mistake("the parameter must move against the gradient: subtract the step",
                        _with(_adagrad, sign=1)),
                Mistake("the cache is built anew at every step, so every step has the same size "
                        "(sign descent): keep the cache in the state and add to it",
                        _with(_adagrad, keep=False)),
                Mistake("Adagrad's cache is a plain sum that never forgets; a decaying average "
                        "is RMSprop's", _with(_adagrad, rho=0.9)),
                Mistake("the cache sums the squared gradients, not their absolute values",
                        _with(_adagrad, square=False)),
                Mistake("ε goes outside the square root: grad / (√cache + ε)", _with(_adagrad, inside=True)),
            ),
            forbidden=("nnlab.optimizers.adagrad_update", *OPTIMIZER_CLASSES),
        ),
        Task("rmsprop_layer_update", 2, None, _layer_cases, output_names=("weights", "biases"),
             separable=False, invariant=_unchanged_at_zero_gradients,
             forbidden=("nnlab.optimizers.rmsprop_update", "nnlab.optimizers.adagrad_update",
                        *OPTIMIZER_CLASSES)),
        Task("nesterov_update", 3, None,
             lambda rng: _update_cases(
                 rng, [("learning_rate=0.1, momentum=0.9", {"learning_rate": 0.1, "momentum": 0.9}),
                       ("learning_rate=0.5, momentum=0.5", {"learning_rate": 0.5, "momentum": 0.5})],
                 gates=[("momentum=0 (plain SGD), learning_rate=0.3",
                         {"learning_rate": 0.3, "momentum": 0.0})]),
             forbidden=("nnlab.optimizers.sgd_update", *OPTIMIZER_CLASSES)),
        Task("adamw_update", 2, None,
             lambda rng: _update_cases(
                 rng, [("learning_rate=0.01, weight_decay=0.1",
                        {"learning_rate": 0.01, "weight_decay": 0.1}),
                       ("learning_rate=0.1, weight_decay=0.05, beta_2=0.99",
                        {"learning_rate": 0.1, "weight_decay": 0.05, "beta_2": 0.99})],
                 gates=[("weight_decay=0 (plain Adam), learning_rate=0.05",
                         {"learning_rate": 0.05, "weight_decay": 0.0})]),
             forbidden=("nnlab.optimizers.adam_update", *OPTIMIZER_CLASSES)),
        Task("warmup_cosine", 2, None, _schedule_cases, invariant=_within_the_rates),
        Task("train_adam", 2, None, lambda rng: spiral_cases(rng, steps=STEPS),
             compare=accuracy_at_least(THRESHOLD), invariant=accuracy_at_least(THRESHOLD),
             timeout=30.0, forbidden=(*NNLAB_TRAINING, "nnlab.optimizers.adam_update",
                                      *OPTIMIZER_CLASSES)),
        manual_task("answer_text_bias_correction", 1),
    ),
)
