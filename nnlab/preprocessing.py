"""Scalers fitted on training data only, then applied unchanged to any other data.

``fit`` learns per-feature statistics from the training set; ``transform`` applies them; the
statistics never change when you transform validation, test or new data.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array


class _Scaler:
    def fit(self, X: np.ndarray):
        X = as_float_array(X, "X", ndim=2)
        if X.shape[0] == 0:
            raise ValueError("cannot fit a scaler on 0 samples")
        self._fit(X)
        self.n_features_ = X.shape[1]
        return self

    def _check(self, X) -> np.ndarray:
        if not hasattr(self, "n_features_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(X_train) first")
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_:
            raise ValueError(f"X must have shape (N, {self.n_features_}); got {X.shape}")
        return X

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = self._check(X)
        return (X - self.shift_) / self.scale_

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        X = self._check(X)
        return X * self.scale_ + self.shift_


def _nonzero(scale: np.ndarray) -> np.ndarray:
    # A constant feature would divide by zero; leave it unscaled instead.
    return np.where(scale == 0, 1.0, scale)


class MaxAbsScaler(_Scaler):
    """x' = x / max|x_train| per feature: training data lands in [−1, 1], zero stays zero."""

    def _fit(self, X):
        self.shift_ = np.zeros(X.shape[1])
        self.scale_ = _nonzero(np.max(np.abs(X), axis=0))


class MinMaxScaler(_Scaler):
    """x' = lo + (x − min) · (hi − lo) / (max − min) per feature; default range [−1, 1]."""

    def __init__(self, feature_range: tuple[float, float] = (-1.0, 1.0)):
        lo, hi = feature_range
        if not lo < hi:
            raise ValueError(f"feature_range must be (low, high) with low < high; got {feature_range}")
        self.feature_range = (float(lo), float(hi))

    def _fit(self, X):
        lo, hi = self.feature_range
        x_min, x_max = X.min(axis=0), X.max(axis=0)
        self.scale_ = _nonzero(x_max - x_min) / (hi - lo)
        self.shift_ = x_min - lo * self.scale_


class StandardScaler(_Scaler):
    """x' = (x − mean) / std per feature, with the training mean and standard deviation."""

    def _fit(self, X):
        self.shift_ = X.mean(axis=0)
        self.scale_ = _nonzero(X.std(axis=0))
