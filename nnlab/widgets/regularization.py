"""Notebook 09's widget: an L2 strength λ, the decision boundary it produces, and the weights.

Training takes longer than a slider may wait, so each λ is trained once, for a few hundred
epochs, and remembered: ``train_l2_model`` is memoised with ``functools.lru_cache`` keyed on
(λ, seed, epochs). The slider offers a fixed handful of λ values (``LAMBDAS``); the first visit
to one costs about a third of a second on a 2-core machine, every later visit is only a redraw.
The data are the notebook's: ``spiral_data(100, 3)`` for training, then another
``spiral_data(100, 3)`` for validation, both from ``np.random.default_rng(seed)``. The notebook
draws a third sample from the same generator for its test set; the widget never touches it, since
moving a slider to the best-looking λ is a choice, and choices are made on validation data.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from ..data import spiral_data
from ..layers import Dense
from ..model import Model
from ..optimizers import Adam
from ..plotting import plot_decision_boundary

LAMBDAS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
SIZES = (2, 64, 64, 3)
EPOCHS = 400
SEED = 0  # the notebook's SEED: same data, same initial weights
HIST_RANGE = (-2.0, 2.0)  # fixed bins, so histograms for different λ can be compared


def spiral_split(seed: int = SEED):
    """The notebook's training and validation data (the first two samples its generator draws):
    X_train (300, 2), y_train (300,), X_val (300, 2), y_val (300,).
    """
    rng = np.random.default_rng(seed)
    X_train, y_train = spiral_data(100, 3, rng=rng)
    X_val, y_val = spiral_data(100, 3, rng=rng)
    return X_train, y_train, X_val, y_val


@lru_cache(maxsize=32)
def train_l2_model(lam: float, seed: int = SEED, epochs: int = EPOCHS):
    """Train a 2-64-64-3 network with L2 strength ``lam`` on weights and biases (memoised).

    Returns (model, train_accuracy, val_accuracy), both measured in inference mode on the
    training and the validation data. Same data and initial weights for every λ.
    """
    X_train, y_train, X_val, y_val = spiral_split(seed)
    model = Model.mlp(
        SIZES,
        rng=np.random.default_rng(seed),
        optimizer=Adam(0.05, decay=5e-7),
        weight_regularizer_l2=lam,
        bias_regularizer_l2=lam,
    )
    model.fit(X_train, y_train, epochs=epochs)
    train_acc = model.evaluate(X_train, y_train)["accuracy"]
    val_acc = model.evaluate(X_val, y_val)["accuracy"]
    return model, train_acc, val_acc


def plot_l2_boundary(lam: float = 1e-3, *, fig=None):
    """Left: the decision boundary of the network trained with L2 strength ``lam``, training
    points on top. Right: a histogram (log scale) of its hidden-to-hidden weights (64 x 64).
    The title gives the training and the validation accuracy. Returns the figure.
    """
    if lam < 0:
        raise ValueError(f"lam must be >= 0; got {lam}")
    model, train_acc, val_acc = train_l2_model(float(lam), SEED, EPOCHS)
    X_train, y_train, _, _ = spiral_split(SEED)
    if fig is None:
        fig = plt.figure(figsize=(8, 3))
    fig.clear()
    ax_boundary, ax_hist = fig.subplots(1, 2)
    plot_decision_boundary(model.predict, X_train, y_train, ax=ax_boundary, resolution=100)
    ax_boundary.set_title(f"λ = {lam:g}: accuracy on training {train_acc:.2f},\n"
                          f"on validation {val_acc:.2f} (training points shown)")
    hidden = [layer for layer in model.layers if isinstance(layer, Dense)][1].weights
    # weights beyond the range are counted in the end bins
    ax_hist.hist(np.clip(hidden.ravel(), *HIST_RANGE), bins=80, range=HIST_RANGE, color="tab:blue")
    ax_hist.set_xlabel("weight (64 x 64 hidden layer)")
    ax_hist.set_yscale("log")
    ax_hist.set_ylim(0.8, 64 * 64)
    ax_hist.set_ylabel("count")
    ax_hist.set_title(f"Σw² = {np.sum(hidden**2):.1f}, max |w| = {np.max(np.abs(hidden)):.1f}")
    fig.tight_layout()
    return fig
