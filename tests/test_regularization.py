import numpy as np
import pytest
from conftest import assert_gradient

import nnlab

W = np.array([[0.5, -1.0], [0.0, 2.0]])


def test_penalties_known_values():
    assert nnlab.l1_penalty(W, 0.1) == pytest.approx(0.1 * 3.5)
    assert nnlab.l2_penalty(W, 0.1) == pytest.approx(0.1 * 5.25)
    np.testing.assert_allclose(nnlab.l1_gradient(W, 0.1), [[0.1, -0.1], [0.1, 0.1]])  # sign(0) = +1
    np.testing.assert_allclose(nnlab.l2_gradient(W, 0.1), 0.2 * W)


@pytest.mark.parametrize("penalty, gradient", [(nnlab.l1_penalty, nnlab.l1_gradient),
                                               (nnlab.l2_penalty, nnlab.l2_gradient)])
def test_penalty_gradients(penalty, gradient, rng):
    w = rng.standard_normal((4, 3))
    assert_gradient(lambda w_: penalty(w_, 0.3), w, gradient(w, 0.3))


def test_negative_strength_is_rejected():
    with pytest.raises(ValueError, match="lam must be >= 0; got -0.1"):
        nnlab.l2_penalty(W, -0.1)
