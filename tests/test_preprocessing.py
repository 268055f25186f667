import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnlab

SCALERS = [nnlab.MaxAbsScaler, nnlab.MinMaxScaler, nnlab.StandardScaler]


def test_known_values():
    X = np.array([[-2.0, 0.0], [1.0, 5.0], [4.0, 10.0]])
    np.testing.assert_allclose(nnlab.MaxAbsScaler().fit_transform(X), [[-0.5, 0.0], [0.25, 0.5], [1.0, 1.0]])
    np.testing.assert_allclose(nnlab.MinMaxScaler().fit_transform(X), [[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]])
    unit = nnlab.MinMaxScaler((0, 1)).fit_transform(X)
    np.testing.assert_allclose(unit, [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    z = nnlab.StandardScaler().fit_transform(X)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(z.std(axis=0), 1.0)


@settings(max_examples=40, deadline=None)
@given(train=arrays(np.float64, (8, 3), elements=st.integers(-9999, 9999).map(lambda v: v / 100)),
       test=arrays(np.float64, (5, 3), elements=st.floats(-1000, 1000)))
@pytest.mark.parametrize("cls", SCALERS)
def test_fitting_uses_training_data_only(cls, train, test):
    scaler = cls().fit(train)
    before = (scaler.shift_.copy(), scaler.scale_.copy())
    test_copy = test.copy()
    out = scaler.transform(test)
    np.testing.assert_array_equal(test, test_copy)  # the input is not modified
    np.testing.assert_array_equal(scaler.shift_, before[0])  # statistics unchanged
    np.testing.assert_array_equal(scaler.scale_, before[1])
    np.testing.assert_allclose(out, cls().fit(train).transform(test))
    np.testing.assert_allclose(scaler.inverse_transform(out), test, atol=1e-9 * (1 + np.abs(test).max()))


def test_scaler_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        nnlab.StandardScaler().transform(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\); got \(3, 3\)"):
        nnlab.StandardScaler().fit(np.ones((4, 2))).transform(np.ones((3, 3)))
    with pytest.raises(ValueError, match="low < high"):
        nnlab.MinMaxScaler((1, 0))
