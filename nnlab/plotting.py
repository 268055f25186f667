"""Plotting helpers: each takes ``ax=None`` (a new small figure) and returns the axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_data(X, y, ax=None, *, title: str | None = None):
    """Scatter 2-D points coloured by integer label.   Shapes: X (N, 2), y (N,)."""
    ax = _axes(ax)
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_data needs X of shape (N, 2); got {X.shape}")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="brg", s=8, vmin=0, vmax=max(int(y.max()), 1))
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(predict, X, y, ax=None, *, resolution: int = 200, title=None):
    """Colour the plane by the class ``predict`` gives each point, with the data on top.

    ``predict`` maps points (M, 2) to class scores (M, C) — e.g. ``model.predict``.
    """
    ax = _axes(ax)
    X = np.asarray(X)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    scores = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()]))
    classes = scores.argmax(axis=1) if scores.ndim == 2 and scores.shape[1] > 1 else scores.ravel() > 0.5
    n_colors = max(int(np.max(y)), 1)
    ax.contourf(xx, yy, classes.reshape(xx.shape), alpha=0.3, cmap="brg", vmin=0, vmax=n_colors,
                levels=np.arange(-0.5, n_colors + 1.5))
    plot_data(X, y, ax=ax, title=title)
    return ax


def plot_history(history: dict, keys=("loss", "accuracy"), ax=None, *, title=None):
    """Plot per-epoch curves from ``Model.fit``'s history (validation curves dashed)."""
    ax = _axes(ax)
    epochs = history.get("epoch", range(len(history[keys[0]])))
    for key in keys:
        ax.plot(epochs, history[key], label=key)
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "--", label=f"val_{key}")
    ax.set_xlabel("epoch")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_histories(histories: dict, key: str = "loss", ax=None, *, title=None, log=False):
    """Compare runs: one curve of ``key`` per named history, e.g. ``{"SGD": h1, "Adam": h2}``."""
    ax = _axes(ax)
    for name, history in histories.items():
        ax.plot(history.get("epoch", range(len(history[key]))), history[key], label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax
