"""Exercise 06's answers: the ELU layer, the Huber loss, one training step and the reference run on
the spiral, with the wrong variants the grader recognises."""

from __future__ import annotations

import hashlib

import numpy as np

from nnlab import activations, layers, losses
from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.layers_and_training import LOW_ACCURACY, spiral_detect


def elu_layer(inputs, dvalues, alpha):
    """ELU forward and backward: (outputs, dinputs).

    forward  z if z > 0, else α(eᶻ − 1);   backward  dvalues · (1 if z > 0, else α eᶻ).
    """
    z = np.asarray(inputs, dtype=np.float64)
    negative = alpha * np.expm1(np.minimum(z, 0.0))  # exp only of values ≤ 0: no overflow
    outputs = np.where(z > 0, z, negative)
    dinputs = dvalues * np.where(z > 0, 1.0, negative + alpha)  # α eᶻ = output + α
    return outputs, dinputs


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


def huber_loss(y_pred, y_true, delta):
    """Huber loss, mean over all N·m outputs, and its gradient w.r.t. y_pred: (loss, dinputs).

    r = ŷ − y;  ½r² where |r| ≤ δ, else δ(|r| − ½δ);  ∂L/∂ŷ = clip(r, −δ, δ) / (N·m).
    """
    r = np.asarray(y_pred, float) - np.asarray(y_true, float)
    small = np.abs(r) <= delta
    loss = float(np.mean(np.where(small, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))))
    return loss, np.clip(r, -delta, delta) / r.size


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


def _spiral_zeros(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, init="zeros")


def _spiral_no_update(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, update=False)


def _spiral_unshuffled(X, y, X_val, *, epochs, rng):
    return _train(X, y, X_val, epochs, rng, shuffle=False)


REFERENCES = {
    "elu_layer": Reference(elu_layer, (
        Mistake("backward uses ELU's value α(eᶻ − 1) on the negative side; it needs the "
                "slope there", _elu_value_as_slope),
        Mistake("negative inputs still pass a (shrinking) gradient: ELU is not flat on the "
                "negative side", _elu_flat),
        Mistake("the negative side is α(eᶻ − 1), which meets the positive side at 0",
                _elu_no_minus_one),
        Mistake("at exactly 0 the course takes the negative side's slope (test inputs > 0, "
                "not >= 0)", _elu_at_zero),
        Mistake("the slope must multiply the upstream gradient dvalues", _elu_no_dvalues),
    )),
    "huber_loss": Reference(huber_loss, (
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
    )),
    "training_step": Reference(training_step, (
        Mistake("every gradient must be taken at the same parameters: W2 was updated before "
                "the gradient flowed back through it to W1", _step_w2_first),
        Mistake("return the loss of the parameters you were given (before the update), as "
                "fit records it", _step_loss_after),
        Mistake("the biases must be updated too", _step_no_biases),
        Mistake("gradient descent steps against the gradient: θ − α · ∂L/∂θ", _step_ascent),
        Mistake("the gradient of the mean loss has the factor 1/N", _step_no_n),
    )),
    "train_spiral": Reference(train_spiral, (
        Mistake("every validation point gets the same class: nothing was learned (weights "
                "that start at 0 keep every ReLU unit dead)", _spiral_zeros,
                spiral_detect("constant")),
        Mistake(LOW_ACCURACY, _spiral_no_update, spiral_detect("low")),
        Mistake(LOW_ACCURACY, _spiral_unshuffled, spiral_detect("low")),
    )),
}
