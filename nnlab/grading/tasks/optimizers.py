"""Exercise 05: inverse-time decay, SGD with momentum, RMSprop and Adam as update functions.

Optimizers are graded on gradients chosen by the grader (never on the student's backward pass):
each case runs a few steps from an empty state, feeding back the state the student returns,
and compares the parameters after every step.
"""

from __future__ import annotations

import numpy as np

from ... import optimizers
from ..core import Case, Exercise, Mistake, Task, keeps_inputs, manual_task, value_case

OPTIMIZER_CLASSES = ("nnlab.optimizers.Optimizer.step",) + tuple(
    f"nnlab.optimizers.{cls}.update" for cls in ("SGD", "Adagrad", "RMSprop", "Adam"))


def _decay_cases(rng):
    settings = [(1.0, 0.1), (0.2, 1.0), (0.05, 1e-3), (0.5, 0.0)]

    def run(fn, lr, decay):
        return np.array([float(fn(lr, decay, step)) for step in (0, 1, 2, 10, 100)])

    return [Case(f"learning_rate={lr}, decay={d}, steps 0, 1, 2, 10, 100",
                 lambda fn, lr=lr, d=d: run(fn, lr, d), gate=d == 0.0) for lr, d in settings]


def _steps(fn, param, grads, hyper):
    state, params = {}, []
    for grad in grads:
        param, state = keeps_inputs(fn)(param.copy(), grad.copy(), state, **hyper)
        params.append(np.array(param, dtype=np.float64))
    return np.stack(params)


def _update_cases(rng, hypers, *, gates=()):
    """Four steps per setting; then zero and tiny gradients with the first setting.

    ``gates``: extra (label, hyper) settings that are degenerate (momentum 0, decay 0...)."""
    cases = []
    for label, hyper in hypers:
        p0 = rng.normal(size=(3, 2))
        grads = [rng.normal(size=(3, 2)) for _ in range(4)]
        cases.append(Case(f"4 steps, {label}", lambda fn, p0=p0, g=grads, h=hyper: _steps(fn, p0, g, h)))
    for label, hyper in gates:
        p0 = rng.normal(size=(2, 3))
        grads = [rng.normal(size=(2, 3)) for _ in range(3)]
        cases.append(Case(f"3 steps, {label}", lambda fn, p0=p0, g=grads, h=hyper: _steps(fn, p0, g, h),
                          gate=True))
    p0 = rng.normal(size=(1, 4))
    zero = [np.zeros((1, 4))] * 3
    tiny = [1e-4 * rng.normal(size=(1, 4)) for _ in range(3)]
    label, hyper = hypers[0]
    cases.append(Case(f"zero gradients, {label}", lambda fn: _steps(fn, p0, zero, hyper), gate=True))
    cases.append(Case(f"tiny gradients (about 1e-4), {label}", lambda fn: _steps(fn, p0, tiny, hyper)))
    return cases


def _with(fn, **fixed):
    return lambda param, grad, state, **hyper: fn(param, grad, state, **hyper, **fixed)


def _sgd_no_lr(param, grad, state, *, learning_rate, momentum=0.0):
    update = momentum * state.get("u", np.zeros_like(param)) - grad
    return param + update, {"u": update}


def _sgd_ema(param, grad, state, *, learning_rate, momentum=0.0):
    v = momentum * state.get("v", np.zeros_like(param)) + (1 - momentum) * grad
    return param - learning_rate * v, {"v": v}


def _sgd_plus(param, grad, state, *, learning_rate, momentum=0.0):
    update = momentum * state.get("u", np.zeros_like(param)) + learning_rate * grad
    return param + update, {"u": update}


def _rms(param, grad, state, *, learning_rate, rho=0.9, epsilon=1e-7, sign=-1, inside=False, decay=True):
    cache = state.get("c", np.zeros_like(param))
    cache = rho * cache + (1 - rho) * grad**2 if decay else cache + grad**2
    denom = np.sqrt(cache + epsilon) if inside else np.sqrt(cache) + epsilon
    return param + sign * learning_rate * grad / denom, {"c": cache}


def _adam(param, grad, state, *, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
          correct=True, inside=False, t0=1, power=True):
    t = state.get("t", t0 - 1) + 1
    m = beta_1 * state.get("m", np.zeros_like(param)) + (1 - beta_1) * grad
    v = beta_2 * state.get("v", np.zeros_like(param)) + (1 - beta_2) * grad**2
    if correct:
        m_hat = m / (1 - (beta_1**t if power else beta_1))
        v_hat = v / (1 - (beta_2**t if power else beta_2))
    else:
        m_hat, v_hat = m, v
    denom = np.sqrt(v_hat + epsilon) if inside else np.sqrt(v_hat) + epsilon
    return param - learning_rate * m_hat / denom, {"t": t, "m": m, "v": v}


EXERCISE = Exercise(
    "07_optimizers",
    "Optimizers",
    (
        Task(
            "inverse_time_decay", 1, optimizers.inverse_time_decay, _decay_cases,
            mistakes=(
                Mistake("the rate is divided by (1 + decay · step), not multiplied by it",
                        lambda lr, d, s: lr * (1 + d * s)),
                Mistake("steps count from 0: at step 0 the rate is the initial learning rate",
                        lambda lr, d, s: lr / (1 + d * (s + 1))),
                Mistake("that is exponential decay; inverse-time decay is lr / (1 + decay · step)",
                        lambda lr, d, s: lr * (1 / (1 + d)) ** s),
            ),
            forbidden=("nnlab.optimizers.inverse_time_decay",),
        ),
        Task(
            "answer_lr_epoch_2", 1, 0.2 / 3, lambda rng: value_case(), kind="value", rtol=5e-3,
            mistakes=(Mistake("0.67 is the slides' misprint: check the decimal point", 0.67),
                      Mistake("epoch 2 means step 2: 0.2 / (1 + 1 · 2)", 0.1)),
        ),
        Task(
            "sgd_update", 2, optimizers.sgd_update,
            lambda rng: _update_cases(rng, [("learning_rate=0.1, momentum=0.9",
                                             {"learning_rate": 0.1, "momentum": 0.9}),
                                            ("learning_rate=0.5, momentum=0 (plain SGD)",
                                             {"learning_rate": 0.5, "momentum": 0.0})]),
            mistakes=(
                Mistake("the learning rate is missing from the momentum update (as in one of the "
                        "slides): update = momentum · update − learning_rate · grad", _sgd_no_lr),
                Mistake("that is the exponentially weighted average form v = β·v + (1 − β)·g; "
                        "this course uses the book's update = momentum · update − lr · grad",
                        _sgd_ema),
                Mistake("the update goes uphill: subtract learning_rate · grad", _sgd_plus),
            ),
            forbidden=("nnlab.optimizers.sgd_update", *OPTIMIZER_CLASSES),
        ),
        Task(
            "rmsprop_update", 2, optimizers.rmsprop_update,
            lambda rng: _update_cases(rng, [("learning_rate=0.01, rho=0.9",
                                             {"learning_rate": 0.01, "rho": 0.9}),
                                            ("learning_rate=0.001, rho=0.5",
                                             {"learning_rate": 0.001, "rho": 0.5})]),
            mistakes=(
                Mistake("the parameter must move against the gradient (the slides write += "
                        "here, which climbs the loss)", _with(_rms, sign=1)),
                Mistake("ε goes outside the square root: grad / (√cache + ε)", _with(_rms, inside=True)),
                Mistake("the cache must decay: cache = ρ · cache + (1 − ρ) · grad² (this is "
                        "Adagrad's cache)", _with(_rms, decay=False)),
            ),
            forbidden=("nnlab.optimizers.rmsprop_update", "nnlab.optimizers.adagrad_update",
                       *OPTIMIZER_CLASSES),
        ),
        Task(
            "adam_update", 3, optimizers.adam_update,
            lambda rng: _update_cases(rng, [("learning_rate=0.01", {"learning_rate": 0.01}),
                                            ("learning_rate=0.1, beta_2=0.99",
                                             {"learning_rate": 0.1, "beta_2": 0.99})]),
            mistakes=(
                Mistake("Adam without bias correction: divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ), "
                        "with t counted from 1", _with(_adam, correct=False)),
                Mistake("your result is nan from the first step on, even with zero gradients "
                        "(0/0 in the bias correction): the step t starts at 1, and with t = 0 the "
                        "correction 1 − β⁰ is 0", _with(_adam, t0=0)),
                Mistake("the bias correction stays 1 − β at every step: the step t must grow by "
                        "one each step — keep it in the state and add 1 on every call — so that "
                        "the correction is 1 − βᵗ", _with(_adam, power=False)),
                Mistake("ε goes outside the square root here (the book's and PyTorch's form): "
                        "m̂ / (√v̂ + ε)", _with(_adam, inside=True)),
            ),
            forbidden=("nnlab.optimizers.adam_update", *OPTIMIZER_CLASSES),
        ),
        manual_task("answer_text_learning_rate", 1),
    ),
)
