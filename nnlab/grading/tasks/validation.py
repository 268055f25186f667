"""Exercise 08: scaling with training statistics only, early stopping, a scaled test value."""

from __future__ import annotations

import numpy as np

from ... import preprocessing
from ..core import Case, Exercise, Mistake, Task, manual_task, value_case


def scale_splits(X_train, X_val, X_test):
    """Standardise all three sets with the training mean and standard deviation."""
    scaler = preprocessing.StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test)


def _std(x):
    s = x.std(axis=0)
    return np.where(s == 0, 1.0, s)


def _leaky(X_train, X_val, X_test):
    allx = np.concatenate([X_train, X_val, X_test])
    m, s = allx.mean(axis=0), _std(allx)
    return (X_train - m) / s, (X_val - m) / s, (X_test - m) / s


def _own_stats(X_train, X_val, X_test):
    return tuple((x - x.mean(axis=0)) / _std(x) for x in (X_train, X_val, X_test))


def _ddof1(X_train, X_val, X_test, guard=False):
    m, s = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    if guard:  # a constant feature keeps a scale of 1, as the task asks
        s = np.where(s == 0, 1.0, s)
    return tuple((x - m) / s for x in (X_train, X_val, X_test))


def _ddof1_guarded(X_train, X_val, X_test):
    return _ddof1(X_train, X_val, X_test, guard=True)


def _scale_cases(rng):
    a = [rng.normal(5.0, 2.0, size=(n, 3)) for n in (20, 6, 5)]
    b = [np.c_[rng.normal(size=(n, 1)), np.full((n, 1), 7.0)] for n in (10, 4, 4)]
    b[2][:, 1] = 9.0  # constant in training, different in the test set
    return [Case("3 features, shifted and scaled", lambda fn: fn(*(x.copy() for x in a))),
            Case("a feature constant in the training set", lambda fn: fn(*(x.copy() for x in b)))]


def early_stopping(val_losses, patience):
    """(best_epoch, stop_epoch): stop once `patience` epochs in a row brought no new minimum."""
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _late(val_losses, patience):
    return early_stopping(val_losses, patience + 1)


def _vs_previous(val_losses, patience):
    wait, best, best_epoch = 0, np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        wait = 0 if epoch and loss < val_losses[epoch - 1] else wait + (epoch > 0)
        if wait >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _ties_count(val_losses, patience):
    """A loss equal to the best counts as a new minimum (<= instead of <)."""
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _stopping_cases(rng):
    noisy = list(np.r_[np.linspace(1.0, 0.3, 8), 0.35, 0.29, 0.31, 0.30, 0.32, 0.33, 0.34, 0.36, 0.4])
    always = list(np.linspace(1.0, 0.1, 12))
    bumpy = [0.9, 0.8, 0.85, 0.82, 0.81, 0.79, 0.83, 0.82, 0.81, 0.8, 0.9]
    tied = [1.0, 0.75, 0.5, 0.5, 0.625, 0.5, 0.625, 0.75, 0.875, 1.0]  # the best loss comes back
    return [Case(label, lambda fn, v=v, p=p: np.asarray(fn(list(v), p), dtype=np.int64))
            for label, v, p in (("a noisy curve, patience 3", noisy, 3),
                                ("a curve that keeps falling, patience 2", always, 2),
                                ("small bumps, patience 3", bumpy, 3),
                                ("small bumps, patience 1", bumpy, 1),
                                ("the best loss repeated (a tie), patience 3", tied, 3))]


EXERCISE = Exercise(
    "11_validation",
    "Validation",
    (
        Task(
            "scale_splits", 2, scale_splits, _scale_cases,
            output_names=("X_train", "X_val", "X_test"),
            mistakes=(
                Mistake("the statistics come from all the data: that leaks the validation and "
                        "test sets into training. Fit on X_train only", _leaky),
                Mistake("each set is scaled with its own statistics; apply the training mean and "
                        "std to every set", _own_stats),
                Mistake("use the population standard deviation (ddof=0), as the course's "
                        "StandardScaler does", _ddof1),
                Mistake("use the population standard deviation (ddof=0), as the course's "
                        "StandardScaler does", _ddof1_guarded),
            ),
            forbidden=("nnlab.preprocessing._Scaler.fit", "nnlab.preprocessing._Scaler.transform"),
        ),
        Task(
            "early_stopping", 2, early_stopping, _stopping_cases,
            output_names=("best_epoch", "stop_epoch"),
            mistakes=(
                Mistake("training stops one epoch late: stop as soon as `patience` epochs in a "
                        "row brought no new minimum", _late),
                Mistake("compare each loss with the best so far, not with the previous epoch",
                        _vs_previous),
                Mistake("a loss equal to the best so far is not a new minimum: compare with <, "
                        "not <= (a tie keeps the earlier best epoch)", _ties_count),
            ),
        ),
        Task(
            "answer_scaled_12", 1, 1.5, lambda rng: value_case(), kind="value", rtol=1e-3,
            mistakes=(
                Mistake("a scaler fitted on training data does not clip: new data may fall "
                        "outside [−1, 1]", 1.0),
                Mistake("the range is [−1, 1], not [0, 1]", 1.25),
            ),
        ),
        manual_task("answer_text_leakage", 1),
    ),
)
