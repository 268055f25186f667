"""Exercise 08's answers: the repaired RMSprop, Nesterov, AdamW, the warm-up + cosine schedule and
the Adam-trained spiral, with the wrong variants the grader recognises."""

from __future__ import annotations

import math

import numpy as np

from nnlab import activations, layers, losses, optimizers
from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.adaptive_optimizers import THRESHOLD
from nnlab.grading.tasks.layers_and_training import spiral_detect
from nnlab.grading.tasks.optimizers import _with


def rmsprop_layer_update(weights, biases, dweights, dbiases, state, *, learning_rate, rho=0.9,
                         epsilon=1e-7):
    """RMSprop for one dense layer: each array keeps its own cache in ``state`` from step to step."""
    new_weights, weights_state = optimizers.rmsprop_update(
        weights, dweights, state.get("weights", {}), learning_rate=learning_rate, rho=rho, epsilon=epsilon)
    new_biases, biases_state = optimizers.rmsprop_update(
        biases, dbiases, state.get("biases", {}), learning_rate=learning_rate, rho=rho, epsilon=epsilon)
    return new_weights, new_biases, {"weights": weights_state, "biases": biases_state}


def _slides_layer(weights, biases, dweights, dbiases, state, *, learning_rate, rho=0.9, epsilon=1e-7,
                  reset=True, sign=1, inside=False, decay=True):
    state = dict(state)
    if reset or "weights_cache" not in state:  # the slides: hasattr(layer, 'weights cache')
        state["weights_cache"] = np.zeros_like(weights)
        state["bias_cache"] = np.zeros_like(biases)
    for key, grad in (("weights_cache", dweights), ("bias_cache", dbiases)):
        state[key] = (rho * state[key] + (1 - rho) * grad**2) if decay else state[key] + grad**2

    def step(param, grad, cache):
        denom = np.sqrt(cache + epsilon) if inside else np.sqrt(cache) + epsilon
        return param + sign * learning_rate * grad / denom

    return (step(weights, dweights, state["weights_cache"]), step(biases, dbiases, state["bias_cache"]),
            state)


def _layer_with(**fixed):
    return lambda *args, **hyper: _slides_layer(*args, **hyper, **fixed)


def nesterov_update(param, grad, state, *, learning_rate, momentum):
    """Nesterov momentum on the look-ahead parameter θ̃ = θ + μu (the gradient is taken at θ̃):

    u = μu − α·grad;   θ̃ = θ̃ + μu − α·grad   (u after this step's update).
    """
    velocity = momentum * state.get("velocity", np.zeros_like(param)) - learning_rate * grad
    return param + momentum * velocity - learning_rate * grad, {"velocity": velocity}


def _nesterov(param, grad, state, *, learning_rate, momentum, form="classic"):
    old = state.get("u", np.zeros_like(param))
    sign = 1 if form == "uphill" else -1
    u = momentum * old + sign * learning_rate * grad
    if form == "classic":
        new = param + u
    elif form == "stacked":
        new = param + (1 + momentum) * u
    elif form == "plus_old":
        new = param + momentum * old + (1 + momentum) * u
    elif form == "no_lr":
        new = param + momentum * u - grad
    else:  # uphill
        new = param + momentum * u + learning_rate * grad
    return new, {"u": u}


def adamw_update(param, grad, state, *, learning_rate, weight_decay, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7):
    """Adam on the data gradient alone, plus decoupled weight decay (PyTorch's AdamW):

    param = param − lr · (m̂ / (√v̂ + ε) + weight_decay · param)   (the param before this step).
    """
    new_param, new_state = optimizers.adam_update(param, grad, state, learning_rate=learning_rate,
                                                  beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    return new_param - learning_rate * weight_decay * param, new_state


def _adamw(param, grad, state, *, learning_rate, weight_decay, beta_1=0.9, beta_2=0.999,
           epsilon=1e-7, form="coupled", correct=True, inside=False, t0=1, power=True):
    t = state.get("t", t0 - 1) + 1
    g = grad + weight_decay * param if form == "coupled" else grad
    g = grad + 2 * weight_decay * param if form == "coupled_2" else g
    m = beta_1 * state.get("m", np.zeros_like(param)) + (1 - beta_1) * g
    v = beta_2 * state.get("v", np.zeros_like(param)) + (1 - beta_2) * g**2
    c1, c2 = (beta_1**t, beta_2**t) if power else (beta_1, beta_2)
    m_hat, v_hat = (m / (1 - c1), v / (1 - c2)) if correct else (m, v)
    denom = np.sqrt(v_hat + epsilon) if inside else np.sqrt(v_hat) + epsilon
    adam = param - learning_rate * m_hat / denom
    if form in ("coupled", "coupled_2"):
        new = adam
    elif form == "no_lr":
        new = adam - weight_decay * param
    elif form == "after":
        new = adam * (1 - learning_rate * weight_decay)
    elif form == "two":
        new = adam - 2 * learning_rate * weight_decay * param
    else:  # "plain": decoupled, as it should be (used with correct=False)
        new = adam - learning_rate * weight_decay * param
    return new, {"t": t, "m": m, "v": v}


def warmup_cosine(learning_rate, step, *, warmup_steps, total_steps, min_learning_rate=0.0):
    """Linear warm-up, then cosine decay to ``min_learning_rate`` at ``total_steps``, then constant.

    step < W:        α·(step + 1)/W
    W ≤ step ≤ T:    α_min + ½(α − α_min)(1 + cos(π·(step − W)/(T − W)))
    step > T:        α_min
    """
    if step < warmup_steps:
        return learning_rate * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_learning_rate
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_learning_rate + 0.5 * (learning_rate - min_learning_rate) * (1 + math.cos(math.pi * progress))


def _schedule(form):
    def wrong(learning_rate, step, *, warmup_steps, total_steps, min_learning_rate=0.0):
        lr, lo, w, t = learning_rate, min_learning_rate, warmup_steps, total_steps
        if step < w:
            return lr * step / w if form == "from_zero" else lr * (step + 1) / w
        if step >= t and form != "no_clamp":
            return lo
        progress = {"from_start": step / t, "over_total": (step - w) / t}.get(form, (step - w) / (t - w))
        if form == "no_min":
            return 0.5 * lr * (1 + math.cos(math.pi * progress))
        if form == "no_half":
            return lo + (lr - lo) * math.cos(math.pi * progress)
        return lo + 0.5 * (lr - lo) * (1 + math.cos(math.pi * progress))
    return wrong


def _train(X, y, X_val, steps, rng, *, learning_rate=0.05, adam=True, init="he"):
    """2-64-3 ReLU network, softmax cross-entropy, full batch: ``steps`` Adam (or SGD) steps."""
    sizes = [(2, 64), (64, 3)]
    weights = [layers.init_he(n_in, n_out, rng) if init == "he" else np.zeros((n_in, n_out))
               for n_in, n_out in sizes]
    params = [weights[0], np.zeros((1, 64)), weights[1], np.zeros((1, 3))]
    states = [{} for _ in params]
    for _ in range(steps):
        W1, b1, W2, b2 = params
        z1 = X @ W1 + b1
        a1 = np.maximum(z1, 0.0)
        dz2 = losses.softmax_cross_entropy_backward(activations.softmax(a1 @ W2 + b2), y)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        grads = [X.T @ dz1, dz1.sum(axis=0, keepdims=True), a1.T @ dz2, dz2.sum(axis=0, keepdims=True)]
        for i, grad in enumerate(grads):
            if adam:
                params[i], states[i] = optimizers.adam_update(params[i], grad, states[i],
                                                              learning_rate=learning_rate)
            else:
                params[i] = params[i] - learning_rate * grad
    W1, b1, W2, b2 = params
    return np.argmax(np.maximum(X_val @ W1 + b1, 0.0) @ W2 + b2, axis=1)


def train_adam(X, y, X_val, *, steps, rng):
    return _train(X, y, X_val, steps, rng)


LOW_ACCURACY = ("the network learned too little in the step budget: is every parameter updated by "
                "Adam (m̂ / (√v̂ + ε), with the state kept from step to step)? Plain gradient "
                "descent needs far more steps on the spiral; try a learning rate of 0.01 to 0.1")

REFERENCES = {
    "rmsprop_layer_update": Reference(rmsprop_layer_update, (
        Mistake("this is still the slides' code: the update climbs the loss, and the cache "
                "is reset before every step", _layer_with()),
        Mistake("the cache is still reset before every step (the 'weights cache' typo): "
                "each step is then about lr/√(1 − ρ), whatever the gradient's size. Keep "
                "the caches in the state you return and reuse them",
                _layer_with(sign=-1)),
        Mistake("the caches now persist, but the update still adds lr · grad / (√cache + ε): "
                "it must subtract", _layer_with(reset=False)),
        Mistake("the cache must decay: cache = ρ · cache + (1 − ρ) · grad² (this is "
                "Adagrad's cache)", _layer_with(reset=False, sign=-1, decay=False)),
        Mistake("ε goes outside the square root: grad / (√cache + ε)",
                _layer_with(reset=False, sign=-1, inside=True)),
    )),
    "nesterov_update": Reference(nesterov_update, (
        Mistake("this is classical momentum (param + u): the parameter you hand back must be "
                "the next look-ahead point, and the gradient you get is taken there",
                _with(_nesterov, form="classic")),
        Mistake("the returned point still contains the previous look-ahead μ·u_old: move from "
                "the look-ahead point, not from a point that has already looked ahead",
                _with(_nesterov, form="stacked")),
        Mistake("the previous look-ahead μ·u_old is added again instead of taken back out",
                _with(_nesterov, form="plus_old")),
        Mistake("the learning rate is missing from the gradient term of the look-ahead step",
                _with(_nesterov, form="no_lr")),
        Mistake("the update goes uphill: the velocity subtracts learning_rate · grad",
                _with(_nesterov, form="uphill")),
    )),
    "adamw_update": Reference(adamw_update, (
        Mistake("this is Adam with an L2 term added to the gradient (coupled): the decay then "
                "passes through m and v and is rescaled like the gradient. AdamW keeps it "
                "out of the moments", _with(_adamw, form="coupled")),
        Mistake("this is Adam with the L2 gradient 2λ·param added to the gradient (nnlab's "
                "Adam with an L2 penalty): AdamW's decay is not a gradient and stays out of "
                "m and v", _with(_adamw, form="coupled_2")),
        Mistake("the decay must be scaled by the learning rate (PyTorch's AdamW): "
                "subtract learning_rate · weight_decay · param", _with(_adamw, form="no_lr")),
        Mistake("decay the parameter as it was before this step, not the one Adam has "
                "already moved", _with(_adamw, form="after")),
        Mistake("weight decay has no factor 2: it is not the gradient of λ·Σw²",
                _with(_adamw, form="two")),
        Mistake("Adam's bias correction is missing: divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ)",
                _with(_adamw, form="plain", correct=False)),
        Mistake("your result is nan from the first step on, even with zero gradients (0/0 in "
                "the bias correction): the step t starts at 1, and with t = 0 the correction "
                "1 − β⁰ is 0", _with(_adamw, form="plain", t0=0)),
        Mistake("the bias correction stays 1 − β at every step: the step t must grow by one "
                "each step — keep it in the state and add 1 on every call — so that the "
                "correction is 1 − βᵗ", _with(_adamw, form="plain", power=False)),
        Mistake("ε goes outside the square root (the book's and PyTorch's form): m̂ / (√v̂ + ε)",
                _with(_adamw, form="plain", inside=True)),
    )),
    "warmup_cosine": Reference(warmup_cosine, (
        Mistake("the warm-up counts the current step: step 0 already uses learning_rate / "
                "warmup_steps, and the last warm-up step reaches the full rate",
                _schedule("from_zero")),
        Mistake("the cosine starts where the warm-up ends: measure its progress from "
                "warmup_steps, over total_steps − warmup_steps steps", _schedule("from_start")),
        Mistake("the cosine's progress runs over total_steps − warmup_steps steps, not "
                "total_steps", _schedule("over_total")),
        Mistake("after total_steps the rate stays at min_learning_rate; the cosine must not "
                "climb again", _schedule("no_clamp")),
        Mistake("the cosine decays to min_learning_rate, not to 0", _schedule("no_min")),
        Mistake("a cosine from 1 to −1 takes the rate below the minimum: the decay factor is "
                "½(1 + cos(π·progress)), from 1 to 0", _schedule("no_half")),
    )),
    "train_adam": Reference(train_adam, (
        Mistake("every validation point gets the same class: nothing was learned (weights that "
                "start at 0 keep every ReLU unit dead)",
                lambda X, y, X_val, *, steps, rng: _train(X, y, X_val, steps, rng, init="zeros"),
                spiral_detect("constant", THRESHOLD)),
        Mistake(LOW_ACCURACY,
                lambda X, y, X_val, *, steps, rng: _train(X, y, X_val, steps, rng, adam=False,
                                                          learning_rate=1.0),
                spiral_detect("low", THRESHOLD)),
    )),
}
