"""Exercise 05: one backpropagation step through a 2-2-2 sigmoid network with the student's own
weights and targets, and fixing the output delta of the lecture notes (g'(target) instead of
g'(output)).

Every task here is held out: the references are in the course repository's
``exercises/reference/worked_example.py``, not in this package.
"""

from __future__ import annotations

import numpy as np

from ..core import Case, Exercise, Task, manual_task

NAME = "05_worked_example_2-2-2"  # the student's numbers: nnlab/variants/worked_example.py


def _value(shape):
    label = f"your answer, as an array of shape {shape}" if shape else "your answer"
    return lambda rng, numbers: [Case(label, lambda v: np.asarray(v, dtype=np.float64).reshape(shape),
                                      data={"shape": shape})]


def _in_unit_interval(case, got):
    value = next(iter(got.values()))
    return None if np.all((value > 0) & (value < 1)) else "a sigmoid's outputs lie between 0 and 1"


def _zero_at_the_target(case, got):
    value = next(iter(got.values()))
    if case.gate and np.any(value != 0):
        return "an output equal to its target has nothing to learn: its delta must be 0"
    return None


def _delta_cases(rng):
    o, t = rng.uniform(0.05, 0.95, size=(4, 2)), rng.uniform(0, 1, size=(4, 2))
    h = rng.uniform(0.05, 0.95, size=(3, 5))
    notes_o, notes_t = np.array([[0.5, 0.4]]), np.array([[0.7, 0.1]])
    return [
        Case("the lecture notes' outputs 0.5, 0.4 and targets 0.7, 0.1",
             lambda fn: fn(notes_o.copy(), notes_t.copy()), data={"shape": (1, 2)}),
        Case("a batch (4, 2)", lambda fn: fn(o.copy(), t.copy()), data={"shape": (4, 2)}),
        Case("outputs equal to the targets (3, 5)", lambda fn: fn(h.copy(), h.copy()),
             data={"shape": (3, 5)}, gate=True),
    ]


def _hidden_cases(rng):
    d, w, h = rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.uniform(0.1, 0.9, (3, 4))
    d1, w1, h1 = rng.normal(size=(1, 2)), rng.normal(size=(2, 2)), rng.uniform(0.1, 0.9, (1, 2))
    return [
        Case("1 sample, 2 hidden, 2 outputs", lambda fn: fn(d1.copy(), w1.copy(), h1.copy()),
             data={"shape": (1, 2)}),
        Case("3 samples, 4 hidden, 2 outputs", lambda fn: fn(d.copy(), w.copy(), h.copy()),
             data={"shape": (3, 4)}),
    ]


EXERCISE = Exercise(
    NAME,
    "A worked example: the 2-2-2 sigmoid network",
    (
        Task("answer_out_h", 1, None, _value((2,)), kind="value", rtol=1e-4, variant=True,
             invariant=_in_unit_interval),
        Task("answer_out_o", 1, None, _value((2,)), kind="value", rtol=1e-4, variant=True,
             invariant=_in_unit_interval),
        Task("answer_delta_o", 1, None, _value((2,)), kind="value", rtol=1e-4, variant=True),
        Task("answer_w5_new", 1, None, _value(()), kind="value", rtol=1e-4, variant=True),
        Task("output_delta", 2, None, _delta_cases, invariant=_zero_at_the_target),
        Task("hidden_delta", 2, None, _hidden_cases),
        manual_task("answer_text_output_delta", 1),
    ),
)
