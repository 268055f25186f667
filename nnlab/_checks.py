"""One-line input checks that raise clear errors instead of broadcasting silently."""

from __future__ import annotations

import numpy as np


def as_float_array(x, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``x`` as a floating array (float64 unless already floating), checking ``ndim``."""
    if type(x) is np.ndarray and x.dtype.kind == "f" and (ndim is None or x.ndim == ndim):
        return x  # the common case, decided cheaply: this runs on every call of every function
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {arr.shape} ({arr.ndim}-D)")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_b} must have the shape of {name_a} {a.shape}; got {b.shape}")


def check_positive(value: float, name: str) -> None:
    if not 0 < value < np.inf:  # also False for NaN
        raise ValueError(f"{name} must be a positive number; got {value}")


def check_non_negative(value: float, name: str) -> None:
    if not 0 <= value < np.inf:  # also False for NaN
        raise ValueError(f"{name} must be >= 0; got {value}")


def check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator | np.random.RandomState):
        raise TypeError(
            "rng must be a numpy Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )


def labels_to_indices(y_true, n_samples: int, n_classes: int) -> np.ndarray:
    """Integer class indices ``(N,)`` from integer labels ``(N,)`` or one-hot labels ``(N, C)``."""
    y = np.asarray(y_true)
    if y.dtype == np.intp and y.shape == (n_samples,) and n_samples:
        # The common case, checked with one reduction: viewed unsigned, negative labels are huge.
        if np.maximum.reduce(y.view(np.uintp)) < n_classes:
            return y
    if y.ndim == 2:
        if y.shape != (n_samples, n_classes):
            raise ValueError(
                f"one-hot y_true must have shape ({n_samples}, {n_classes}); got {y.shape}"
            )
        return np.argmax(y, axis=1)
    if y.ndim != 1:
        raise ValueError(
            f"y_true must be integer labels (N,) or one-hot (N, C); got shape {y.shape}"
        )
    if y.shape[0] != n_samples:
        raise ValueError(f"y_true must have shape ({n_samples},); got {y.shape}")
    if y.dtype.kind not in "iub":
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.intp)
        else:
            raise TypeError(f"integer labels must have an integer dtype; got {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes - 1}]; got values from {y.min()} to {y.max()}"
        )
    return y.astype(np.intp, copy=False)


def one_hot(y_true, n_samples: int, n_classes: int) -> np.ndarray:
    """One-hot float matrix ``(N, C)`` from integer or one-hot labels."""
    y = np.asarray(y_true)
    if y.ndim == 2:
        labels_to_indices(y, n_samples, n_classes)  # shape check only
        return y.astype(np.float64, copy=False)
    idx = labels_to_indices(y, n_samples, n_classes)
    out = np.zeros((n_samples, n_classes))
    out[np.arange(n_samples), idx] = 1.0
    return out
