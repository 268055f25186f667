"""Exercise 11's held-out answers: a min-max scaled test value on the student's numbers, early
stopping with a minimum improvement, and choosing an L2 strength on validation data."""

from __future__ import annotations

import hashlib

import numpy as np

from nnlab.grading.core import Mistake, Reference, run_quietly
from nnlab.grading.tasks.validation import ACCURACY_SLACK

# ---- answer_scaled_test: min-max scaling to [−1, 1] with the training range ----


def _minmax(x, low, high, a=-1.0, b=1.0):
    return a + (np.asarray(x, dtype=np.float64) - low) * (b - a) / (high - low)


def scaled_test(n):
    return _minmax(n["x_test"], np.min(n["x_train"]), np.max(n["x_train"]))


def _scaled_leaky(n):
    both = np.r_[n["x_train"], n["x_test"]]
    return _minmax(n["x_test"], both.min(), both.max())


def _scaled_unit(n):
    return _minmax(n["x_test"], np.min(n["x_train"]), np.max(n["x_train"]), a=0.0)


def _scaled_no_width(n):
    low, high = np.min(n["x_train"]), np.max(n["x_train"])
    return -1.0 + (np.asarray(n["x_test"], dtype=np.float64) - low) / (high - low)


def _scaled_standard(n):
    return (np.asarray(n["x_test"], dtype=np.float64) - np.mean(n["x_train"])) / np.std(n["x_train"])


# ---- early_stopping_min_delta ----


def early_stopping_min_delta(val_losses, patience, min_delta):
    """(best_epoch, stop_epoch): an epoch improves only if loss < best − min_delta; every other
    epoch counts towards the patience."""
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _delta_le(val_losses, patience, min_delta):
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best - min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _delta_ignored(val_losses, patience, min_delta):
    return early_stopping_min_delta(val_losses, patience, 0.0)


def _delta_plus(val_losses, patience, min_delta):
    return early_stopping_min_delta(val_losses, patience, -min_delta)


def _delta_late(val_losses, patience, min_delta):
    return early_stopping_min_delta(val_losses, patience + 1, min_delta)


def _delta_running_min(val_losses, patience, min_delta):
    """The best epoch follows every new minimum; only a big enough one resets the patience."""
    best, best_epoch, wait, anchor = np.inf, 0, 0, np.inf
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        if loss < anchor - min_delta:
            anchor, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _delta_vs_previous(val_losses, patience, min_delta):
    best, best_epoch, wait, previous = np.inf, 0, 0, np.inf
    for epoch, loss in enumerate(val_losses):
        if loss < previous - min_delta:
            wait = 0
            if loss < best:
                best, best_epoch = loss, epoch
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
        previous = loss
    return best_epoch, len(val_losses) - 1


def _delta_relative(val_losses, patience, min_delta):
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best * (1 - min_delta):
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


# ---- choose_and_train: scale with the training statistics, one network per λ, the lowest
# validation loss wins, its test predictions are returned ----


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(probs, y):
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1 - 1e-7))))


def train_network(X, y, l2, epochs, rng, *, hidden=64, learning_rate=0.05):
    """n_in-64-3 ReLU network, He weights, L2 λΣw² on both weight matrices, full-batch Adam
    (β₁ 0.9, β₂ 0.999, ε 1e-7) -> a function giving the probabilities of new inputs."""
    n, n_in = X.shape
    params = [rng.standard_normal((n_in, hidden)) * np.sqrt(2 / n_in), np.zeros((1, hidden)),
              rng.standard_normal((hidden, 3)) * np.sqrt(2 / hidden), np.zeros((1, 3))]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, epochs + 1):
        W1, b1, W2, b2 = params
        z1 = X @ W1 + b1
        a1 = np.maximum(z1, 0.0)
        dz2 = _softmax(a1 @ W2 + b2)
        dz2[np.arange(n), y] -= 1.0
        dz2 /= n
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        grads = [X.T @ dz1 + 2 * l2 * W1, dz1.sum(axis=0, keepdims=True),
                 a1.T @ dz2 + 2 * l2 * W2, dz2.sum(axis=0, keepdims=True)]
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g**2
            params[i] -= learning_rate * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-7)
    W1, b1, W2, b2 = (p.copy() for p in params)
    return lambda X_new: _softmax(np.maximum(X_new @ W1 + b1, 0.0) @ W2 + b2)


def _standardise(X_fit, *others):
    mean, std = X_fit.mean(axis=0), X_fit.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return [(X - mean) / std for X in (X_fit, *others)]


def _choose(X_train, y_train, X_val, y_val, X_test, l2_grid, epochs, rng, *, scaling="train",
            judge="validation", predict_with="chosen"):
    if scaling == "train":
        X_train, X_val, X_test = _standardise(X_train, X_val, X_test)
    elif scaling == "own":
        X_train, X_val, X_test = (_standardise(X)[0] for X in (X_train, X_val, X_test))
    nets = [train_network(X_train, y_train, l2, epochs, rng) for l2 in l2_grid]
    val_losses = np.array([_cross_entropy(net(X_val), y_val) for net in nets])
    scores = val_losses if judge == "validation" else \
        np.array([_cross_entropy(net(X_train), y_train) for net in nets])
    best = int(np.argmin(scores))
    net = nets[best] if predict_with == "chosen" else nets[-1]
    return val_losses, float(l2_grid[best]), np.argmax(net(X_test), axis=1)


_CACHE: dict = {}


def choose_and_train(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
    """The reference run (cached: the mistakes' detectors need its test accuracy again)."""
    key = hashlib.sha256(b"".join(a.tobytes() for a in (X_train, y_train, X_val, y_val, X_test))
                         + repr((tuple(l2_grid), epochs, rng.bit_generator.state)).encode()
                         ).hexdigest()
    if key not in _CACHE:
        _CACHE[key] = _choose(X_train, y_train, X_val, y_val, X_test, l2_grid, epochs, rng)
    return _CACHE[key]


def _by_training(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
    return _choose(X_train, y_train, X_val, y_val, X_test, l2_grid, epochs, rng, judge="training")


def _own_scaling(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
    return _choose(X_train, y_train, X_val, y_val, X_test, l2_grid, epochs, rng, scaling="own")


def _unscaled(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
    return _choose(X_train, y_train, X_val, y_val, X_test, l2_grid, epochs, rng, scaling="none")


def _last_network(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
    return _choose(X_train, y_train, X_val, y_val, X_test, l2_grid, epochs, rng,
                   predict_with="last")


def _picked_least_regularized(case, got):
    best = got.get("1")
    return best is not None and best.shape == () and \
        bool(np.isclose(float(best), min(case.data["l2_grid"])))


def _worse_than_it_should(case, got):
    """A more regularized network than ours won, or the chosen one's test accuracy is too low."""
    best, pred = got.get("1"), got.get("2")
    if best is None or pred is None or best.shape != () or pred.shape != case.data["y_test"].shape:
        return False
    ours = run_quietly(case.run, choose_and_train)
    if float(best) > float(ours["1"]):
        return True
    y_test = case.data["y_test"]
    return float(np.mean(pred == y_test)) < float(np.mean(ours["2"] == y_test)) - ACCURACY_SLACK


BY_TRAINING = ("the least regularized network was chosen: it always fits the data it trained on "
               "best, which says nothing about new data. Train on the training set only and "
               "compare the candidates by their loss on the validation set")
# Unscaled inputs make every network but the most regularized one worse than a blind guess on
# the validation set (λ = 1 wins with a loss of ln 3); scaling the test set with its own
# statistics, predicting with the last network or training too briefly costs test accuracy:
# one hint names them all.
WORSE = ("the chosen network does worse than it should, or a strongly regularized one (which "
         "learns next to nothing) won: are all three sets scaled with the statistics of the "
         "training set (your scale_splits), the test set included? Does each network train for "
         "`epochs` steps, and do the test predictions come from the chosen one?")

REFERENCES = {
    "answer_scaled_test": Reference(scaled_test, (
        # With one test value above the training range and one below, the test values' own
        # minimum and maximum are those of all the values: one mistake, one hint.
        Mistake("the minimum and maximum come from the training values only, never from the "
                "test values (alone or with the training values): that leaks the test set into "
                "the scaler", _scaled_leaky),
        Mistake("a scaler fitted on training data does not clip: new values may land outside "
                "[−1, 1]", lambda n: np.clip(scaled_test(n), -1.0, 1.0)),
        Mistake("the target range is [−1, 1], not [0, 1]: x' = −1 + 2 (x − min) / (max − min)",
                _scaled_unit),
        Mistake("the width of the target range, 1 − (−1) = 2, multiplies (x − min) / (max − min)",
                _scaled_no_width),
        Mistake("that is standard scaling; the task asks for min-max scaling to [−1, 1]",
                _scaled_standard),
    )),
    "early_stopping_min_delta": Reference(early_stopping_min_delta, (
        Mistake("an epoch improves only if its loss is more than min_delta below the best: "
                "loss < best − min_delta, strictly (a drop of exactly min_delta, or a tie with "
                "min_delta = 0, is no improvement)", _delta_le),
        Mistake("min_delta is ignored: a loss lower than the best by less than min_delta is no "
                "improvement and counts towards the patience", _delta_ignored),
        Mistake("the sign of min_delta is flipped: an improvement is loss < best − min_delta, so "
                "a slightly higher loss never counts", _delta_plus),
        Mistake("an epoch that improves by less than min_delta is not a new best: it neither "
                "becomes the best epoch nor resets the patience", _delta_running_min),
        Mistake("compare each loss with the best so far, not with the previous epoch: small "
                "steps add up to an improvement", _delta_vs_previous),
        Mistake("training stops one epoch late: stop as soon as `patience` epochs in a row "
                "brought no improvement", _delta_late),
        Mistake("min_delta is a drop in the loss itself, not a fraction of the best loss: "
                "loss < best − min_delta", _delta_relative),
    )),
    "choose_and_train": Reference(choose_and_train, (
        Mistake(BY_TRAINING, _by_training, _picked_least_regularized),
        Mistake(WORSE, _own_scaling, _worse_than_it_should),
        Mistake(WORSE, _unscaled, _worse_than_it_should),
        Mistake(WORSE, _last_network, _worse_than_it_should),
    )),
}
