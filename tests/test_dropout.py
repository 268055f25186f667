import numpy as np
import pytest
from conftest import assert_gradient

import nnlab


def test_mask_drops_the_rate_and_rescales_survivors(rng):
    inputs = np.ones((400, 250))
    outputs, mask = nnlab.dropout_forward(inputs, 0.3, rng)
    dropped = np.mean(mask == 0)
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(mask), [0.0, 1 / 0.7])
    assert abs(outputs.mean() - 1.0) < 0.01  # inverted dropout keeps the expected activation
    np.testing.assert_array_equal(outputs, inputs * mask)


def test_backward_with_a_fixed_mask(rng):
    inputs, upstream = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    _, mask = nnlab.dropout_forward(inputs, 0.5, np.random.default_rng(0))
    assert_gradient(lambda x: np.sum(x * mask * upstream), inputs, nnlab.dropout_backward(upstream, mask))


def test_layer_is_identity_at_inference_and_reproducible(rng):
    x = rng.standard_normal((6, 5))
    layer = nnlab.Dropout(0.4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    out_a = layer.forward(x, training=True)
    grad = layer.backward(np.ones_like(x))
    out_b = nnlab.Dropout(0.4, rng=np.random.default_rng(3)).forward(x, training=True)
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(grad, (out_a != 0) / 0.6)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_rate_outside_range_is_rejected(rate, rng):
    with pytest.raises(ValueError, match=r"must be in \[0, 1\); got"):
        nnlab.dropout_forward(np.ones((2, 2)), rate, rng)
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        nnlab.Dropout(rate, rng=rng)


def test_rng_is_required():
    with pytest.raises(TypeError, match="Generator"):
        nnlab.dropout_forward(np.ones((2, 2)), 0.5, 42)
