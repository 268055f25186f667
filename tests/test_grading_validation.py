"""Exercise 11's held-out tasks: the student's own numbers, early stopping with min_delta, and a
model choice graded by running it (choose on validation data, predict the test set)."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import by_task, graded, submission
from test_grading_catalogue import grade

from nnlab.grading import grade_notebook
from nnlab.grading.core import flatten, task_rng
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks import find_task
from nnlab.variants import numbers_for

EXERCISE = graded()["11_validation"]


def _grade(name, impl):
    return grade(EXERCISE, EXERCISE.task(name), impl)


# ---- answer_scaled_test ----

@pytest.mark.parametrize("student", [f"s{i:07d}" for i in range(30)])
def test_every_student_gets_a_value_inside_one_above_and_one_below_the_training_range(student):
    n = numbers_for("11_validation", student)
    low, high = n["x_train"].min(), n["x_train"].max()
    inside = [low < x < high for x in n["x_test"]]
    assert sum(inside) == 1 and (n["x_test"] > high).sum() == 1 and (n["x_test"] < low).sum() == 1


def test_two_students_have_different_answers():
    a, b = (graded(s)["11_validation"].task("answer_scaled_test").reference for s in ("s1", "s2"))
    assert a.shape == b.shape == (3,) and not np.allclose(a, b)


def test_check_says_a_clipped_answer_is_wrong_without_the_answer():
    _, task = find_task("answer_scaled_test")
    numbers = numbers_for("11_validation", "s0000001")
    case = task.cases(task_rng(0, "11_validation", task.name), numbers)[0]
    right = graded("s0000001")["11_validation"].task("answer_scaled_test").reference
    assert task.invariant(case, flatten(case.run(right))) is None
    assert "does not clip" in task.invariant(case, flatten(case.run(np.clip(right, -1, 1))))


# ---- early_stopping_min_delta ----

def test_min_delta_with_a_tie_counted_as_an_improvement_scores_zero():
    def early_stopping_min_delta(val_losses, patience, min_delta):
        best, best_epoch = np.inf, 0
        for epoch, loss in enumerate(val_losses):
            if best - loss >= min_delta:  # a drop of exactly min_delta (or a tie) counted
                best, best_epoch = loss, epoch
            elif epoch - best_epoch >= patience:
                return best_epoch, epoch
        return best_epoch, len(val_losses) - 1

    result = _grade("early_stopping_min_delta", early_stopping_min_delta)
    assert result["score"] == 0 and "strictly" in result["feedback"], result


def test_min_delta_written_with_a_waiting_counter_passes():
    def early_stopping_min_delta(val_losses, patience, min_delta):
        best, best_epoch, waited = float("inf"), 0, 0
        for epoch, loss in enumerate(val_losses):
            if best - loss > min_delta:
                best, best_epoch, waited = loss, epoch, 0
            else:
                waited += 1
                if waited == patience:
                    return best_epoch, epoch
        return best_epoch, len(val_losses) - 1

    assert _grade("early_stopping_min_delta", early_stopping_min_delta)["status"] == "passed"


# ---- choose_and_train ----

def _reference(**changes):
    ref = EXERCISE.task("choose_and_train").reference

    def choose_and_train(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
        val_losses, best, pred = ref(X_train, y_train, X_val, y_val, X_test, l2_grid=l2_grid,
                                     epochs=epochs, rng=rng)
        return changes.get("val_losses", lambda v, g: v)(val_losses, l2_grid), \
            changes.get("best", lambda b, g, v: b)(best, l2_grid, val_losses), pred
    return choose_and_train


def test_the_index_instead_of_the_value_is_told_so():
    result = _grade("choose_and_train", _reference(best=lambda b, g, v: int(np.argmin(v))))
    assert result["score"] == 0 and "not its index i" in result["feedback"], result


def test_a_choice_that_disagrees_with_the_returned_losses_is_told_so():
    result = _grade("choose_and_train", _reference(val_losses=lambda v, g: v[::-1]))
    assert result["score"] == 0 and "lowest of your validation losses" in result["feedback"], result


def test_the_cases_differ_in_the_order_of_the_grid_and_the_best_is_never_the_weakest_penalty():
    task = EXERCISE.task("choose_and_train")
    cases = task.cases(task_rng(0, EXERCISE.name, task.name))
    positions = set()
    for case in cases:
        grid = case.data["l2_grid"]
        out = flatten(case.run(task.reference))
        best = float(out["1"])
        assert best != min(grid) and best != max(grid)
        positions.add(grid.index(best))
    assert positions == {0, 1, 2}


def test_check_runs_the_solution_and_says_what_holds():
    task = find_task("choose_and_train")[1]
    cases = task.cases(task_rng(0, EXERCISE.name, task.name))
    ref = EXERCISE.task("choose_and_train").reference
    from nnlab.grading.core import CaseResult

    results = [CaseResult(outputs=flatten(case.run(ref))) for case in cases]
    assert format_held_out(task, cases, results).startswith("✔ choose_and_train")
    wrong = [CaseResult(outputs={**r.outputs, "1": np.array(-1.0)}) for r in results]
    assert "lowest of your validation losses" in format_held_out(task, cases, wrong)


def test_nnlab_scalers_inside_choose_and_train_score_zero(tmp_path):
    code = '''
_mine = choose_and_train
def choose_and_train(X_train, y_train, X_val, y_val, X_test, *, l2_grid, epochs, rng):
    nnlab.StandardScaler().fit(X_train)
    return _mine(X_train, y_train, X_val, y_val, X_test, l2_grid=l2_grid, epochs=epochs, rng=rng)
'''
    report = grade_notebook(submission(tmp_path, "11_validation", append=[code]))
    task = by_task(report)["choose_and_train"]
    assert task["score"] == 0 and "nnlab" in task["feedback"], task
    assert by_task(report)["scale_splits"]["status"] == "passed"
