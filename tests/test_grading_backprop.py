"""Exercise 03: what check() says without the answers, the notebook's buggy two-layer backward
pass, and right answers written another way."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from test_grading_catalogue import EXERCISES, grade

import nnlab
from nnlab.grading.core import CaseResult, run_quietly, task_rng
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks.backprop import EXERCISE as PUBLIC

NAME = "03_backprop_derivation"
GRADED = EXERCISES[NAME]
HELD_OUT = [t.name for t in PUBLIC.tasks if t.held_out]


def _check(name, impl):
    """The line check() prints for a held-out task (the public task, without the answer)."""
    task = PUBLIC.task(name)
    cases = task.cases(task_rng(0, NAME, name))
    results = []
    for case in cases:
        try:
            results.append(CaseResult(outputs=run_quietly(case.run, impl)))
        except Exception as exc:
            results.append(CaseResult(error=f"{type(exc).__name__}: {exc}"))
    return format_held_out(task, cases, results)


def test_four_held_out_tasks_and_few_warm_up_points():
    assert HELD_OUT == ["swish_backward", "log_softmax_backward", "label_smoothing_backward",
                        "two_layer_backward"]
    warm_up = sum(t.points for t in PUBLIC.tasks if t.kind == "function" and not t.held_out)
    assert warm_up / PUBLIC.max_score <= 0.3


@pytest.mark.parametrize("name", HELD_OUT)
def test_check_passes_the_reference_and_catches_every_catalogued_mistake(name):
    task = GRADED.task(name)
    assert _check(name, task.reference).startswith("✔")
    for mistake in task.mistakes:
        assert _check(name, mistake.impl).startswith("✘"), mistake.feedback


def test_check_says_which_gradient_disagrees_with_the_numerical_one():
    mistakes = GRADED.task("two_layer_backward").mistakes
    only_mean = next(m for m in mistakes if m.feedback.startswith("one of") and "a mean" in m.feedback)
    line = _check("two_layer_backward", only_mean.impl)
    assert "db1 disagrees with a numerical gradient" in line and "dW1" not in line


def _notebook_function(name):
    nb = nbformat.read(SOLUTIONS / f"{NAME}.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source)
    scope = {"np": np, "nnlab": nnlab}
    exec(source, scope)
    return scope[name]


def test_the_notebooks_buggy_backward_pass_scores_zero_and_is_recognised():
    result = grade(GRADED, GRADED.task("two_layer_backward"),
                   _notebook_function("buggy_two_layer_backward"))
    assert result["score"] == 0 and "the code as given" in result["feedback"], result


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


RIGHT_ANOTHER_WAY = {
    "swish_backward": lambda d, z: d * (z * _sigmoid(z) + _sigmoid(z) * (1 - z * _sigmoid(z))),
    # the chain rule through ℓ = log s: ∂L/∂s = d / s, then softmax's backward pass
    "log_softmax_backward": lambda d, out: nnlab.softmax_backward(d / np.exp(out), np.exp(out)),
    "label_smoothing_backward": lambda p, y, eps: (
        p - (1 - eps) * (np.arange(p.shape[1]) == y[:, None]) - eps / p.shape[1]) / len(p),
}


@pytest.mark.parametrize("name", sorted(RIGHT_ANOTHER_WAY))
def test_a_right_answer_written_another_way_earns_full_marks(name):
    result = grade(GRADED, GRADED.task(name), RIGHT_ANOTHER_WAY[name])
    assert result["status"] == "passed", result


def test_changing_probs_in_place_scores_zero():
    def label_smoothing_backward(probs, y_true, smoothing):
        n, c = probs.shape
        probs[np.arange(n), y_true] -= 1 - smoothing  # the right numbers, in the caller's array
        probs -= smoothing / c
        return probs / n

    result = grade(GRADED, GRADED.task("label_smoothing_backward"), label_smoothing_backward)
    assert result["score"] == 0 and "in place" in result["feedback"]
