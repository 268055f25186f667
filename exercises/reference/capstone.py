"""Exercise 13's answers: per-class precision/recall/F1, random one-pixel shifts and the reference
digits classifier, with the wrong variants the grader recognises."""

from __future__ import annotations

import numpy as np

from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.capstone import (
    _detect_chance,
    _detect_constant,
    _detect_scores,
)


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


def _majority(X_train, y_train, X_val, *, epochs, rng):
    return np.full(len(X_val), np.bincount(y_train).argmax())


def _scores(X_train, y_train, X_val, *, epochs, rng):
    centroids = np.stack([X_train[y_train == d].mean(axis=0) for d in range(10)])  # (10, 64)
    return -((X_val[:, None, :] - centroids[None]) ** 2).sum(axis=2)  # (N_val, 10) scores


def _untrained(X_train, y_train, X_val, *, epochs, rng):
    W = rng.normal(size=(64, 10))
    return (X_val @ W).argmax(axis=1)


REFERENCES = {
    "precision_recall_f1": Reference(precision_recall_f1, (
        Mistake("precision and recall are swapped: precision divides by what was predicted "
                "as the class (a column), recall by what truly is the class (a row)",
                _prf_swapped),
        Mistake("F1 is the harmonic mean of precision and recall, not their average",
                _prf_mean),
        Mistake("a class that is never predicted (or never occurs) gives 0/0: its precision, "
                "recall or F1 is defined as 0 here, not nan", _prf_nan),
        Mistake("precision divides by the number of images predicted as the class, not by "
                "all images", _prf_total),
    )),
    "random_shift": Reference(random_shift, (
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
    )),
    "train_digits": Reference(train_digits, (
        Mistake("return the predicted digit of each image (the index of the largest score), "
                "not the scores", _scores, detect=_detect_scores),
        Mistake("your network predicts the same digit or two for every image: it has not "
                "learned. Check that each update subtracts the gradient, that the updated "
                "weights are kept from step to step, and the learning rate",
                _majority, detect=_detect_constant),
        Mistake("the accuracy is near chance (0.1): the predictions do not follow the "
                "labels. Did training change the weights you predict with, and are the "
                "predictions in the order of X_val?", _untrained, detect=_detect_chance),
    )),
}
