"""Exercise 07's held-out answers: a student's decayed learning rate, the bias-corrected
exponentially weighted average, the classmate's MySGD repaired, and a spiral trained with SGD,
momentum and decay in a fixed budget of full-batch epochs."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.layers_and_training import spiral_accuracy
from nnlab.grading.tasks.optimizers import THRESHOLD

# ---- answer_lr_last_update ----


def _lr(n, step):
    return n["learning_rate"] / (1 + n["decay"] * step)


def _updates(n, rounding=math.ceil):
    return int(rounding(n["n_samples"] / n["batch_size"]))


def lr_last_update(n):
    """The rate of the last update of epoch ``epoch``: updates are counted from 0, ⌈N/B⌉ a epoch."""
    return _lr(n, (n["epoch"] + 1) * _updates(n) - 1)


# ---- ewa_update ----

def ewa_update(value, state, *, beta):
    """v = β·v + (1 − β)·value, t = t + 1;  returns (v / (1 − βᵗ), {"v": v, "t": t})."""
    t = state.get("t", 0) + 1
    v = beta * state.get("v", 0.0) + (1 - beta) * value
    return v / (1 - beta**t), {"v": v, "t": t}


def _ewa(form):
    def wrong(value, state, *, beta):
        t = 1 if form == "frozen_t" else state.get("t", 0) + 1
        previous = value if form == "first_value" and "v" not in state else state.get("v", 0.0)
        if form == "no_memory":
            previous = 0.0
        if form == "swapped":
            v = (1 - beta) * previous + beta * value
        else:
            v = beta * previous + (1 - beta) * value
        power = {"from_zero": t - 1, "one_ahead": t + 1}.get(form, t)
        if form == "uncorrected":
            average = v
        elif form == "times":
            average = v * (1 - beta**power)
        else:
            average = v / (1 - beta**power)
        return average, {"v": average if form == "corrected_state" else v, "t": t}
    return wrong


# ---- sgd_steps ----

def sgd_steps(params, grads, *, learning_rate, decay, momentum, reset=False, uphill=False,
              per_array=False, rebind=False, count_first=False, ema=False):
    """MySGD repaired (with flags for the ways it goes wrong): each parameter after every step."""
    params = [np.array(p, dtype=np.float64) for p in params]
    velocities = [np.zeros_like(p) for p in params]
    iterations, history = 0, [[] for _ in params]
    for step_grads in grads:
        if reset:  # hasattr(self, "velocity") never holds: new zeros at every step
            velocities = [np.zeros_like(p) for p in params]
        if count_first:
            iterations += 1
        for k, grad in enumerate(step_grads):
            lr = learning_rate / (1 + decay * iterations)
            if ema:  # the slides' form: v = μv + (1 − μ)g, θ −= αv
                velocities[k] = momentum * velocities[k] + (1 - momentum) * grad
                params[k] = params[k] - lr * velocities[k]
                continue
            velocities[k] = momentum * velocities[k] + (1 if uphill else -1) * lr * grad
            if not rebind:
                params[k] = params[k] + velocities[k]
            if per_array:
                iterations += 1
        if not (per_array or count_first):
            iterations += 1
        for k, param in enumerate(params):
            history[k].append(param.copy())
    return [np.stack(h) for h in history]


def _buggy(**bugs):
    return lambda params, grads, **hyper: sgd_steps(params, grads, **hyper, **bugs)


RESET = ("the velocities go back to zero at every step, so momentum never builds up: the "
         "hasattr check asks for 'velocity', but the list is called 'velocities' (or the new "
         "velocity is not written back into the stored array)")
UPHILL = "the velocity adds + learning_rate · grad, so the parameters climb the loss: subtract it"
PER_ARRAY = ("the step count grows once per parameter array, not once per step: with 4 arrays the "
             "learning rate decays 4 times too fast, and each array gets a different rate within "
             "one step. Count once per step, after the loop")


def _bug_mistakes():
    bugs = {"reset": RESET, "uphill": UPHILL, "per_array": PER_ARRAY}
    out = [Mistake("this is still the classmate's code: all three bugs are there. " +
                   " Also, ".join(bugs.values()), _buggy(reset=True, uphill=True, per_array=True))]
    for left in (("reset", "uphill"), ("reset", "per_array"), ("uphill", "per_array")):
        text = f"two bugs are left. {bugs[left[0]]}. And {bugs[left[1]]}"
        out.append(Mistake(text, _buggy(**dict.fromkeys(left, True))))
    out += [Mistake(text, _buggy(**{name: True})) for name, text in bugs.items()]
    return tuple(out)


# ---- train_with_momentum ----

SIZES = (2, 64, 64, 3)


def _train(X, y, X_val, epochs, rng, *, learning_rate=0.5, momentum=0.9, decay=1e-2,
           uphill=False, update=True):
    """A 2-64-64-3 ReLU network with He weights and softmax cross-entropy, trained on the full
    batch with SGD, momentum and inverse-time decay -> the predicted labels of X_val."""
    shapes = list(zip(SIZES[:-1], SIZES[1:], strict=True))
    params = []
    for n_in, n_out in shapes:
        params += [rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in), np.zeros((1, n_out))]
    velocities = [np.zeros_like(p) for p in params]
    n_layers = len(shapes)

    def forward(inputs):
        acts, pre = [inputs], []
        for k in range(n_layers):
            pre.append(acts[-1] @ params[2 * k] + params[2 * k + 1])
            if k < n_layers - 1:
                acts.append(np.maximum(pre[-1], 0.0))
        return acts, pre

    for step in range(epochs):
        acts, pre = forward(X)
        logits = pre[-1] - pre[-1].max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        dvalues = probs
        dvalues[np.arange(len(y)), y] -= 1
        dvalues /= len(y)
        grads = [None] * len(params)
        for k in reversed(range(n_layers)):
            grads[2 * k] = acts[k].T @ dvalues
            grads[2 * k + 1] = dvalues.sum(axis=0, keepdims=True)
            if k > 0:
                dvalues = (dvalues @ params[2 * k].T) * (pre[k - 1] > 0)
        lr = learning_rate / (1 + decay * step)
        for i, grad in enumerate(grads):
            velocities[i] = momentum * velocities[i] + (1 if uphill else -1) * lr * grad
            if update:
                params[i] = params[i] + velocities[i]
    _, pre = forward(X_val)
    return np.argmax(pre[-1], axis=1)


_CACHE: dict = {}


def train_with_momentum(X, y, X_val, *, epochs, rng):
    """The reference run (cached: the comparison only needs the labels in Case.data)."""
    key = hashlib.sha256(X.tobytes() + y.tobytes() + X_val.tobytes() + repr(
        (epochs, rng.bit_generator.state)).encode()).hexdigest()
    if key not in _CACHE:
        _CACHE[key] = _train(X, y, X_val, epochs, rng)
    return _CACHE[key]


def _detect(kind):
    def detect(case, got):
        res = spiral_accuracy(case, got)
        if isinstance(res, str):
            return False
        pred, acc = res
        if kind == "constant":
            return len(np.unique(pred)) == 1
        return acc < THRESHOLD
    return detect


LOW_ACCURACY = ("the network learned too little in the 300-epoch budget. Is the momentum really "
                "remembered from step to step? (Velocities made anew at every step are plain SGD, "
                "which needs far more epochs here.) Do the updates change the layers' own arrays "
                "in place? Is the learning rate neither too small nor decaying too fast? "
                "Try learning rates between 0.2 and 1 with momentum 0.9 and a decay of about 1e-2")


def _spiral_plain(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, momentum=0.0)


def _spiral_no_update(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, update=False)


def _spiral_uphill(X, y, X_val, *, epochs, rng):
    with np.errstate(all="ignore"):
        return _train(X, y, X_val, epochs, rng, uphill=True)


REFERENCES = {
    "answer_lr_last_update": Reference(lr_last_update, (
        Mistake("decay counts updates, not epochs: every mini-batch is one update",
                lambda n: _lr(n, n["epoch"])),
        Mistake("the last, smaller mini-batch is an update too: an epoch makes ⌈N/B⌉ updates",
                lambda n: _lr(n, (n["epoch"] + 1) * _updates(n, math.floor) - 1)),
        Mistake("that is the rate of the first update of that epoch; the question asks for its last",
                lambda n: _lr(n, n["epoch"] * _updates(n))),
        Mistake("updates are counted from 0: the very first update uses the initial learning rate",
                lambda n: _lr(n, (n["epoch"] + 1) * _updates(n))),
        Mistake("epochs are counted from 0 here: epoch 0 is the first pass over the data",
                lambda n: _lr(n, n["epoch"] * _updates(n) - 1)),
    )),
    "ewa_update": Reference(ewa_update, (
        Mistake("the average is not bias-corrected: divide v by 1 − βᵗ", _ewa("uncorrected")),
        Mistake("your first average is inf or nan: the step t starts at 1, and at t = 0 the "
                "correction 1 − β⁰ is 0", _ewa("from_zero")),
        Mistake("the correction stays 1 − β at every step: keep the step count t in the state and "
                "add 1 on every call, so that the correction is 1 − βᵗ", _ewa("frozen_t")),
        Mistake("the correction is one step ahead: after t values it is 1 − βᵗ, with t = 1 for "
                "the first value", _ewa("one_ahead")),
        Mistake("the weights are swapped: v = β·v + (1 − β)·value, so that a large β means a "
                "long memory", _ewa("swapped")),
        Mistake("the average forgets: v must come from the state you returned at the previous "
                "step (zero only before the first)", _ewa("no_memory")),
        Mistake("v starts at 0, not at the first value: it is that start the correction "
                "1 − βᵗ undoes", _ewa("first_value")),
        Mistake("divide by the correction 1 − βᵗ, don't multiply", _ewa("times")),
        Mistake("keep the uncorrected v in the state: the corrected average fed back is corrected "
                "again at the next step, and the average runs away", _ewa("corrected_state")),
    )),
    "sgd_steps": Reference(sgd_steps, (
        *_bug_mistakes(),
        Mistake("the parameters never change: param = param + velocity makes a new array and "
                "leaves the caller's (the layer's) array as it was. Update in place: param += "
                "velocity, or param[...] = ...", _buggy(rebind=True)),
        Mistake("the first step must use the initial learning rate: count the step after taking "
                "it", _buggy(count_first=True)),
        Mistake("that is the weighted-average form v = μv + (1 − μ)g, θ −= α·v (the slides'); "
                "MySGD keeps the update itself, as the book and nnlab do: u = μu − α·g, θ += u",
                _buggy(ema=True)),
    )),
    "train_with_momentum": Reference(train_with_momentum, (
        Mistake("every validation point gets the same class: the training diverged. Does the "
                "velocity subtract learning_rate · grad, and is the learning rate small enough?",
                _spiral_uphill, _detect("constant")),
        Mistake(LOW_ACCURACY, _spiral_plain, _detect("low")),
        Mistake(LOW_ACCURACY, _spiral_no_update, _detect("low")),
    )),
}
