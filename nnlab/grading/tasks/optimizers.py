"""Exercise 07: SGD with momentum (warm-up); the learning rate of a student's own mini-batch
schedule; a bias-corrected exponentially weighted average as a stateful update; a classmate's
``MySGD`` with three bugs, graded through ``sgd_steps``; and the spiral trained with the learner's
own ``MySGD`` for a fixed budget of full-batch epochs, graded by validation accuracy.

Update rules are graded on gradients chosen by the grader (never on the student's backward pass):
each case runs a few steps from an empty state, feeding back the state the student returns, and
compares the parameters after every step. ``sgd_update`` keeps its public nnlab reference; the
other tasks are held out (``exercises/reference/optimizers.py``).
"""

from __future__ import annotations

import numpy as np

from ... import optimizers
from ..core import Case, Exercise, Mistake, Task, keeps_inputs, manual_task
from .layers_and_training import NNLAB_TRAINING, accuracy_at_least, spiral_cases

NAME = "07_optimizers"  # the student's numbers: nnlab/variants/optimizers.py

OPTIMIZER_CLASSES = ("nnlab.optimizers.Optimizer.step",) + tuple(
    f"nnlab.optimizers.{cls}.update" for cls in ("SGD", "Adagrad", "RMSprop", "Adam"))

# ---- sgd_update (warm-up); the helpers are exercise 08's too ----


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


def _sgd_reset(param, grad, state, *, learning_rate, momentum=0.0):
    return param - learning_rate * grad, dict(state)  # the remembered update is never kept


# ---- answer_lr_last_update (the student's numbers) ----

def _lr_cases(rng, numbers):
    return [Case("your answer, one number", lambda v: np.asarray(v, dtype=np.float64).reshape(()),
                 data={"shape": (), "learning_rate": numbers.get("learning_rate", 1.0)})]


def _below_the_start(case, got):
    value = float(next(iter(got.values())))
    if not 0 < value <= case.data["learning_rate"]:
        return "a decayed learning rate lies between 0 and the initial learning rate"
    return None


# ---- ewa_update ----

def _ewa_steps(fn, values, beta):
    state, averages = {}, []
    for value in values:
        average, state = keeps_inputs(fn)(value.copy(), state, beta=beta)
        averages.append(np.array(average, dtype=np.float64))
    return np.stack(averages)


def _ewa_cases(rng):
    settings = [
        ("6 steps, values (3, 2), beta=0.9", 0.9, rng.normal(size=(6, 3, 2))),
        ("5 steps, values (4,), beta=0.5", 0.5, 2.0 + rng.normal(size=(5, 4))),
        ("40 steps of a noisy daily temperature (1,), beta=0.98", 0.98,
         12.0 + 3.0 * rng.normal(size=(40, 1))),
    ]
    cases = [Case(label, lambda fn, b=beta, v=values: _ewa_steps(fn, v, b),
                  data={"values": values, "shape": values.shape}) for label, beta, values in settings]
    last = rng.normal(size=(4, 2, 2))
    constant = np.tile(rng.normal(size=(1, 3)), (5, 1, 1))  # (5, 1, 3)
    cases.append(Case("beta=0: the average is the latest value", lambda fn: _ewa_steps(fn, last, 0.0),
                      data={"values": last, "shape": last.shape}, gate=True))
    cases.append(Case("a constant sequence, beta=0.9: its average is that constant",
                      lambda fn: _ewa_steps(fn, constant, 0.9),
                      data={"values": constant, "shape": constant.shape}, gate=True))
    return cases


def _within_the_values(case, got):
    """A bias-corrected average is a weighted mean (weights summing to 1) of the values so far."""
    averages = next(iter(got.values()))
    values = case.data["values"]
    if averages.shape != values.shape:
        return None
    low, high = np.minimum.accumulate(values), np.maximum.accumulate(values)
    slack = 1e-9 * (1 + np.abs(values).max())
    outside = (averages < low - slack) | (averages > high + slack)
    if np.any(outside):
        step = int(np.argwhere(outside)[0][0]) + 1
        return (f"at step {step} an average lies outside the range of the values seen so far: "
                "a bias-corrected average is a weighted mean of them, with weights that sum to 1")
    return None


# ---- sgd_steps (find the bug in MySGD) ----

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def _network_arrays(rng, scale=1.0):
    shapes = [(2, 3), (1, 3), (3, 2), (1, 2)]  # a 2-3-2 network's weights and biases
    return [scale * rng.normal(size=shape) for shape in shapes]


def _sgd_step_case(label, params, grads, hyper, gate=False):
    return Case(label, lambda fn: fn([a.copy() for a in params], [[a.copy() for a in s] for s in grads],
                                     **hyper),
                data={"params": params, "grads": grads, **hyper}, gate=gate)


def _sgd_step_cases(rng):
    settings = [
        ("learning_rate=0.5, decay=0.1, momentum=0.9", {"learning_rate": 0.5, "decay": 0.1, "momentum": 0.9}),
        ("learning_rate=0.2, decay=0.5, momentum=0.5", {"learning_rate": 0.2, "decay": 0.5, "momentum": 0.5}),
        ("learning_rate=0.1, decay=0 (no decay), momentum=0.9",
         {"learning_rate": 0.1, "decay": 0.0, "momentum": 0.9}),
    ]
    cases = [_sgd_step_case(f"a 2-3-2 network, 5 steps, {label}", _network_arrays(rng),
                            [_network_arrays(rng) for _ in range(5)], hyper) for label, hyper in settings]
    params, grads = _network_arrays(rng), [_network_arrays(rng) for _ in range(3)]
    cases.append(_sgd_step_case("momentum=0 and decay=0 (plain SGD), learning_rate=0.3, 3 steps",
                                params, grads, {"learning_rate": 0.3, "decay": 0.0, "momentum": 0.0},
                                gate=True))
    zero = [[np.zeros_like(a) for a in params] for _ in range(3)]
    cases.append(_sgd_step_case(f"zero gradients, {settings[0][0]}, 3 steps", params, zero,
                                settings[0][1], gate=True))
    return cases


def _first_step_downhill(case, got):
    """The first step is fixed by the rule alone: velocities start at 0, no step has been counted."""
    lr = case.data["learning_rate"]
    for k, (name, p0, g0) in enumerate(zip(PARAM_NAMES, case.data["params"], case.data["grads"][0],
                                         strict=True)):
        out = got.get(str(k))
        if out is None or out.shape != (len(case.data["grads"]), *p0.shape):
            return (f"return what sgd_steps returns: for each of the 4 parameter arrays, its values "
                    f"after every step; {name} should have shape ({len(case.data['grads'])}, "
                    f"{', '.join(map(str, p0.shape))})")
        if not np.allclose(out[0], p0 - lr * g0, rtol=1e-6, atol=1e-12):
            return (f"{name} after the first step must be {name} − learning_rate · grad: the velocities "
                    "start at zero and no step has been counted yet (so no decay either), and the "
                    "step goes downhill")
    return None


# ---- train_with_momentum (integrative, graded by validation accuracy) ----

# The reference (held out: 2-64-64-3 ReLU network, He weights, full batch, SGD with learning rate
# 0.5, momentum 0.9, decay 1e-2) reached 0.75 or more on 150 fresh spirals (mean 0.85). Plain SGD
# on the same network and budget, at its best learning rate (1.5, decay 1e-3), averaged 0.69 and
# reached 0.72 on only 27 % of them, so all three spirals of a grading run in about 2 %.
THRESHOLD = 0.72
EPOCHS = 300


EXERCISE = Exercise(
    NAME,
    "Optimizers: decay and momentum",
    (
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
                Mistake("the remembered update is never kept: put the new update into the state "
                        "you return, and start from it at the next step", _sgd_reset),
            ),
            forbidden=("nnlab.optimizers.sgd_update", *OPTIMIZER_CLASSES),
        ),
        Task("answer_lr_last_update", 1, None, _lr_cases, kind="value", rtol=1e-4, variant=True,
             invariant=_below_the_start),
        Task("ewa_update", 2, None, _ewa_cases, invariant=_within_the_values),
        Task("sgd_steps", 3, None, _sgd_step_cases, output_names=PARAM_NAMES, separable=False,
             invariant=_first_step_downhill,
             forbidden=("nnlab.optimizers.sgd_update", *OPTIMIZER_CLASSES)),
        Task("train_with_momentum", 3, None, lambda rng: spiral_cases(rng, epochs=EPOCHS),
             compare=accuracy_at_least(THRESHOLD), invariant=accuracy_at_least(THRESHOLD),
             timeout=30.0,
             forbidden=(*NNLAB_TRAINING, *OPTIMIZER_CLASSES, "nnlab.optimizers.adagrad_update",
                        "nnlab.optimizers.rmsprop_update", "nnlab.optimizers.adam_update")),
        manual_task("answer_text_momentum", 1),
    ),
)
