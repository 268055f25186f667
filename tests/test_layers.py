import numpy as np
import pytest
from conftest import assert_gradient

import nnlab


def test_dense_forward_is_matrix_product_plus_bias():
    inputs = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # (3, 2)
    weights = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])  # (2, 3)
    biases = np.array([[0.1, 0.2, 0.3]])
    expected = np.array([[2.1, 4.2, -0.7], [5.1, 8.2, -2.7], [8.1, 12.2, -4.7]])
    np.testing.assert_allclose(nnlab.dense_forward(inputs, weights, biases), expected)


def test_dense_backward_matches_numerical_gradients(rng):
    inputs, weights = rng.standard_normal((5, 3)), rng.standard_normal((3, 4))
    biases, upstream = rng.standard_normal((1, 4)), rng.standard_normal((5, 4))
    dinputs, dweights, dbiases = nnlab.dense_backward(upstream, inputs, weights)
    assert_gradient(lambda x: np.sum(nnlab.dense_forward(x, weights, biases) * upstream), inputs, dinputs)
    assert_gradient(lambda w: np.sum(nnlab.dense_forward(inputs, w, biases) * upstream), weights, dweights)
    assert_gradient(lambda b: np.sum(nnlab.dense_forward(inputs, weights, b) * upstream), biases, dbiases)


@pytest.mark.parametrize(
    "regularizers",
    [
        {},
        {"weight_regularizer_l1": 0.01},
        {"weight_regularizer_l2": 0.02},
        {"bias_regularizer_l1": 0.03},
        {"bias_regularizer_l2": 0.04},
        {"weight_regularizer_l1": 0.01, "weight_regularizer_l2": 0.02,
         "bias_regularizer_l1": 0.03, "bias_regularizer_l2": 0.04},
    ],
)
def test_dense_class_gradients_include_each_penalty(regularizers, rng):
    layer = nnlab.Dense(3, 4, rng=rng, init="he", **regularizers)
    layer.biases = rng.standard_normal((1, 4))  # away from 0, where |b| has a kink
    inputs, upstream = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))

    def total(weights=layer.weights, biases=layer.biases, x=inputs):
        probe = nnlab.Dense(3, 4, rng=rng, **regularizers)
        probe.weights, probe.biases = weights, biases
        return np.sum(probe.forward(x) * upstream) + probe.regularization_loss()

    layer.forward(inputs)
    dinputs = layer.backward(upstream)
    assert_gradient(lambda w: total(weights=w), layer.weights, layer.dweights)
    assert_gradient(lambda b: total(biases=b), layer.biases, layer.dbiases)
    assert_gradient(lambda x: total(x=x), inputs, dinputs)


def test_l2_gradient_is_not_guarded_by_l1_strength(rng):
    # A known bug in one source: the L2 terms were added only when the L1 strength was > 0.
    layer = nnlab.Dense(2, 2, rng=rng, weight_regularizer_l2=0.5)
    x = np.zeros((1, 2))
    layer.forward(x)
    layer.backward(np.zeros((1, 2)))
    np.testing.assert_allclose(layer.dweights, 2 * 0.5 * layer.weights)


@pytest.mark.parametrize("sizes, expected", [([3, 4, 2], 26), ([3, 4, 4, 1], 41), ([2, 64, 3], 387)])
def test_count_parameters(sizes, expected):
    assert nnlab.count_parameters(sizes) == expected


def test_initialisers_are_seeded_and_shaped():
    for name, init in nnlab.INITIALIZERS.items():
        a = init(30, 20, np.random.default_rng(5))
        b = init(30, 20, np.random.default_rng(5))
        assert a.shape == (30, 20), name
        np.testing.assert_array_equal(a, b)
    assert not np.any(nnlab.init_zeros(3, 2))
    he = nnlab.init_he(2000, 50, np.random.default_rng(0))
    assert abs(he.std() - np.sqrt(2 / 2000)) < 0.05 * np.sqrt(2 / 2000)
    limit = np.sqrt(6 / (40 + 60))
    xavier = nnlab.init_xavier(40, 60, np.random.default_rng(0))
    assert xavier.max() <= limit and xavier.min() >= -limit
    book = nnlab.init_book(500, 40, np.random.default_rng(0))
    assert abs(book.std() - 0.01) < 0.001


def test_bad_shapes_are_reported():
    with pytest.raises(ValueError, match=r"inputs must have shape \(N, 3\).*got \(4, 2\)"):
        nnlab.dense_forward(np.ones((4, 2)), np.ones((3, 5)), np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"biases must have shape \(1, 5\).*got \(1, 4\)"):
        nnlab.dense_forward(np.ones((4, 3)), np.ones((3, 5)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="inputs must be 2-D"):
        nnlab.dense_forward(np.ones(3), np.ones((3, 5)), np.zeros(5))
    with pytest.raises(ValueError, match=r"dvalues must have shape \(4, 5\); got \(4, 3\)"):
        nnlab.dense_backward(np.ones((4, 3)), np.ones((4, 3)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="layer_sizes"):
        nnlab.count_parameters([3])
    with pytest.raises(TypeError, match="Generator"):
        nnlab.init_he(2, 2, rng=0)
