"""Datasets: the nnfs book's synthetic sets (spiral, vertical, sine), the Iris measurements and
the UCI handwritten digits.

The synthetic sets use the same formulas as the ``nnfs`` package, but draw their noise from the
``rng`` you pass instead of NumPy's global generator, so nothing global is touched.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from ._checks import check_rng


def _check_sizes(samples: int, classes: int) -> None:
    if samples < 1 or classes < 1:
        raise ValueError(f"samples and classes must be positive; got {samples}, {classes}")


def spiral_data(samples: int, classes: int, *, rng: np.random.Generator):
    """``classes`` interleaved spiral arms of ``samples`` points each (cs231n / nnfs).

    Returns X (samples·classes, 2) and integer labels y (samples·classes,).
    """
    _check_sizes(samples, classes)
    check_rng(rng)
    X = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype=np.int64)
    r = np.linspace(0.0, 1.0, samples)
    for k in range(classes):
        rows = slice(samples * k, samples * (k + 1))
        t = np.linspace(k * 4, (k + 1) * 4, samples) + rng.standard_normal(samples) * 0.2
        X[rows] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[rows] = k
    return X, y


def vertical_data(samples: int, classes: int, *, rng: np.random.Generator):
    """``classes`` vertical blobs side by side: x ~ N(k/3, 0.1²), y ~ N(0.5, 0.1²).

    Returns X (samples·classes, 2) and integer labels y (samples·classes,).
    """
    _check_sizes(samples, classes)
    check_rng(rng)
    X = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype=np.int64)
    for k in range(classes):
        rows = slice(samples * k, samples * (k + 1))
        X[rows] = np.c_[
            rng.standard_normal(samples) * 0.1 + k / 3, rng.standard_normal(samples) * 0.1 + 0.5
        ]
        y[rows] = k
    return X, y


def sine_data(samples: int = 1000):
    """One period of sin(2πx) on x in [0, 1): X (samples, 1), y (samples, 1). No noise."""
    _check_sizes(samples, 1)
    X = np.arange(samples).reshape(-1, 1) / samples
    return X, np.sin(2 * np.pi * X)


IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def load_iris():
    """The Iris data: X (150, 4) in cm, integer species labels y (150,) in 0..2.

    Feature names are ``IRIS_FEATURES``; class names ``IRIS_CLASSES``.
    """
    text = resources.files("nnlab").joinpath("data/iris.csv").read_text(encoding="utf-8")
    rows = [line.split(",") for line in text.splitlines()[3:] if line]
    X = np.array([[float(v) for v in row[:4]] for row in rows])
    y = np.array([IRIS_CLASSES.index(row[4]) for row in rows], dtype=np.int64)
    return X, y


def load_digits():
    """The UCI handwritten digits: X (1797, 64) float64 pixels in 0..16, labels y (1797,) in 0..9.

    Row i of X is an 8×8 image read row by row (``X[i].reshape(8, 8)``). The data ship with the
    package (``data/digits.npz``); ``data/digits.SOURCE.md`` gives their source and licence
    (Alpaydin & Kaynak 1998, UCI Machine Learning Repository, CC BY 4.0).
    """
    with resources.files("nnlab").joinpath("data/digits.npz").open("rb") as file:
        with np.load(file, allow_pickle=False) as arrays:
            return arrays["X"].astype(np.float64), arrays["y"].astype(np.int64)
