"""Wrong code never earns points: every catalogued mistake and every do-nothing answer scores 0.

The grader's own path — ``_run_task`` asking for one call at a time, then ``evaluate`` — with the
student's functions called in this process instead of the sandbox (the channel is tested in
test_grading_tamper.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import graded

from nnlab.grading.core import evaluate, task_rng
from nnlab.grading.grader import _run_task
from nnlab.grading.sandbox import StudentError, check_global_rng

EXERCISES = graded()  # with the held-out references, on one student's numbers


class LocalSession:
    """Stands in for the sandbox: the 'student' functions run here (the sandbox copies what a
    call did to its array arguments back, so calling them directly is the same). Like the
    sandbox's child it notices a call that changed NumPy's global generator, and the grader's
    Session.call refuses it (then this process's global state is put back)."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def call(self, name, args, kwargs, deadline, timeout=None):
        fn = self.namespace.get(name)
        if fn is None:
            raise StudentError("missing", f"{name} is not defined")
        before = np.random.get_state()  # noqa: NPY002
        try:
            with np.errstate(all="ignore"):
                value = fn(*args, **kwargs)
        except NotImplementedError as exc:
            raise StudentError("not_implemented", "NotImplementedError") from exc
        except Exception as exc:
            raise StudentError("exception", f"{type(exc).__name__}: {exc}") from exc
        finally:
            after = np.random.get_state()  # noqa: NPY002
            np.random.set_state(before)  # noqa: NPY002
        if not _same_state(before, after):
            check_global_rng(name, args, kwargs)
        return value

    def get(self, name, deadline):
        if self.namespace.get(name) is None:
            raise StudentError("not_implemented" if name in self.namespace else "missing", name)
        return self.namespace[name]


def _same_state(a, b) -> bool:
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
               for x, y in zip(a, b, strict=True))


def grade(exercise, task, impl) -> dict:
    cases = task.cases(task_rng(0, exercise.name, task.name))
    results, timed_out = _run_task(LocalSession({task.name: impl}), task, cases, 10.0, {})
    return evaluate(task, cases, results, timed_out=timed_out).as_dict()


TASKS = [(ex, task) for ex in EXERCISES.values() for task in ex.tasks if task.kind != "manual"]
MISTAKES = [(ex, task, i) for ex, task in TASKS for i, m in enumerate(task.mistakes)
            if m.impl is not None]


@pytest.mark.parametrize("exercise, task, index", MISTAKES,
                         ids=[f"{t.name}-{i}" for _, t, i in MISTAKES])
def test_every_catalogued_mistake_scores_zero(exercise, task, index):
    mistake = task.mistakes[index]
    result = grade(exercise, task, mistake.impl)
    assert result["score"] == 0, (mistake.feedback, result)
    assert mistake.feedback in result["feedback"] or result["status"] == "error", result


def _first_array(args):
    return next((a for a in args if isinstance(a, np.ndarray)), None)


DO_NOTHING = {
    "returns its first input": lambda *a, **k: a[0] if a else None,
    "returns zeros": lambda *a, **k: np.zeros_like(_first_array(a)) if _first_array(a) is not None
    else 0.0,
    "returns 0": lambda *a, **k: 0.0,
    "returns the inputs unchanged": lambda *a, **k: tuple(a[:2]) if len(a) > 1 else a[0],
    "returns (param, state) unchanged": lambda *a, **k: (a[0], a[2] if len(a) > 2 else {}),
    "returns the learning rate": lambda *a, **k: k.get("learning_rate", a[0] if a else 0.0),
    "returns None": lambda *a, **k: None,
}
FUNCTIONS = [(ex, t) for ex, t in TASKS if t.kind == "function"]


@pytest.mark.parametrize("how", sorted(DO_NOTHING))
@pytest.mark.parametrize("exercise, task", FUNCTIONS, ids=[t.name for _, t in FUNCTIONS])
def test_do_nothing_code_scores_zero(exercise, task, how):
    result = grade(exercise, task, DO_NOTHING[how])
    assert result["score"] == 0, result


VALUES = [(ex, t) for ex, t in TASKS if t.kind == "value"]


@pytest.mark.parametrize("answer", [0, 1, -1, 0.5])
@pytest.mark.parametrize("exercise, task", VALUES, ids=[t.name for _, t in VALUES])
def test_guessed_answers_score_zero(exercise, task, answer):
    assert grade(exercise, task, answer)["score"] == 0


@pytest.mark.parametrize("exercise, task", TASKS, ids=[t.name for _, t in TASKS])
def test_the_reference_scores_full_marks(exercise, task):
    result = grade(exercise, task, task.reference)
    assert result["score"] == task.points and result["status"] == "passed", result


def test_changing_an_input_in_place_scores_zero():
    exercise = EXERCISES["07_optimizers"]

    def sgd_update(param, grad, state, *, learning_rate, momentum=0.0):
        update = momentum * state.get("u", 0.0) - learning_rate * grad
        param += update  # the right numbers, but the caller's array is changed
        return param, {"u": update}

    result = grade(exercise, exercise.task("sgd_update"), sgd_update)
    assert result["score"] == 0 and "in place" in result["feedback"]


def test_a_gradient_check_that_leaves_x_shifted_scores_zero():
    exercise = EXERCISES["04_gradient_checking"]

    def numerical_jacobian(f, x, epsilon=1e-5):
        out_shape = np.shape(f(x.copy()))
        jac = np.zeros((int(np.prod(out_shape)), x.size))
        for j in range(x.size):
            x.flat[j] += epsilon
            plus = np.ravel(f(x.copy()))
            x.flat[j] -= 2 * epsilon
            minus = np.ravel(f(x.copy()))
            jac[:, j] = (plus - minus) / (2 * epsilon)  # x is left ε too low
        return jac.reshape(out_shape + x.shape)

    result = grade(exercise, exercise.task("numerical_jacobian"), numerical_jacobian)
    assert result["score"] == 0, result


def test_degenerate_cases_are_gates():
    exercise = EXERCISES["09_regularization"]

    def l2_gradient(weights, lam):  # right except that λ = 0 still penalises
        return 2 * max(lam, 0.01) * weights

    result = grade(exercise, exercise.task("l2_gradient"), l2_gradient)
    assert result["score"] == 0 and "λ = 0" in result["feedback"]
