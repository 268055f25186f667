"""Exercise 01: dense layer forward pass, parameter counting, a stable softmax."""

from __future__ import annotations

import numpy as np

from ... import activations, layers
from ..core import Case, Exercise, Mistake, Task, manual_task, value_case


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


def _count_cases(rng):
    sizes = ([2, 64, 3], [3, 4, 2], [784, 128, 64, 10], [2, 1])
    return [Case(f"layer sizes {s}", lambda fn, s=s: int(fn(list(s)))) for s in sizes]


def _softmax_no_shift(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _softmax_global_max(x):
    e = np.exp(x - x.max())
    return e / e.sum(axis=1, keepdims=True)


def _softmax_axis0(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


EXERCISE = Exercise(
    "01_forward_pass",
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
            "count_parameters", 1, layers.count_parameters, _count_cases,
            mistakes=(
                Mistake("only the weights are counted: every neuron also has a bias",
                        lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=False))),
                Mistake("one bias per input was counted; a layer has one bias per neuron",
                        lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:], strict=False))),
            ),
            forbidden=("nnlab.layers.count_parameters",),
        ),
        Task(
            "softmax", 2, activations.softmax, _softmax_cases,
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
        Task(
            "answer_n_params", 1, 387, lambda rng: value_case(), kind="value",
            mistakes=(
                Mistake("that counts only the weights: add one bias per neuron", 384),
                Mistake("each layer has n_in · n_out weights and n_out biases", 389),
            ),
        ),
        manual_task("answer_text_nonlinearity", 1),
    ),
)
