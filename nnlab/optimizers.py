"""Optimizers as pure update functions, learning-rate schedules, and optimizer classes.

An update function takes a parameter, its gradient and the optimizer's state for that parameter
(a dict, ``{}`` before the first step: missing moments count as zeros) and returns
``(new_param, new_state)``. It never mutates its arguments.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_non_negative, check_positive, check_same_shape


def _check_update(param, grad, learning_rate):
    check_positive(learning_rate, "learning_rate")
    param, grad = as_float_array(param, "param"), as_float_array(grad, "grad")
    check_same_shape(param, grad, "param", "grad")
    return param, grad


def sgd_update(param, grad, state, *, learning_rate: float, momentum: float = 0.0):
    """SGD, optionally with momentum (the book's form):

    update = momentum · update − learning_rate · grad;   param = param + update.
    """
    param, grad = _check_update(param, grad, learning_rate)
    check_non_negative(momentum, "momentum")
    if momentum == 0.0:
        return param - learning_rate * grad, dict(state)
    update = momentum * state.get("momentum", 0.0) - learning_rate * grad
    return param + update, {**state, "momentum": update}


def adagrad_update(param, grad, state, *, learning_rate: float, epsilon: float = 1e-7):
    """Adagrad: cache = cache + grad²;   param = param − lr · grad / (√cache + ε)."""
    param, grad = _check_update(param, grad, learning_rate)
    cache = state.get("cache", 0.0) + grad**2
    return param - learning_rate * grad / (np.sqrt(cache) + epsilon), {**state, "cache": cache}


def rmsprop_update(
    param, grad, state, *, learning_rate: float, rho: float = 0.9, epsilon: float = 1e-7
):
    """RMSprop: cache = ρ · cache + (1 − ρ) · grad²;   param = param − lr · grad / (√cache + ε)."""
    param, grad = _check_update(param, grad, learning_rate)
    cache = rho * state.get("cache", 0.0) + (1 - rho) * grad**2
    return param - learning_rate * grad / (np.sqrt(cache) + epsilon), {**state, "cache": cache}


def adam_update(
    param,
    grad,
    state,
    *,
    learning_rate: float,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
):
    """Adam, step t counted from 1, ε outside the square root (the book and PyTorch):

    m = β₁m + (1 − β₁)g;   v = β₂v + (1 − β₂)g²;   m̂ = m / (1 − β₁ᵗ);   v̂ = v / (1 − β₂ᵗ);
    param = param − lr · m̂ / (√v̂ + ε).
    """
    param, grad = _check_update(param, grad, learning_rate)
    t = state.get("step", 0) + 1
    m = beta_1 * state.get("m", 0.0) + (1 - beta_1) * grad
    v = beta_2 * state.get("v", 0.0) + (1 - beta_2) * grad**2
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    new_param = param - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return new_param, {**state, "step": t, "m": m, "v": v}


# ---- learning-rate schedules: the learning rate to use at a given step (0, 1, 2, ...) ----

def inverse_time_decay(learning_rate: float, decay: float, step: int) -> float:
    """α = α₀ / (1 + decay · step)."""
    return learning_rate / (1.0 + decay * step)


def exponential_decay(learning_rate: float, rate: float, step: int) -> float:
    """α = α₀ · rate^step (e.g. rate = 0.95)."""
    return learning_rate * rate**step


def inverse_sqrt_decay(learning_rate: float, k: float, step: int) -> float:
    """α = k · α₀ / √step, with step counted from 1 (step 0 is treated as 1)."""
    return k * learning_rate / np.sqrt(max(step, 1))


def step_decay(learning_rate: float, drop: float, every: int, step: int) -> float:
    """α = α₀ · drop^⌊step / every⌋ (e.g. halve every 10 epochs)."""
    return learning_rate * drop ** (step // every)


# ---- optimizer classes: the same rules, updating the parameter arrays in place ----

_BASE_ATTRIBUTES = ("learning_rate", "decay", "iterations", "states")


class Optimizer:
    """Learning rate with inverse-time decay, the step count, and one state per parameter.

    α = α₀ / (1 + decay · iterations).   ``step(params, grads)`` updates each array in place
    with its subclass's ``update``; the states are made at the first step, aligned with ``params``.
    """

    def __init__(self, learning_rate: float, decay: float = 0.0):
        check_positive(learning_rate, "learning_rate")
        check_non_negative(decay, "decay")
        self.learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.states: list[dict] | None = None

    @property
    def current_learning_rate(self) -> float:
        return self.learning_rate / (1.0 + self.decay * self.iterations)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if self.states is None:
            self.states = [self.new_state(param) for param in params]
        lr = self.current_learning_rate
        for param, grad, state in zip(params, grads, self.states, strict=True):
            self.update(param, grad, state, lr)
        self.iterations += 1

    def new_state(self, param: np.ndarray) -> dict:
        return {}

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> None:
        raise NotImplementedError

    @property
    def hyper(self) -> dict:
        """The rule's own settings, e.g. {'momentum': 0.9}: what the subclass stored."""
        return {k: v for k, v in vars(self).items() if k not in _BASE_ATTRIBUTES}

    def __repr__(self) -> str:
        args = "".join(f", {k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}(learning_rate={self.learning_rate}, decay={self.decay}{args})"


class SGD(Optimizer):
    """update = momentum · update − lr · grad;   param += update   (param −= lr · grad without)."""

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0, momentum: float = 0.0):
        super().__init__(learning_rate, decay)
        check_non_negative(momentum, "momentum")
        self.momentum = momentum

    def new_state(self, param):
        return {"momentum": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        if self.momentum == 0.0:
            param -= lr * grad
        else:
            state["momentum"] = self.momentum * state["momentum"] - lr * grad
            param += state["momentum"]


class Adagrad(Optimizer):
    """cache += grad²;   param −= lr · grad / (√cache + ε)."""

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0, epsilon: float = 1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon

    def new_state(self, param):
        return {"cache": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        state["cache"] = state["cache"] + grad**2
        param -= lr * grad / (np.sqrt(state["cache"]) + self.epsilon)


class RMSprop(Optimizer):
    """cache = ρ · cache + (1 − ρ) · grad²;   param −= lr · grad / (√cache + ε)."""

    def __init__(
        self, learning_rate: float = 0.001, decay: float = 0.0, epsilon: float = 1e-7,
        rho: float = 0.9,
    ):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon
        self.rho = rho

    def new_state(self, param):
        return {"cache": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        state["cache"] = self.rho * state["cache"] + (1 - self.rho) * grad**2
        param -= lr * grad / (np.sqrt(state["cache"]) + self.epsilon)


class Adam(Optimizer):
    """Adam with t = iterations + 1:   m = β₁m + (1 − β₁)g;   v = β₂v + (1 − β₂)g²;

    m̂ = m / (1 − β₁ᵗ);   v̂ = v / (1 − β₂ᵗ);   param −= lr · m̂ / (√v̂ + ε).
    """

    def __init__(
        self, learning_rate: float = 0.001, decay: float = 0.0, epsilon: float = 1e-7,
        beta_1: float = 0.9, beta_2: float = 0.999,
    ):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def new_state(self, param):
        return {"m": np.zeros_like(param), "v": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        t = self.iterations + 1
        state["m"] = self.beta_1 * state["m"] + (1 - self.beta_1) * grad
        state["v"] = self.beta_2 * state["v"] + (1 - self.beta_2) * grad**2
        m_hat = state["m"] / (1 - self.beta_1**t)
        v_hat = state["v"] / (1 - self.beta_2**t)
        param -= lr * m_hat / (np.sqrt(v_hat) + self.epsilon)
