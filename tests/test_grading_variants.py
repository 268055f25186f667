"""Per-student numbers and held-out references.

Each student's numbers come from (course salt, exercise, STUDENT_ID): two students see different
numbers in their notebook and each gets full marks on their own; a copied answer scores 0. The
answers of held-out tasks live in exercises/reference, which check() in the notebook never loads.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from grading_helpers import ROOT, SOLUTIONS, STUDENT, by_task, graded

from nnlab.grading import check, grade_notebook
from nnlab.grading.references import MissingReference
from nnlab.grading.release import student_notebook
from nnlab.grading.tasks import EXERCISES
from nnlab.variants import DEFAULT_SALT, GENERATORS, numbers_for

EXERCISE = "05_worked_example_2-2-2"
VALUES = ("answer_out_h", "answer_out_o", "answer_delta_o", "answer_w5_new")


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("exercise", sorted(GENERATORS))
def test_two_ids_get_different_numbers_one_id_always_the_same(exercise):
    alice, bob = numbers_for(exercise, "alice"), numbers_for(exercise, "bob")
    assert alice and not _same(alice, bob)
    assert _same(alice, numbers_for(exercise, "  Alice "))  # spaces and case do not matter
    assert not _same(alice, numbers_for(exercise, "alice", salt="another course"))


def _notebook(tmp_path, student_id, *, salt=DEFAULT_SALT, extra=(), name=None):
    """The solution notebook of exercise 05 for one student (and course salt)."""
    nb = nbformat.read(SOLUTIONS / f"{EXERCISE}.ipynb", as_version=4)
    cell = nb.cells[2]
    assert 'STUDENT_ID = "instructor"' in cell.source and 'COURSE_SALT = "nnlab"' in cell.source
    cell.source = cell.source.replace('"instructor"', repr(student_id)).replace('"nnlab"', repr(salt))
    nb.cells += [nbformat.v4.new_code_cell(code) for code in extra]
    path = tmp_path / (name or f"{student_id}.ipynb")
    nbformat.write(nb, path)
    return path


def _answers_of(student_id) -> list[str]:
    """Cells that set the value answers to another student's (right) numbers."""
    exercise = graded(student_id)[EXERCISE]
    return [f"{name} = np.array({exercise.task(name).reference.tolist()!r})" for name in VALUES]


def test_each_student_gets_full_marks_on_their_own_numbers_and_a_copy_scores_zero(tmp_path):
    full = EXERCISES[EXERCISE].max_score
    for student in ("alice", "bob"):
        report = grade_notebook(_notebook(tmp_path, student))
        assert report["score"] == full and report["student_id"] == student, report
    copied = by_task(grade_notebook(_notebook(tmp_path, "bob", extra=_answers_of("alice"),
                                              name="bob_copied.ipynb")))
    assert all(copied[name]["score"] == 0 for name in VALUES), copied
    assert copied["output_delta"]["status"] == "passed"  # the functions are still bob's own


def test_an_empty_student_id_is_graded_on_the_empty_ids_numbers_with_a_warning(tmp_path):
    report = grade_notebook(_notebook(tmp_path, "", name="anonymous.ipynb"))
    assert report["score"] == EXERCISES[EXERCISE].max_score
    assert "STUDENT_ID is not set" in report["warning"]


def _printed_numbers(student_id) -> str:
    """What the released student notebook's id cell prints for one id."""
    nb = nbformat.read(STUDENT / f"{EXERCISE}.ipynb", as_version=4)
    source = nb.cells[2].source.replace('STUDENT_ID = ""', f"STUDENT_ID = {student_id!r}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<id cell>", "exec"), {"np": np})
    return out.getvalue()


def test_the_notebook_shows_each_student_their_own_numbers():
    alice, bob = _printed_numbers("alice"), _printed_numbers("bob")
    assert "student id 'alice'" in alice and "W1 = " in alice and "target = " in alice
    assert alice.split("\n", 1)[1] != bob.split("\n", 1)[1]
    assert "STUDENT_ID is empty" in _printed_numbers("")


def test_a_release_writes_its_salt_and_grading_needs_the_same_salt(tmp_path):
    solution = nbformat.read(SOLUTIONS / f"{EXERCISE}.ipynb", as_version=4)
    released = student_notebook(solution, EXERCISE, salt="nn-2026-spring").cells[2].source
    assert 'STUDENT_ID = ""' in released and "COURSE_SALT = 'nn-2026-spring'" in released
    path = _notebook(tmp_path, "carol", salt="nn-2026-spring")
    assert grade_notebook(path, salt="nn-2026-spring")["score"] == EXERCISES[EXERCISE].max_score
    wrong = by_task(grade_notebook(path))  # the grader's salt differs from the notebook's
    assert all(wrong[name]["score"] == 0 for name in VALUES)


def test_grading_without_the_references_stops_with_a_clear_message(tmp_path):
    empty = tmp_path / "reference"
    empty.mkdir()
    (empty / "__init__.py").write_text("")
    with pytest.raises(MissingReference, match="no reference for answer_out_h"):
        grade_notebook(SOLUTIONS / f"{EXERCISE}.ipynb", references=empty)
    done = subprocess.run([sys.executable, "-m", "nnlab", "grade", "--reference", str(empty),
                           str(SOLUTIONS / f"{EXERCISE}.ipynb")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "--reference DIR" in done.stderr


def test_every_held_out_task_has_a_reference_and_the_package_holds_none():
    exercises = graded()
    for name, exercise in EXERCISES.items():
        for task in exercise.tasks:
            if task.held_out:
                assert not task.mistakes, task.name  # wrong variants are near-answers too
                assert not exercises[name].task(task.name).held_out, f"{task.name}: no reference"


def _check_output(fn_or_name) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check(fn_or_name)
    return out.getvalue().strip()


def test_check_on_a_held_out_task_checks_what_needs_no_answer():
    def output_delta(outputs, targets):
        return (outputs - targets) * outputs * (1 - outputs)

    assert _check_output(output_delta).startswith("✔ output_delta: runs on 3 inputs")
    assert "graded by `nnlab grade`" in _check_output(output_delta)

    def output_delta(outputs, targets):  # noqa: F811  (the shape is wrong)
        return ((outputs - targets) * outputs * (1 - outputs)).sum(axis=1)

    assert "shape" in _check_output(output_delta) and _check_output(output_delta).startswith("✘")

    def output_delta(outputs, targets):  # noqa: F811  (not 0 where the output is the target)
        return (outputs - targets) * outputs * (1 - outputs) + 1e-3

    assert "nothing to learn" in _check_output(output_delta)


def test_check_never_loads_the_references():
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from nnlab.grading import check\n"
            "def hidden_delta(d, w, h):\n    return (d @ w.T) * h * (1 - h)\n"
            "check(hidden_delta)\n"
            "assert not [m for m in sys.modules if m.startswith('_nnlab_reference')]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("✔ hidden_delta"), done


def test_warm_ups_carry_at_most_30_percent_and_the_training_exercises_are_integrative():
    for name, exercise in EXERCISES.items():
        graded_tasks = [t for t in exercise.tasks if t.kind != "manual"]
        warm_up = sum(t.points for t in graded_tasks if not t.held_out)
        assert warm_up <= 0.3 * exercise.max_score, (name, warm_up, exercise.max_score)
        if name >= "06":  # from the training loop on: one task trains the student's own network
            assert any(t.timeout for t in graded_tasks), name
