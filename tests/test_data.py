import nnfs.datasets
import numpy as np
import pytest

import nnlab


@pytest.mark.parametrize("ours, theirs", [(nnlab.spiral_data, nnfs.datasets.spiral_data),
                                          (nnlab.vertical_data, nnfs.datasets.vertical_data)])
def test_same_data_as_nnfs_for_the_same_noise(ours, theirs):
    # nnfs draws from NumPy's global generator; feed ours the same stream through a RandomState.
    saved = np.random.get_state()
    try:
        np.random.seed(7)
        X_ref, y_ref = theirs(50, 3)
    finally:
        np.random.set_state(saved)
    X, y = ours(50, 3, rng=np.random.RandomState(7))
    np.testing.assert_allclose(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_datasets_never_touch_the_global_generator():
    before = np.random.get_state()[1].copy()
    X1, _ = nnlab.spiral_data(100, 3, rng=np.random.default_rng(0))
    X2, _ = nnlab.spiral_data(100, 3, rng=np.random.default_rng(0))
    nnlab.vertical_data(10, 2, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.testing.assert_array_equal(X1, X2)
    assert X1.shape == (300, 2)


def test_sine_data():
    X, y = nnlab.sine_data(4)
    np.testing.assert_allclose(X.ravel(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(y.ravel(), [0, 1, 0, -1], atol=1e-15)


def test_iris():
    X, y = nnlab.load_iris()
    assert X.shape == (150, 4) and y.shape == (150,)
    assert np.bincount(y).tolist() == [50, 50, 50]
    np.testing.assert_allclose(X[0], [5.1, 3.5, 1.4, 0.2])  # the first flower of Fisher's table
    np.testing.assert_allclose(X.mean(axis=0), [5.843, 3.057, 3.758, 1.199], atol=1e-3)
    assert nnlab.IRIS_CLASSES[y[-1]] == "virginica"


def test_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        nnlab.spiral_data(0, 3, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        nnlab.spiral_data(10, 3, rng=None)
