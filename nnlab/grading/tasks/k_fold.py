"""Exercise 12: k-fold indices (graded on properties), cross-validated scores, fold sizes.

With an rng the folds are random, so a shuffled case calls the function three times: the same
seed twice (the same folds) and another seed (other folds) — the shuffle must come from the rng
passed in. (A call that touches NumPy's global generator is refused by the sandbox itself.)
"""

from __future__ import annotations

import numpy as np

from ... import validation
from ..core import Case, Exercise, Mistake, Task, manual_task


def k_fold_indices(n_samples, k, rng=None):
    """The reference: contiguous folds, or shuffled ones when ``rng`` is given."""
    return validation.k_fold_indices(n_samples, k, shuffle=rng is not None, rng=rng)


def _shuffled(fn, n, k, seed, other):
    return {"folds": fn(n, k, rng=np.random.default_rng(seed)),
            "same_seed": fn(n, k, rng=np.random.default_rng(seed)),
            "other_seed": fn(n, k, rng=np.random.default_rng(other))}


def _fold_cases(rng):
    cases = []
    for n, k, shuffle in ((10, 5, False), (11, 3, False), (150, 4, False), (23, 4, True), (7, 7, False)):
        seed, other = (int(s) for s in rng.integers(2**31, size=2))
        label = f"n_samples={n}, k={k}" + (", with rng (shuffled)" if shuffle else "")
        cases.append(Case(label, lambda fn, n=n, k=k, s=seed, o=other, sh=shuffle:
                          _shuffled(fn, n, k, s, o) if sh else {"folds": fn(n, k)},
                          data={"n": n, "k": k, "shuffle": shuffle}))
    return cases


def _folds(case, got, which="folds"):
    """The k (first, second) pairs of one call, or None if it did not return k pairs."""
    k = case.data["k"]
    keys = {key[len(which) + 1:] for key in got if key.startswith(which + ".")}
    if keys != {f"{i}.{j}" for i in range(k) for j in (0, 1)}:
        return None
    return [(got[f"{which}.{i}.0"].astype(np.int64), got[f"{which}.{i}.1"].astype(np.int64))
            for i in range(k)]


def _partition(n, parts) -> bool:
    every = np.concatenate(parts)
    return len(every) == n and set(every.tolist()) == set(range(n))


def _is_swapped(case, folds) -> bool:
    """The pairs are (val_idx, train_idx): the first arrays partition the samples instead."""
    n = case.data["n"]
    return (not _partition(n, [v for _, v in folds]) and _partition(n, [t for t, _ in folds])
            and all(np.array_equal(np.sort(v), np.setdiff1d(np.arange(n), t)) for t, v in folds))


def _same_folds(a, b) -> bool:
    return all(np.array_equal(x, y) for (_, x), (_, y) in zip(a, b, strict=True))


SWAPPED = "each pair is (train_idx, val_idx); yours are swapped: return (train_idx, val_idx)"
IGNORES_RNG = ("different seeds gave the same folds: the shuffle ignores the rng passed in (a "
               "fixed seed inside?). Shuffle with rng.permutation(n_samples)")


def _compare_folds(case, got, expected):
    n, k = case.data["n"], case.data["k"]
    folds = _folds(case, got)
    if folds is None:
        return f"return a list of k = {k} (train_idx, val_idx) pairs"
    if _is_swapped(case, folds):
        return SWAPPED
    vals = [v for _, v in folds]
    all_val = np.concatenate(vals)
    if len(np.unique(all_val)) != len(all_val):
        return "folds overlap: a sample is in more than one validation fold"
    if not _partition(n, vals):
        return "the validation folds must cover every sample exactly once"
    sizes = [len(v) for v in vals]
    if max(sizes) - min(sizes) > 1:
        return f"fold sizes {sizes} differ by more than one"
    for train, val in folds:
        if not np.array_equal(np.sort(train), np.setdiff1d(np.arange(n), val)):
            return "each train_idx must hold exactly the samples not in its val_idx"
        if not (np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)):
            return "return sorted index arrays"
    contiguous = all(np.all(np.diff(v) == 1) for v in vals)
    if case.data["shuffle"] and contiguous:
        return "with an rng the samples must be shuffled before splitting"
    if case.data["shuffle"]:
        same, other = _folds(case, got, "same_seed"), _folds(case, got, "other_seed")
        if same is None or other is None:
            return f"return a list of k = {k} (train_idx, val_idx) pairs, on every call"
        if _same_folds(folds, other):
            return IGNORES_RNG
        if not _same_folds(folds, same):
            return ("the same seed gave different folds: shuffle with the rng passed in "
                    "(rng.permutation), not with np.random or a generator of your own")
    else:
        ref = [expected[f"folds.{i}.1"] for i in range(k)]
        if not all(np.array_equal(a, b) for a, b in zip(vals, ref, strict=True)):
            return "without an rng, fold i is the i-th contiguous block, larger folds first"
    return None


def _fold_detect(kind):
    def detect(case, got):
        folds = _folds(case, got)
        if folds is None:
            return False
        if kind == "swapped":
            return _is_swapped(case, folds)
        if kind == "ignores_rng":
            if not case.data["shuffle"]:
                return None  # no rng given: this case cannot tell
            other = _folds(case, got, "other_seed")
            return other is not None and _same_folds(folds, other)
        if _is_swapped(case, folds):
            return False  # the swap explains the overlap
        vals = [v for _, v in folds]
        all_val = np.concatenate(vals)
        n = case.data["n"]
        if kind == "overlap":
            return len(np.unique(all_val)) != len(all_val)
        if kind == "dropped":
            return len(np.unique(all_val)) < n and len(np.unique(all_val)) == len(all_val)
        if kind == "last":
            sizes = [len(v) for v in vals]
            return max(sizes) - min(sizes) > 1 and sizes[-1] == max(sizes)
        if kind == "train":
            return any(np.intersect1d(t, v).size for t, v in folds)
        return False
    return detect


def _split(n_samples, k, order, swap=False):
    sizes = np.full(k, n_samples // k)
    sizes[: n_samples % k] += 1
    folds, start = [], 0
    for size in sizes:
        val = np.sort(order[start:start + size])
        train = np.setdiff1d(np.arange(n_samples), val)
        folds.append((val, train) if swap else (train, val))
        start += size
    return folds


def _swapped_pairs(n_samples, k, rng=None):
    order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
    return _split(n_samples, k, order, swap=True)


def _fixed_shuffle(n_samples, k, rng=None):
    order = np.random.default_rng(0).permutation(n_samples) if rng is not None \
        else np.arange(n_samples)
    return _split(n_samples, k, order)


def cross_val_scores(X, y, folds, train_and_score):
    """One score per fold: train on the fold's training part, score on its validation part."""
    return np.array([train_and_score(X[tr], y[tr], X[va], y[va]) for tr, va in folds])


def _nearest_centroid(X_train, y_train, X_val, y_val):
    classes = np.unique(y_train)
    centroids = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])
    dist = ((X_val[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    return float(np.mean(classes[np.argmin(dist, axis=1)] == y_val))


def _cv_cases(rng):
    cases = []
    for n, k in ((30, 3), (41, 5)):
        y = np.arange(n) % 2
        X = rng.normal(size=(n, 2)) + 1.2 * y[:, None]
        perm = rng.permutation(n)
        folds = [(np.sort(np.setdiff1d(perm, part)), np.sort(part)) for part in np.array_split(perm, k)]
        cases.append(Case(f"{n} samples, {k} folds, a nearest-centroid classifier",
                          lambda fn, X=X, y=y, f=folds: np.asarray(
                              fn(X.copy(), y.copy(), [(a.copy(), b.copy()) for a, b in f],
                                 _nearest_centroid), dtype=np.float64).reshape(-1)))
    return cases


def _sorted_sizes(v):
    return np.sort(np.asarray(v, dtype=np.float64).reshape(-1))[::-1]


def _on_train(X, y, folds, fit):
    return np.array([fit(X[tr], y[tr], X[tr], y[tr]) for tr, va in folds])


def _swapped(X, y, folds, fit):
    return np.array([fit(X[va], y[va], X[tr], y[tr]) for tr, va in folds])


EXERCISE = Exercise(
    "12_k_fold",
    "k-fold cross-validation",
    (
        Task(
            "k_fold_indices", 3, k_fold_indices, _fold_cases, compare=_compare_folds,
            mistakes=(
                Mistake(SWAPPED, _swapped_pairs, detect=_fold_detect("swapped")),
                Mistake(IGNORES_RNG, _fixed_shuffle, detect=_fold_detect("ignores_rng")),
                Mistake("folds overlap: each sample belongs to exactly one validation fold",
                        detect=_fold_detect("overlap")),
                Mistake("n_samples // k per fold drops the remainder: some samples are never "
                        "validated. Give the first n_samples % k folds one extra sample",
                        detect=_fold_detect("dropped")),
                Mistake("the last fold gets all the leftover samples; spread them one per fold",
                        detect=_fold_detect("last")),
                Mistake("a training set contains samples of its own validation fold",
                        detect=_fold_detect("train")),
            ),
            forbidden=("nnlab.validation.k_fold_indices",),
        ),
        Task(
            "cross_val_scores", 2, cross_val_scores, _cv_cases,
            mistakes=(
                Mistake("the model is scored on its own training data; score on the validation "
                        "fold", _on_train),
                Mistake("train and validation are swapped: train on train_idx, score on val_idx",
                        _swapped),
            ),
        ),
        Task(
            "answer_fold_sizes", 1, np.array([38, 38, 37, 37]),
            lambda rng: [Case("your answer", _sorted_sizes)], kind="value",
            mistakes=(Mistake("the last fold should not take all the leftover samples",
                              np.array([37, 37, 37, 39])),
                      Mistake("150 samples must all be used: 4 folds of 37 leave 2 out",
                              np.array([37, 37, 37, 37]))),
        ),
        manual_task("answer_text_winners_curse", 1),
    ),
)
