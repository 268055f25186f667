"""Helpers for the grading tests: submissions built from the solution notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat

from nnlab.grading.grader import personal
from nnlab.grading.references import graded_exercises
from nnlab.variants import DEFAULT_SALT

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "exercises" / "solutions"
STUDENT = ROOT / "exercises"


def submission(tmp_path: Path, exercise: str, *, append=(), prepend=(), name=None,
               student=False, metadata=True) -> Path:
    """A copy of an exercise notebook with extra code cells (later definitions win)."""
    src = (STUDENT if student else SOLUTIONS) / f"{exercise}.ipynb"
    nb = nbformat.read(src, as_version=4)
    extra_after = [nbformat.v4.new_code_cell(code) for code in append]
    extra_before = [nbformat.v4.new_code_cell(code) for code in prepend]
    nb.cells = nb.cells[:3] + extra_before + nb.cells[3:] + extra_after
    if not metadata:
        nb.metadata.pop("nnlab", None)
    path = tmp_path / (name or f"{exercise}.ipynb")
    nbformat.write(nb, path)
    return path


def by_task(report: dict) -> dict:
    return {t["name"]: t for t in report["tasks"]}


def graded(student_id: str = "s0000001", salt: str = DEFAULT_SALT) -> dict:
    """Every exercise with its held-out references, on one student's numbers."""
    return {name: personal(ex, student_id, salt) for name, ex in graded_exercises().items()}
