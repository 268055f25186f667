"""Exercise 12's answers: stratified class counts per fold, group k-fold, cross-validated scores,
and cross-validating a small network of one's own."""

from __future__ import annotations

import hashlib

import numpy as np

from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.k_fold import (
    CV_THRESHOLD,
    SPECIAL_MAX,
    SWAPPED,
    _folds,
    _fractions_of,
    _group_properties,
    _is_swapped,
    fold_scores,
)

# ---- answer_fold_counts ----


def fold_counts(n, restart=False):
    """(k, C) class counts of the validation folds when the classes, one after the other, are
    dealt to folds 0, 1, …, k−1, 0, … (the course's stratified folds); ``restart``: each class
    starts again at fold 0 (wrong)."""
    counts, k = np.asarray(n["class_counts"]), int(n["k"])
    table = np.zeros((k, len(counts)), dtype=np.int64)
    start = 0
    for c, size in enumerate(counts):
        positions = (0 if restart else start) + np.arange(size)
        table[:, c] = np.bincount(positions % k, minlength=k)
        start += size
    return table


# ---- group_k_fold_indices ----


def group_k_fold_indices(groups, k):
    """k (train_idx, val_idx) pairs; no group in two validation folds. Greedy: the groups,
    largest first (ties: the smaller id), each go to the fold with the fewest samples so far."""
    groups = np.asarray(groups)
    ids, sizes = np.unique(groups, return_counts=True)
    fold_size = np.zeros(k, dtype=np.int64)
    fold_of_group = {}
    for i in np.argsort(-sizes, kind="stable"):
        f = int(np.argmin(fold_size))
        fold_of_group[ids[i]] = f
        fold_size[f] += sizes[i]
    fold_of = np.array([fold_of_group[g] for g in groups])
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


def _pairs(fold_of, k, swap=False):
    folds = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]
    return [(v, t) for t, v in folds] if swap else folds


def _groups_by_sample(groups, k):
    """Plain contiguous k-fold on the samples: groups end up split."""
    n = len(groups)
    return _pairs(np.repeat(np.arange(k), np.diff(np.linspace(0, n, k + 1).astype(int))), k)


def _groups_round_robin(groups, k, by_size=False):
    """Group i (in id order, or largest first) goes to fold i mod k, whatever its size."""
    ids, sizes = np.unique(groups, return_counts=True)
    order = np.argsort(-sizes, kind="stable") if by_size else np.arange(len(ids))
    fold_of_group = {ids[i]: r % k for r, i in enumerate(order)}
    return _pairs(np.array([fold_of_group[g] for g in groups]), k)


def _groups_swapped(groups, k):
    return [(v, t) for t, v in group_k_fold_indices(groups, k)]


def _groups_as_ids(groups, k):
    """The folds list group ids instead of sample positions."""
    return [(np.unique(groups[t]), np.unique(groups[v])) for t, v in group_k_fold_indices(groups, k)]


def _group_detect(kind):
    def detect(case, got):
        folds = _folds(case, got)
        if folds is None:
            return False
        if kind == "swapped":
            return _is_swapped(case, folds)
        if kind == "ids":
            every = np.concatenate([v for _, v in folds])
            return bool(np.all(np.isin(every, case.data["groups"])) and
                        np.any(every >= case.data["n"]))
        msg = _group_properties(case, got)
        if kind == "split":
            return msg is not None and msg.startswith("group ") and "is split" in msg
        if kind == "uneven":
            return msg is None  # a right partition that failed: only its sizes can be wrong
        return False
    return detect


# ---- cross_val_scores ----


def cross_val_scores(X, y, folds, train_and_score):
    """One score per fold: train on the fold's training part, score on its validation part."""
    return np.array([train_and_score(X[tr], y[tr], X[va], y[va]) for tr, va in folds])


def _scored_on_train(X, y, folds, fit):
    return np.array([fit(X[tr], y[tr], X[tr], y[tr]) for tr, va in folds])


def _scores_swapped(X, y, folds, fit):
    return np.array([fit(X[va], y[va], X[tr], y[tr]) for tr, va in folds])


def _scores_mean(X, y, folds, fit):
    return float(np.mean(cross_val_scores(X, y, folds, fit)))


# ---- cross_validate_model ----


def _init(rng, hidden):
    """He-initialised 2-hidden-3 ReLU network: [W1 (2, h), b1 (1, h), W2 (h, 3), b2 (1, 3)]."""
    return [rng.standard_normal((2, hidden)) * np.sqrt(2 / 2), np.zeros((1, hidden)),
            rng.standard_normal((hidden, 3)) * np.sqrt(2 / hidden), np.zeros((1, 3))]


def _fit(params, X, y, epochs, learning_rate=0.5, update=True):
    """Full-batch gradient descent on softmax cross-entropy; changes ``params`` in place."""
    W1, b1, W2, b2 = params
    for _ in range(epochs):
        z1 = X @ W1 + b1                                  # (N, h)
        a1 = np.maximum(z1, 0.0)
        logits = a1 @ W2 + b2                             # (N, 3)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dz2 = p
        dz2[np.arange(len(y)), y] -= 1.0
        dz2 /= len(y)                                     # gradient of the mean loss
        da1 = dz2 @ W2.T
        dz1 = da1 * (z1 > 0)
        grads = [X.T @ dz1, dz1.sum(axis=0, keepdims=True), a1.T @ dz2,
                 dz2.sum(axis=0, keepdims=True)]
        if update:
            for param, grad in zip(params, grads, strict=True):
                param -= learning_rate * grad
    return params


def _accuracy(params, X, y) -> float:
    W1, b1, W2, b2 = params
    return float(np.mean(np.argmax(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2, axis=1) == y))


def _run(X, y, folds, epochs, rng, *, how="right", hidden=16):
    if how == "leak":  # one network trained on everything, validation folds included
        params = _fit(_init(rng, hidden), X, y, epochs)
        return np.array([_accuracy(params, X[va], y[va]) for _, va in folds])
    scores, params = [], _init(rng, hidden)
    for train, val in folds:
        if how != "carry":  # "carry": one set of weights trained on fold after fold
            params = _init(rng, hidden)
        fit_on, score_on = (val, train) if how == "swapped" else (train, val)
        _fit(params, X[fit_on], y[fit_on], epochs, update=how != "frozen")
        scores.append(_accuracy(params, X[train if how == "on_train" else score_on],
                                y[train if how == "on_train" else score_on]))
    return np.array(scores)


_CACHE: dict = {}


def cross_validate_model(X, y, folds, *, epochs, rng):
    """The reference run (cached: grading a catalogue of mistakes repeats it)."""
    key = hashlib.sha256(X.tobytes() + y.tobytes() + b"".join(
        t.tobytes() + v.tobytes() for t, v in folds) + repr(
        (epochs, rng.bit_generator.state)).encode()).hexdigest()
    if key not in _CACHE:
        _CACHE[key] = _run(X, y, folds, epochs, rng)
    return _CACHE[key]


def _cv_wrong(how):
    def cross_validate_model(X, y, folds, *, epochs, rng):
        return _run(X, y, folds, epochs, rng, how=how)
    return cross_validate_model


def _cv_mean(X, y, folds, *, epochs, rng):
    return float(np.mean(_run(X, y, folds, epochs, rng)))


def _cv_detect(kind):
    def detect(case, got):
        scores = fold_scores(case, got)
        if kind == "mean":
            return isinstance(scores, str) and "single number" in scores
        if isinstance(scores, str):
            return False
        special = case.data["special"]
        on_val = _fractions_of(scores, case.data["n_val"])
        high = special is not None and scores[special] > SPECIAL_MAX
        rest = np.delete(scores, special) if special is not None else scores
        low = rest.mean() < CV_THRESHOLD
        if kind in ("on_train", "swapped"):  # scored on the training parts
            if not _fractions_of(scores, case.data["n_train"]):
                return False
            if special is None:
                return None  # this case cannot tell the two apart
            # The special fold scored on its training part: about 1 when its model trained on
            # that part; 0.4 at most when it trained on the special fold alone (one class).
            return (scores[special] > 0.6) == (kind == "on_train")
        if not on_val:
            return False
        if kind == "low":  # an untrained network may hit the special fold by chance
            return low
        if special is None or low:
            return None if special is None else False
        if kind == "carry":  # only a fold after others can have been seen before
            return high if special > 0 else (False if high else None)
        return high  # "leak"
    return detect


UNEVEN = ("the folds are more uneven than they need to be (groups dealt in turn, or taken in "
          "the order of their ids?): take the groups largest first, each into the fold with the "
          "fewest samples so far")
LEAKED = ("one network was trained on all the data, validation folds included, and scored on "
          "each fold: train a new network on each fold's X[train_idx] only")
CARRIED = ("the same weights kept training from fold to fold, so a later fold's model had "
           "already seen that fold's samples: start every fold from freshly drawn weights")
LOW = ("the network learned too little in the epoch budget: do the updates change the weights "
       "(against the gradient), is the learning rate large enough, and is there a hidden layer "
       "(no straight line separates these classes)?")

REFERENCES = {
    "answer_fold_counts": Reference(fold_counts, (
        Mistake("the dealing goes on from one class to the next: a class starts at the fold after "
                "the one that got the previous class's last sample, not at fold 0 again",
                lambda n: fold_counts(n, restart=True)),
        Mistake("n_c // k per fold leaves out each class's n_c mod k leftover samples: every "
                "sample is dealt to some fold",
                lambda n: np.tile(np.asarray(n["class_counts"]) // n["k"], (n["k"], 1))),
        Mistake("samples are dealt whole, one at a time: rounding n_c / k does not add up to "
                "the class sizes",
                lambda n: np.tile(np.round(np.asarray(n["class_counts"]) / n["k"]), (n["k"], 1))),
    )),
    "group_k_fold_indices": Reference(group_k_fold_indices, (
        Mistake(SWAPPED, _groups_swapped, detect=_group_detect("swapped")),
        Mistake("the folds list group ids; val_idx and train_idx hold the positions of the "
                "samples (0 … N − 1) whose group went to that fold", _groups_as_ids,
                detect=_group_detect("ids")),
        Mistake("cutting the samples into folds splits groups: assign whole groups to folds",
                _groups_by_sample, detect=_group_detect("split")),
        Mistake(UNEVEN, _groups_round_robin, detect=_group_detect("uneven")),
        Mistake(UNEVEN, lambda g, k: _groups_round_robin(g, k, by_size=True),
                detect=_group_detect("uneven")),
    )),
    "cross_val_scores": Reference(cross_val_scores, (
        Mistake("the model is scored on its own training data; score on the validation fold",
                _scored_on_train),
        Mistake("train and validation are swapped: train on train_idx, score on val_idx",
                _scores_swapped),
        Mistake("return one score per fold, an array of shape (k,), not their mean", _scores_mean),
    )),
    "cross_validate_model": Reference(cross_validate_model, (
        # In this order: a model trained on everything may score 100% everywhere, as a model
        # scored on its training part may; weights carried over look like it on one case only.
        Mistake("return each fold's accuracy, shape (k,), not their mean", _cv_mean,
                _cv_detect("mean")),
        Mistake(CARRIED, _cv_wrong("carry"), _cv_detect("carry")),
        Mistake(LEAKED, _cv_wrong("leak"), _cv_detect("leak")),
        Mistake("each fold's model is scored on its own training part: score it on X[val_idx]",
                _cv_wrong("on_train"), _cv_detect("on_train")),
        Mistake("train and validation are swapped: train on X[train_idx] (k − 1 folds), score "
                "on X[val_idx]", _cv_wrong("swapped"), _cv_detect("swapped")),
        Mistake(LOW, _cv_wrong("frozen"), _cv_detect("low")),
    )),
}
