"""Exercise 12: k-fold indices (a warm-up: repair a broken version), the class counts of
stratified folds on the student's own numbers, group k-fold indices, cross-validated scores, and
cross-validating the learner's own network.

k_fold_indices is graded on properties. With an rng the folds are random, so a shuffled case
calls the function three times: the same seed twice (the same folds) and another seed (other
folds) — the shuffle must come from the rng passed in. (A call that touches NumPy's global
generator is refused by the sandbox itself.)

Every other task is held out: the references are in the course repository's
``exercises/reference/k_fold.py``, not in this package.
"""

from __future__ import annotations

import numpy as np

from ... import validation
from ..core import Case, Exercise, Mistake, Task, manual_task
from .layers_and_training import NNLAB_TRAINING

NAME = "12_k_fold"  # the student's numbers: nnlab/variants/k_fold.py


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


# ---- answer_fold_counts (held out, on the student's numbers) ----

def _counts_cases(rng, numbers):
    counts, k = np.asarray(numbers["class_counts"]), int(numbers["k"])
    shape = (k, len(counts))
    return [Case(f"your answer, as an array of shape {shape}", lambda v: np.asarray(v, dtype=np.float64),
                 data={"shape": shape, "class_counts": counts, "k": k})]


def _counts_add_up(case, got):
    """What holds for any dealing of whole samples: columns add up to the classes' sizes."""
    value = next(iter(got.values()))
    counts = case.data["class_counts"]
    if np.any(value < 0) or np.any(value != np.round(value)):
        return "counts are whole numbers of samples, 0 or more"
    if not np.array_equal(value.sum(axis=0), counts):
        return (f"column c must add up to class c's {'/'.join(str(c) for c in counts)} samples "
                f"(each sample sits in exactly one fold); yours add up to "
                f"{'/'.join(f'{c:g}' for c in value.sum(axis=0))}")
    sizes = value.sum(axis=1)
    if sizes.max() - sizes.min() > 1:
        return (f"the fold sizes (row sums) {[int(s) for s in sizes]} differ by more than one: "
                "dealing one card at a time keeps them within one")
    return None


# ---- group_k_fold_indices (held out) ----

def _group_cases(rng):
    small_first = np.array([1, 1, 1, 1, 1, 1, 10, 9, 8])  # in the order of the group ids
    plans = (
        ("9 groups of sizes 1 to 10 (33 samples), k = 3", small_first, 3),
        ("20 groups of 1 to 8 samples, k = 4", rng.integers(1, 9, size=20), 4),
        ("23 groups of one sample each (plain k-fold), k = 5", np.ones(23, dtype=np.int64), 5),
        ("6 groups, k = 6 (leave one group out)", rng.integers(2, 7, size=6), 6),
    )
    cases = []
    for label, sizes, k in plans:
        ids = np.sort(rng.choice(np.arange(100, 1000), size=len(sizes), replace=False))
        groups = rng.permutation(np.repeat(ids, sizes))  # (N,) e.g. the patient of each sample
        cases.append(Case(label, lambda fn, g=groups, k=k: {"folds": fn(g.copy(), k)},
                          data={"groups": groups, "k": k, "n": len(groups)}))
    return cases


def _group_properties(case, got):
    """What any right answer satisfies: a partition into k folds that splits no group."""
    n, k, groups = case.data["n"], case.data["k"], case.data["groups"]
    folds = _folds(case, got)
    if folds is None:
        return f"return a list of k = {k} (train_idx, val_idx) pairs"
    if _is_swapped(case, folds):
        return SWAPPED
    vals = [v for _, v in folds]
    every = np.concatenate(vals)
    if np.any((every < 0) | (every >= n)):
        return f"val_idx must hold sample positions 0 … {n - 1}, not group ids"
    if len(np.unique(every)) != len(every) or len(every) != n:
        return "the validation folds must cover every sample exactly once"
    for train, val in folds:
        if not np.array_equal(np.sort(train), np.setdiff1d(np.arange(n), val)):
            return "each train_idx must hold exactly the samples not in its val_idx"
        if not (np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)):
            return "return sorted index arrays"
    fold_of = np.empty(n, dtype=np.int64)
    for f, val in enumerate(vals):
        fold_of[val] = f
    for g in np.unique(groups):
        where = np.unique(fold_of[groups == g])
        if len(where) > 1:
            return (f"group {g} is split over folds {where.tolist()}: all samples of a group "
                    "go to the same fold")
    empty = [f for f, v in enumerate(vals) if len(v) == 0]
    if empty:
        return f"fold {empty[0]} is empty: each fold needs at least one group"
    return None


def _compare_groups(case, got, expected):
    msg = _group_properties(case, got)
    if msg is not None:
        return msg
    sizes = [len(v) for _, v in _folds(case, got)]
    best = max(len(v) for _, v in _folds(case, expected))
    if max(sizes) > best:
        return (f"validation fold sizes {sizes} are uneven: the largest holds {max(sizes)} "
                f"samples, the greedy rule (groups largest first, each into the fold with the "
                f"fewest samples so far) keeps every fold at {best} or fewer")
    return None


# ---- cross_val_scores (held out) ----

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
                                 _nearest_centroid), dtype=np.float64).reshape(-1),
                          data={"shape": (k,)}))
    return cases


def _scores_are_fractions(case, got):
    scores = next(iter(got.values()))
    if np.any((scores < 0) | (scores > 1)):
        return "an accuracy lies between 0 and 1"
    return None


# ---- cross_validate_model (integrative, held out) ----

# The data: five Gaussian blobs, class 2 in the middle, classes 0 and 1 on opposite sides of it.
# No straight line separates a class, so a linear model fails; a small ReLU network gets about
# 95% right. In two of the three data sets one fold cannot be predicted by a model that never
# trained on it, so it must score (almost) 0 there:
# * "class": the fold holds every class-2 sample, so its model never sees class 2. A model that
#   did see it scores high there, and so does one whose weights were carried over from the
#   earlier folds (it forgets class 2 only slowly);
# * "island": the fold is an extra cluster far beyond an outer blob, labelled with a class found
#   nowhere near it; one network trained on all folds learns it.
CENTRES = np.array([[2.5, 0.0], [-2.5, 0.0], [0.0, 2.5], [0.0, -2.5], [0.0, 0.0]])
CENTRE_LABELS = np.array([0, 0, 1, 1, 2])
CV_EPOCHS = 300
# Measured on 300 graders' seeds (900 data sets): the reference (2-16-3 ReLU network, full-batch
# gradient descent, rate 0.5) scores 0.86 or more over the ordinary folds (mean 0.95) and 0 on
# every special fold; other small networks (Adam, mini-batches of 32, 8 to 64 hidden units,
# rates 0.1 to 1) 0.79 or more on 25 seeds, 0 on each special fold; a linear model 0.38 at most.
# On the special fold, one network trained on all the data scores 0.90 or more, weights carried
# from fold to fold 0.47 or more (the class fold; carried weights forget a far-off cluster
# within ~100 epochs, so the island fold cannot tell).
CV_THRESHOLD = 0.7
SPECIAL_MAX = 0.15


def _blob_data(rng, per_blob, k, special=None, special_fold=None, std=0.6, n_island=37):
    """X (N, 2), y (N,) and k folds; ``special`` ("class" or "island") makes ``special_fold``
    a fold that no model trained without it can predict. Blobs of standard deviation 0.6 touch,
    so that even training accuracy stays (mostly) below 100%."""
    X = np.concatenate([c + std * rng.standard_normal((n, 2))
                        for c, n in zip(CENTRES, per_blob, strict=True)])
    y = np.repeat(CENTRE_LABELS, per_blob)
    fold_of = np.full(len(X), -1)
    if special == "class":
        fold_of[y == 2] = special_fold
    elif special == "island":
        blob = int(rng.integers(4))  # beyond one of the outer blobs
        label = int(rng.choice([c for c in range(3) if c != CENTRE_LABELS[blob]]))
        X = np.concatenate([X, 2.8 * CENTRES[blob] + 0.4 * rng.standard_normal((n_island, 2))])
        y = np.concatenate([y, np.full(n_island, label)])
        fold_of = np.concatenate([fold_of, np.full(n_island, special_fold)])
    others = [f for f in range(k) if f != special_fold]
    free = rng.permutation(np.flatnonzero(fold_of < 0))
    for f, part in zip(others, np.array_split(free, len(others)), strict=True):
        fold_of[part] = f
    order = rng.permutation(len(X))  # the special fold's rows are spread through X
    X, y, fold_of = X[order], y[order], fold_of[order]
    folds = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]
    return X, y, folds


SPECIAL = {
    "class": "holds every class-2 sample, so a model that never trained on it never predicts 2",
    "island": ("is a far-off cluster labelled with a class found nowhere near it, which a model "
               "that never trained on it cannot know"),
}


def _cross_validate_cases(rng):
    # Fold sizes that do not divide the training sizes: an accuracy measured on a training part
    # is then (unless it is 100%) no whole number of right answers out of the validation fold;
    # the loose blobs of the last keep training accuracy below 100%. Tight blobs in the first:
    # border points then push little against class 2, so weights carried over from earlier
    # folds keep predicting it (0.47 or more; with the looser blobs of the others as low as 0.17).
    plans = (((33, 33, 33, 33, 30), 5, "class", 4, 0.5,
              "5 folds of 162 points; the last holds every sample of class 2"),
             ((30,) * 5, 4, "island", 0, 0.6,
              "4 folds of 187 points; the first is a far-off cluster"),
             ((31,) * 5, 4, None, None, 0.7, "4 folds of 155 points"))
    cases = []
    for per_blob, k, special, where, std, label in plans:
        X, y, folds = _blob_data(np.random.default_rng(int(rng.integers(2**31))), per_blob, k,
                                 special, where, std)
        seed = int(rng.integers(2**31))
        cases.append(Case(label, lambda fn, X=X, y=y, folds=folds, seed=seed: fn(
            X.copy(), y.copy(), [(t.copy(), v.copy()) for t, v in folds], epochs=CV_EPOCHS,
            rng=np.random.default_rng(seed)),
            data={"k": k, "special": where, "why": SPECIAL.get(special),
                  "n_val": np.array([len(v) for _, v in folds]),
                  "n_train": np.array([len(t) for t, _ in folds])}))
    return cases


def _fractions_of(scores, n) -> bool:
    """Every score is a whole number of samples out of n (per fold)."""
    return bool(np.all(np.abs(scores * n - np.round(scores * n)) < 1e-6))


def fold_scores(case, got):
    """The k accuracies as an array, or a message saying what is wrong with the output."""
    k = case.data["k"]
    if len(got) != 1:
        return f"return one array: the accuracy of each of the k = {k} folds, shape ({k},)"
    scores = next(iter(got.values())).astype(np.float64)
    if scores.shape == ():
        return f"a single number: return every fold's accuracy, shape ({k},), not their mean"
    if scores.shape != (k,):
        return f"shape {scores.shape}, expected ({k},): one accuracy per fold"
    if not np.all(np.isfinite(scores)) or np.any((scores < 0) | (scores > 1)):
        return "an accuracy is the fraction of a fold predicted right, between 0 and 1"
    return scores


def _compare_cross_validate(case, got, expected=None):
    scores = fold_scores(case, got)
    if isinstance(scores, str):
        return scores
    for f, (score, n) in enumerate(zip(scores, case.data["n_val"], strict=True)):
        if not _fractions_of(np.array([score]), n):
            return (f"fold {f}'s accuracy {score:.4f} is not a number of right predictions out of "
                    f"its {n} validation samples: score each fold's model on X[val_idx]")
    special = case.data["special"]
    if special is not None and scores[special] > SPECIAL_MAX:
        return (f"fold {special} {case.data['why']}, yet its model scored "
                f"{scores[special]:.0%} there: it must have trained on that fold. Train each "
                "fold's network on X[train_idx] only, starting from freshly drawn weights")
    rest = np.delete(scores, special) if special is not None else scores
    if rest.mean() < CV_THRESHOLD:
        where = f" over the folds other than fold {special}" if special is not None else ""
        return (f"mean validation accuracy{where} {rest.mean():.0%}, needs at least "
                f"{CV_THRESHOLD:.0%}: does your network learn in {CV_EPOCHS} epochs?")
    return None


# The integrative task trains with the learner's own code: nnlab's layers, losses, optimizers
# (from notebooks 06-08) and Model may not run while it is graded.
NNLAB_OPTIMIZERS = (
    "nnlab.optimizers.Adam.update", "nnlab.optimizers.RMSprop.update",
    "nnlab.optimizers.Adagrad.update", "nnlab.optimizers.adam_update",
    "nnlab.optimizers.rmsprop_update", "nnlab.optimizers.adagrad_update",
    "nnlab.model.Model.evaluate",
)


EXERCISE = Exercise(
    NAME,
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
        Task("answer_fold_counts", 2, None, _counts_cases, kind="value", variant=True,
             invariant=_counts_add_up),
        Task("group_k_fold_indices", 3, None, _group_cases, compare=_compare_groups,
             invariant=_group_properties),
        Task("cross_val_scores", 2, None, _cv_cases, invariant=_scores_are_fractions),
        Task("cross_validate_model", 4, None, _cross_validate_cases,
             compare=_compare_cross_validate, invariant=_compare_cross_validate, timeout=60.0,
             forbidden=NNLAB_TRAINING + NNLAB_OPTIMIZERS),
        manual_task("answer_text_winners_curse", 1),
    ),
)
