"""Notebook 01's widget: one neuron with two inputs, its output coloured over the plane.

The neuron computes a = f(w1·x1 + w2·x2 + b). The picture shows a over the square
[−2, 2] × [−2, 2], the line where the weighted sum is zero, and the weight vector (w1, w2),
which points the way the weighted sum grows fastest.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..activations import linear, relu, sigmoid, step, tanh

ACTIVATIONS = {"linear": linear, "step": step, "sigmoid": sigmoid, "tanh": tanh, "relu": relu}

# Fixed colour ranges, so moving a slider changes the picture rather than its colour scale.
COLOR_LIMITS = {
    "linear": (-6.0, 6.0),
    "step": (0.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, 6.0),
}

EXTENT = 2.0  # the plane shown is [−EXTENT, EXTENT]²


def neuron_output(w1: float, w2: float, b: float, activation: str = "sigmoid", resolution: int = 101):
    """The neuron's output on a grid: returns x1, x2 and a = f(w1·x1 + w2·x2 + b).

    Shapes: all three (resolution, resolution); rows follow x2, columns follow x1.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
    x1, x2 = np.meshgrid(np.linspace(-EXTENT, EXTENT, resolution), np.linspace(-EXTENT, EXTENT, resolution))
    z = w1 * x1 + w2 * x2 + b
    return x1, x2, ACTIVATIONS[activation](z)


def neuron_figure(w1: float = 1.0, w2: float = -1.0, b: float = 0.0, activation: str = "sigmoid", ax=None):
    """Draw one neuron's output over the plane on ``ax`` (a new figure if None) and return ``ax``."""
    x1, x2, a = neuron_output(w1, w2, b, activation)
    if ax is None:
        _, ax = plt.subplots()
    vmin, vmax = COLOR_LIMITS[activation]
    image = ax.imshow(a, origin="lower", extent=(-EXTENT, EXTENT, -EXTENT, EXTENT),
                      cmap="coolwarm", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=f"{activation} output")
    z = w1 * x1 + w2 * x2 + b
    if z.min() < 0 < z.max():  # draw the line w1·x1 + w2·x2 + b = 0 only when it crosses the square
        ax.contour(x1, x2, z, levels=[0.0], colors="k", linewidths=1)
    if w1 != 0 or w2 != 0:
        ax.annotate("", xy=(w1 / 2, w2 / 2), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "k"})
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"$w_1$={w1 + 0.0:.1f}, $w_2$={w2 + 0.0:.1f}, $b$={b + 0.0:.1f}", fontsize=9)
    return ax
