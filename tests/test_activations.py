import numpy as np
import pytest
from conftest import assert_gradient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnlab


@pytest.mark.parametrize(
    "forward, backward, uses_outputs",
    [
        (nnlab.relu, nnlab.relu_backward, False),
        (nnlab.sigmoid, nnlab.sigmoid_backward, True),
        (nnlab.tanh, nnlab.tanh_backward, True),
        (nnlab.softmax, nnlab.softmax_backward, True),
    ],
)
def test_backward_matches_numerical_gradient(forward, backward, uses_outputs, rng):
    x = rng.standard_normal((5, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    upstream = rng.standard_normal((5, 4))

    def loss_of(x_):
        return np.sum(forward(x_) * upstream)

    saved = forward(x) if uses_outputs else x
    assert_gradient(loss_of, x, backward(upstream, saved))


def test_softmax_backward_equals_explicit_jacobian_product(rng):
    outputs = nnlab.softmax(rng.standard_normal((6, 3)))
    dvalues = rng.standard_normal((6, 3))
    explicit = np.stack(
        [(np.diag(s) - np.outer(s, s)) @ d for s, d in zip(outputs, dvalues, strict=True)]
    )
    np.testing.assert_allclose(nnlab.softmax_backward(dvalues, outputs), explicit, atol=1e-15)
    s = outputs[2]
    np.testing.assert_allclose(nnlab.softmax_jacobian(outputs)[2], np.diag(s) - np.outer(s, s))


def test_known_values():
    np.testing.assert_allclose(nnlab.relu(np.array([[-2.0, 0.0, 3.0]])), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(nnlab.sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75])
    np.testing.assert_allclose(nnlab.softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
    np.testing.assert_allclose(nnlab.step(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])


def test_sigmoid_is_safe_for_large_inputs():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = nnlab.sigmoid(np.array([-1000.0, -40.0, 40.0, 1000.0]))
    assert out[0] == 0.0 and out[-1] == 1.0
    np.testing.assert_allclose(out[1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    logits=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                  elements=st.floats(-1e4, 1e4)),
    shift=st.floats(-1e4, 1e4),
)
def test_softmax_rows_sum_to_one_and_are_shift_invariant(logits, shift):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        probs = nnlab.softmax(logits)
        shifted = nnlab.softmax(logits + shift)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(probs >= 0)
    np.testing.assert_allclose(shifted, probs, atol=1e-9)


@pytest.mark.parametrize("cls, fn", [(nnlab.ReLU, nnlab.relu), (nnlab.Sigmoid, nnlab.sigmoid),
                                     (nnlab.Tanh, nnlab.tanh), (nnlab.Softmax, nnlab.softmax),
                                     (nnlab.Linear, nnlab.linear)])
def test_activation_classes_compose_the_functions(cls, fn, rng):
    x = rng.standard_normal((4, 3))
    upstream = rng.standard_normal((4, 3))
    layer = cls()
    np.testing.assert_array_equal(layer.forward(x), fn(x))
    assert_gradient(lambda x_: np.sum(cls().forward(x_) * upstream), x, layer.backward(upstream))


def test_backward_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shape of outputs \(2, 3\); got \(3, 2\)"):
        nnlab.sigmoid_backward(np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        nnlab.softmax(np.ones(3))
    with pytest.raises(TypeError, match="numbers"):
        nnlab.relu(np.array(["a", "b"]))
