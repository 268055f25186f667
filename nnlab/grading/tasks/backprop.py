"""Exercise 03: the dense layer's backward pass (a warm-up); the backward passes of swish and
log-softmax and of cross-entropy with label smoothing, derived the way the course notebook
derives ReLU, softmax and the combined softmax/cross-entropy gradient; and a two-layer
network's backward pass with three bugs to find.

Only ``dense_backward`` has its reference here (nnlab's own). The other four are held out: their
references and mistakes are in the course repository's ``exercises/reference/backprop.py``.
``check`` tests them against a numerical gradient of a forward pass defined below, which needs
no answer.
"""

from __future__ import annotations

import numpy as np

from ... import activations, layers
from ..core import Case, Exercise, Mistake, Task, manual_task

# nnlab's classes that would backpropagate the two-layer network for the learner. Not the
# functions dense_backward or tanh_backward: the learner may call (and may have written) their
# own, and check() takes a global of the same name as a use of nnlab's.
NNLAB_BACKWARD = (
    "nnlab.layers.Dense.backward", "nnlab.activations.Tanh.backward",
    "nnlab.activations.Softmax.backward", "nnlab.losses.SoftmaxCrossEntropy.backward",
    "nnlab.model.Model._train_step",
)

# ---- the forward passes the checks differentiate numerically ----


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow


def _swish(z):
    return z * _sigmoid(z)


def _log_softmax(z):
    # log(softmax): fine for the logits here (|z| ≤ 45, no probability underflows to 0). A stable
    # log-softmax would be exercise 01's held-out answer, which this package must not hold.
    return np.log(activations.softmax(z))


def _smoothed_targets(y, n_classes, smoothing):
    return (1.0 - smoothing) * np.eye(n_classes)[y] + smoothing / n_classes


def _smoothed_loss(logits, y, smoothing):
    """Mean over samples of −Σ_k t_k log softmax(z)_k with the smoothed targets t."""
    t = _smoothed_targets(y, logits.shape[1], smoothing)
    return float(-np.mean(np.sum(t * _log_softmax(logits), axis=1)))


def _two_layer_loss(X, y, W1, b1, W2, b2):
    """Mean cross-entropy of softmax(tanh(X W1 + b1) W2 + b2)."""
    log_probs = _log_softmax(np.tanh(X @ W1 + b1) @ W2 + b2)
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


def _numerical_gradient(f, x, epsilon=1e-6):
    """Central differences of the scalar f at x (a copy is perturbed).   Shapes: like x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += epsilon
        minus.flat[i] -= epsilon
        grad.flat[i] = (f(plus) - f(minus)) / (2 * epsilon)
    return grad


def _disagrees(analytic, numeric, what):
    """None if a gradient matches its numerical estimate, else a message that says by how much."""
    if analytic.shape != numeric.shape:
        return f"{what} has shape {analytic.shape}, expected {numeric.shape}"
    scale = max(float(np.max(np.abs(numeric))), 1e-3)
    worst = float(np.max(np.abs(analytic - numeric)))
    if worst <= 1e-5 * scale + 1e-8:
        return None
    return (f"{what} disagrees with a numerical gradient of the forward pass (central "
            f"differences): the largest difference is {worst:.2g}")


def _one_output(got):
    return next(iter(got.values())) if len(got) == 1 else None


# ---- dense_backward (warm-up: the notebook's own function) ----

def _dense_cases(rng):
    cases = []
    for label, (n, n_in, n_out) in (
        ("4 samples, 3 inputs, 2 neurons", (4, 3, 2)),
        ("one sample, 2 inputs, 4 neurons", (1, 2, 4)),
        ("square weights (3, 3)", (5, 3, 3)),
    ):
        d, x, w = rng.normal(size=(n, n_out)), rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        cases.append(Case(label, lambda fn, d=d, x=x, w=w: fn(d.copy(), x.copy(), w.copy())))
    return cases


def _dense_mean(d, x, w):
    n = len(d)
    return d @ w.T, x.T @ d / n, d.sum(axis=0, keepdims=True) / n


def _dense_transposed(d, x, w):
    return d @ w, x.T @ d, d.sum(axis=0, keepdims=True)


def _dense_dweights_transposed(d, x, w):
    return d @ w.T, d.T @ x, d.sum(axis=0, keepdims=True)


def _dense_sign(d, x, w):
    return -(d @ w.T), -(x.T @ d), -d.sum(axis=0, keepdims=True)


# ---- swish_backward (held out) ----

def _swish_cases(rng):
    z1, d1 = 2 * rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    z2 = np.array([[0.0, -0.0, 1e-9, -2.5, 40.0, -40.0]])
    d2 = np.array([[1.0, -2.0, 3.0, 0.5, 2.0, 1.5]])
    z3, d3 = rng.normal(size=(3, 5)), -np.abs(rng.normal(size=(3, 5)))
    settings = [("a batch (4, 3)", z1, d1, False),
                ("inputs 0, 1e-9, −2.5 and ±40 (1, 6)", z2, d2, False),
                ("negative upstream gradients (3, 5)", z3, d3, False),
                ("a zero upstream gradient", z1, np.zeros_like(z1), True)]
    return [Case(label, lambda fn, z=z, d=d: fn(d.copy(), z.copy()),
                 data={"shape": z.shape, "inputs": z, "dvalues": d}, gate=gate)
            for label, z, d, gate in settings]


def _swish_gradient_check(case, got):
    """What needs no answer: dinputs is the gradient of Σ swish(z) · dvalues."""
    z, d = case.data["inputs"], case.data["dvalues"]
    dinputs = _one_output(got)
    if dinputs is None:
        return "return one array, dinputs, of the inputs' shape"
    if case.gate and np.any(dinputs != 0):
        return "no gradient arrives from above, so none can flow back: dinputs must be 0"
    return _disagrees(dinputs, _numerical_gradient(lambda v: float(np.sum(_swish(v) * d)), z),
                      "dinputs")


# ---- log_softmax_backward (held out) ----

def _log_softmax_cases(rng):
    cases = []
    z4 = np.array([[30.0, 0.0, -30.0], [-20.0, 25.0, 1.0]])
    y5 = rng.integers(0, 4, 6)
    for label, z, d, gate in (
        ("a batch (4, 3)", rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), False),
        ("one sample, 5 classes", 2 * rng.normal(size=(1, 5)), rng.normal(size=(1, 5)), False),
        ("the gradient of the mean negative log-likelihood, (6, 4)", rng.normal(size=(6, 4)),
         -np.eye(4)[y5] / 6, False),
        ("confident rows (logits ±30), (2, 3)", z4, rng.normal(size=(2, 3)), False),
        ("a zero upstream gradient", rng.normal(size=(3, 3)), np.zeros((3, 3)), True),
    ):
        out = _log_softmax(z)
        cases.append(Case(label, lambda fn, d=d, out=out: fn(d.copy(), out.copy()),
                          data={"shape": out.shape, "outputs": out, "dvalues": d}, gate=gate))
    return cases


def _log_softmax_check(case, got):
    """What needs no answer: every row of dinputs sums to 0 (adding a constant to a row of
    logits changes no log-probability), and dinputs is the gradient of Σ log_softmax(z) · d."""
    out, d = case.data["outputs"], case.data["dvalues"]
    dinputs = _one_output(got)
    if dinputs is None:
        return "return one array, dinputs, of the outputs' shape"
    if case.gate and np.any(dinputs != 0):
        return "no gradient arrives from above, so none can flow back: dinputs must be 0"
    if dinputs.shape == out.shape and np.any(np.abs(dinputs.sum(axis=1)) > 1e-9 * (1 + np.abs(d).sum())):
        return ("the rows of dinputs must sum to 0: adding the same number to every logit of a "
                "row leaves its log-probabilities unchanged")
    # log-probabilities are logits of themselves: log_softmax(outputs) = outputs
    return _disagrees(dinputs, _numerical_gradient(lambda v: float(np.sum(_log_softmax(v) * d)), out),
                      "dinputs")


# ---- label_smoothing_backward (held out) ----

def _smoothing_cases(rng):
    cases = []
    confident = np.array([[12.0, 0.0, -3.0], [0.0, 15.0, 1.0], [-2.0, 0.0, 11.0], [9.0, 9.5, -9.0]])
    for label, logits, smoothing, gate in (
        ("6 samples, 3 classes, ε = 0.1", rng.normal(size=(6, 3)), 0.1, False),
        ("5 samples, 4 classes, ε = 0.2", 2 * rng.normal(size=(5, 4)), 0.2, False),
        ("one sample, 10 classes, ε = 0.05", rng.normal(size=(1, 10)), 0.05, False),
        ("confident predictions, ε = 0.1", confident, 0.1, False),
        ("ε = 0 (no smoothing)", rng.normal(size=(4, 3)), 0.0, True),
    ):
        n, c = logits.shape
        probs = np.exp(_log_softmax(logits))
        y = rng.integers(0, c, n)
        cases.append(Case(label, lambda fn, p=probs, y=y, s=smoothing: fn(p.copy(), y.copy(), s),
                          data={"shape": probs.shape, "probs": probs, "y": y, "smoothing": smoothing},
                          gate=gate))
    return cases


def _smoothing_check(case, got):
    """What needs no answer: rows sum to 0 (probabilities and smoothed targets both sum to 1),
    and the result is the gradient of the smoothed loss w.r.t. the logits log(probs)."""
    p, y, smoothing = case.data["probs"], case.data["y"], case.data["smoothing"]
    dlogits = _one_output(got)
    if dlogits is None:
        return "return one array, the gradient w.r.t. the logits, of the shape of probs"
    if dlogits.shape == p.shape and np.any(np.abs(dlogits.sum(axis=1)) > 1e-9):
        return ("the rows of the gradient must sum to 0: the probabilities sum to 1, and so must "
                "each row of smoothed targets")
    return _disagrees(dlogits, _numerical_gradient(lambda z: _smoothed_loss(z, y, smoothing), np.log(p)),
                      "the gradient")


# ---- two_layer_backward (find the bug; held out) ----

TWO_LAYER_OUTPUTS = ("dW1", "db1", "dW2", "db2")


def _two_layer_cases(rng):
    cases = []
    for label, (n, n_in, hidden, c), zero_w2 in (
        ("5 samples, a 2-4-3 network", (5, 2, 4, 3), False),
        ("one sample, a 3-5-2 network", (1, 3, 5, 2), False),
        ("8 samples, a 3-3-3 network (square weights)", (8, 3, 3, 3), False),
        ("output weights W2 all 0: no gradient reaches the first layer", (6, 2, 4, 3), True),
    ):
        X, y = rng.normal(size=(n, n_in)), rng.integers(0, c, n)
        W1, b1 = rng.normal(size=(n_in, hidden)), 0.5 * rng.normal(size=(1, hidden))
        W2 = np.zeros((hidden, c)) if zero_w2 else rng.normal(size=(hidden, c))
        b2 = 0.5 * rng.normal(size=(1, c))
        args = (X, y, W1, b1, W2, b2)
        cases.append(Case(label, lambda fn, args=args: fn(*(a.copy() for a in args)),
                          data={"args": args}, gate=zero_w2))
    return cases


def _two_layer_check(case, got):
    """What needs no answer: each gradient has its parameter's shape and matches a numerical
    gradient of the network's mean cross-entropy."""
    X, y, W1, b1, W2, b2 = case.data["args"]
    params = [W1, b1, W2, b2]
    if sorted(got) != ["0", "1", "2", "3"]:
        return "return four arrays: (dW1, db1, dW2, db2)"
    for k, (name, param) in enumerate(zip(TWO_LAYER_OUTPUTS, params, strict=True)):
        if got[str(k)].shape != param.shape:
            return f"{name} has shape {got[str(k)].shape}; a gradient has its parameter's shape {param.shape}"
    if case.gate and (np.any(got["0"] != 0) or np.any(got["1"] != 0)):
        return "with W2 = 0 nothing flows back into the first layer: dW1 and db1 must be 0"
    for k, (name, param) in enumerate(zip(TWO_LAYER_OUTPUTS, params, strict=True)):
        def loss(value, k=k):
            changed = [value if j == k else p for j, p in enumerate(params)]
            return _two_layer_loss(X, y, *changed)
        msg = _disagrees(got[str(k)], _numerical_gradient(loss, param), name)
        if msg is not None:
            return msg
    return None


EXERCISE = Exercise(
    "03_backprop_derivation",
    "Backpropagation",
    (
        Task(
            "dense_backward", 3, layers.dense_backward, _dense_cases,
            output_names=("dinputs", "dweights", "dbiases"),
            mistakes=(
                Mistake("dweights and dbiases are divided by N: the upstream gradient dvalues is "
                        "already the gradient of the mean loss, so just sum", _dense_mean),
                Mistake("the weights must be transposed in dinputs = dvalues @ weights.T",
                        _dense_transposed),
                Mistake("dweights = inputs.T @ dvalues has the weights' shape (n_in, n_out); "
                        "dvalues.T @ inputs is its transpose", _dense_dweights_transposed),
                Mistake("every sign is flipped", _dense_sign),
            ),
            forbidden=("nnlab.layers.dense_backward", "nnlab.layers.Dense.backward"),
        ),
        Task("swish_backward", 2, None, _swish_cases, invariant=_swish_gradient_check),
        Task("log_softmax_backward", 2, None, _log_softmax_cases, invariant=_log_softmax_check),
        Task("label_smoothing_backward", 2, None, _smoothing_cases, invariant=_smoothing_check,
             forbidden=("nnlab.losses.softmax_cross_entropy_backward",
                        "nnlab.losses.SoftmaxCrossEntropy.backward")),
        Task("two_layer_backward", 3, None, _two_layer_cases, output_names=TWO_LAYER_OUTPUTS,
             separable=False, invariant=_two_layer_check, forbidden=NNLAB_BACKWARD),
        manual_task("answer_text_combined_gradient", 1),
    ),
)
