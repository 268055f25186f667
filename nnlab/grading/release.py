"""``nnlab exercises release``: student notebooks generated from the instructor notebooks.

In a solution notebook, code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is the
answer. Inside a function it becomes ``raise NotImplementedError``; at the top level of a cell
each assigned ``answer_...`` name (else each assigned name) becomes ``name = None``. Outputs are cleared, the
notebook is executed in a fresh kernel and its widget state stripped, as ``make notebooks`` does.
"""

from __future__ import annotations

import ast
import copy
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from ..variants import DEFAULT_SALT

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def strip_solutions(source: str) -> str:
    """The student version of one code cell."""
    out, inside, indent, body = [], False, "", []
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError("nested ### BEGIN SOLUTION")
            inside, indent, body = True, line[: len(line) - len(line.lstrip())], []
        elif marker == END:
            if not inside:
                raise ValueError("### END SOLUTION without BEGIN")
            inside = False
            out.extend(_stub(indent, body))
        elif inside:
            body.append(line)
        else:
            out.append(line)
    if inside:
        raise ValueError("### BEGIN SOLUTION without END")
    return "\n".join(out)


def _stub(indent: str, body: list[str]) -> list[str]:
    if indent:
        return [f"{indent}raise NotImplementedError  # your code here"]
    names = []
    for node in ast.parse(textwrap.dedent("\n".join(body))).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    answers = [name for name in names if name.startswith("answer_")]
    names = answers or names  # helper variables of a worked answer stay the student's business
    return [f"{name} = None  # your answer here" for name in names] or ["# your code here"]


def personalise(source: str, salt: str) -> str:
    """The student's id cell: the instructor's STUDENT_ID emptied, the course salt written in."""
    source = re.sub(r'^STUDENT_ID = [^#\n]*?(\s*#[^\n]*)?$', r'STUDENT_ID = ""\1', source,
                    flags=re.M)
    return re.sub(r'^COURSE_SALT = [^#\n]*?(\s*#[^\n]*)?$',
                  lambda m: f"COURSE_SALT = {salt!r}{m.group(1) or ''}", source, flags=re.M)


def student_notebook(solution: nbformat.NotebookNode, exercise: str,
                     salt: str = DEFAULT_SALT) -> nbformat.NotebookNode:
    """A student notebook (without outputs) from an instructor notebook."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = personalise(strip_solutions(cell.source), salt)
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nb.metadata["nnlab"] = {"exercise": exercise, "version": "student"}
    return nb


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """What must not drift between a released notebook and its solution: cell types and sources."""
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def solution_files(solutions_dir: Path) -> list[Path]:
    return sorted(Path(solutions_dir).glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, timeout: int = 300) -> None:
    """Execute a notebook in place in a fresh kernel, then strip widget state (outputs kept)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", str(path)],
                   check=True)


def release(solutions_dir, out_dir, *, run: bool = True, check_only: bool = False,
            salt: str = DEFAULT_SALT, log=print) -> list[Path]:
    """Write (or with ``check_only``, compare) the student notebooks; returns the drifted ones."""
    solutions_dir, out_dir = Path(solutions_dir), Path(out_dir)
    drifted = []
    for sol_path in solution_files(solutions_dir):
        solution = nbformat.read(sol_path, as_version=4)
        exercise = solution.metadata.get("nnlab", {}).get("exercise", sol_path.stem)
        student = student_notebook(solution, exercise, salt)
        target = out_dir / sol_path.name
        current = nbformat.read(target, as_version=4) if target.exists() else None
        same = current is not None and sources(current) == sources(student) and \
            current.metadata.get("nnlab") == student.metadata["nnlab"]
        if check_only:
            if not same:
                drifted.append(target)
                log(f"out of date: {target}")
            continue
        if same and not run:
            continue
        nbformat.write(student, target)
        log(f"released {target}")
        if run:
            execute(target)
    return drifted
