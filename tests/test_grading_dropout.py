"""Exercise 10: every student's rate keeps the scale's mistakes apart, check()'s answer-free
properties accept the references and catch the classic mistakes, Monte-Carlo dropout is exact for
any way of drawing the same stream, and the training run's comparator names what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
from test_grading_catalogue import grade

from nnlab.grading.core import CaseResult, compare_arrays, for_numbers, run_quietly, task_rng
from nnlab.grading.grader import personal
from nnlab.grading.references import graded_exercises
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks import dropout as tasks
from nnlab.grading.tasks import find_task
from nnlab.variants import DEFAULT_SALT, numbers_for
from nnlab.variants.dropout import RATES

NAME = "10_dropout"
EXERCISE = graded_exercises()[NAME]  # with the held-out references, before any numbers
IDS = [f"s{i:07d}" for i in range(300)] + ["", "instructor"]


def test_every_mistake_and_guess_of_the_scale_is_wrong_for_every_student():
    for student in IDS:
        task = personal(EXERCISE, student, DEFAULT_SALT).task("answer_scale")
        expected = np.asarray(task.reference, dtype=np.float64)
        wrong = [np.asarray(m.impl, dtype=np.float64) for m in task.mistakes]
        wrong += [np.asarray(guess) for guess in (0.0, 1.0, -1.0, 0.5, 2.0)]
        for value in wrong:
            assert compare_arrays(value, expected, task.rtol) is not None, (student, value)


def test_the_rate_is_per_student():
    rates = {numbers_for(NAME, s)["rate"] for s in IDS[:100]}
    assert rates == set(RATES)
    assert numbers_for(NAME, "s1") == numbers_for(NAME, "s1")


def _check_line(name, impl, student="s1"):
    """What check() prints for ``impl`` (held-out tasks: the answer-free checks only)."""
    _, public = find_task(name)  # as check() sees it: no reference
    public = for_numbers(public, numbers_for(NAME, student))
    cases = public.cases(task_rng(0, NAME, name))
    results = [CaseResult(outputs=run_quietly(c.run, impl)) for c in cases]
    return format_held_out(public, cases, results)


@pytest.mark.parametrize("name", ["classic_to_inverted", "dropconnect_layer", "mc_dropout_predict"])
def test_check_accepts_the_reference(name):
    assert _check_line(name, EXERCISE.task(name).reference).startswith(f"✔ {name}")


def test_check_accepts_the_scale_of_the_students_rate():
    rate = numbers_for(NAME, "s1")["rate"]
    assert _check_line("answer_scale", 1 / (1 - rate)).startswith("✔")
    assert "above 1" in _check_line("answer_scale", 1 - rate)


def _sm(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_check_catches_dropout_left_off_and_a_gradient_for_dropped_weights():
    def plain(X, W1, b1, W2, b2, *, rate, passes, rng):
        return _sm(np.maximum(X @ W1 + b1, 0) @ W2 + b2)

    assert "plain prediction" in _check_line("mc_dropout_predict", plain)

    def unmasked(x, w, b, m, d):
        return x @ (w * m) + b, d @ (w * m).T, x.T @ d, d.sum(axis=0, keepdims=True)

    assert "must be 0" in _check_line("dropconnect_layer", unmasked)

    def always(w, b, rate):
        return w * 0.5, b.copy()

    assert "rate 0" in _check_line("classic_to_inverted", always)


def test_mc_dropout_drawn_all_at_once_or_through_dropout_forward_passes():
    def at_once(X, W1, b1, W2, b2, *, rate, passes, rng):
        h = np.maximum(X @ W1 + b1, 0)
        masks = (rng.random((passes, *h.shape)) < 1 - rate) / (1 - rate)  # the same stream
        return np.mean([_sm((h * m) @ W2 + b2) for m in masks], axis=0)

    def with_forward(X, W1, b1, W2, b2, *, rate, passes, rng):
        from nnlab.dropout import dropout_forward  # the same draw as Task 1's function

        h = np.maximum(X @ W1 + b1, 0)
        return np.mean([_sm(dropout_forward(h, rate, rng)[0] @ W2 + b2) for _ in range(passes)],
                       axis=0)

    task = EXERCISE.task("mc_dropout_predict")
    for impl in (at_once, with_forward):
        assert grade(EXERCISE, task, impl)["status"] == "passed"


def test_the_twins_of_the_validation_rows_are_their_copies():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(7, 2))
    order = rng.permutation(14)
    X_val = np.concatenate([points, points])[order]
    twins = tasks._twins(order)
    assert np.array_equal(X_val[twins], X_val) and np.all(twins != np.arange(14))


@pytest.fixture(scope="module")
def first_case():
    return tasks._train_cases(task_rng(0, NAME, "train_with_dropout"))[0]


def _confident(y, n_classes=3):
    """Probabilities that put 0.9 on the true class."""
    probs = np.full((len(y), n_classes), 0.05)
    probs[np.arange(len(y)), y] = 0.9
    return probs


def test_the_training_comparator_names_each_problem(first_case):
    y = first_case.data["y_val"]
    good, other = _confident(y), _confident(y) * 0.5 + 1 / 6
    assert tasks.run_problem(first_case, {"dropout": good, "no_dropout": other}) is None
    assert tasks.run_problem(first_case, {"dropout": good, "no_dropout": good}) == tasks.NEVER_ON
    noisy = good + np.random.default_rng(0).uniform(0, 1e-3, size=good.shape)
    noisy /= noisy.sum(axis=1, keepdims=True)
    assert tasks.run_problem(first_case, {"dropout": noisy, "no_dropout": other}) == \
        tasks.NOT_RANDOM_AT_INFERENCE
    assert "not the labels" in tasks.run_problem(first_case, {"dropout": y, "no_dropout": other})
    uniform = np.full_like(good, 1 / 3)  # every row the same: class 0 everywhere
    assert "validation accuracy" in tasks.run_problem(first_case, {"dropout": uniform,
                                                                   "no_dropout": other})
    assert "sum" in tasks.run_problem(first_case, {"dropout": good * 2, "no_dropout": other})
