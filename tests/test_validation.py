import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 60), k=st.integers(2, 10), shuffle=st.booleans(), seed=st.integers(0, 99))
def test_folds_partition_the_samples(n, k, shuffle, seed):
    if k > n:
        return
    folds = nnlab.k_fold_indices(n, k, shuffle=shuffle, rng=np.random.default_rng(seed))
    assert len(folds) == k
    val = np.concatenate([v for _, v in folds])
    np.testing.assert_array_equal(np.sort(val), np.arange(n))  # each sample validated exactly once
    sizes = [len(v) for _, v in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, v in folds:
        assert len(np.intersect1d(train, v)) == 0
        np.testing.assert_array_equal(np.sort(np.concatenate([train, v])), np.arange(n))


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=2, max_size=4), k=st.integers(2, 5),
       seed=st.integers(0, 99))
def test_stratified_folds_keep_class_shares(counts, k, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    if k > len(y):
        return
    folds = nnlab.k_fold_indices(len(y), k, rng=np.random.default_rng(seed), stratify=y)
    np.testing.assert_array_equal(np.sort(np.concatenate([v for _, v in folds])), np.arange(len(y)))
    for label in range(len(counts)):
        per_fold = [np.sum(y[v] == label) for _, v in folds]
        assert max(per_fold) - min(per_fold) <= 1


def test_unshuffled_folds_are_contiguous_blocks():
    folds = nnlab.k_fold_indices(10, 3, shuffle=False)
    assert [v.tolist() for _, v in folds] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_k_fold_errors():
    with pytest.raises(ValueError, match=r"k must not exceed the number of samples \(5\); got 6"):
        nnlab.k_fold_indices(5, 6, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="k must be at least 2; got 1"):
        nnlab.k_fold_indices(5, 1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs rng"):
        nnlab.k_fold_indices(5, 2)


def test_train_val_test_split_sizes_and_disjointness():
    X = np.arange(200, dtype=float).reshape(100, 2)
    y = np.repeat([0, 1, 2, 3], 25)
    parts = nnlab.train_val_test_split(X, y, val_fraction=0.2, test_fraction=0.2,
                                       rng=np.random.default_rng(0), stratify=True)
    X_train, y_train, X_val, y_val, X_test, y_test = parts
    assert (len(X_train), len(X_val), len(X_test)) == (60, 20, 20)
    rows = np.concatenate([X_train[:, 0], X_val[:, 0], X_test[:, 0]])
    np.testing.assert_array_equal(np.sort(rows), X[:, 0])
    assert np.bincount(y_val).tolist() == [5, 5, 5, 5]
    rows_of_test = (X_test[:, 0] // 2).astype(int)  # row i of X holds 2i and 2i + 1
    assert np.all(y_test == y[rows_of_test])


def test_split_errors():
    with pytest.raises(ValueError, match="must be below 1"):
        nnlab.train_val_test_split(np.ones((4, 1)), np.ones(4), val_fraction=0.5, test_fraction=0.5,
                                   rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="same number of samples; got 4 and 3"):
        nnlab.train_val_test_split(np.ones((4, 1)), np.ones(3), val_fraction=0.2, test_fraction=0.2,
                                   rng=np.random.default_rng(0))


def test_minibatches_cover_every_sample_once_per_epoch():
    rng = np.random.default_rng(0)
    batches = list(nnlab.iterate_minibatches(10, 4, rng=rng))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    again = np.concatenate(list(nnlab.iterate_minibatches(10, 4, rng=rng)))
    assert not np.array_equal(again, np.concatenate(batches))  # reshuffled each epoch
