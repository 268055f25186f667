"""The grader's core guarantees: full marks for the solutions, 0 for fresh student notebooks,
every catalogued mistake caught with its feedback, partial credit, dtype and shape handling."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS, STUDENT, by_task, graded, submission

from nnlab.grading import grade_many, grade_notebook
from nnlab.grading.core import (
    CaseResult,
    Mistake,
    compare_arrays,
    evaluate,
    flatten,
    run_quietly,
    task_rng,
)

EXERCISES = graded()  # with the held-out references, on one student's numbers
ALL_TASKS = [(ex, task) for ex in EXERCISES.values() for task in ex.tasks if task.kind != "manual"]


def _ids(item):
    return f"{item[0].name}-{item[1].name}"


@pytest.fixture(scope="module")
def solution_reports():
    files = sorted(SOLUTIONS.glob("*.ipynb"))
    assert len(files) == len(EXERCISES)
    return grade_many(files, jobs=2)


@pytest.fixture(scope="module")
def student_reports():
    files = sorted(STUDENT.glob("*.ipynb"))
    assert len(files) == len(EXERCISES)
    return grade_many(files, jobs=2)


def test_every_exercise_has_a_notebook_pair_3_to_6_graded_tasks_and_a_written_answer():
    assert sorted(p.stem for p in SOLUTIONS.glob("*.ipynb")) == sorted(EXERCISES)
    for exercise in EXERCISES.values():
        graded = [t for t in exercise.tasks if t.kind != "manual"]
        assert 3 <= len(graded) <= 6, exercise.name
        assert exercise.manual_points >= 1 and exercise.max_score == sum(t.points for t in graded)


def test_solutions_score_full_marks(solution_reports):
    for report in solution_reports:
        assert report["error"] is None
        assert report["score"] == report["max_score"] > 0, report
        assert {t["status"] for t in report["tasks"]} == {"passed", "manual"}


def test_fresh_student_notebooks_score_zero_not_attempted(student_reports):
    for report in student_reports:
        assert report["error"] is None
        assert report["score"] == 0
        assert {t["status"] for t in report["tasks"]} == {"not_attempted"}, report
        assert all("not" in t["feedback"] and ("attempted" in t["feedback"] or "given" in t["feedback"])
                   for t in report["tasks"])


def test_report_format(solution_reports):
    report = solution_reports[0]
    assert {"exercise", "score", "max_score", "manual_points", "tasks"} <= set(report)
    for t in report["tasks"]:
        if t["status"] == "manual":
            assert set(t) == {"name", "score", "max_score", "manual_points", "status", "feedback",
                              "answer"}
        else:
            assert set(t) == {"name", "score", "max_score", "status", "feedback"}


def test_written_answers_are_listed_as_manual_in_every_report(solution_reports, tmp_path):
    from nnlab.grading.report import gradescope_results, json_report, text_report, write_csv

    report = next(r for r in solution_reports if r["exercise"] == "10_dropout")
    written = by_task(report)["answer_text_inference"]
    assert written["status"] == "manual" and written["manual_points"] == 1
    assert written["score"] == 0 and written["max_score"] == 0 and "rescal" in written["answer"]
    assert report["manual_points"] == 1 and report["max_score"] == EXERCISES["10_dropout"].max_score
    text = text_report(report)
    assert "+ 1 point of written answers, graded by hand" in text
    assert any("answer_text_inference" in line and "manual" in line for line in text.splitlines())
    assert json_report(report)["manual_points"] == 1
    write_csv(tmp_path / "g.csv", [report])
    import csv
    row = next(csv.DictReader((tmp_path / "g.csv").open()))
    assert row["answer_text_inference"] == "manual"
    tests = {t["name"]: t for t in gradescope_results(report)["tests"]}
    manual = tests["answer_text_inference (written answer, graded by hand)"]
    assert manual["max_score"] == 0 and "1 point," in manual["output"]


def _results(task, cases, impl):
    out = []
    for case in cases:
        try:
            out.append(CaseResult(outputs=run_quietly(case.run, impl)))
        except Exception as exc:
            out.append(CaseResult(error=type(exc).__name__))
    return out


@pytest.mark.parametrize("item", ALL_TASKS, ids=_ids)
def test_reference_passes_and_each_catalogued_mistake_is_named(item):
    exercise, task = item
    cases = task.cases(task_rng(0, exercise.name, task.name))
    assert cases
    assert evaluate(task, cases, _results(task, cases, task.reference)).status == "passed"
    for mistake in task.mistakes:
        if mistake.impl is None:
            continue  # random outputs: tested with wrong implementations below
        result = evaluate(task, cases, _results(task, cases, mistake.impl))
        assert result.score < result.max_score, mistake.feedback
        assert mistake.feedback in result.feedback, (mistake.feedback, result.feedback)


# Wrong implementations of the tasks whose outputs are random (graded on properties).
def _dropout(scale_of, keep_of):
    def dropout_forward(inputs, rate, rng):
        mask = (rng.random(inputs.shape) < keep_of(rate)) * scale_of(rate)
        return inputs * mask, mask
    return dropout_forward


def _folds(kind):
    def k_fold_indices(n_samples, k, rng=None):
        idx = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
        size = n_samples // k
        folds = []
        for i in range(k):
            if kind == "overlap":
                val = np.sort(idx[i * size: i * size + size + 1])
            elif kind == "dropped":
                val = np.sort(idx[i * size: (i + 1) * size])
            elif kind == "last":
                val = np.sort(idx[i * size: (i + 1) * size if i < k - 1 else n_samples])
            else:
                val = np.sort(np.array_split(idx, k)[i])
            train = np.arange(n_samples) if kind == "train" else np.setdiff1d(np.arange(n_samples), val)
            folds.append((train, val))
        return folds
    return k_fold_indices


RANDOM_MISTAKES = [
    ("dropout_forward", _dropout(lambda r: 1.0, lambda r: 1 - r), "without rescaling"),
    ("dropout_forward", _dropout(lambda r: 1 / r if r else 1.0, lambda r: r), "fraction dropped"),
    ("dropout_forward", _dropout(lambda r: 1 - r, lambda r: 1 - r), "multiplied by 1 − rate"),
    ("k_fold_indices", _folds("overlap"), "folds overlap"),
    ("k_fold_indices", _folds("dropped"), "drops the remainder"),
    ("k_fold_indices", _folds("last"), "last fold gets all the leftover"),
    ("k_fold_indices", _folds("train"), "training set contains samples of its own validation"),
]


@pytest.mark.parametrize("name, impl, text", RANDOM_MISTAKES, ids=[m[2] for m in RANDOM_MISTAKES])
def test_random_output_mistakes_are_named(name, impl, text):
    from nnlab.grading.tasks import find_task

    exercise, task = find_task(name)
    cases = task.cases(task_rng(0, exercise.name, task.name))
    result = evaluate(task, cases, _results(task, cases, impl))
    assert result.score < result.max_score
    assert text in result.feedback, result.feedback
    assert any(text in m.feedback for m in task.mistakes)


def test_a_shuffle_that_differs_from_the_reference_still_passes():
    from nnlab.grading.tasks import find_task

    exercise, task = find_task("k_fold_indices")
    cases = task.cases(task_rng(0, exercise.name, task.name))

    def other_shuffle(n_samples, k, rng=None):
        idx = np.arange(n_samples) if rng is None else rng.permutation(n_samples)[::-1]
        return [(np.setdiff1d(np.arange(n_samples), np.sort(v)), np.sort(v))
                for v in np.array_split(idx, k)]

    assert evaluate(task, cases, _results(task, cases, other_shuffle)).status == "passed"


def test_catalogued_mistakes_injected_into_solutions_end_to_end(tmp_path):
    injected = {
        "07_optimizers": ("sgd_update", '''
def sgd_update(param, grad, state, *, learning_rate, momentum=0.0):
    update = momentum * state.get("u", 0.0) - grad
    return param + update, {"u": update}
''', "learning rate"),
        "01_forward_pass": ("softmax", '''
def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)
''', "without the max shift overflows"),
        "09_regularization": ("regularized_gradients", '''
def regularized_gradients(weights, biases, dweights, dbiases, weight_l1, weight_l2, bias_l1, bias_l2):
    dweights, dbiases = dweights.copy(), dbiases.copy()
    if weight_l1 > 0:
        dweights += weight_l1 * np.where(weights < 0, -1.0, 1.0)
    if weight_l1 > 0:
        dweights += 2 * weight_l2 * weights
    if bias_l1 > 0:
        dbiases += bias_l1 * np.where(biases < 0, -1.0, 1.0)
    if bias_l1 > 0:
        dbiases += 2 * bias_l2 * biases
    return dweights, dbiases
''', "guarded by the L1 strengths"),
        "03_backprop_derivation": ("swish_backward", '''
def swish_backward(dvalues, inputs):
    s = 1 / (1 + np.exp(-inputs))
    return dvalues * s
''', "product rule"),
        "05_worked_example_2-2-2": ("output_delta", '''
def output_delta(outputs, targets):
    return (outputs - targets) * targets * (1 - targets)
''', "g'(target) instead of g'(output)"),
        "02_loss": ("categorical_cross_entropy", '''
def categorical_cross_entropy(probs, y_true):
    y_true = np.asarray(y_true)
    if y_true.ndim == 2:
        y_true = y_true.argmax(axis=1)
    return -np.sum(np.log(np.clip(probs, 1e-7, 1 - 1e-7)[np.arange(len(probs)), y_true]))
''', "summed over samples"),
    }
    files = [submission(tmp_path, ex, append=[code], name=f"wrong_{ex}.ipynb")
             for ex, (_, code, _) in injected.items()]
    for report in grade_many(files, jobs=2):
        name, _, text = injected[report["exercise"]]
        task = by_task(report)[name]
        assert task["score"] < task["max_score"]
        assert task["status"] in ("failed", "partial")
        assert text in task["feedback"], task["feedback"]
        others = [t for t in report["tasks"] if t["name"] != name]
        assert all(t["status"] in ("passed", "manual") for t in others)


def test_partial_credit_and_no_double_penalty(tmp_path):
    # dense_backward right except dbiases without keepdims: a shape hint; the other tasks of
    # the notebook still get full marks.
    code = '''
def dense_backward(dvalues, inputs, weights):
    return dvalues @ weights.T, inputs.T @ dvalues, dvalues.sum(axis=0)
'''
    report = grade_notebook(submission(tmp_path, "03_backprop_derivation", append=[code]))
    task = by_task(report)["dense_backward"]  # two of three outputs right: each scored alone
    assert task["status"] == "partial" and task["score"] == 2 and task["max_score"] == 3
    assert "right on every input: dinputs, dweights" in task["feedback"]
    assert "dbiases" in task["feedback"] and "keepdims" in task["feedback"]
    code = '''
def two_layer_backward(X, y, W1, b1, W2, b2):
    return buggy_two_layer_backward(X, y, W1, b1, W2, b2)
'''
    report = grade_notebook(submission(tmp_path, "03_backprop_derivation", append=[code]))
    task = by_task(report)["two_layer_backward"]  # the code as given: a catalogued mistake, 0
    assert task["status"] == "failed" and task["score"] == 0
    assert "the code as given" in task["feedback"]


def test_float32_answers_get_a_looser_tolerance_and_shapes_are_explained():
    ref = np.linspace(0.1, 1.0, 6).reshape(3, 2)
    assert compare_arrays(ref.astype(np.float32), ref) is None
    assert compare_arrays(ref + 1e-3, ref) is not None
    assert "keepdims" in compare_arrays(np.ones(3), np.ones((3, 1)))
    assert "transposed" in compare_arrays(np.ones((2, 3)), np.ones((3, 2)))
    msg = compare_arrays(np.array([1.0, 2.5, 3.0]), np.array([1.0, 2.0, 3.0]))
    assert "max abs error 0.5" in msg and "index (1,)" in msg
    assert compare_arrays(np.array([3, 4]), np.array([3, 4])) is None
    assert "whole numbers" in compare_arrays(np.array([3.5, 4.0]), np.array([3, 4]))


def test_flatten_rejects_objects_and_keeps_plain_arrays():
    class Always:
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError):
        flatten(Always())
    with pytest.raises(TypeError):
        flatten(np.array([Always()], dtype=object))
    sub = np.arange(3.0).view(np.matrix)
    assert type(flatten(sub)["value"]) is np.ndarray
    assert set(flatten((np.zeros(2), {"m": 1.0}))) == {"0", "1.m"}


def test_overflow_warnings_never_zero_a_correct_answer(tmp_path):
    code = '''
import warnings
warnings.simplefilter("error")
np.seterr(all="raise")

def softmax(x):
    warnings.warn("this softmax is careful", RuntimeWarning)
    with np.errstate(over="warn"):
        np.exp(np.array([1000.0]))  # an overflow warning, result unused
    exp = np.exp(x - x.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)
'''
    report = grade_notebook(submission(tmp_path, "01_forward_pass", append=[code]))
    assert by_task(report)["softmax"]["status"] == "passed"


def test_mistake_without_impl_or_detect_never_matches():
    from nnlab.grading.core import _match_mistake
    from nnlab.grading.tasks import find_task

    _, task = find_task("softmax")
    bare = Mistake("never")
    assert _match_mistake(task.__class__(**{**task.__dict__, "mistakes": (bare,)}), []) is None


def test_a_deleted_function_is_an_error_and_a_deleted_answer_not_attempted(tmp_path):
    import nbformat

    path = submission(tmp_path, "07_optimizers", student=True)
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells
                if "def sgd_update" not in c.source and "answer_lr_last_update = None" not in c.source]
    nbformat.write(nb, path)
    tasks = by_task(grade_notebook(path))
    assert tasks["sgd_update"]["status"] == "error"
    assert "sgd_update is not defined" in tasks["sgd_update"]["feedback"]
    assert tasks["answer_lr_last_update"]["status"] == "not_attempted"


def test_another_seed_changes_the_inputs_but_not_the_verdicts(tmp_path):
    from nnlab.grading.tasks import find_task

    exercise, task = find_task("dense_backward")
    a = task.cases(task_rng(0, exercise.name, task.name))[0].run(lambda *args: args[0])
    b = task.cases(task_rng(7, exercise.name, task.name))[0].run(lambda *args: args[0])
    assert not np.array_equal(a, b)
    report = grade_notebook(SOLUTIONS / "03_backprop_derivation.ipynb", seed=7)
    assert report["score"] == report["max_score"]
