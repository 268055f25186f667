"""Exercise 06: the learner's own layer and loss classes, graded through small wrappers that call
forward and backward (a dense layer and softmax cross-entropy as warm-ups, then an ELU layer and a
Huber loss); one training step of a 2-layer network; and a whole training run on the spiral,
graded by the accuracy it reaches on validation points the grader keeps.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ... import activations, data, layers, losses
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

def elu_layer(inputs, dvalues, alpha):
    """ELU forward and backward: (outputs, dinputs).

    forward  z if z > 0, else α(eᶻ − 1);   backward  dvalues · (1 if z > 0, else α eᶻ).
    """
    z = np.asarray(inputs, dtype=np.float64)
    negative = alpha * np.expm1(np.minimum(z, 0.0))  # exp only of values ≤ 0: no overflow
    outputs = np.where(z > 0, z, negative)
    dinputs = dvalues * np.where(z > 0, 1.0, negative + alpha)  # α eᶻ = output + α
    return outputs, dinputs


def _elu_cases(rng):
    x1, d1 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x2 = np.array([[0.0, -0.0, 1e-9, -1e-9, -50.0, 50.0]])
    d2 = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    x3, d3 = 3 * rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    return [
        Case("a batch (4, 3), α = 1", lambda fn: fn(x1.copy(), d1.copy(), 1.0)),
        Case("inputs 0, ±1e-9 and ±50, α = 0.5", lambda fn: fn(x2.copy(), d2.copy(), 0.5)),
        Case("a batch (3, 5), α = 0.2", lambda fn: fn(x3.copy(), d3.copy(), 0.2)),
        Case("α = 0 (then ELU is ReLU)", lambda fn: fn(x1.copy(), d1.copy(), 0.0), gate=True),
    ]


def _elu_parts(x, alpha):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1)), alpha * np.exp(np.minimum(x, 0))


def _elu_value_as_slope(x, d, alpha):
    out, _ = _elu_parts(x, alpha)
    return out, d * np.where(x > 0, 1.0, out)


def _elu_flat(x, d, alpha):
    out, _ = _elu_parts(x, alpha)
    return out, d * (x > 0)


def _elu_no_minus_one(x, d, alpha):
    _, slope = _elu_parts(x, alpha)
    return np.where(x > 0, x, slope), d * np.where(x > 0, 1.0, slope)


def _elu_at_zero(x, d, alpha):
    out, slope = _elu_parts(x, alpha)
    return out, d * np.where(x >= 0, 1.0, slope)


def _elu_no_dvalues(x, d, alpha):
    out, slope = _elu_parts(x, alpha)
    return out, np.where(x > 0, 1.0, slope)


# ---- huber_loss ----

def huber_loss(y_pred, y_true, delta):
    """Huber loss, mean over all N·m outputs, and its gradient w.r.t. y_pred: (loss, dinputs).

    r = ŷ − y;  ½r² where |r| ≤ δ, else δ(|r| − ½δ);  ∂L/∂ŷ = clip(r, −δ, δ) / (N·m).
    """
    r = np.asarray(y_pred, float) - np.asarray(y_true, float)
    small = np.abs(r) <= delta
    loss = float(np.mean(np.where(small, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))))
    return loss, np.clip(r, -delta, delta) / r.size


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


def _huber_r(p, t):
    return np.asarray(p, float) - np.asarray(t, float)


def _huber_no_nm(p, t, delta):
    loss, grad = huber_loss(p, t, delta)
    return loss, grad * grad.size


def _huber_only_n(p, t, delta):
    loss, grad = huber_loss(p, t, delta)
    return loss, grad * grad.shape[1]


def _huber_no_half_delta(p, t, delta):
    r = _huber_r(p, t)
    loss = float(np.mean(np.where(np.abs(r) <= delta, 0.5 * r**2, delta * np.abs(r))))
    return loss, huber_loss(p, t, delta)[1]


def _huber_no_half(p, t, delta):
    r = _huber_r(p, t)
    small = np.abs(r) <= delta
    loss = float(np.mean(np.where(small, r**2, delta * (np.abs(r) - 0.5 * delta))))
    return loss, np.where(small, 2 * r, delta * np.sign(r)) / r.size


def _huber_no_sign(p, t, delta):
    r = _huber_r(p, t)
    return huber_loss(p, t, delta)[0], np.where(np.abs(r) <= delta, r, delta) / r.size


def _huber_sign(p, t, delta):
    loss, grad = huber_loss(p, t, delta)
    return loss, -grad


# ---- training_step ----

def _net(X, y, W1, b1, W2, b2):
    """Loss and gradients of Dense → ReLU → Dense with softmax cross-entropy."""
    z1 = layers.dense_forward(X, W1, b1)
    a1 = activations.relu(z1)
    probs = activations.softmax(layers.dense_forward(a1, W2, b2))
    loss = losses.categorical_cross_entropy(probs, y)
    dz2 = losses.softmax_cross_entropy_backward(probs, y)
    da1, dW2, db2 = layers.dense_backward(dz2, a1, W2)
    _, dW1, db1 = layers.dense_backward(activations.relu_backward(da1, z1), X, W1)
    return loss, (dW1, db1, dW2, db2)


def training_step(X, y, W1, b1, W2, b2, learning_rate):
    """One full-batch gradient-descent step: (loss before the step, W1, b1, W2, b2 after it)."""
    loss, grads = _net(X, y, W1, b1, W2, b2)
    new = [p - learning_rate * g for p, g in zip((W1, b1, W2, b2), grads, strict=True)]
    return (loss, *new)


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


def _step_w2_first(X, y, W1, b1, W2, b2, learning_rate):
    # The output layer is updated before its dinputs is computed: dW1 sees the new W2.
    z1 = X @ W1 + b1
    a1 = np.maximum(0, z1)
    probs = activations.softmax(a1 @ W2 + b2)
    loss = losses.categorical_cross_entropy(probs, y)
    dz2 = losses.softmax_cross_entropy_backward(probs, y)
    W2_new, b2_new = W2 - learning_rate * a1.T @ dz2, b2 - learning_rate * dz2.sum(axis=0, keepdims=True)
    dz1 = (dz2 @ W2_new.T) * (z1 > 0)
    return (loss, W1 - learning_rate * X.T @ dz1, b1 - learning_rate * dz1.sum(axis=0, keepdims=True),
            W2_new, b2_new)


def _step_loss_after(X, y, W1, b1, W2, b2, learning_rate):
    _, *new = training_step(X, y, W1, b1, W2, b2, learning_rate)
    return (_net(X, y, *new)[0], *new)


def _step_no_biases(X, y, W1, b1, W2, b2, learning_rate):
    loss, W1n, _, W2n, _ = training_step(X, y, W1, b1, W2, b2, learning_rate)
    return loss, W1n, b1.copy(), W2n, b2.copy()


def _step_ascent(X, y, W1, b1, W2, b2, learning_rate):
    return training_step(X, y, W1, b1, W2, b2, -learning_rate)


def _step_no_n(X, y, W1, b1, W2, b2, learning_rate):
    return training_step(X, y, W1, b1, W2, b2, learning_rate * len(X))


# ---- train_spiral (integrative, graded by validation accuracy) ----

THRESHOLD = 0.6  # the reference: 0.69 or more on 45 runs (mean 0.82); a linear model about 0.4
EPOCHS = 1000


def _train(X, y, X_val, epochs, rng, *, sizes=(2, 64, 64, 3), learning_rate=0.5, batch_size=32,
           init="he", update=True, shuffle=True):
    """A ReLU network of the given layer sizes, softmax cross-entropy, plain SGD on mini-batches
    of a fresh shuffle every epoch -> the predicted labels of X_val."""
    shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
    if init == "he":
        weights = [layers.init_he(n_in, n_out, rng) for n_in, n_out in shapes]
    else:  # "zeros"
        weights = [np.zeros(shape) for shape in shapes]
    biases = [np.zeros((1, n_out)) for _, n_out in shapes]
    n = len(X)
    for _ in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            inputs, pre = [X[idx]], []
            for k, (W, b) in enumerate(zip(weights, biases, strict=True)):
                pre.append(inputs[-1] @ W + b)
                if k < len(weights) - 1:
                    inputs.append(np.maximum(pre[-1], 0.0))
            dvalues = losses.softmax_cross_entropy_backward(activations.softmax(pre[-1]), y[idx])
            for k in reversed(range(len(weights))):
                dW, db = inputs[k].T @ dvalues, dvalues.sum(axis=0, keepdims=True)
                if k > 0:
                    dvalues = (dvalues @ weights[k].T) * (pre[k - 1] > 0)
                if update:
                    weights[k] -= learning_rate * dW
                    biases[k] -= learning_rate * db
    out = X_val
    for k, (W, b) in enumerate(zip(weights, biases, strict=True)):
        out = out @ W + b if k == len(weights) - 1 else np.maximum(out @ W + b, 0.0)
    return np.argmax(out, axis=1)


_CACHE: dict = {}


def train_spiral(X, y, X_val, *, epochs, rng):
    """The reference run (cached: the comparison only needs the labels in Case.data)."""
    key = hashlib.sha256(X.tobytes() + y.tobytes() + X_val.tobytes() + repr(
        (epochs, rng.bit_generator.state)).encode()).hexdigest()
    if key not in _CACHE:
        _CACHE[key] = _train(X, y, X_val, epochs, rng)
    return _CACHE[key]


def _spiral_cases(rng):
    cases = []
    for k in range(3):
        data_rng = np.random.default_rng(int(rng.integers(2**31)))
        X, y = data.spiral_data(100, 3, rng=data_rng)          # (300, 2), sorted by class
        X_val, y_val = data.spiral_data(80, 3, rng=data_rng)   # (240, 2)
        seed = int(rng.integers(2**31))
        cases.append(Case(f"spiral {k + 1} (300 training, 240 validation points)",
                          lambda fn, X=X, y=y, X_val=X_val, seed=seed:
                          fn(X.copy(), y.copy(), X_val.copy(), epochs=EPOCHS,
                             rng=np.random.default_rng(seed)),
                          data={"y_val": y_val}))
    return cases


def _labels(case, got):
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


def _accuracy(case, got):
    pred = _labels(case, got)
    return pred if isinstance(pred, str) else (pred, float(np.mean(pred == case.data["y_val"])))


def _compare_spiral(case, got, expected):
    res = _accuracy(case, got)
    if isinstance(res, str):
        return res
    _, acc = res
    if acc < THRESHOLD:
        return f"validation accuracy {acc:.0%}, needs at least {THRESHOLD:.0%}"
    return None


def _spiral_detect(kind):
    def detect(case, got):
        res = _accuracy(case, got)
        if isinstance(res, str):
            return False
        pred, acc = res
        constant = len(np.unique(pred)) == 1
        return constant if kind == "constant" else acc < THRESHOLD
    return detect


# Below the threshold, a network that never changed and one trained on unshuffled batches look
# alike (both near chance on some spirals): one hint names both, and both are proven to score 0.
LOW_ACCURACY = ("the network learned too little in the epoch budget: do the updates change the "
                "layers' own arrays (in place, against the gradient)? The spiral is sorted by "
                "class: are the mini-batches shuffled every epoch? A full batch takes only one "
                "step per epoch")


def _spiral_zeros(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, init="zeros")


def _spiral_no_update(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, update=False)


def _spiral_unshuffled(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, shuffle=False)


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
        Task(
            "elu_layer", 2, elu_layer, _elu_cases, output_names=("outputs", "dinputs"),
            mistakes=(
                Mistake("backward uses ELU's value α(eᶻ − 1) on the negative side; it needs the "
                        "slope there", _elu_value_as_slope),
                Mistake("negative inputs still pass a (shrinking) gradient: ELU is not flat on the "
                        "negative side", _elu_flat),
                Mistake("the negative side is α(eᶻ − 1), which meets the positive side at 0",
                        _elu_no_minus_one),
                Mistake("at exactly 0 the course takes the negative side's slope (test inputs > 0, "
                        "not >= 0)", _elu_at_zero),
                Mistake("the slope must multiply the upstream gradient dvalues", _elu_no_dvalues),
            ),
        ),
        Task(
            "huber_loss", 2, huber_loss, _huber_cases, output_names=("loss", "dinputs"),
            mistakes=(
                Mistake("the loss is a mean over all N·m outputs, so its gradient has the factor "
                        "1/(N·m)", _huber_no_nm),
                Mistake("the mean runs over the m outputs too: divide the gradient by N·m, not N",
                        _huber_only_n),
                Mistake("the linear piece must meet the quadratic one at |r| = δ: δ|r| alone jumps "
                        "there", _huber_no_half_delta),
                Mistake("Huber's quadratic piece is ½r², the MSE's term halved", _huber_no_half),
                Mistake("beyond δ the slope of δ|r| is δ · sign(r): negative residuals pull the "
                        "other way", _huber_no_sign),
                Mistake("the sign is flipped: differentiate with respect to y_pred (r = ŷ − y)",
                        _huber_sign),
            ),
        ),
        Task(
            "training_step", 2, training_step, _step_cases,
            output_names=("loss", "W1", "b1", "W2", "b2"),
            mistakes=(
                Mistake("every gradient must be taken at the same parameters: W2 was updated before "
                        "the gradient flowed back through it to W1", _step_w2_first),
                Mistake("return the loss of the parameters you were given (before the update), as "
                        "fit records it", _step_loss_after),
                Mistake("the biases must be updated too", _step_no_biases),
                Mistake("gradient descent steps against the gradient: θ − α · ∂L/∂θ", _step_ascent),
                Mistake("the gradient of the mean loss has the factor 1/N", _step_no_n),
            ),
            forbidden=NNLAB_TRAINING,
        ),
        Task(
            "train_spiral", 3, train_spiral, _spiral_cases, compare=_compare_spiral, timeout=30.0,
            mistakes=(
                Mistake("every validation point gets the same class: nothing was learned (weights "
                        "that start at 0 keep every ReLU unit dead)", _spiral_zeros,
                        _spiral_detect("constant")),
                Mistake(LOW_ACCURACY, _spiral_no_update, _spiral_detect("low")),
                Mistake(LOW_ACCURACY, _spiral_unshuffled, _spiral_detect("low")),
            ),
            forbidden=NNLAB_TRAINING,
        ),
        manual_task("answer_text_minibatch", 1),
    ),
)
