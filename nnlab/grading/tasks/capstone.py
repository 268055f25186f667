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


def precision_recall_f1(matrix):
    """Per class, from a confusion matrix (rows true, columns predicted); 0 where 0/0:

    precision_j = M_jj / Σ_i M_ij;   recall_i = M_ii / Σ_j M_ij;   F1 = 2PR / (P + R).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    diag = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(diag, predicted, out=np.zeros_like(diag), where=predicted > 0)
    recall = np.divide(diag, actual, out=np.zeros_like(diag), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(diag), where=both > 0)
    return precision, recall, f1


def _prf_swapped(matrix):
    precision, recall, f1 = precision_recall_f1(matrix)
    return recall, precision, f1


def _prf_mean(matrix):
    precision, recall, _ = precision_recall_f1(matrix)
    return precision, recall, (precision + recall) / 2


def _prf_nan(matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    diag = np.diag(matrix)
    precision, recall = diag / matrix.sum(axis=0), diag / matrix.sum(axis=1)
    return precision, recall, 2 * precision * recall / (precision + recall)


def _prf_total(matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    _, recall, _ = precision_recall_f1(matrix)
    precision = np.diag(matrix) / matrix.sum()
    both = precision + recall
    return precision, recall, np.divide(2 * precision * recall, both, out=np.zeros_like(both),
                                        where=both > 0)


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


def random_shift(X, rng):
    """Image i (a row of 64 pixels, 8×8 row by row) moves offsets[i, 0] rows down and
    offsets[i, 1] columns right, offsets = rng.integers(-1, 2, size=(N, 2)); vacated pixels are 0.

    Shapes: X (N, 64) -> (N, 64).
    """
    offsets = rng.integers(-1, 2, size=(len(X), 2))
    padded = np.pad(np.asarray(X).reshape(-1, 8, 8), ((0, 0), (1, 1), (1, 1)))  # (N, 10, 10)
    out = np.empty((len(X), 8, 8), dtype=padded.dtype)
    for i, (dr, dc) in enumerate(offsets):
        out[i] = padded[i, 1 - dr:9 - dr, 1 - dc:9 - dc]
    return out.reshape(-1, 64)


def _shift_wrong(form):
    def wrong(X, rng):
        if form == "one_offset":
            offsets = np.tile(rng.integers(-1, 2, size=2), (len(X), 1))
        else:
            offsets = rng.integers(-1, 2, size=(len(X), 2))
        if form == "swapped":
            offsets = offsets[:, ::-1]
        if form == "flipped":
            offsets = -offsets
        images = np.asarray(X, dtype=float).reshape(-1, 8, 8)
        out = np.zeros_like(images)
        for i, (dr, dc) in enumerate(offsets):
            if form == "roll":
                out[i] = np.roll(images[i], (dr, dc), axis=(0, 1))
            elif form == "flat":
                flat, k = images[i].ravel(), 8 * dr + dc
                moved = np.zeros(64)
                if k >= 0:
                    moved[k:] = flat[:64 - k]
                else:
                    moved[:k] = flat[-k:]
                out[i] = moved.reshape(8, 8)
            else:
                padded = np.pad(images[i], 1)
                out[i] = padded[1 - dr:9 - dr, 1 - dc:9 - dc]
        return out.reshape(-1, 64)
    return wrong


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
        cases.append(Case(label, lambda fn, X=X, s=seed: _shift_case(fn, X, s)))
    blank = np.zeros((5, 64))
    seed = int(rng.integers(2**31))
    cases.append(Case("5 blank images", lambda fn: _shift_case(fn, blank, seed), gate=True))
    return cases


# ---- Task 4: a digits classifier of one's own ----

THRESHOLD = 0.95


def train_digits(X_train, y_train, X_val, *, epochs, rng):
    """Standardise (training statistics), train a 64-256-10 ReLU network with softmax cross-entropy
    and Adam on mini-batches of 32 for ``epochs`` epochs, and predict the validation labels (N_val,)."""
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    X, X_v = (X_train - mean) / std, (X_val - mean) / std
    W1 = rng.normal(0.0, np.sqrt(2 / 64), size=(64, 256))            # He initialisation
    W2 = rng.normal(0.0, np.sqrt(2 / 256), size=(256, 10))
    params = [W1, np.zeros((1, 256)), W2, np.zeros((1, 10))]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    onehot = np.eye(10)[y_train]
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), 32):
            idx = order[start:start + 32]
            W1, b1, W2, b2 = params
            hidden = np.maximum(0.0, X[idx] @ W1 + b1)               # (B, 256)
            logits = hidden @ W2 + b2                                # (B, 10)
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            dlogits = (probs - onehot[idx]) / len(idx)
            dhidden = (dlogits @ W2.T) * (hidden > 0)
            grads = [X[idx].T @ dhidden, dhidden.sum(axis=0, keepdims=True),
                     hidden.T @ dlogits, dlogits.sum(axis=0, keepdims=True)]
            t += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g**2
                params[i] = params[i] - 3e-3 * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-7)
    W1, b1, W2, b2 = params
    return (np.maximum(0.0, X_v @ W1 + b1) @ W2 + b2).argmax(axis=1)


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


def _compare_digits(case, got, expected):
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


def _majority(X_train, y_train, X_val, *, epochs, rng):
    return np.full(len(X_val), np.bincount(y_train).argmax())


def _scores(X_train, y_train, X_val, *, epochs, rng):
    centroids = np.stack([X_train[y_train == d].mean(axis=0) for d in range(10)])  # (10, 64)
    return -((X_val[:, None, :] - centroids[None]) ** 2).sum(axis=2)  # (N_val, 10) scores


def _untrained(X_train, y_train, X_val, *, epochs, rng):
    W = rng.normal(size=(64, 10))
    return (X_val @ W).argmax(axis=1)


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
        Task(
            "precision_recall_f1", 2, precision_recall_f1, _prf_cases,
            output_names=("precision", "recall", "f1"),
            mistakes=(
                Mistake("precision and recall are swapped: precision divides by what was predicted "
                        "as the class (a column), recall by what truly is the class (a row)",
                        _prf_swapped),
                Mistake("F1 is the harmonic mean of precision and recall, not their average",
                        _prf_mean),
                Mistake("a class that is never predicted (or never occurs) gives 0/0: its precision, "
                        "recall or F1 is defined as 0 here, not nan", _prf_nan),
                Mistake("precision divides by the number of images predicted as the class, not by "
                        "all images", _prf_total),
            ),
        ),
        Task(
            "random_shift", 2, random_shift, _shift_cases,
            mistakes=(
                Mistake("pixels that leave one edge come back at the opposite edge (np.roll wraps "
                        "around): the vacated row or column must be 0", _shift_wrong("roll")),
                Mistake("moving the flat row of 64 pixels carries pixels from the end of one image "
                        "row into the next: shift the 8×8 image, not the flat vector",
                        _shift_wrong("flat")),
                Mistake("every image gets its own offset: draw one (rows, columns) pair per image "
                        "with the call given", _shift_wrong("one_offset")),
                Mistake("rows and columns are swapped: the first column of the offsets moves rows (down), "
                        "the second moves columns (right)", _shift_wrong("swapped")),
                Mistake("the images move the wrong way: a positive offset moves down (rows) or right "
                        "(columns)", _shift_wrong("flipped")),
            ),
        ),
        Task(
            "train_digits", 5, train_digits, _digit_cases, compare=_compare_digits, timeout=60,
            mistakes=(
                Mistake("return the predicted digit of each image (the index of the largest score), "
                        "not the scores", _scores, detect=_detect_scores),
                Mistake("your network predicts the same digit or two for every image: it has not "
                        "learned. Check that each update subtracts the gradient, that the updated "
                        "weights are kept from step to step, and the learning rate",
                        _majority, detect=_detect_constant),
                Mistake("the accuracy is near chance (0.1): the predictions do not follow the "
                        "labels. Did training change the weights you predict with, and are the "
                        "predictions in the order of X_val?", _untrained, detect=_detect_chance),
            ),
            # the class names let check(...) see them in the code; the __init__ traps catch any use
            forbidden=("nnlab.model.Model", "nnlab.layers.Dense", "nnlab.dropout.Dropout",
                       *(f"nnlab.optimizers.{cls}" for cls in ("SGD", "Adagrad", "RMSprop", "Adam")),
                       "nnlab.model.Model.__init__", "nnlab.layers.Dense.__init__",
                       "nnlab.dropout.Dropout.__init__", "nnlab.optimizers.Optimizer.__init__"),
        ),
        manual_task("answer_text_test_once", 1),
    ),
)
