"""Exercise 07's held-out tasks: each student's own schedule, the bias-corrected average, the
classmate's MySGD, and the spiral trained with momentum (graded by validation accuracy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from grading_helpers import SOLUTIONS, by_task, graded, submission
from test_grading_catalogue import grade

from nnlab.grading import grade_notebook
from nnlab.grading.core import flatten, for_numbers, task_rng
from nnlab.grading.references import graded_exercises
from nnlab.grading.tasks import find_task
from nnlab.variants import numbers_for

NAME = "07_optimizers"
EXERCISE = graded()[NAME]


def _case_outputs(task_name, impl, index=0, seed=0):
    _, task = find_task(task_name)
    case = task.cases(task_rng(seed, NAME, task_name))[index]
    return task, case, flatten(case.run(impl))


def _reference(task_name):
    return EXERCISE.task(task_name).reference


# ---- answer_lr_last_update ----

@pytest.mark.parametrize("student", [f"s{i:07d}" for i in range(40)])
def test_every_students_catalogued_wrong_values_score_zero(student):
    # the wrong step counts: e, (e+1)(U−1) − 1, eU, (e+1)U and eU − 1 against (e+1)U − 1
    n = numbers_for(NAME, student)
    assert n["n_samples"] % n["batch_size"] != 0 and math.ceil(n["n_samples"] / n["batch_size"]) >= 4
    exercise = graded(student)[NAME]
    task = exercise.task("answer_lr_last_update")
    assert grade(exercise, task, task.reference)["score"] == 1
    assert all(grade(exercise, task, guess)["score"] == 0 for guess in (0, 1, -1, 0.5))
    for mistake in task.mistakes:
        result = grade(exercise, task, mistake.impl)
        assert result["score"] == 0 and mistake.feedback in result["feedback"], (n, mistake.feedback)


def test_two_students_have_different_answers():
    a, b = (graded(s)[NAME].task("answer_lr_last_update").reference for s in ("s1", "s2"))
    assert not np.isclose(a, b)


def test_the_answer_is_the_rate_nnlab_sgd_uses_at_that_update():
    import nnlab

    n = numbers_for(NAME, "s0000001")
    model = nnlab.Model.mlp([2, 3, 2], rng=np.random.default_rng(0),
                            optimizer=nnlab.SGD(n["learning_rate"], decay=n["decay"]))
    X, y = nnlab.vertical_data(n["n_samples"] // 2 + 1, 2, rng=np.random.default_rng(1))
    X, y = X[:n["n_samples"]], y[:n["n_samples"]]
    model.fit(X, y, epochs=n["epoch"] + 1, batch_size=n["batch_size"], rng=np.random.default_rng(2))
    last = n["learning_rate"] / (1 + n["decay"] * (model.optimizer.iterations - 1))
    assert np.isclose(last, graded("s0000001")[NAME].task("answer_lr_last_update").reference)


def test_check_says_a_rate_above_the_start_is_wrong():
    _, task = find_task("answer_lr_last_update")
    task = for_numbers(task, numbers_for(NAME, "s0000001"))
    case = task.cases(task_rng(0, NAME, task.name))[0]
    assert task.invariant(case, flatten(case.run(0.5 * case.data["learning_rate"]))) is None
    too_high = flatten(case.run(2.0 * case.data["learning_rate"]))
    assert "between 0 and the initial" in task.invariant(case, too_high)


# ---- ewa_update ----

def test_check_catches_a_missing_bias_correction_without_the_answer():
    def uncorrected(value, state, *, beta):
        v = beta * state.get("v", 0.0) + (1 - beta) * value
        return v, {"v": v}

    task, case, got = _case_outputs("ewa_update", _reference("ewa_update"), index=2)
    assert task.invariant(case, got) is None
    _, case, got = _case_outputs("ewa_update", uncorrected, index=2)
    assert "outside the range" in task.invariant(case, got)


def test_ewa_update_leaves_its_state_usable_by_the_caller():
    ewa = _reference("ewa_update")
    state, values = {}, np.array([4.0, 2.0, 6.0])
    for value in values:
        average, state = ewa(value, state, beta=0.5)
    weights = 0.5 * 0.5 ** np.arange(2, -1, -1)  # (1 − β)β^(t−k), k = 1..3
    assert np.isclose(average, weights @ values / weights.sum())


# ---- sgd_steps ----

CLASSMATE = '''
class MySGD:
    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.iterations = 0

    @property
    def current_learning_rate(self):
        return self.learning_rate / (1 + self.decay * self.iterations)

    def step(self, params, grads):
        if not hasattr(self, "velocity"):
            self.velocities = [np.zeros_like(param) for param in params]
        for param, grad, velocity in zip(params, grads, self.velocities):
            velocity[...] = self.momentum * velocity + self.current_learning_rate * grad
            param += velocity
            self.iterations += 1
'''


def test_the_classmates_code_scores_zero_end_to_end(tmp_path):
    # Appended after the solution's MySGD: the graded sgd_steps then uses the classmate's class.
    report = grade_notebook(submission(tmp_path, NAME, append=[CLASSMATE]))
    task = by_task(report)["sgd_steps"]
    assert task["score"] == 0 and "still the classmate's code" in task["feedback"]
    assert by_task(report)["sgd_update"]["status"] == "passed"


def test_check_sees_the_first_step_but_not_the_reset_momentum():
    ref = graded_exercises()[NAME].task("sgd_steps")
    reset = next(m for m in ref.mistakes if m.feedback.startswith("the velocities go back"))
    uphill = next(m for m in ref.mistakes if m.feedback.startswith("the velocity adds"))
    task, case, got = _case_outputs("sgd_steps", ref.reference)
    assert task.invariant(case, got) is None
    assert "first step" in task.invariant(case, flatten(case.run(uphill.impl)))
    assert task.invariant(case, flatten(case.run(reset.impl))) is None  # only the grader can tell
    assert grade(EXERCISE, EXERCISE.task("sgd_steps"), reset.impl)["score"] == 0


# ---- train_with_momentum ----

def _plain_sgd(X, y, X_val, *, epochs, rng):
    ref = graded_exercises()[NAME].task("train_with_momentum")
    plain = next(m for m in ref.mistakes if m.impl.__name__ == "_spiral_plain")
    return plain.impl(X, y, X_val, epochs=epochs, rng=rng)


def test_check_reports_the_accuracy_of_plain_sgd():
    task, case, got = _case_outputs("train_with_momentum", _plain_sgd)
    assert "validation accuracy" in task.invariant(case, got)


def test_the_solution_passes_on_another_seed():
    report = grade_notebook(SOLUTIONS / f"{NAME}.ipynb", seed=5)
    assert report["score"] == report["max_score"], report


def test_exercise_08_still_finds_its_helpers_here():
    from nnlab.grading.tasks.optimizers import OPTIMIZER_CLASSES, _update_cases, _with

    assert "nnlab.optimizers.SGD.update" in OPTIMIZER_CLASSES
    cases = _update_cases(np.random.default_rng(0), [("lr", {"learning_rate": 0.1})])
    assert len(cases) == 3 and callable(_with(lambda *a, **k: a, x=1))
