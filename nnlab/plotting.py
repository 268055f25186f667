"""Plotting helpers: each takes ``ax=None`` (a new small figure) and returns what it drew on.

Imported by ``nnlab`` lazily: matplotlib loads only when a plot is drawn.
"""

from __future__ import annotations

import numpy as np

CMAP = "brg"  # class 0 blue, 1 red, 2 green: distinct in print and for most colour vision


def _axes(ax, n: int = 1, width: float | None = None):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    if n == 1:
        return plt.subplots()[1]
    height = plt.rcParams["figure.figsize"][1]
    return list(plt.subplots(1, n, figsize=(width or 3.2 * n, height))[1])


def _class_colors(n_classes: int):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap(CMAP)
    return [cmap(c / max(n_classes - 1, 1)) for c in range(n_classes)]


def plot_data(X, y, ax=None, *, title: str | None = None, class_names=None):
    """Scatter 2-D points coloured by integer label, with axes x₁, x₂ and a class legend.

    Shapes: X (N, 2), y (N,).
    """
    X, y = np.asarray(X), np.asarray(y).astype(int).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_data needs X of shape (N, 2); got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"y must have shape ({len(X)},); got {np.shape(y)}")
    ax = _axes(ax)
    n_classes = max(int(y.max()) + 1, 2)
    colors = _class_colors(n_classes)
    for c in np.unique(y):
        name = class_names[c] if class_names is not None else f"class {c}"
        ax.scatter(X[y == c, 0], X[y == c, 1], color=colors[c], s=8, label=name)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(fontsize="small", markerscale=1.5, loc="best", framealpha=0.8)
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(predict, X, y, ax=None, *, resolution: int = 200, title=None,
                           class_names=None):
    """Colour the plane by the class ``predict`` gives each point, with the data on top.

    ``predict`` maps points (M, 2) to class scores (M, C), or to probabilities (M, 1) of class 1
    — e.g. ``model.predict``. The axes end where the coloured regions end: no blank margins.
    """
    X = np.asarray(X)
    ax = _axes(ax)
    pad = 0.05 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    scores = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()]))
    classes = scores.argmax(axis=1) if scores.ndim == 2 and scores.shape[1] > 1 else scores.ravel() > 0.5
    n_classes = max(int(np.max(y)) + 1, 2)
    ax.contourf(xx, yy, classes.reshape(xx.shape), alpha=0.25, levels=np.arange(-0.5, n_classes),
                colors=_class_colors(n_classes))
    plot_data(X, y, ax=ax, title=title, class_names=class_names)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax


def plot_history(history: dict, keys=("loss", "accuracy"), ax=None, *, title=None):
    """Per-epoch curves from ``Model.fit``'s history: one labelled axes per key, training solid,
    validation dashed. ``ax`` is one axes per key (a list), or one axes for a single key.
    Returns the list of axes.
    """
    keys = (keys,) if isinstance(keys, str) else tuple(keys)
    axes = _axes(ax, len(keys))
    axes = [axes] if len(keys) == 1 and not isinstance(axes, (list, tuple, np.ndarray)) else list(axes)
    if len(axes) != len(keys):
        raise ValueError(f"plot_history needs one axes per key ({len(keys)}); got {len(axes)}")
    epochs = history.get("epoch", range(len(history[keys[0]])))
    for ax, key in zip(axes, keys, strict=True):
        ax.plot(epochs, history[key], label="training")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "--", label="validation")
            ax.legend(fontsize="small")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key.replace("_", " "))
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes


def plot_histories(histories: dict, key: str = "loss", ax=None, *, title=None, log=False):
    """Compare a few runs: one curve of ``key`` per named history, e.g. ``{"SGD": h1, "Adam": h2}``.

    For more than a handful of runs, a table or ``plot_final`` (a bar chart) reads better.
    """
    ax = _axes(ax)
    for name, history in histories.items():
        ax.plot(history.get("epoch", range(len(history[key]))), history[key], label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_final(values: dict, ax=None, *, xlabel: str = "final value", title=None, errors=None):
    """A horizontal bar chart of one number per named run, e.g. ``{"SGD": 0.61, "Adam": 0.93}``;
    ``errors`` (same keys) draws ± error bars, e.g. a standard deviation over seeds.
    """
    ax = _axes(ax)
    names = list(values)
    xerr = [errors[n] for n in names] if errors is not None else None
    ax.barh(names, [values[n] for n in names], xerr=xerr, color="tab:blue", capsize=3)
    ax.invert_yaxis()  # first run on top, as in a table
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return ax
