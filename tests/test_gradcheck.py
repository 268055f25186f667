import numpy as np
import pytest

import nnlab


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = nnlab.numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


def test_numerical_gradient_leaves_x_unchanged_and_perturbs_one_entry_at_a_time():
    x = np.array([1.0, 2.0, 3.0])
    seen = []

    def f(v):
        seen.append(v.copy())
        return float(v @ np.array([1.0, 10.0, 100.0]))

    grad = nnlab.numerical_gradient(f, x, epsilon=1e-3)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad, [1.0, 10.0, 100.0], rtol=1e-9)
    # each call differs from x in exactly one entry: the perturbations never accumulate
    for v in seen:
        assert np.count_nonzero(v != x) == 1


def test_relative_error():
    assert nnlab.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert nnlab.relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert nnlab.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        nnlab.relative_error(np.ones(2), np.ones(3))
