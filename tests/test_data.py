from importlib import resources

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


def test_digits_shapes_range_and_class_counts():
    X, y = nnlab.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    # The UCI test part's class distribution (optdigits.tes), digits 0..9.
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # The first image, a zero, row by row as the source file lists it.
    np.testing.assert_array_equal(X[0].reshape(8, 8)[:3], [[0, 0, 5, 13, 9, 1, 0, 0],
                                                          [0, 0, 13, 15, 10, 15, 5, 0],
                                                          [0, 3, 15, 2, 0, 11, 8, 0]])
    assert y[:10].tolist() == list(range(10))


def test_digits_ship_with_their_source_and_licence():
    data = resources.files("nnlab").joinpath("data")
    assert len(data.joinpath("digits.npz").read_bytes()) < 100_000  # well under 1 MB
    note = data.joinpath("digits.SOURCE.md").read_text(encoding="utf-8")
    for fact in ("Alpaydin", "Kaynak", "UCI", "CC BY 4.0", "10.24432/C50P49"):
        assert fact in note
    # Stored without pickles, and every call returns fresh arrays a notebook may change.
    with data.joinpath("digits.npz").open("rb") as file, np.load(file, allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["X", "y"] and arrays["X"].dtype == np.uint8
    X1, _ = nnlab.load_digits()
    X1[:] = -1
    X2, _ = nnlab.load_digits()
    assert X2.min() == 0
