"""Exercise 03's answers: the backward passes of swish, log-softmax and label-smoothed
cross-entropy, the repaired two-layer backward pass, and the wrong variants the grader names."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from nnlab.grading.core import Mistake, Reference


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


# ---- swish_backward ----

def swish_backward(dvalues, inputs):
    """f(z) = z · σ(z), f'(z) = σ(z) + z · σ(z) · (1 − σ(z)).   Shapes: both (N, n)."""
    s = _sigmoid(inputs)
    return dvalues * (s + inputs * s * (1 - s))


def _swish_no_product_rule(d, z):
    return d * _sigmoid(z)


def _swish_only_sigmoid_term(d, z):
    s = _sigmoid(z)
    return d * z * s * (1 - s)


def _swish_sigmoid_rule_on_outputs(d, z):
    out = z * _sigmoid(z)
    return d * out * (1 - out)


def _swish_no_dvalues(d, z):
    s = _sigmoid(z)
    return s + z * s * (1 - s)


# ---- log_softmax_backward ----

def log_softmax_backward(dvalues, outputs):
    """dinputs = Jᵀ d with J_ij = δ_ij − s_j:  dinputs = d − s · Σ_i d_i,  s = exp(outputs).

    Shapes: dvalues and outputs (N, C) -> (N, C).
    """
    return dvalues - np.exp(outputs) * dvalues.sum(axis=1, keepdims=True)


def _log_softmax_untransposed(d, out):
    return d - np.sum(np.exp(out) * d, axis=1, keepdims=True)


def _log_softmax_as_softmax(d, out):
    s = np.exp(out)
    return s * (d - np.sum(s * d, axis=1, keepdims=True))


def _log_softmax_batch_axis(d, out):
    return d - np.exp(out) * d.sum(axis=0, keepdims=True)


def _log_softmax_no_exp(d, out):
    return d - out * d.sum(axis=1, keepdims=True)


# ---- label_smoothing_backward ----

def _targets(y, n_classes, smoothing, spread=None):
    spread = smoothing / n_classes if spread is None else spread
    return (1.0 - smoothing) * np.eye(n_classes)[y] + spread


def label_smoothing_backward(probs, y_true, smoothing):
    """(p̂ − t) / N with t = (1 − ε) · one_hot(y) + ε / C.   Shapes: probs (N, C), y_true (N,)."""
    n, c = probs.shape
    return (probs - _targets(y_true, c, smoothing)) / n


def _smoothing_ignored(p, y, eps):
    return label_smoothing_backward(p, y, 0.0)


def _smoothing_other_classes(p, y, eps):
    n, c = p.shape
    t = np.where(np.eye(c)[y] == 1, 1.0 - eps, eps / (c - 1))
    return (p - t) / n


def _smoothing_not_spread(p, y, eps):
    n, c = p.shape
    return (p - _targets(y, c, eps, spread=eps)) / n


def _smoothing_scaled(p, y, eps):
    return (1.0 - eps) * label_smoothing_backward(p, y, 0.0)


def _smoothing_no_n(p, y, eps):
    return label_smoothing_backward(p, y, eps) * len(p)


def _smoothing_sign(p, y, eps):
    return -label_smoothing_backward(p, y, eps)


# ---- two_layer_backward (find the bug) ----

def _two_layer(X, y, W1, b1, W2, b2, bugs=frozenset()):
    """The network's gradients, with some of the notebook's bugs (or others) put back in."""
    n = len(X)
    z1 = X @ W1 + b1                          # (N, H)
    a1 = np.tanh(z1)                          # (N, H)
    z2 = a1 @ W2 + b2                         # (N, C)
    e = np.exp(z2 - z2.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)  # (N, C)
    dz2 = probs.copy()
    dz2[np.arange(n), y] -= 1
    dz2 /= 1 if "sum loss" in bugs else n
    dW2 = (z1 if "input" in bugs else a1).T @ dz2
    db2 = dz2.sum(axis=0, keepdims=True)
    da1 = dz2 @ (W2 if "untransposed" in bugs else W2.T)
    dz1 = da1 * ((z1 > 0) if "relu" in bugs else 1 - (z1 if "derivative" in bugs else a1) ** 2)
    dW1 = X.T @ dz1
    db1 = dz1.mean(axis=0, keepdims=True) if "mean" in bugs else dz1.sum(axis=0, keepdims=True)
    return dW1, db1, dW2, db2


def two_layer_backward(X, y, W1, b1, W2, b2):
    """(dW1, db1, dW2, db2) of the mean cross-entropy of softmax(tanh(X W1 + b1) W2 + b2)."""
    return _two_layer(X, y, W1, b1, W2, b2)


PLANTED = {  # the three bugs of the notebook's version, each with what the grader says
    "input": "dW2 is built from the second layer's input, the tanh outputs a1, not the "
             "pre-activations z1",
    "derivative": "tanh's derivative is 1 − tanh²(z) = 1 − a1², from the outputs a1; 1 − z1² "
                  "squares the wrong array",
    "mean": "db1 sums dz1 over the batch: dz2 already carries the 1/N, so a mean divides by N "
            "twice",
}


def _with(bugs):
    return lambda *args: _two_layer(*args, bugs=frozenset(bugs))


def _planted_mistakes():
    mistakes = []
    for k in range(len(PLANTED), 0, -1):
        for bugs in combinations(PLANTED, k):
            what = "; ".join(PLANTED[b] for b in bugs)
            head = ("that is the code as given, all three bugs still in it" if k == len(PLANTED)
                    else "one of the three bugs is still there" if k == 1
                    else f"{k} of the three bugs are still there")
            mistakes.append(Mistake(f"{head}: {what}", _with(bugs)))
    return tuple(mistakes)


REFERENCES = {
    "swish_backward": Reference(swish_backward, (
        Mistake("z is a factor too: by the product rule f'(z) = σ(z) + z · σ'(z), and the "
                "second term is missing", _swish_no_product_rule),
        Mistake("by the product rule f'(z) = σ(z) · 1 + z · σ'(z): the first term σ(z) is missing",
                _swish_only_sigmoid_term),
        Mistake("out · (1 − out) is the sigmoid's derivative written with the sigmoid's own "
                "output; swish's output is z · σ(z), and its derivative needs the product rule",
                _swish_sigmoid_rule_on_outputs),
        Mistake("that is f'(z) alone: multiply it by the upstream gradient dvalues",
                _swish_no_dvalues),
    )),
    "log_softmax_backward": Reference(log_softmax_backward, (
        Mistake("J = I − 1 sᵀ is not symmetric (unlike softmax's), so the backward pass needs Jᵀ d: "
                "the sum runs over dvalues, d − s · Σ d, not over s ⊙ d", _log_softmax_untransposed),
        Mistake("that is softmax's backward pass; log-softmax has its own Jacobian, "
                "∂ log s_i / ∂z_j = δ_ij − s_j", _log_softmax_as_softmax),
        Mistake("the sum Σ d runs over each sample's classes (axis=1), not over the batch",
                _log_softmax_batch_axis),
        Mistake("outputs are log-probabilities: the probabilities s are exp(outputs)",
                _log_softmax_no_exp),
    )),
    "label_smoothing_backward": Reference(label_smoothing_backward, (
        Mistake("the smoothing is missing: the targets are (1 − ε) · one_hot(y) + ε / C, not the "
                "one-hot labels", _smoothing_ignored),
        Mistake("the course's smoothing adds ε / C to every class, the true class included (not "
                "ε / (C − 1) to the others only)", _smoothing_other_classes),
        Mistake("ε is spread over the C classes: each gets ε / C, so that a row of targets still "
                "sums to 1", _smoothing_not_spread),
        Mistake("smoothing changes the targets, not the size of the gradient: (p̂ − t) / N, not "
                "(1 − ε)(p̂ − y) / N", _smoothing_scaled),
        Mistake("the gradient of the mean loss needs the 1/N factor", _smoothing_no_n),
        Mistake("the sign is flipped: the gradient is (p̂ − t) / N", _smoothing_sign),
    )),
    "two_layer_backward": Reference(two_layer_backward, (
        *_planted_mistakes(),
        Mistake("the gradient flows back through the weights transposed: da1 = dz2 @ W2.T",
                _with({"untransposed"})),
        Mistake("the hidden layer is tanh, not ReLU: its derivative is 1 − tanh²(z1) = 1 − a1², "
                "not a 0/1 gate", _with({"relu"})),
        Mistake("dz2 = (p̂ − y) / N: without the 1/N these are the gradients of the summed loss, "
                "not of the mean", _with({"sum loss"})),
    )),
}
