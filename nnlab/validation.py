"""Splitting data: train/validation/test splits, k-fold indices, shuffled mini-batches."""

from __future__ import annotations

import numpy as np

from ._checks import check_rng


def _stratified_order(y: np.ndarray, rng) -> np.ndarray:
    """Indices ordered so that taking every k-th one spreads each class evenly."""
    order = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        order.append(rng.permutation(idx) if rng is not None else idx)
    return np.concatenate(order)


def k_fold_indices(n_samples: int, k: int, *, shuffle: bool = True, rng=None, stratify=None):
    """Split ``range(n_samples)`` into ``k`` folds; each fold is the validation set once.

    Returns a list of k ``(train_idx, val_idx)`` pairs of sorted integer arrays; the val_idx
    partition the samples and fold sizes differ by at most one. ``stratify`` (labels (N,))
    keeps each class's share about equal in every fold. ``shuffle`` needs ``rng``.
    """
    n_samples, k = int(n_samples), int(k)
    if k < 2:
        raise ValueError(f"k must be at least 2; got {k}")
    if k > n_samples:
        raise ValueError(f"k must not exceed the number of samples ({n_samples}); got {k}")
    if shuffle:
        if rng is None:
            raise ValueError("shuffle=True needs rng, e.g. rng=np.random.default_rng(0)")
        check_rng(rng)
    if stratify is not None:
        labels = np.asarray(stratify)
        if labels.shape != (n_samples,):
            raise ValueError(f"stratify must have shape ({n_samples},); got {labels.shape}")
        order = _stratified_order(labels, rng if shuffle else None)
        fold_of = np.empty(n_samples, dtype=np.intp)
        fold_of[order] = np.arange(n_samples) % k  # deal each class round-robin
    else:
        order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        fold_of = np.empty(n_samples, dtype=np.intp)
        sizes = np.full(k, n_samples // k)
        sizes[: n_samples % k] += 1
        fold_of[order] = np.repeat(np.arange(k), sizes)
    folds = []
    for fold in range(k):
        val = np.flatnonzero(fold_of == fold)
        train = np.flatnonzero(fold_of != fold)
        folds.append((train, val))
    return folds


def train_val_test_split(X, y, *, val_fraction: float, test_fraction: float, rng, stratify=False):
    """Shuffle and split into training, validation and test sets.

    Returns X_train, y_train, X_val, y_val, X_test, y_test. With ``stratify=True`` each class
    is split in the same proportions.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of samples; got {len(X)} and {len(y)}")
    for name, frac in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= frac < 1.0:
            raise ValueError(f"{name} must be in [0, 1); got {frac}")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction must be below 1; got {val_fraction + test_fraction}"
        )
    check_rng(rng)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts = ([], [], [])
    for idx in groups:
        idx = rng.permutation(idx)
        n_test = int(round(test_fraction * len(idx)))
        n_val = int(round(val_fraction * len(idx)))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[0].append(idx[n_test + n_val :])
    train, val, test = (np.sort(np.concatenate(p)) for p in parts)
    return X[train], y[train], X[val], y[val], X[test], y[test]


def iterate_minibatches(n_samples: int, batch_size: int | None, *, rng=None):
    """Yield index arrays covering ``range(n_samples)`` in batches of ``batch_size``.

    ``batch_size=None`` gives one full batch. With ``rng`` the order is reshuffled on each call
    (call once per epoch).
    """
    if batch_size is None or batch_size >= n_samples:
        yield rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
        return
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None; got {batch_size}")
    order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]
