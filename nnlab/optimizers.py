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


# ---- optimizer classes: state lives here, aligned with the parameter list ----

class Optimizer:
    """Base class: applies ``_update`` to each (param, grad) pair with inverse-time decay.

    ``step(params, grads)`` updates the parameter arrays in place and advances the iteration count.
    """

    _update = staticmethod(sgd_update)

    def __init__(self, learning_rate: float, decay: float = 0.0, **hyper):
        check_positive(learning_rate, "learning_rate")
        check_non_negative(decay, "decay")
        self.learning_rate = learning_rate
        self.decay = decay
        self.hyper = hyper
        self.iterations = 0
        self._states: list[dict] | None = None

    @property
    def current_learning_rate(self) -> float:
        return inverse_time_decay(self.learning_rate, self.decay, self.iterations)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One update of every parameter array, in place; then count the iteration."""
        if self._states is None:
            self._states = [{} for _ in params]  # one state per parameter, made once
        if len(params) != len(self._states):
            raise ValueError(
                f"optimizer was created for {len(self._states)} parameters; got {len(params)}"
            )
        lr = self.current_learning_rate
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            param[...], self._states[i] = self._update(
                param, grad, self._states[i], learning_rate=lr, **self.hyper
            )
        self.iterations += 1

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}(learning_rate={self.learning_rate}, decay={self.decay}, {args})"


class SGD(Optimizer):
    _update = staticmethod(sgd_update)

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0, momentum: float = 0.0):
        super().__init__(learning_rate, decay, momentum=momentum)


class Adagrad(Optimizer):
    _update = staticmethod(adagrad_update)

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0, epsilon: float = 1e-7):
        super().__init__(learning_rate, decay, epsilon=epsilon)


class RMSprop(Optimizer):
    _update = staticmethod(rmsprop_update)

    def __init__(
        self, learning_rate: float = 0.001, decay: float = 0.0, epsilon: float = 1e-7,
        rho: float = 0.9,
    ):
        super().__init__(learning_rate, decay, epsilon=epsilon, rho=rho)


class Adam(Optimizer):
    _update = staticmethod(adam_update)

    def __init__(
        self, learning_rate: float = 0.001, decay: float = 0.0, epsilon: float = 1e-7,
        beta_1: float = 0.9, beta_2: float = 0.999,
    ):
        super().__init__(learning_rate, decay, epsilon=epsilon, beta_1=beta_1, beta_2=beta_2)
