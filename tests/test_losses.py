import numpy as np
import pytest
from conftest import assert_gradient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnlab

PROBS = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])
LABELS = np.array([0, 1, 1])
ONE_HOT = np.eye(3)[LABELS]


def test_categorical_cross_entropy_known_value_sparse_and_one_hot():
    expected = -(np.log(0.7) + np.log(0.5) + np.log(0.9)) / 3  # the book's example, 0.385
    assert nnlab.categorical_cross_entropy(PROBS, LABELS) == pytest.approx(expected)
    assert nnlab.categorical_cross_entropy(PROBS, ONE_HOT) == pytest.approx(expected)
    assert round(expected, 3) == 0.385


def test_accuracy_sparse_and_one_hot():
    labels = np.array([0, 2, 1])  # the middle sample's highest score is class 1: wrong
    assert nnlab.accuracy(PROBS, labels) == pytest.approx(2 / 3)
    assert nnlab.accuracy(PROBS, np.eye(3)[labels]) == pytest.approx(2 / 3)


def test_regression_and_binary_losses_known_values():
    y_pred = np.array([[1.0, 2.0], [3.0, 5.0]])
    y_true = np.array([[1.0, 0.0], [4.0, 5.0]])
    assert nnlab.mean_squared_error(y_pred, y_true) == pytest.approx((0 + 4 + 1 + 0) / 4)
    assert nnlab.mean_absolute_error(y_pred, y_true) == pytest.approx((0 + 2 + 1 + 0) / 4)
    p = np.array([[0.8], [0.4]])
    t = np.array([[1.0], [0.0]])
    assert nnlab.binary_cross_entropy(p, t) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)


@pytest.mark.parametrize(
    "loss, backward",
    [
        (nnlab.mean_squared_error, nnlab.mean_squared_error_backward),
        (nnlab.mean_absolute_error, nnlab.mean_absolute_error_backward),
        (nnlab.binary_cross_entropy, nnlab.binary_cross_entropy_backward),
    ],
)
def test_elementwise_loss_gradients(loss, backward, rng):
    y_pred = rng.uniform(0.05, 0.95, size=(6, 3))
    y_true = (rng.random((6, 3)) > 0.5).astype(float)
    if loss is nnlab.mean_absolute_error:
        y_true = rng.uniform(0, 1, size=(6, 3))
    assert_gradient(lambda p: loss(p, y_true), y_pred, backward(y_pred, y_true))


@pytest.mark.parametrize("labels", [LABELS, ONE_HOT])
def test_categorical_cross_entropy_gradient(labels):
    assert_gradient(lambda p: nnlab.categorical_cross_entropy(p, labels), PROBS,
                    nnlab.categorical_cross_entropy_backward(PROBS, labels))


@pytest.mark.parametrize("labels", [LABELS, ONE_HOT])
def test_combined_softmax_cross_entropy_gradient(labels, rng):
    logits = rng.standard_normal((3, 3))
    probs = nnlab.softmax(logits)
    combined = nnlab.softmax_cross_entropy_backward(probs, labels)
    assert_gradient(lambda z: nnlab.categorical_cross_entropy(nnlab.softmax(z), labels), logits, combined)
    chained = nnlab.softmax_backward(nnlab.categorical_cross_entropy_backward(probs, labels), probs)
    np.testing.assert_allclose(combined, chained, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(probs=arrays(np.float64, (4, 3), elements=st.sampled_from([0.0, 1.0, 0.5, 1e-300])))
def test_losses_are_finite_at_probabilities_zero_and_one(probs):
    labels = np.array([0, 1, 2, 0])
    with np.errstate(all="raise"):
        values = [
            nnlab.categorical_cross_entropy(probs, labels),
            nnlab.binary_cross_entropy(probs, np.eye(3)[[0, 1, 2, 0]]),
        ]
        grads = [
            nnlab.categorical_cross_entropy_backward(probs, labels),
            nnlab.binary_cross_entropy_backward(probs, np.eye(3)[[0, 1, 2, 0]]),
        ]
    assert all(np.isfinite(v) for v in values)
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert max(values) <= -np.log(1e-7) + 1e-9  # the clip bounds the loss


def test_bad_labels_are_reported():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]; got values from 0 to 3"):
        nnlab.categorical_cross_entropy(PROBS, np.array([0, 1, 3]))
    with pytest.raises(ValueError, match=r"y_true must have shape \(3,\); got \(2,\)"):
        nnlab.categorical_cross_entropy(PROBS, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"one-hot y_true must have shape \(3, 3\); got \(3, 2\)"):
        nnlab.accuracy(PROBS, np.ones((3, 2)))
    with pytest.raises(TypeError, match="integer dtype"):
        nnlab.categorical_cross_entropy(PROBS, np.array([0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred \(2, 2\); got \(2, 3\)"):
        nnlab.mean_squared_error(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape of probs \(4, 1\); got \(1, 4\)"):
        nnlab.binary_cross_entropy(np.ones(4) / 2, np.ones((1, 4)))
