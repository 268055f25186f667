"""Exercise 06: the learner's own layer and loss classes, graded through small wrappers that call
forward and backward (a dense layer and softmax cross-entropy as warm-ups, then an ELU layer and a
Huber loss); one training step of a 2-layer network; and a whole training run on the spiral,
graded by the accuracy it reaches on validation points the grader keeps.
"""

from __future__ import annotations

import numpy as np

from ... import data, layers, losses
from ..core import Case, Exercise, Mistake, Task, manual_task

# nnlab's classes and functions of notebooks 01-06: the integrative tasks train with the
# learner's own code (a call to any of these while a graded function runs scores 0).
NNLAB_TRAINING = (
    "nnlab.layers.Dense.forward", "nnlab.layers.Dense.backward",
    "nnlab.layers.dense_forward", "nnlab.layers.dense_backward",
    "nnlab.activations.ReLU.forward", "nnlab.activations.ReLU.backward",
    "nnlab.activations.Sigmoid.forward", "nnlab.activations.Sigmoid.backward",
    "nnlab.activations.Tanh.forward", "nnlab.activations.Tanh.backward",
    "nnlab.activations.Softmax.forward", "nnlab.activations.Softmax.backward",
    "nnlab.activations.relu", "nnlab.activations.relu_backward", "nnlab.activations.softmax",
    "nnlab.losses.SoftmaxCrossEntropy.output", "nnlab.losses.SoftmaxCrossEntropy.loss",
    "nnlab.losses.SoftmaxCrossEntropy.backward", "nnlab.losses.categorical_cross_entropy",
    "nnlab.losses.softmax_cross_entropy_backward",
    "nnlab.optimizers.Optimizer.step", "nnlab.optimizers.SGD.update", "nnlab.optimizers.sgd_update",
    "nnlab.model.Model.fit", "nnlab.model.Model.predict", "nnlab.model.Model._train_step",
    "nnlab.validation.iterate_minibatches",
)

# ---- dense_layer (warm-up) ----


def dense_layer(inputs, weights, biases, dvalues):
    """A dense layer's forward and backward pass: (outputs, dinputs, dweights, dbiases)."""
    outputs = layers.dense_forward(inputs, weights, biases)
    dinputs, dweights, dbiases = layers.dense_backward(dvalues, inputs, weights)
    return outputs, dinputs, dweights, dbiases


def _dense_cases(rng):
    cases = []
    for label, (n, n_in, n_out) in (("5 samples, 2 inputs, 4 neurons", (5, 2, 4)),
                                    ("one sample, 3 inputs, 2 neurons", (1, 3, 2)),
                                    ("square weights (3, 3)", (4, 3, 3))):
        x, w = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        b, d = rng.normal(size=(1, n_out)), rng.normal(size=(n, n_out))
        cases.append(Case(label, lambda fn, x=x, w=w, b=b, d=d: fn(x.copy(), w.copy(), b.copy(), d.copy())))
    return cases


def _dense_no_bias(x, w, b, d):
    return (x @ w, *dense_layer(x, w, b, d)[1:])


def _dense_mean(x, w, b, d):
    out, dx, dw, db = dense_layer(x, w, b, d)
    return out, dx, dw / len(x), db / len(x)


def _dense_untransposed(x, w, b, d):
    out, _, dw, db = dense_layer(x, w, b, d)
    return out, d @ w, dw, db


def _dense_dweights_transposed(x, w, b, d):
    out, dx, dw, db = dense_layer(x, w, b, d)
    return out, dx, d.T @ x, db


# ---- softmax_ce_layer (warm-up) ----

def softmax_ce_layer(logits, y):
    """Softmax + cross-entropy as one object: (mean loss, gradient w.r.t. the logits)."""
    loss = losses.SoftmaxCrossEntropy()
    targets = loss.prepare_targets(y, logits.shape[1])
    probs = loss.output(logits)
    return loss.loss(probs, targets), loss.backward(probs, targets)


def _sce_cases(rng):
    z1, y1 = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    z2, y2 = rng.normal(size=(5, 4)), np.eye(4)[rng.integers(0, 4, 5)]
    z3, y3 = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0], [2.0, 1.0, 0.0]]), np.array([0, 0, 2])
    return [
        Case("integer labels, 6 samples", lambda fn: fn(z1.copy(), y1.copy())),
        Case("one-hot labels, 5 samples, 4 classes", lambda fn: fn(z2.copy(), y2.copy())),
        Case("logits of ±1000, one confidently wrong", lambda fn: fn(z3.copy(), y3.copy())),
    ]


def _sce_parts(z, y, *, clip=True, shift=True):
    z = np.asarray(z, float)
    y = np.asarray(y)
    idx = y.argmax(axis=1) if y.ndim == 2 else y
    e = np.exp(z - z.max(axis=1, keepdims=True)) if shift else np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    correct = p[np.arange(len(idx)), idx]
    loss = float(-np.mean(np.log(np.clip(correct, 1e-7, 1 - 1e-7) if clip else correct)))
    grad = p.copy()
    grad[np.arange(len(idx)), idx] -= 1
    return loss, grad / len(idx)


def _sce_no_n(z, y):
    loss, grad = _sce_parts(z, y)
    return loss, grad * len(grad)


def _sce_sum(z, y):
    loss, grad = _sce_parts(z, y)
    return loss * len(grad), grad


def _sce_sign(z, y):
    loss, grad = _sce_parts(z, y)
    return loss, -grad


# ---- elu_layer ----

def _elu_cases(rng):
    x1, d1 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x2 = np.array([[0.0, -0.0, 1e-9, -1e-9, -50.0, 50.0]])
    d2 = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    x3, d3 = 3 * rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    settings = [("a batch (4, 3), α = 1", x1, d1, 1.0), ("inputs 0, ±1e-9 and ±50, α = 0.5", x2, d2, 0.5),
                ("a batch (3, 5), α = 0.2", x3, d3, 0.2), ("α = 0 (then ELU is ReLU)", x1, d1, 0.0)]
    return [Case(label, lambda fn, x=x, d=d, a=a: fn(x.copy(), d.copy(), a),
                 data={"x": x, "d": d, "alpha": a}, gate=a == 0.0) for label, x, d, a in settings]


def _elu_identity_for_positive(case, got):
    """What needs no answer: ELU is the identity for z > 0 and lies in (−α, 0] below."""
    x, d, alpha = case.data["x"], case.data["d"], case.data["alpha"]
    out, dx = got.get("0"), got.get("1")
    if out is None or dx is None or out.shape != x.shape or dx.shape != x.shape:
        return f"return (outputs, dinputs), both of the inputs' shape {x.shape}"
    pos = x > 0
    if not (np.allclose(out[pos], x[pos]) and np.allclose(dx[pos], d[pos])):
        return "for z > 0 ELU is the identity: outputs = inputs and dinputs = dvalues there"
    if np.any(out[~pos] > 0) or np.any(out[~pos] < -alpha - 1e-12):
        return "for z ≤ 0 ELU's outputs lie between −α and 0"
    return None


# ---- huber_loss ----

def _huber_cases(rng):
    p1 = rng.normal(size=(8, 1))
    t1 = p1 + rng.normal(scale=1.5, size=(8, 1))
    p2, t2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    p3 = rng.normal(size=(4, 2))
    t3 = p3 + np.array([[3.0, -4.0], [5.0, -6.0], [2.5, -3.5], [10.0, -10.0]])
    return [
        Case("8 samples, 1 output, δ = 1", lambda fn: fn(p1.copy(), t1.copy(), 1.0)),
        Case("5 samples, 3 outputs, δ = 0.5", lambda fn: fn(p2.copy(), t2.copy(), 0.5)),
        Case("every residual beyond δ = 1", lambda fn: fn(p3.copy(), t3.copy(), 1.0)),
        Case("perfect predictions", lambda fn: fn(p2.copy(), p2.copy(), 1.0), gate=True),
    ]


def _huber_zero_when_perfect(case, got):
    if case.gate and any(np.any(v != 0) for v in got.values()):
        return "perfect predictions have loss 0 and gradient 0"
    if "0" in got and np.any(got["0"] < 0):
        return "a loss is never negative"
    return None


# ---- training_step ----

def _step_cases(rng):
    cases = []
    for label, (n, n_in, hidden, c, lr) in (("6 samples, 2-4-3 network, rate 0.5", (6, 2, 4, 3, 0.5)),
                                            ("one sample, 3-5-2 network, rate 1", (1, 3, 5, 2, 1.0)),
                                            ("10 samples, 3-3-4 network, rate 0.1", (10, 3, 3, 4, 0.1)),
                                            ("learning rate 0", (6, 2, 4, 3, 0.0))):
        X, y = rng.normal(size=(n, n_in)), rng.integers(0, c, n)
        params = [rng.normal(size=(n_in, hidden)), 0.1 * rng.normal(size=(1, hidden)),
                  rng.normal(size=(hidden, c)), 0.1 * rng.normal(size=(1, c))]
        cases.append(Case(label, lambda fn, X=X, y=y, p=params, lr=lr:
                          fn(X.copy(), y.copy(), *(a.copy() for a in p), lr), gate=lr == 0.0))
    return cases


def _positive_loss(case, got):
    return "the cross-entropy of a softmax is positive" if np.any(got.get("0", 1.0) <= 0) else None


# ---- train_spiral (integrative, graded by validation accuracy) ----

THRESHOLD = 0.6  # the reference: 0.69 or more on 45 runs (mean 0.82); a linear model about 0.4
EPOCHS = 1000


def spiral_cases(rng, **budget):
    """Three fresh spirals: 300 training points (sorted by class) and 240 validation points whose
    labels only the grader keeps; the budget (epochs=… or steps=…) is passed by keyword."""
    cases = []
    for k in range(3):
        data_rng = np.random.default_rng(int(rng.integers(2**31)))
        X, y = data.spiral_data(100, 3, rng=data_rng)          # (300, 2), sorted by class
        X_val, y_val = data.spiral_data(80, 3, rng=data_rng)   # (240, 2)
        seed = int(rng.integers(2**31))
        spent = ", ".join(f"{value} {name}" for name, value in budget.items())
        cases.append(Case(f"spiral {k + 1} (300 training, 240 validation points, {spent})",
                          lambda fn, X=X, y=y, X_val=X_val, seed=seed:
                          fn(X.copy(), y.copy(), X_val.copy(), **budget,
                             rng=np.random.default_rng(seed)),
                          data={"y_val": y_val, "shape": y_val.shape}))
    return cases


def _spiral_cases(rng):
    return spiral_cases(rng, epochs=EPOCHS)


def spiral_labels(case, got):
    """The predicted labels, or a message saying what is wrong with the output."""
    n = len(case.data["y_val"])
    if len(got) != 1:
        return f"return one array: the predicted class of each of the {n} validation points"
    pred = next(iter(got.values()))
    if pred.shape == (n, 3):
        return f"return class labels, shape ({n},), not the probabilities: the argmax of each row"
    if pred.shape != (n,):
        return (f"predictions have shape {pred.shape}, expected ({n},): one label per validation "
                "point (X_val, not X)")
    if not np.all(np.isin(pred, [0, 1, 2])):
        return "labels are the classes 0, 1 or 2"
    return pred.astype(np.int64)


def spiral_accuracy(case, got):
    """(labels, validation accuracy), or a message saying what is wrong with the output."""
    pred = spiral_labels(case, got)
    return pred if isinstance(pred, str) else (pred, float(np.mean(pred == case.data["y_val"])))


def accuracy_at_least(threshold):
    """A comparator: the predicted labels reach ``threshold`` validation accuracy."""
    def compare(case, got, expected=None):
        res = spiral_accuracy(case, got)
        if isinstance(res, str):
            return res
        _, acc = res
        if acc < threshold:
            return f"validation accuracy {acc:.0%}, needs at least {threshold:.0%}"
        return None
    return compare


_compare_spiral = accuracy_at_least(THRESHOLD)


def spiral_detect(kind, threshold=THRESHOLD):
    """A mistake's detector: every label the same ("constant"), or below the threshold ("low")."""
    def detect(case, got):
        res = spiral_accuracy(case, got)
        if isinstance(res, str):
            return False
        pred, acc = res
        constant = len(np.unique(pred)) == 1
        return constant if kind == "constant" else acc < threshold
    return detect


# Below the threshold, a network that never changed and one trained on unshuffled batches look
# alike (both near chance on some spirals): one hint names both, and both are proven to score 0.
LOW_ACCURACY = ("the network learned too little in the epoch budget: do the updates change the "
                "layers' own arrays (in place, against the gradient)? The spiral is sorted by "
                "class: are the mini-batches shuffled every epoch? A full batch takes only one "
                "step per epoch")


EXERCISE = Exercise(
    "06_layers_and_training",
    "Layers, losses and the training loop",
    (
        Task(
            "dense_layer", 1, dense_layer, _dense_cases,
            output_names=("outputs", "dinputs", "dweights", "dbiases"),
            mistakes=(
                Mistake("the forward pass adds the biases: inputs @ weights + biases", _dense_no_bias),
                Mistake("dweights and dbiases are divided by N: dvalues is already the gradient of "
                        "the mean loss, so just sum", _dense_mean),
                Mistake("dinputs goes back through the transposed weights", _dense_untransposed),
                Mistake("dweights has the weights' shape (n_in, n_out): inputs.T @ dvalues",
                        _dense_dweights_transposed),
            ),
            forbidden=("nnlab.layers.Dense.forward", "nnlab.layers.Dense.backward",
                       "nnlab.layers.dense_forward", "nnlab.layers.dense_backward"),
        ),
        Task(
            "softmax_ce_layer", 1, softmax_ce_layer, _sce_cases, output_names=("loss", "dlogits"),
            mistakes=(
                Mistake("the gradient of the mean loss needs the 1/N factor", _sce_no_n),
                Mistake("the loss is the mean over the samples, not the sum", _sce_sum),
                Mistake("the sign is flipped: the gradient points from y towards p̂", _sce_sign),
                Mistake("a probability of 0 gives log(0): clip p̂ to [1e-7, 1 − 1e-7] before the log",
                        lambda z, y: _sce_parts(z, y, clip=False)),
                Mistake("softmax without subtracting each row's maximum overflows for large logits",
                        lambda z, y: _sce_parts(z, y, shift=False)),
            ),
            forbidden=("nnlab.losses.SoftmaxCrossEntropy.output", "nnlab.losses.SoftmaxCrossEntropy.loss",
                       "nnlab.losses.SoftmaxCrossEntropy.backward", "nnlab.activations.softmax",
                       "nnlab.losses.categorical_cross_entropy",
                       "nnlab.losses.softmax_cross_entropy_backward"),
        ),
        Task("elu_layer", 2, None, _elu_cases, output_names=("outputs", "dinputs"),
             invariant=_elu_identity_for_positive),
        Task("huber_loss", 2, None, _huber_cases, output_names=("loss", "dinputs"),
             invariant=_huber_zero_when_perfect),
        Task("training_step", 2, None, _step_cases, output_names=("loss", "W1", "b1", "W2", "b2"),
             invariant=_positive_loss, forbidden=NNLAB_TRAINING),
        Task("train_spiral", 3, None, _spiral_cases, compare=_compare_spiral, timeout=30.0,
             invariant=_compare_spiral, forbidden=NNLAB_TRAINING),
        manual_task("answer_text_minibatch", 1),
    ),
)
