"""Notebook 05's widget: the path an optimizer takes across a 2-D loss surface.

Two parameters (x, y) stand in for a network's weights, so the whole loss surface fits in one
picture. Each optimizer steps with nnlab's own update functions, starting from the same point.

- ``valley``: L = 0.02·x² + y², a long, narrow valley whose walls (y) curve 50 times more than its floor (x).
- ``saddle``: L = x²/2 + y⁴/4 − y²/2, a saddle point at the origin between two minima at
  (0, ±1); near the saddle the surface is almost flat (a plateau), so plain gradient descent crawls.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._checks import check_positive
from ..optimizers import adagrad_update, adam_update, rmsprop_update, sgd_update

# ---- the surfaces: loss and gradient as small pure functions of a point w = (x, y) ----

def valley(w: np.ndarray) -> np.ndarray:
    """L = 0.02·x² + y².   Shapes: w (..., 2) -> (...); works on a single point or a grid."""
    w = np.asarray(w, dtype=np.float64)
    return 0.02 * w[..., 0] ** 2 + w[..., 1] ** 2


def valley_gradient(w: np.ndarray) -> np.ndarray:
    """∇L = (0.04·x, 2·y).   Shapes: w (2,) -> (2,)."""
    x, y = np.asarray(w, dtype=np.float64)
    return np.array([0.04 * x, 2.0 * y])


def saddle(w: np.ndarray) -> np.ndarray:
    """L = x²/2 + y⁴/4 − y²/2.   Shapes: w (..., 2) -> (...)."""
    w = np.asarray(w, dtype=np.float64)
    x, y = w[..., 0], w[..., 1]
    return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2


def saddle_gradient(w: np.ndarray) -> np.ndarray:
    """∇L = (x, y³ − y).   Shapes: w (2,) -> (2,)."""
    x, y = np.asarray(w, dtype=np.float64)
    return np.array([x, y**3 - y])


# name -> (loss, gradient, start point, plotted box (x_min, x_max, y_min, y_max))
SURFACES = {
    "valley": (valley, valley_gradient, (-9.0, 2.0), (-10.0, 10.0, -3.0, 3.0)),
    "saddle": (saddle, saddle_gradient, (-2.0, 0.001), (-2.5, 2.5, -1.6, 1.6)),
}

# name -> (update function, its hyper-parameters besides the learning rate)
OPTIMIZERS = {
    "SGD": (sgd_update, {}),
    "Momentum": (sgd_update, {"momentum": 0.9}),
    "Adagrad": (adagrad_update, {}),
    "RMSprop": (rmsprop_update, {"rho": 0.9}),
    "Adam": (adam_update, {"beta_1": 0.9, "beta_2": 0.999}),
}

COLORS = {"SGD": "k", "Momentum": "tab:orange", "Adagrad": "tab:green", "RMSprop": "tab:purple",
          "Adam": "tab:red"}

_ESCAPE = 1e3  # stop a diverging path once it is this many box-widths away


def _check_choice(value: str, options: dict, name: str) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}; got {value!r}")


def trajectory(optimizer: str, learning_rate: float, steps: int, surface: str = "valley", start=None):
    """The points visited by ``steps`` updates of ``optimizer`` on ``surface``.

    Returns an array (steps + 1, 2): the start, then the point after each update. A diverging
    path stops early, once it is far outside the plotted box.
    """
    _check_choice(optimizer, OPTIMIZERS, "optimizer")
    _check_choice(surface, SURFACES, "surface")
    check_positive(learning_rate, "learning_rate")
    if int(steps) < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    _, gradient, default_start, box = SURFACES[surface]
    update, hyper = OPTIMIZERS[optimizer]
    w = np.array(default_start if start is None else start, dtype=np.float64)
    limit = _ESCAPE * max(abs(v) for v in box)
    state: dict = {}
    path = [w]
    for _ in range(int(steps)):
        w, state = update(w, gradient(w), state, learning_rate=learning_rate, **hyper)
        path.append(w)
        if not np.all(np.abs(w) < limit):
            break
    return np.array(path)


def _draw_surface(surface: str, ax) -> None:
    loss, _, start, (x0, x1, y0, y1) = SURFACES[surface]
    xx, yy = np.meshgrid(np.linspace(x0, x1, 121), np.linspace(y0, y1, 81))
    zz = loss(np.stack([xx, yy], axis=-1))
    # Levels at quantiles of the loss: detail near the minimum and a small PNG (no contour lines).
    ax.contourf(xx, yy, zz, levels=np.quantile(zz, np.linspace(0, 1, 12)), cmap="Blues_r", alpha=0.5)
    ax.plot(*start, "ko", ms=4)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")


def _draw_path(path: np.ndarray, ax, color: str, label: str) -> None:
    ax.plot(path[:, 0], path[:, 1], ".-", color=color, lw=1, ms=3, label=label)


def trajectory_figure(optimizer: str = "Adam", learning_rate: float = 0.1, steps: int = 50,
                      surface: str = "valley", ax=None):
    """Draw one optimizer's path on a loss surface (the widget's picture); returns ``ax``."""
    path = trajectory(optimizer, learning_rate, steps, surface)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    _draw_surface(surface, ax)
    _draw_path(path, ax, COLORS[optimizer], optimizer)
    final = float(SURFACES[surface][0](path[-1]))
    note = "" if len(path) == int(steps) + 1 else f" (diverged after {len(path) - 1} steps)"
    ax.set_title(f"{optimizer}, lr={learning_rate:.3g}, {len(path) - 1} steps: "
                 f"loss {final:.3g}{note}", fontsize=9)
    return ax


def compare_trajectories(learning_rates: dict, steps: int = 50, surface: str = "valley", ax=None):
    """Draw several optimizers' paths on one surface, e.g. ``{"SGD": 0.9, "Adam": 0.5}``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    _draw_surface(surface, ax)
    loss = SURFACES[surface][0]
    for name, lr in learning_rates.items():
        path = trajectory(name, lr, steps, surface)
        _draw_path(path, ax, COLORS[name], f"{name} (lr {lr:g}): loss {float(loss(path[-1])):.2g}")
    ax.legend(fontsize="x-small", loc="lower right")
    ax.set_title(f"{surface}: {steps} steps from the black dot", fontsize=9)
    return ax
