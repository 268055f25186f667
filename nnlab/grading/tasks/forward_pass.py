"""Exercise 01: a dense layer and a stable softmax (warm-ups), then the parameter count and the
forward pass of the student's own networks, the lecture notes' sigmoid layer with its bias
outside the activation to repair, and a numerically stable log-softmax.

``dense_forward`` and ``softmax`` keep their public nnlab references here; the other tasks are
held out: their references are in the course repository's ``exercises/reference/forward_pass.py``.
"""

from __future__ import annotations

import numpy as np

from ... import activations, layers
from ..core import Case, Exercise, Mistake, Task, manual_task

NAME = "01_forward_pass"  # the student's numbers: nnlab/variants/forward_pass.py


def _dense_cases(rng):
    cases = []
    for label, (n, n_in, n_out), bias_1d in (
        ("a batch of 4 samples, 3 inputs, 2 neurons", (4, 3, 2), False),
        ("one sample, 2 inputs, 5 neurons", (1, 2, 5), False),
        ("square weights (3, 3)", (5, 3, 3), False),
        ("biases given as shape (n_out,)", (3, 4, 2), True),
    ):
        x, w = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        b = rng.normal(size=(n_out,) if bias_1d else (1, n_out))
        cases.append(Case(label, lambda fn, x=x, w=w, b=b: fn(x.copy(), w.copy(), b.copy())))
    return cases


def _softmax_cases(rng):
    inputs = {
        "small logits (3, 4)": rng.normal(size=(3, 4)),
        "one row of 5": rng.normal(size=(1, 5)),
        "large logits around 1000": 1000.0 + rng.normal(size=(2, 3)),
        "rows on very different scales": np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0]]),
        "equal logits": np.zeros((2, 4)),
    }
    return [Case(k, lambda fn, x=x: fn(x.copy()), gate=k == "equal logits") for k, x in inputs.items()]


def _softmax_no_shift(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _softmax_global_max(x):
    e = np.exp(x - x.max())
    return e / e.sum(axis=1, keepdims=True)


def _softmax_axis0(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# ---- held-out tasks: inputs and what check() can say without the answer ----

def _value(shape):
    label = f"your answer, as an array of shape {shape}" if shape else "your answer"
    return lambda rng, numbers: [Case(label, lambda v: np.asarray(v, dtype=np.float64),
                                      data={"shape": shape})]


def _a_count(case, got):
    value = next(iter(got.values()))
    if value != np.round(value) or value <= 0:
        return "a number of parameters is a positive whole number"
    return None


def _probabilities(case, got):
    value = next(iter(got.values()))
    if np.any(value < 0) or np.any(value > 1):
        return "probabilities lie between 0 and 1: is softmax the last step?"
    if not np.allclose(value.sum(axis=1), 1.0):
        return "each row (one sample) of probabilities must sum to 1"
    return None


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, never overflowing


def _layer_cases(rng):
    cases = []
    for label, (n, n_in, n_out), bias_1d in (
        ("a batch of 4 samples, 3 inputs, 2 neurons", (4, 3, 2), False),
        ("one sample, 2 inputs, 1 neuron", (1, 2, 1), False),
        ("square weights (3, 3)", (5, 3, 3), False),
        ("biases given as shape (n_out,)", (3, 4, 2), True),
    ):
        x, w = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        b = rng.uniform(0.5, 2.0, size=(n_out,) if bias_1d else (1, n_out)) * \
            rng.choice([-1.0, 1.0], size=(n_out,) if bias_1d else (1, n_out))
        cases.append(Case(label, lambda fn, x=x, w=w, b=b: fn(x.copy(), w.copy(), b.copy()),
                          data={"shape": (n, n_out)}))
    w0, b0 = rng.normal(size=(3, 4)), np.array([[1.5, -0.8, 0.3, -2.0]])
    cases.append(Case("all inputs 0 (2 samples, 3 inputs, 4 neurons)",
                      lambda fn: fn(np.zeros((2, 3)), w0.copy(), b0.copy()),
                      data={"shape": (2, 4), "zero_inputs_biases": b0}))
    xg, wg = rng.normal(size=(3, 2)), rng.normal(size=(2, 3))
    cases.append(Case("biases all 0", lambda fn: fn(xg.copy(), wg.copy(), np.zeros((1, 3))),
                      data={"shape": (3, 3)}, gate=True))
    return cases


def _sigmoid_outputs(case, got):
    value = next(iter(got.values()))
    if np.any(value < 0) or np.any(value > 1):
        return "a sigmoid neuron's output lies between 0 and 1; this one leaves that range"
    biases = case.data.get("zero_inputs_biases")
    if biases is not None and not np.allclose(value, np.broadcast_to(_sigmoid(biases), value.shape)):
        return "with every input 0 the weighted sum is just b, so each neuron must output g(b)"
    return None


def _log_softmax_cases(rng):
    inputs = {
        "small logits (3, 4)": rng.normal(size=(3, 4)),
        "one row of 5": rng.normal(size=(1, 5)),
        "large logits around 1000": 1000.0 + rng.normal(size=(2, 3)),
        "a logit far below the others": np.array([[0.0, -800.0, 1.0], [2.0, 3.0, -1000.0]]),
        "rows on very different scales": np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0]]),
    }
    cases = [Case(k, lambda fn, x=x: fn(x.copy()), data={"shape": x.shape}) for k, x in inputs.items()]
    xs = rng.normal(size=(2, 5))
    cases.append(Case("logits (2, 5), then the same logits + 100",
                      lambda fn: (fn(xs.copy()), fn(xs + 100.0)), data={"shifted": True}))
    cases.append(Case("equal logits (2, 4)", lambda fn: fn(np.zeros((2, 4))), data={"shape": (2, 4)},
                      gate=True))
    return cases


def _log_probabilities(case, got):
    if case.data.get("shifted"):
        if len(got) != 2:
            return "expected one array of log-probabilities per call"
        first, second = (got[k] for k in sorted(got))
        if first.shape != second.shape or not np.allclose(first, second, atol=1e-9):
            return "adding the same number to every logit of a row must not change log-softmax"
        return None
    value = next(iter(got.values()))
    if np.any(value > 1e-12):
        return "log-probabilities are ≤ 0 (a probability is at most 1)"
    if not np.allclose(np.exp(value).sum(axis=1), 1.0):  # every entry ≤ 0: exp cannot overflow
        return "the exponentials of each row must sum to 1 (log Σ exp(output) = 0 per row)"
    return None


EXERCISE = Exercise(
    NAME,
    "The forward pass",
    (
        Task(
            "dense_forward", 1, layers.dense_forward, _dense_cases,
            mistakes=(
                Mistake("the weights are transposed: with weights of shape (n_in, n_out) the "
                        "product is inputs @ weights", lambda x, w, b: x @ w.T + b),
                Mistake("the biases are missing", lambda x, w, b: x @ w),
            ),
            forbidden=("nnlab.layers.dense_forward", "nnlab.layers.Dense.forward"),
        ),
        Task(
            "softmax", 1, activations.softmax, _softmax_cases,
            mistakes=(
                Mistake("softmax without the max shift overflows: e^1000 is inf and inf/inf is "
                        "nan; subtract each row's maximum first", _softmax_no_shift),
                Mistake("the maximum of the whole array was subtracted: a row far below it "
                        "underflows to 0/0; subtract each row's own maximum (axis=1, "
                        "keepdims=True)", _softmax_global_max),
                Mistake("normalised over axis 0 (columns): each row (sample) must sum to 1",
                        _softmax_axis0),
            ),
            forbidden=("nnlab.activations.softmax", "nnlab.losses.SoftmaxCrossEntropy.output"),
        ),
        Task("answer_n_params", 1, None, _value(()), kind="value", variant=True,
             invariant=_a_count),
        Task("answer_probs", 2, None, _value((3, 3)), kind="value", variant=True,
             invariant=_probabilities),
        Task("sigmoid_layer_forward", 2, None, _layer_cases, invariant=_sigmoid_outputs),
        Task("log_softmax", 2, None, _log_softmax_cases, invariant=_log_probabilities),
        manual_task("answer_text_nonlinearity", 1),
    ),
)
