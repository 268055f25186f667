"""Exercise 13: a confusion matrix, per-class precision/recall/F1, random one-pixel shifts, and a
digits classifier of the learner's own, graded by running it.

``train_digits`` is graded on what it predicts: the grader splits the digits itself, hands over
the training images, their labels and the validation images, and keeps the validation labels.
The budget is the number of epochs; the task's time limit is only a guard.
"""

from __future__ import annotations

import numpy as np

from ... import data
from ..core import Case, Exercise, Mistake, Task, keeps_inputs, manual_task

# ---- Task 1: confusion matrix ----


def confusion_matrix(y_true, y_pred, n_classes):
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def _cm_fancy(y_true, y_pred, n_classes):
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    matrix[y_true, y_pred] += 1  # a repeated pair is counted once
    return matrix


def _cm_size_from_labels(y_true, y_pred, n_classes):
    return confusion_matrix(y_true, y_pred, int(max(np.max(y_true), np.max(y_pred))) + 1)


def _cm_normalised(y_true, y_pred, n_classes):
    matrix = confusion_matrix(y_true, y_pred, n_classes).astype(float)
    return matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)


def _cm_cases(rng):
    cases = []
    y = rng.integers(0, 10, size=60)
    pred = np.where(rng.random(60) < 0.8, y, rng.integers(0, 10, size=60))
    cases.append(Case("60 labels, 10 classes, 80% right", lambda fn: fn(y.copy(), pred.copy(), 10)))
    y3 = rng.integers(0, 3, size=25)
    pred3 = rng.integers(0, 3, size=25)
    cases.append(Case("25 labels, 3 classes, many repeated (true, predicted) pairs",
                      lambda fn: fn(y3.copy(), pred3.copy(), 3)))
    y2 = np.array([0, 1, 1, 0, 2, 1])
    p2 = np.array([1, 1, 0, 0, 2, 2])
    cases.append(Case("6 labels, 3 classes, every pair different", lambda fn: fn(y2.copy(), p2.copy(), 3)))
    y4, p4 = rng.integers(0, 3, size=12), rng.integers(0, 3, size=12)
    cases.append(Case("n_classes=5, but only classes 0 to 2 occur", lambda fn: fn(y4.copy(), p4.copy(), 5),
                      gate=True))
    return cases


# ---- Task 2: per-class precision, recall, F1 ----


def _between_0_and_1(case, got):
    if any(np.any((v < 0) | (v > 1)) for v in got.values()):
        return "precision, recall and F1 are fractions between 0 and 1"
    return None


def _prf_cases(rng):
    cases = []
    m = rng.integers(1, 6, size=(4, 4)) + np.diag(rng.integers(10, 30, size=4))
    cases.append(Case("a 4-class matrix", lambda fn: fn(m.copy())))
    y = rng.integers(0, 10, size=300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(0, 10, size=300))
    m10 = confusion_matrix(y, pred, 10)
    cases.append(Case("a 10-class matrix of 300 digits", lambda fn: fn(m10.copy())))
    lopsided = np.array([[50, 0, 0], [30, 5, 1], [2, 8, 4]])
    cases.append(Case("a 3-class matrix where one class takes most predictions",
                      lambda fn: fn(lopsided.copy())))
    never = np.array([[5, 0, 1, 0], [2, 0, 3, 0], [0, 0, 4, 0], [0, 0, 0, 0]])
    cases.append(Case("class 1 is never predicted, class 3 never occurs and is never predicted "
                      "(0/0)", lambda fn: fn(never.copy()), gate=True))
    return cases


# ---- Task 3: random one-pixel shifts ----


def _shift_case(fn, X, seed):
    return keeps_inputs(fn)(X.copy(), np.random.default_rng(seed))


def _shift_cases(rng):
    cases = []
    full = rng.integers(1, 17, size=(30, 64)).astype(np.float64)  # no zeros: every move shows
    digits, _ = data.load_digits()
    some = digits[rng.choice(len(digits), size=40, replace=False)]
    one = rng.integers(1, 17, size=(1, 64)).astype(np.float64)
    for label, X in (("30 random images with no zero pixel", full), ("40 digits", some),
                     ("one image", one)):
        seed = int(rng.integers(2**31))
        cases.append(Case(label, lambda fn, X=X, s=seed: _shift_case(fn, X, s),
                          data={"shape": X.shape, "X": X}))
    blank = np.zeros((5, 64))
    seed = int(rng.integers(2**31))
    cases.append(Case("5 blank images", lambda fn: _shift_case(fn, blank, seed), gate=True,
                      data={"shape": blank.shape, "X": blank}))
    return cases


def _pixels_kept(case, got):
    """What needs no answer: each shifted image keeps its pixels' values (or 0 where one left)
    and loses at most one row and one column of them."""
    X, out = case.data["X"], next(iter(got.values()))
    for before, after in zip(X, out, strict=True):
        if not np.all(np.isin(after, np.append(before, 0.0))):
            return "a shifted image holds only its own pixel values (and 0 where a pixel left)"
        if np.count_nonzero(after) < np.count_nonzero(before) - 15:
            return "a one-pixel shift loses at most one row and one column of pixels"
    return None


# ---- Task 4: a digits classifier of one's own ----

THRESHOLD = 0.95


def _digit_cases(rng):
    X, y = data.load_digits()
    cases = []
    for train_share, epochs in ((0.6, 20), (0.7, 15), (0.5, 20)):
        order = np.concatenate([rng.permutation(np.flatnonzero(y == d)) for d in range(10)])
        per_class = [np.flatnonzero(y[order] == d) for d in range(10)]
        train = np.sort(np.concatenate([order[idx[:int(round(train_share * len(idx)))]]
                                        for idx in per_class]))
        val = np.setdiff1d(np.arange(len(y)), train)
        seed = int(rng.integers(2**31))
        label = (f"{len(train)} training images, {len(val)} validation images (a stratified split), "
                 f"epochs={epochs}")
        cases.append(Case(label, lambda fn, tr=train, va=val, e=epochs, s=seed: keeps_inputs(fn)(
            X[tr].copy(), y[tr].copy(), X[va].copy(), epochs=e, rng=np.random.default_rng(s)),
            data={"y_val": y[val]}))
    return cases


def _labels(got):
    """The predicted labels as an int array, or None if ``got`` is not one array."""
    if len(got) != 1:
        return None
    return next(iter(got.values()))


def _compare_digits(case, got, expected=None):
    y_val = case.data["y_val"]
    pred = _labels(got)
    n = len(y_val)
    if pred is None:
        return f"return one array: the predicted digit of each validation image, shape ({n},)"
    if pred.shape == (n, 10):
        return (f"returned scores of shape {pred.shape}: return one digit per image, shape ({n},) "
                "(the index of the largest score)")
    if pred.shape != (n,):
        return f"shape {pred.shape}, expected ({n},): one predicted digit per validation image"
    if not np.all(np.isfinite(pred)) or not np.all(pred == np.round(pred)):
        return "the predictions must be whole numbers, the digits 0 to 9"
    if pred.min() < 0 or pred.max() > 9:
        return f"the predictions must be digits 0 to 9; got values from {pred.min():g} to {pred.max():g}"
    right = int(np.sum(pred.astype(np.int64) == y_val))
    accuracy = right / n
    if accuracy >= THRESHOLD:
        return None
    return f"validation accuracy {accuracy:.3f} ({right} of {n} right); at least {THRESHOLD} is needed"


def _accuracy(case, got):
    pred = _labels(got)
    y_val = case.data["y_val"]
    if pred is None or pred.shape != y_val.shape:
        return None
    return float(np.mean(pred == y_val))


def _detect_scores(case, got):
    pred = _labels(got)
    return pred is not None and pred.shape == (len(case.data["y_val"]), 10)


def _detect_constant(case, got):
    pred = _labels(got)
    if pred is None or pred.shape != case.data["y_val"].shape:
        return False
    return len(np.unique(pred)) <= 2


def _detect_chance(case, got):
    accuracy = _accuracy(case, got)
    return accuracy is not None and accuracy < 0.3 and not _detect_constant(case, got)


EXERCISE = Exercise(
    "13_capstone_digits",
    "Capstone: handwritten digits",
    (
        Task(
            "confusion_matrix", 1, confusion_matrix, _cm_cases,
            mistakes=(
                Mistake("rows are the true classes and columns the predicted ones: your matrix is "
                        "transposed", lambda t, p, n: confusion_matrix(t, p, n).T),
                Mistake("matrix[y_true, y_pred] += 1 counts a repeated (true, predicted) pair only "
                        "once: NumPy's fancy-index += does not accumulate repeated indices",
                        _cm_fancy),
                Mistake("the matrix has n_classes rows and columns even when some class never occurs",
                        _cm_size_from_labels),
                Mistake("return the counts, not fractions of each row", _cm_normalised),
            ),
        ),
        Task("precision_recall_f1", 2, None, _prf_cases, output_names=("precision", "recall", "f1"),
             invariant=_between_0_and_1),
        Task("random_shift", 2, None, _shift_cases, invariant=_pixels_kept),
        Task("train_digits", 5, None, _digit_cases, compare=_compare_digits, timeout=60,
             invariant=_compare_digits,
# the class names let check(...) see them in the code; the __init__ traps catch any use
        forbidden=("nnlab.model.Model", "nnlab.layers.Dense", "nnlab.dropout.Dropout",
                   *(f"nnlab.optimizers.{cls}" for cls in ("SGD", "Adagrad", "RMSprop", "Adam")),
                   "nnlab.model.Model.__init__", "nnlab.layers.Dense.__init__",
                   "nnlab.dropout.Dropout.__init__", "nnlab.optimizers.Optimizer.__init__"),),
        manual_task("answer_text_test_once", 1),
    ),
)
