"""Exercise 02: every student's numbers and every seed's inputs keep the catalogued mistakes apart
from the answer; correct alternatives pass; check()'s answer-free properties accept the
references and catch the classic mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from test_grading_catalogue import LocalSession

from nnlab.grading.core import (
    CaseResult,
    InputChanged,
    compare_arrays,
    evaluate,
    for_numbers,
    run_quietly,
    task_rng,
)
from nnlab.grading.grader import _run_task, personal
from nnlab.grading.references import graded_exercises
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks import find_task
from nnlab.variants import DEFAULT_SALT, numbers_for

NAME = "02_loss"
EXERCISE = graded_exercises()[NAME]  # with the held-out references, before any numbers
IDS = [f"s{i:07d}" for i in range(300)] + ["", "instructor"]
FUNCTIONS = ("categorical_cross_entropy", "smoothed_cross_entropy", "top_k_accuracy")


def _grade(task, impl, seed=0):
    cases = task.cases(task_rng(seed, NAME, task.name))
    results, timed_out = _run_task(LocalSession({task.name: impl}), task, cases, 10.0, {})
    return evaluate(task, cases, results, timed_out=timed_out).as_dict()


def test_every_outlier_mistake_and_guess_is_wrong_for_every_student():
    for student in IDS:
        task = personal(EXERCISE, student, DEFAULT_SALT).task("answer_outlier")
        expected = np.asarray(task.reference, dtype=np.float64)
        wrong = [np.asarray(m.impl, dtype=np.float64) for m in task.mistakes]
        wrong += [np.full_like(expected, guess) for guess in (0.0, 1.0, -1.0, 0.5)]
        for value in wrong:
            assert compare_arrays(value, expected, task.rtol) is not None, (student, value)


def test_the_numbers_are_per_student_and_have_one_clear_outlier():
    mine, again, other = (numbers_for(NAME, s) for s in ("s1", "s1", "s2"))
    assert all(np.array_equal(mine[k], again[k]) for k in mine)
    assert any(not np.array_equal(mine[k], other[k]) for k in mine)
    for student in IDS[:100]:
        n = numbers_for(NAME, student)
        assert n["y_true"].shape == n["y_pred"].shape == (6,)
        assert all(np.array_equal(np.round(n[k], 2), n[k]) for k in n)
        errors = np.sort(np.abs(n["y_true"] - n["y_pred"]))
        assert errors[-1] >= 3 - 1e-9 and errors[-2] <= 0.6 + 1e-9  # one sample far off


@pytest.mark.parametrize("seed", range(1, 16))
@pytest.mark.parametrize("name", FUNCTIONS)
def test_on_other_seeds_the_reference_passes_and_every_mistake_is_named(name, seed):
    task = EXERCISE.task(name)
    assert _grade(task, task.reference, seed)["status"] == "passed"
    for mistake in task.mistakes:
        result = _grade(task, mistake.impl, seed)
        assert result["score"] == 0 and mistake.feedback in result["feedback"], (seed, result)


def _smoothed_as_two_terms(probs, y_true, smoothing):
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    plain = -np.log(p[np.arange(len(p)), y_true])  # (N,)
    uniform = -np.mean(np.log(p), axis=1)          # (N,): the loss against uniform targets
    return float(np.mean((1 - smoothing) * plain + smoothing * uniform))


def _smoothed_loops(probs, y_true, smoothing):
    n, c = probs.shape
    total = 0.0
    for i in range(n):
        for j in range(c):
            target = (1 - smoothing) * (j == y_true[i]) + smoothing / c
            total -= target * np.log(min(max(probs[i, j], 1e-7), 1 - 1e-7))
    return total / n


def _top_k_partition(outputs, y_true, k):
    top = np.argpartition(-outputs, k - 1, axis=1)[:, :k]
    return np.mean(np.any(top == y_true[:, None], axis=1))


def _top_k_rank(outputs, y_true, k):
    true_score = outputs[np.arange(len(y_true)), y_true][:, None]
    return np.mean(np.sum(outputs > true_score, axis=1) < k)


def _top_k_threshold(outputs, y_true, k):
    kth_highest = np.sort(outputs, axis=1)[:, -k]
    return np.mean(outputs[np.arange(len(y_true)), y_true] >= kth_highest)


@pytest.mark.parametrize("name, impl", [
    ("smoothed_cross_entropy", _smoothed_as_two_terms), ("smoothed_cross_entropy", _smoothed_loops),
    ("top_k_accuracy", _top_k_partition), ("top_k_accuracy", _top_k_rank),
    ("top_k_accuracy", _top_k_threshold),
])
def test_correct_alternatives_get_full_marks(name, impl):
    task = EXERCISE.task(name)
    result = _grade(task, impl)
    assert result["status"] == "passed" and result["score"] == task.points, result


def _check_line(name, impl):
    """What check() prints for ``impl`` (held-out tasks: the answer-free checks only)."""
    _, public = find_task(name)  # as check() sees it: no reference
    public = for_numbers(public, numbers_for(NAME, "s1"))
    cases = public.cases(task_rng(0, NAME, name))
    results = []
    for case in cases:
        try:
            results.append(CaseResult(outputs=run_quietly(case.run, impl)))
        except InputChanged as exc:
            results.append(CaseResult(error=f"InputChanged: {exc}"))
    return format_held_out(public, cases, results)


def test_check_accepts_the_references():
    for name in ("smoothed_cross_entropy", "top_k_accuracy"):
        assert _check_line(name, EXERCISE.task(name).reference).startswith(f"✔ {name}")
    outlier = personal(EXERCISE, "s1", DEFAULT_SALT).task("answer_outlier").reference
    assert _check_line("answer_outlier", outlier).startswith("✔ answer_outlier")


def _mistake(name, start):
    return next(m.impl for m in EXERCISE.task(name).mistakes if m.feedback.startswith(start))


@pytest.mark.parametrize("name, start, message", [
    ("smoothed_cross_entropy", "the minus sign", "never negative"),
    ("smoothed_cross_entropy", "the mean is taken over all", "entropy of the smoothed targets"),
    ("smoothed_cross_entropy", "s and 1 − s", "plain clipped cross-entropy"),
    ("smoothed_cross_entropy", "log(0)", "nan or inf"),
    ("top_k_accuracy", "np.argsort sorts", "plain accuracy"),
    ("top_k_accuracy", "[:, k:]", "must not fall"),
    ("top_k_accuracy", "that is the number", "between 0 and 1"),
    ("top_k_accuracy", "that is a mean over all", "multiple of 1/10"),
])
def test_check_catches_the_classic_mistakes_without_the_answer(name, start, message):
    line = _check_line(name, _mistake(name, start))
    assert line.startswith(f"✘ {name}") and message in line, line


def test_check_catches_outlier_answers_that_break_the_rules():
    n = numbers_for(NAME, "s1")
    task = for_numbers(EXERCISE.task("answer_outlier"), n)
    right = np.asarray(task.reference)
    assert "never negative" in _check_line("answer_outlier", -right)
    assert "MAE squared" in _check_line("answer_outlier", right[:, ::-1])  # columns swapped
    assert "second row" in _check_line("answer_outlier", right[::-1])  # rows swapped


def test_changing_the_probabilities_in_place_is_caught_by_check_and_grader():
    def smoothed_cross_entropy(probs, y_true, smoothing):
        np.clip(probs, 1e-7, 1 - 1e-7, out=probs)  # right numbers, but the caller's array changes
        targets = (1 - smoothing) * np.eye(probs.shape[1])[y_true] + smoothing / probs.shape[1]
        return float(-np.mean(np.sum(targets * np.log(probs), axis=1)))

    assert "in place" in _check_line("smoothed_cross_entropy", smoothed_cross_entropy)
    result = _grade(EXERCISE.task("smoothed_cross_entropy"), smoothed_cross_entropy)
    assert result["score"] == 0 and "in place" in result["feedback"]


def test_warm_ups_hold_at_most_30_percent_of_the_points():
    from nnlab.grading.tasks import EXERCISES

    public = EXERCISES[NAME]  # as the package ships it: held-out tasks have no reference
    warm_ups = [t for t in public.tasks if not t.held_out and t.kind != "manual"]
    assert [t.name for t in warm_ups] == ["categorical_cross_entropy"]
    assert sum(t.points for t in warm_ups) / public.max_score <= 0.3
