"""`nnlab exercises release`: student notebooks generated from the solutions, never drifting;
every exercise notebook stored executed; `check` gives one friendly, deterministic line."""

from __future__ import annotations

import json

import nbformat
import pytest
from grading_helpers import ROOT, SOLUTIONS, STUDENT

from nnlab.grading import check
from nnlab.grading.release import release, sources, strip_solutions, student_notebook
from nnlab.grading.tasks import EXERCISES

NOTEBOOKS = sorted(SOLUTIONS.glob("*.ipynb")) + sorted(STUDENT.glob("*.ipynb"))


def test_student_notebooks_match_what_release_generates():
    assert release(SOLUTIONS, STUDENT, check_only=True, log=lambda msg: None) == []


def test_drift_is_detected(tmp_path):
    for sol in SOLUTIONS.glob("*.ipynb"):
        (tmp_path / sol.name).write_bytes((STUDENT / sol.name).read_bytes())
    nb = nbformat.read(tmp_path / "07_optimizers.ipynb", as_version=4)
    nb.cells[-1].source += "\n# edited by hand"
    nbformat.write(nb, tmp_path / "07_optimizers.ipynb")
    drifted = release(SOLUTIONS, tmp_path, check_only=True, log=lambda msg: None)
    assert [p.name for p in drifted] == ["07_optimizers.ipynb"]


def test_strip_solutions_inside_functions_and_at_top_level():
    src = ("def f(x):\n    \"\"\"doc\"\"\"\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n"
           "    ### END SOLUTION\n")
    assert strip_solutions(src) == ('def f(x):\n    """doc"""\n'
                                    "    raise NotImplementedError  # your code here")
    src = "### BEGIN SOLUTION\nh = 2\nanswer_a = h * 3\nanswer_b: float = 1.0\n### END SOLUTION"
    assert strip_solutions(src) == ("answer_a = None  # your answer here\n"
                                    "answer_b = None  # your answer here")
    assert strip_solutions("### BEGIN SOLUTION\nh = 2\n### END SOLUTION") == "h = None  # your answer here"
    with pytest.raises(ValueError):
        strip_solutions("### BEGIN SOLUTION\nx = 1\n")


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_solutions_define_every_task_and_carry_metadata(path):
    nb = nbformat.read(path, as_version=4)
    exercise = EXERCISES[nb.metadata["nnlab"]["exercise"]]
    assert exercise.name == path.stem
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for task in exercise.tasks:
        assert (f"def {task.name}(" in code) or (f"{task.name} = " in code), task.name
        assert f"check({task.name})" in code or f'check("{task.name}")' in code
    student = student_notebook(nb, exercise.name)
    assert "BEGIN SOLUTION" not in json.dumps(sources(student))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_exercise_notebooks_are_stored_executed(path):
    """nbval compares nothing in an unexecuted cell: every code cell must carry a fresh run."""
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), counts
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert all(o.output_type != "error" for o in cell.outputs)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    if path.parent == STUDENT:
        assert "not attempted yet" in text and "✔" not in text
    else:
        assert "not attempted" not in text and "✘" not in text


def test_check_prints_one_deterministic_line(capsys):
    import numpy as np

    def softmax(x):
        raise NotImplementedError

    check(softmax)

    def dense_forward(inputs, weights, biases):
        return inputs @ weights + biases

    check(dense_forward)

    def log_softmax(x):  # held out: check tests what needs no answer, and log(0) shows
        return np.log(np.exp(x) / np.exp(x).sum(axis=1, keepdims=True))

    check(log_softmax)
    answer_n_params = None  # noqa: F841
    check("answer_n_params")
    check("not_a_task")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("… softmax: not attempted yet")
    assert out[1] == "✔ dense_forward: all 4 checks passed (1/1 points)"
    assert out[2].startswith("✘ log_softmax: ") and "nan or inf" in out[2]
    assert out[3].startswith("… answer_n_params: not attempted yet")
    assert "not one of the graded tasks" in out[4]
    assert np is not None


def test_check_flags_calling_nnlab(capsys):
    import nnlab

    def sgd_update(param, grad, state, **kw):
        return nnlab.sgd_update(param, grad, state, **kw)

    check(sgd_update)
    assert "calls nnlab's own nnlab.optimizers.sgd_update" in capsys.readouterr().out


def test_make_notebooks_also_releases_and_executes_the_student_notebooks():
    text = (ROOT / "Makefile").read_text()
    target = text.split("\nnotebooks:", 1)[1].split("\n\n", 1)[0]
    assert "exercises/solutions/*.ipynb" in text and "nnlab exercises release" in target


def test_a_class_release_holds_no_solutions(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "nnlab", "exercises", "release", "--to",
                           str(tmp_path), "--no-execute"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    released = sorted(p.name for p in tmp_path.iterdir())
    assert released == sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))
    for path in tmp_path.iterdir():
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        solution = nbformat.read(SOLUTIONS / path.name, as_version=4)
        # Lines the notebook gives the student anyway (a "find the bug" task's code) do not leak.
        given = {ln.strip() for cell in solution.cells
                 for ln in strip_solutions(cell.source).splitlines()}
        for cell in solution.cells:
            if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
                body = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
                lines = [ln.strip() for ln in body.splitlines()
                         if len(ln.strip()) > 20 and ln.strip() not in given]
                assert not any(ln in text for ln in lines), (path.name, lines)
