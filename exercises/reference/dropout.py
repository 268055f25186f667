"""Exercise 10's answers: the scale for a student's rate, classic dropout folded into the next
layer, DropConnect, Monte-Carlo dropout and the reference training run, with the wrong variants
the grader recognises."""

from __future__ import annotations

import hashlib

import numpy as np

from nnlab.grading.core import Mistake, Reference
from nnlab.grading.tasks.dropout import NEVER_ON, NOT_RANDOM_AT_INFERENCE, THRESHOLD, run_problem

# ---- answer_scale ----

REFERENCE_SCALE = Reference(lambda n: 1 / (1 - n["rate"]), (
    Mistake("that is the fraction kept, 1 − rate: the kept units are divided by it",
            lambda n: 1 - n["rate"]),
    Mistake("rate is the fraction dropped: the units kept are a fraction 1 − rate, and they are "
            "divided by that", lambda n: 1 / n["rate"]),
    Mistake("that is the rate itself: the kept units are divided by the fraction kept, 1 − rate",
            lambda n: n["rate"]),
))


# ---- classic_to_inverted ----

def classic_to_inverted(weights, biases, rate):
    """Classic dropout multiplies its layer's outputs by (1 − rate) at inference; that factor
    moves into the next layer's weights (h·(1 − r)) @ W + b = h @ (W·(1 − r)) + b. The biases
    read no dropped unit: they stay."""
    return weights * (1 - rate), biases.copy()


def _fold(weight_factor, bias_factor=lambda r: 1.0):
    return lambda w, b, rate: (w * weight_factor(rate), b * bias_factor(rate))


# ---- dropconnect_layer ----

def dropconnect_layer(inputs, weights, biases, mask, dvalues):
    """A dense layer whose weights are dropped: W̃ = W ⊙ mask (mask 0 or 1/(1 − rate)).

    outputs = X W̃ + b;  dinputs = G W̃ᵀ;  dweights = (Xᵀ G) ⊙ mask;  dbiases = Σₙ G.
    """
    used = weights * mask                                   # (n_in, n_out)
    outputs = inputs @ used + biases                        # (N, n_out)
    dinputs = dvalues @ used.T                              # (N, n_in)
    dweights = (inputs.T @ dvalues) * mask                  # (n_in, n_out)
    dbiases = dvalues.sum(axis=0, keepdims=True)            # (1, n_out)
    return outputs, dinputs, dweights, dbiases


def _dropconnect(*, forward_mask=True, back_mask="mask", weight_mask="mask"):
    def wrong(inputs, weights, biases, mask, dvalues):
        used = weights * mask
        outputs = inputs @ (used if forward_mask else weights) + biases
        back = {"mask": used, "kept": weights * (mask > 0), "none": weights}[back_mask]
        dinputs = dvalues @ back.T
        factor = {"mask": mask, "kept": (mask > 0).astype(float), "none": 1.0}[weight_mask]
        return outputs, dinputs, (inputs.T @ dvalues) * factor, dvalues.sum(axis=0, keepdims=True)
    return wrong


# ---- mc_dropout_predict ----

def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mc(X, W1, b1, W2, b2, rate, passes, rng, *, on=True, new_mask=True, scale=True,
        keep_of=lambda r: 1 - r, average="probs", kept_above=False):
    hidden = np.maximum(X @ W1 + b1, 0.0)                   # (N, h): the same in every pass
    keep = 1 - rate
    mask, outputs = None, []
    for _ in range(passes):
        if mask is None or new_mask:
            draw = rng.random(hidden.shape)
            kept = draw >= rate if kept_above else draw < keep_of(rate)
            mask = kept / (keep if scale else 1.0)
        logits = (hidden * mask if on else hidden) @ W2 + b2
        outputs.append(logits if average == "logits" else _softmax(logits))
    if average == "logits":
        return _softmax(np.mean(outputs, axis=0))
    return np.sum(outputs, axis=0) if average == "sum" else np.mean(outputs, axis=0)


def mc_dropout_predict(X, W1, b1, W2, b2, *, rate, passes, rng):
    """The mean of ``passes`` softmax outputs of Dense → ReLU → dropout → Dense, each pass with
    its own mask ``rng.random((N, h)) < 1 − rate`` (scaled by 1/(1 − rate)).   Shape: (N, C)."""
    return _mc(X, W1, b1, W2, b2, rate, passes, rng)


def _mc_wrong(**how):
    return lambda X, W1, b1, W2, b2, *, rate, passes, rng: _mc(X, W1, b1, W2, b2, rate, passes,
                                                              rng, **how)


# ---- train_with_dropout ----

def _train(X, y, X_val, rate, epochs, rng, *, sizes=(2, 64, 64, 3), learning_rate=0.5,
           batch_size=32, train_dropout=True, predict_dropout=False, update=True):
    """A ReLU network with inverted dropout after each hidden layer, softmax cross-entropy, plain
    SGD on mini-batches of a fresh shuffle every epoch -> the probabilities of X_val (n_val, C)."""
    shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
    weights = [rng.standard_normal(shape) * np.sqrt(2 / shape[0]) for shape in shapes]  # He
    biases = [np.zeros((1, n_out)) for _, n_out in shapes]
    keep, last = 1 - rate, len(weights) - 1

    def forward(inputs, training):
        acts, pre, masks = [inputs], [], []
        for k, (W, b) in enumerate(zip(weights, biases, strict=True)):
            pre.append(acts[-1] @ W + b)
            if k < last:
                mask = np.ones_like(pre[-1])
                if rate > 0 and training:
                    mask = (rng.random(pre[-1].shape) < keep) / keep
                masks.append(mask)
                acts.append(np.maximum(pre[-1], 0.0) * mask)
        return acts, pre, masks

    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            acts, pre, masks = forward(X[idx], train_dropout)
            dvalues = _softmax(pre[-1])
            dvalues[np.arange(len(idx)), y[idx]] -= 1.0
            dvalues /= len(idx)
            for k in reversed(range(len(weights))):
                dW, db = acts[k].T @ dvalues, dvalues.sum(axis=0, keepdims=True)
                if k > 0:
                    dvalues = (dvalues @ weights[k].T) * masks[k - 1] * (pre[k - 1] > 0)
                if update:
                    weights[k] -= learning_rate * dW
                    biases[k] -= learning_rate * db
    return _softmax(forward(X_val, predict_dropout)[1][-1])


_CACHE: dict = {}


def train_with_dropout(X, y, X_val, *, rate, epochs, rng):
    """The reference run (cached: the comparison looks only at accuracy and consistency)."""
    key = hashlib.sha256(X.tobytes() + y.tobytes() + X_val.tobytes() + repr(
        (rate, epochs, rng.bit_generator.state)).encode()).hexdigest()
    if key not in _CACHE:
        _CACHE[key] = _train(X, y, X_val, rate, epochs, rng)
    return _CACHE[key]


def _train_wrong(**how):
    return lambda X, y, X_val, *, rate, epochs, rng: _train(X, y, X_val, rate, epochs, rng, **how)


def _says(message):
    """A detector: the run's problem is ``message`` (None where this case cannot tell)."""
    def detect(case, got):
        problem = run_problem(case, got)
        if message == NEVER_ON and "no_dropout" not in case.data["runs"]:
            return None
        return problem == message
    return detect


def _low(case, got):
    problem = run_problem(case, got)
    return problem is not None and problem.startswith("validation accuracy")


LEARNED_TOO_LITTLE = (
    "the network learned too little in the epoch budget: are the layers' own weights updated, "
    "against the gradient, after every mini-batch? Are the gradients of dropped units 0 (the "
    "same mask in backward)? Plain SGD needs mini-batches (many steps per epoch) and a learning "
    f"rate around 0.5 to reach {THRESHOLD:.0%}")

REFERENCES = {
    "answer_scale": REFERENCE_SCALE,
    "classic_to_inverted": Reference(classic_to_inverted, (
        Mistake("the factor goes the other way: classic dropout shrinks its outputs by 1 − rate "
                "at inference, so the next weights are multiplied by 1 − rate, not divided",
                _fold(lambda r: 1 / (1 - r))),
        Mistake("the biases read no dropped unit: only the weights take the factor 1 − rate",
                _fold(lambda r: 1 - r, lambda r: 1 - r)),
        Mistake("rate is the fraction dropped: the expected share of units present in training "
                "is 1 − rate, not rate", _fold(lambda r: r)),
    )),
    "dropconnect_layer": Reference(dropconnect_layer, (
        Mistake("the mask is never applied: DropConnect uses W ⊙ mask in the forward pass and "
                "in both gradients", _dropconnect(forward_mask=False, back_mask="none",
                                                  weight_mask="none")),
        Mistake("dweights must go through the mask too: a dropped weight took no part in the "
                "forward pass and gets no gradient", _dropconnect(weight_mask="none")),
        Mistake("the mask scales the weights it keeps, so their gradient is scaled too: "
                "dweights = (Xᵀ G) ⊙ mask, scaling included", _dropconnect(weight_mask="kept")),
        Mistake("dinputs flows back through the weights the forward pass used, W ⊙ mask",
                _dropconnect(back_mask="none")),
        Mistake("dinputs flows back through W ⊙ mask, scaling included: the forward pass used "
                "the kept weights times 1/(1 − rate)", _dropconnect(back_mask="kept")),
    )),
    "mc_dropout_predict": Reference(mc_dropout_predict, (
        Mistake("dropout is off: Monte-Carlo dropout keeps dropping units at prediction time, "
                "with a new mask in every pass", _mc_wrong(on=False)),
        Mistake("every pass must draw its own mask: with one mask the T passes are all the same",
                _mc_wrong(new_mask=False)),
        Mistake("average the T passes' probabilities (after the softmax), not their logits",
                _mc_wrong(average="logits")),
        Mistake("the prediction is the mean of the T passes, not their sum", _mc_wrong(average="sum")),
        Mistake("the kept hidden units are divided by 1 − rate, as in training: the network "
                "learned with inverted dropout", _mc_wrong(scale=False)),
        Mistake("rate is the fraction dropped: keep a unit where rng.random(...) < 1 − rate",
                _mc_wrong(keep_of=lambda r: r)),
        Mistake("keep a unit where rng.random((N, h)) < 1 − rate, as the task says: "
                "rng.random(...) >= rate drops with the same probability, but other units than "
                "the grader's draw", _mc_wrong(kept_above=True)),
    )),
    "train_with_dropout": Reference(train_with_dropout, (
        Mistake(NOT_RANDOM_AT_INFERENCE, _train_wrong(predict_dropout=True),
                _says(NOT_RANDOM_AT_INFERENCE)),
        Mistake(NEVER_ON, _train_wrong(train_dropout=False), _says(NEVER_ON)),
        Mistake(LEARNED_TOO_LITTLE, _train_wrong(update=False), _low),
    )),
}
