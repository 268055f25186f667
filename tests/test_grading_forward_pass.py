"""Exercise 01: the student's numbers keep every catalogued mistake apart from the answer, and
check()'s answer-free properties accept the references and catch the classic mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from test_grading_catalogue import grade

from nnlab.grading.core import CaseResult, compare_arrays, for_numbers, run_quietly, task_rng
from nnlab.grading.grader import personal
from nnlab.grading.references import graded_exercises
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks import find_task
from nnlab.variants import DEFAULT_SALT, numbers_for

NAME = "01_forward_pass"
EXERCISE = graded_exercises()[NAME]  # with the held-out references, before any numbers
IDS = [f"s{i:07d}" for i in range(300)] + ["", "instructor"]
VALUES = ("answer_n_params", "answer_probs")


@pytest.mark.parametrize("name", VALUES)
def test_every_mistake_and_guess_is_wrong_for_every_student(name):
    for student in IDS:
        task = personal(EXERCISE, student, DEFAULT_SALT).task(name)
        expected = np.asarray(task.reference, dtype=np.float64)
        wrong = [np.asarray(m.impl, dtype=np.float64) for m in task.mistakes]
        wrong += [np.full_like(expected, guess) for guess in (0.0, 1.0, -1.0, 0.5, 1 / 3)]
        for value in wrong:
            assert compare_arrays(value, expected, task.rtol) is not None, (student, name, value)


def test_the_numbers_are_per_student_and_printable():
    mine, again, other = (numbers_for(NAME, s) for s in ("s1", "s1", "s2"))
    assert all(np.array_equal(mine[k], again[k]) for k in mine)
    assert any(not np.array_equal(mine[k], other[k]) for k in mine)
    for student in IDS[:50]:
        n = numbers_for(NAME, student)
        sizes = n["layer_sizes"]
        assert len(sizes) == 4 and sizes[0] != sizes[-1] and min(sizes) >= 2
        assert [n[k].shape for k in ("X", "W1", "b1", "W2", "b2")] == [(3, 2), (2, 4), (1, 4), (4, 3), (1, 3)]
        z1 = n["X"] @ n["W1"] + n["b1"]
        assert (z1 < 0).sum() >= 3 and (z1 > 0).sum() >= 3 and np.all(n["b1"] != 0)
        assert all(np.array_equal(np.round(n[k], 1), n[k]) for k in ("X", "W1", "b1", "W2", "b2"))


def _check_line(task, impl, numbers=None):
    """What check() prints for ``impl`` on the task's cases (held-out: answer-free checks only)."""
    _, public = find_task(task)  # as check() sees it: no reference
    public = for_numbers(public, numbers or numbers_for(NAME, "s1"))
    cases = public.cases(task_rng(0, NAME, task))
    results = [CaseResult(outputs=run_quietly(c.run, impl)) for c in cases]
    return format_held_out(public, cases, results)


@pytest.mark.parametrize("name", ["sigmoid_layer_forward", "log_softmax"])
def test_check_accepts_the_reference(name):
    assert _check_line(name, EXERCISE.task(name).reference).startswith(f"✔ {name}")


@pytest.mark.parametrize("name", VALUES)
def test_check_accepts_the_reference_value(name):
    n = numbers_for(NAME, "s1")
    value = personal(EXERCISE, "s1", DEFAULT_SALT).task(name).reference
    assert _check_line(name, value, n).startswith(f"✔ {name}")


def test_check_catches_the_notes_bias_outside_the_activation():
    def notes(x, w, b):
        return 1 / (1 + np.exp(-(x @ w))) + b

    line = _check_line("sigmoid_layer_forward", notes)
    assert line.startswith("✘") and ("between 0 and 1" in line or "g(b)" in line), line


def test_check_catches_log_of_softmax_and_a_missing_normaliser():
    def log_of_softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return np.log(e / e.sum(axis=1, keepdims=True))

    assert "nan or inf" in _check_line("log_softmax", log_of_softmax)
    line = _check_line("log_softmax", lambda x: x - x.max(axis=1, keepdims=True))
    assert line.startswith("✘") and "sum to 1" in line, line
    line = _check_line("log_softmax", lambda x: x - np.log(np.exp(x - x.max(axis=1, keepdims=True))
                                                           .sum(axis=1, keepdims=True)))
    assert line.startswith("✘") and "≤ 0" in line, line


def test_check_catches_probabilities_that_do_not_sum_to_one():
    n = numbers_for(NAME, "s1")
    logits = np.maximum(0, n["X"] @ n["W1"] + n["b1"]) @ n["W2"] + n["b2"]
    line = _check_line("answer_probs", 1 / (1 + np.exp(-logits)), n)
    assert line.startswith("✘") and "sum to 1" in line, line
    assert "whole number" in _check_line("answer_n_params", 387.5, n)


def test_log_softmax_written_in_other_correct_ways_passes():
    def via_logsumexp(x):
        m = x.max(axis=1, keepdims=True)
        return x - (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))

    def row_by_row(x):
        out = np.empty_like(x, dtype=float)
        for i, row in enumerate(x):
            m = max(row)
            out[i] = row - m - np.log(sum(np.exp(v - m) for v in row))
        return out

    for impl in (via_logsumexp, row_by_row):
        result = grade(EXERCISE, EXERCISE.task("log_softmax"), impl)
        assert result["status"] == "passed", result


def test_hand_written_wrong_versions_score_zero():
    def relu_layer(x, w, b):  # the wrong activation
        return np.maximum(0.0, x @ w + b)

    def log_softmax_in_place(x):  # right numbers, but the caller's logits are changed
        x -= x.max(axis=1, keepdims=True)
        return x - np.log(np.exp(x).sum(axis=1, keepdims=True))

    assert grade(EXERCISE, EXERCISE.task("sigmoid_layer_forward"), relu_layer)["score"] == 0
    result = grade(EXERCISE, EXERCISE.task("log_softmax"), log_softmax_in_place)
    assert result["score"] == 0 and "in place" in result["feedback"], result
    task = personal(EXERCISE, "s0000001", DEFAULT_SALT).task("answer_probs")
    n = numbers_for(NAME, "s0000001")
    hidden = 1 / (1 + np.exp(-(n["X"] @ n["W1"] + n["b1"])))  # a sigmoid hidden layer
    z2 = hidden @ n["W2"] + n["b2"]
    e = np.exp(z2 - z2.max(axis=1, keepdims=True))
    assert grade(EXERCISE, task, e / e.sum(axis=1, keepdims=True))["score"] == 0
