"""Exercise 09: what check() says without the answers, the student's numbers, and the training
run's thresholds on other grader seeds."""

from __future__ import annotations

import numpy as np
import pytest
from test_grading_catalogue import EXERCISES

from nnlab.grading.core import CaseResult, flatten, task_rng
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks import find_task
from nnlab.variants import numbers_for

EXERCISE = EXERCISES["09_regularization"]


def _check_text(name, impl):
    """The line check() prints for a held-out task (run in this process, as check does)."""
    _, task = find_task(name)
    cases = task.cases(task_rng(0, EXERCISE.name, name))
    results = [CaseResult(outputs=flatten(case.run(impl))) for case in cases]
    return format_held_out(task, cases, results)


def test_the_references_keep_every_invariant_check_can_see():
    for name in ("regularized_gradients", "max_norm", "l1_prox_step", "train_regularized"):
        text = _check_text(name, EXERCISE.task(name).reference)
        assert text.startswith("✔"), text


def test_check_sees_a_max_norm_that_stretches_short_columns():
    def max_norm(weights, c):
        return weights * c / np.linalg.norm(weights, axis=0, keepdims=True).clip(1e-12)

    assert "left as it is" in _check_text("max_norm", max_norm)


def test_check_sees_a_prox_step_that_crosses_zero():
    def l1_prox_step(weights, dweights, learning_rate, lam):
        u = weights - learning_rate * dweights
        return u - learning_rate * lam * np.sign(u)

    assert "never cross" in _check_text("l1_prox_step", l1_prox_step)


def test_check_sees_penalties_added_with_every_strength_zero():
    def regularized_gradients(weights, biases, dweights, dbiases, *strengths):
        return dweights + 0.01 * weights, dbiases

    assert "unchanged" in _check_text("regularized_gradients", regularized_gradients)


def test_check_runs_the_training_criteria():
    def train_regularized(X, y, X_val, *, lam, epochs, rng):
        return np.full((len(X_val), 2), 0.5)

    assert "validation" in _check_text("train_regularized", train_regularized)


def test_each_student_has_own_numbers_with_one_weight_at_zero():
    a, b = numbers_for(EXERCISE.name, "s0000001"), numbers_for(EXERCISE.name, "s0000002")
    assert not np.array_equal(a["weights"], b["weights"])
    for n in (a, b):
        assert n["weights"].shape == (2, 3) and n["biases"].shape == (1, 3)
        assert np.sum(n["weights"] == 0) >= 1 and n["bias_l1"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_training_reference_passes_on_other_grader_seeds(seed):
    task = EXERCISE.task("train_regularized")
    cases = task.cases(task_rng(seed, EXERCISE.name, task.name))
    for case in cases:
        assert task.compare(case, flatten(case.run(task.reference)), None) is None

