"""Notebook 10's widget: a dropout rate, the decision boundary it produces, and a mask.

Training takes longer than a slider may wait, so each rate is trained once, for a few hundred
epochs, and remembered: ``train_dropout_model`` is memoised with ``functools.lru_cache`` keyed
on (rate, seed, epochs). The slider offers a fixed handful of rates (``RATES``); the first visit
to one costs about half a second on a 2-core machine, every later visit is only a redraw.
The data are the notebook's: ``spiral_data(100, 3)`` for training, then another
``spiral_data(100, 3)`` for validation, both from ``np.random.default_rng(seed)``; the test set
the notebook draws after them is never used here.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from ..dropout import dropout_forward
from ..model import Model
from ..optimizers import Adam
from ..plotting import plot_decision_boundary
from .regularization import spiral_split  # the same data as notebooks 09 and 10

RATES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
SIZES = (2, 64, 64, 3)
EPOCHS = 400
SEED = 0  # the notebook's SEED: same data, same initial weights
MASK_SHAPE = (16, 64)  # 16 samples x 64 hidden units


@lru_cache(maxsize=32)
def train_dropout_model(rate: float, seed: int = SEED, epochs: int = EPOCHS):
    """Train a 2-64-64-3 network with dropout ``rate`` after each hidden layer (memoised).

    Returns (model, train_accuracy, val_accuracy), both measured in inference mode on the
    training and the validation data. Same data and initial weights for every rate.
    """
    X_train, y_train, X_val, y_val = spiral_split(seed)
    model = Model.mlp(
        SIZES, rng=np.random.default_rng(seed), dropout=rate, optimizer=Adam(0.05, decay=5e-7)
    )
    model.fit(X_train, y_train, epochs=epochs)
    train_acc = model.evaluate(X_train, y_train)["accuracy"]
    val_acc = model.evaluate(X_val, y_val)["accuracy"]
    return model, train_acc, val_acc


def dropout_mask(rate: float, seed: int = SEED) -> np.ndarray:
    """One inverted-dropout mask of shape MASK_SHAPE: 0 (dropped) or 1 / (1 − rate) (kept)."""
    _, mask = dropout_forward(np.ones(MASK_SHAPE), rate, np.random.default_rng(seed))
    return mask


def plot_dropout(rate: float = 0.1, *, fig=None):
    """Left: the decision boundary of the network trained with dropout ``rate``, training points
    on top; the title gives the training and the validation accuracy. Right: one dropout mask
    (16 samples x 64 units), kept units light, dropped units black. Returns the figure.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"rate must be in [0, 1); got {rate}")
    model, train_acc, val_acc = train_dropout_model(float(rate), SEED, EPOCHS)
    X_train, y_train, _, _ = spiral_split(SEED)
    if fig is None:
        fig = plt.figure(figsize=(8, 3))
    fig.clear()
    ax_boundary, ax_mask = fig.subplots(1, 2, width_ratios=(1, 1.3))
    plot_decision_boundary(model.predict, X_train, y_train, ax=ax_boundary, resolution=100)
    ax_boundary.set_title(f"rate = {rate:g}: accuracy on training {train_acc:.2f},\n"
                          f"on validation {val_acc:.2f} (training points shown)")
    kept = dropout_mask(float(rate)) > 0
    ax_mask.imshow(kept, cmap="gray", vmin=0, vmax=1, interpolation="nearest", aspect="auto")
    ax_mask.set_xlabel("hidden unit")
    ax_mask.set_ylabel("sample")
    ax_mask.set_title(f"a mask: {np.mean(~kept):.0%} dropped")
    fig.tight_layout()
    return fig
