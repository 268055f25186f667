"""Grading submissions: read the notebook, run its code in a sandbox, score the outputs.

The submission's code runs in a fresh sandboxed process (``sandbox.Session``: bubblewrap, or a
plain child where bubblewrap cannot run). The grader keeps the seed, the tasks and the
references; it sends one function call at a time over a pipe, accepts only the answer to that
call, and compares it with the reference it computes itself.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..variants import DEFAULT_SALT, normalized_id, student_rng
from .core import (
    CaseResult,
    Exercise,
    InputChanged,
    OutputError,
    evaluate,
    flatten,
    for_numbers,
    forbidden_names,
    keeps_inputs,
    task_rng,
    written_answer,
)
from .references import MissingReference, graded_exercises, require_references
from .runner import describe, notebook_code
from .sandbox import (
    SandboxUnavailable,
    Session,
    SessionDied,
    StudentError,
    kill_all,
    sandbox_status,
)
from .tasks import EXERCISES

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 1024
MAX_NOTEBOOK_BYTES = 20 * 2**20
NOT_SANDBOXED = ("NOT SANDBOXED: {why}; the submission ran as a plain child process of the "
                 "grader. Install bubblewrap (apt-get install bubblewrap) and use --require-sandbox "
                 "for grades.")


class SubmissionError(Exception):
    """The file cannot be graded (not a notebook, unknown exercise, ...)."""


class Interrupted(Exception):
    """Grading was interrupted (Ctrl-C); the submission's process was killed."""


_STOP = threading.Event()  # set on Ctrl-C: no new submission starts


# ---- reading a submission ----

def submission_name(path: Path) -> str:
    name = Path(path).name
    return name[: -len(".ipynb")] if name.endswith(".ipynb") else Path(path).stem


def exercise_from_name(filename: str) -> str | None:
    """The exercise whose stem appears in a file name (longest match), if any."""
    hits = [name for name in EXERCISES if name in filename]
    return max(hits, key=len) if hits else None


def read_notebook_file(path: Path) -> bytes:
    """The bytes of a regular file, never following a symlink and never blocking (a FIFO or a
    folder named ``*.ipynb`` is reported, not opened for reading)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionError(f"{path.name} is a symbolic link, not a notebook file: hand in the "
                              "notebook itself")
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise SubmissionError(f"{path.name} is not a notebook file ({kind})")
    if info.st_size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} is {info.st_size} bytes; a notebook over "
                              f"{MAX_NOTEBOOK_BYTES // 2**20} MB is not graded (clear its outputs)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise SubmissionError(f"{path.name} is not a notebook file (not a regular file)")
        return fh.read(MAX_NOTEBOOK_BYTES + 1)


def _cell_source(cell: dict, key: str) -> str | None:
    src = cell.get(key, "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else None


def load_submission(path, exercise: str | None = None) -> tuple[str, list[str]]:
    """(exercise name, code cell sources) of a notebook file; raises SubmissionError.

    Reads nbformat 4 and 3 (cells under ``worksheets``, code under ``input``) and a UTF-8
    byte-order mark. ``exercise`` pins the exercise: a notebook of another one is refused.
    """
    path = Path(path)
    raw = read_notebook_file(path)
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SubmissionError(f"{path.name} is not a notebook: it is not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f": {exc.msg} at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise SubmissionError(
            f"{path.name} is not a valid notebook (truncated or not JSON{where}); re-download it "
            "from Jupyter (File > Download)") from None
    if isinstance(nb, dict) and isinstance(nb.get("worksheets"), list) and "cells" not in nb:
        sheets = [w for w in nb["worksheets"] if isinstance(w, dict)]
        nb = {**nb, "cells": [c for w in sheets for c in w.get("cells", []) if isinstance(c, dict)]}
        source_key = "input"
    else:
        source_key = "source"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (no cell list)")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    tag = meta.get("nnlab", {}).get("exercise") if isinstance(meta.get("nnlab"), dict) else None
    found = tag if tag in EXERCISES else exercise_from_name(path.name)
    if exercise is not None:
        if found is not None and found != exercise:
            raise SubmissionError(f"this is exercise {found}, expected {exercise}")
        found = exercise
    if found is None:
        known = ", ".join(EXERCISES)
        raise SubmissionError(
            f"cannot tell which exercise {path.name} is: its metadata has no nnlab exercise and "
            f"its name contains none of {known}")
    cells = []
    for cell in nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = _cell_source(cell, source_key) or _cell_source(cell, "source")
            if src is not None:
                cells.append(src)
    return found, cells


# ---- static check (in the parent, on the source text) ----

def static_reference_use(cells: list[str], exercise: Exercise) -> dict[str, str]:
    """{task: dotted name} for graded functions whose body names nnlab's own implementation,
    plus every task if the notebook imports the grader's answer key (nnlab.grading.tasks)."""
    trees = []
    for src in cells:
        try:
            trees.append(ast.parse(notebook_code(src)))
        except (SyntaxError, ValueError):
            continue
    modules, aliases, key_read = set(), {}, False
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("nnlab.grading.tasks"):
                        key_read = True
                    if a.name.split(".")[0] == "nnlab":
                        modules.add((a.asname or a.name).split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nnlab":
                if (node.module or "").startswith("nnlab.grading.tasks") or any(
                        a.name == "tasks" for a in node.names if node.module == "nnlab.grading"):
                    key_read = True
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
    if key_read:
        return {t.name: "answer key (nnlab.grading.tasks)" for t in exercise.tasks}
    found = {}
    for task in exercise.tasks:
        if task.kind != "function":
            continue
        targets = {d.rsplit(".", 1)[1]: d for d in forbidden_names(task) if d.count(".") == 2}
        for tree in trees:
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name == task.name:
                    hit = _body_uses(node, targets, modules, aliases)
                    if hit:
                        found[task.name] = hit
                    else:
                        found.pop(task.name, None)  # a later definition replaces an earlier one
    return found


def _body_uses(fn: ast.FunctionDef, targets, modules, aliases) -> str | None:
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute) and node.attr in targets:
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and (root.id in modules or root.id in aliases):
                return targets[node.attr]
        if isinstance(node, ast.Name) and aliases.get(node.id) in targets:
            return targets[aliases[node.id]]
    return None


# ---- running the submission ----

def _run_task(session: Session, task, cases, timeout: float, traps: dict):
    """(case results, timed out?) of one task, asking the sandbox one call at a time."""
    limit = task.timeout or timeout
    deadline = time.monotonic() + limit + 2  # the grader's clock: one budget for the task
    results, timed_out = [], False
    if task.kind == "manual":
        try:
            value = session.get(task.name, deadline)
        except StudentError:
            value = None
        return [CaseResult(outputs={"answer": value if isinstance(value, str) else ""})], False
    if task.kind == "value":
        try:
            value = session.get(task.name, deadline)
        except StudentError as exc:
            return [CaseResult(error=str(exc), missing=exc.kind == "missing",
                               not_implemented=exc.kind == "not_implemented") for _ in cases], False
        runs = [(case, lambda case=case: case.run(value)) for case in cases]
    else:
        student = keeps_inputs(lambda *args, **kwargs: session.call(task.name, args, kwargs,
                                                                    deadline, limit), task.name)
        runs = [(case, lambda case=case: case.run(student)) for case in cases]
    for _case, run in runs:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                results.append(CaseResult(outputs=flatten(run())))
        except StudentError as exc:
            if exc.kind == "timeout":
                timed_out = True
                break
            if exc.kind == "trap" and exc.function:
                traps.setdefault(task.name, exc.function)
            results.append(CaseResult(error=str(exc), not_implemented=exc.kind == "not_implemented",
                                      missing=exc.kind == "missing"))
            if exc.kind == "missing":  # the same for every case
                results += [CaseResult(error=str(exc), missing=True)] * (len(cases) - len(results))
                break
        except SessionDied:
            raise
        except (OutputError, InputChanged) as exc:
            results.append(CaseResult(error=str(exc)))
        except Exception as exc:  # the grader's own code choked on what came back
            results.append(CaseResult(error=f"its output could not be used: {describe(exc)}"))
    return results, timed_out


def _cells_note(exc: SessionDied) -> str:
    cell = getattr(exc, "cell", None)
    where = f"cell {cell + 1}" if isinstance(cell, int) else "the notebook's start"
    if exc.timed_out:
        return f"the notebook's code did not finish within the time limit ({where})"
    return f"the notebook's code ended the Python process ({where}): {exc}"


def personal(exercise: Exercise, student_id, salt: str) -> Exercise:
    """The exercise on one student's numbers (the same exercise if it has none)."""
    if exercise.numbers is None:
        return exercise
    numbers = exercise.numbers(student_rng(exercise.name, student_id, salt))
    return replace(exercise, tasks=tuple(for_numbers(t, numbers) for t in exercise.tasks))


def _student_id(session: Session) -> str:
    """The notebook's STUDENT_ID ("" if it is missing or not text)."""
    try:
        value = session.get("STUDENT_ID", time.monotonic() + 5)
    except StudentError:
        return ""
    return value.strip() if isinstance(value, str) else ""


def _execute(exercise: Exercise, cells, seed, timeout, memory_mb, isolated, user=None,
             salt: str = DEFAULT_SALT) -> dict:
    """Per task: (case results, timed out?, note); plus cell errors, reference calls, the
    student's id and the exercise on the student's numbers.

    A task that kills or hangs the submission's process is charged to that task alone: a fresh
    process re-runs the cells for the tasks after it.
    """
    outcomes: dict = {"__traps__": {}, "__cells__": {}, "__student__": None,
                      "__exercise__": personal(exercise, "", salt)}
    traps = [name for task in exercise.tasks for name in forbidden_names(task)]
    remaining = list(outcomes["__exercise__"].tasks)
    while remaining:
        if _STOP.is_set():
            raise Interrupted()
        session = Session(cells, traps, timeout=timeout, memory_mb=memory_mb, isolated=isolated,
                          task_seconds=sum(t.timeout or timeout for t in remaining), user=user)
        try:
            try:
                outcomes["__cells__"] = session.run_cells()["errors"]
            except SessionDied as exc:
                outcomes["__cells__"] = getattr(exc, "cell_errors", {})
                for task in remaining:
                    outcomes[task.name] = ([], exc.timed_out, _cells_note(exc))
                return outcomes
            if exercise.numbers is not None and outcomes["__student__"] is None:
                outcomes["__student__"] = _student_id(session)
                ours = personal(exercise, outcomes["__student__"], salt)
                outcomes["__exercise__"] = ours
                remaining = [ours.task(t.name) for t in remaining]
            for i, task in enumerate(remaining):
                cases = task.cases(task_rng(seed, exercise.name, task.name))
                try:
                    res, timed_out = _run_task(session, task, cases, timeout, outcomes["__traps__"])
                except SessionDied as exc:
                    why = (f"{task.name} did not finish within {task.timeout or timeout:g} s "
                           "(an infinite loop?)"
                           if exc.timed_out else f"the process died while running {task.name}: {exc}")
                    outcomes[task.name] = ([], exc.timed_out, why)
                    remaining = remaining[i + 1:]
                    break
                outcomes[task.name] = (res, timed_out, None)
                if timed_out:  # the process is still busy with the runaway call: start afresh
                    remaining = remaining[i + 1:]
                    break
            else:
                remaining = []
        finally:
            session.close()
    return outcomes


# ---- grading ----

def grade_notebook(path, *, seed: int = 0, timeout: float = DEFAULT_TIMEOUT,
                   memory_mb: int = DEFAULT_MEMORY_MB, exercise: str | None = None,
                   require_sandbox: bool = False, sandbox: bool = True,
                   user: str | None = None, salt: str = DEFAULT_SALT, references=None) -> dict:
    """Grade one submission. Returns the report; a file that cannot be graded gets ``error``.

    ``sandbox=False`` runs the code as a plain child (for measuring the sandbox's cost);
    ``user`` is the unprivileged user a plain child runs as when the grader is root;
    ``salt`` is the course's salt behind every student's numbers; ``references`` the folder of
    held-out references (see ``references.reference_dir``; a missing one raises).
    """
    exercises = graded_exercises(references)
    path = Path(path)
    report = {"submission": submission_name(path), "file": str(path), "exercise": None,
              "score": 0.0, "max_score": 0.0, "tasks": [], "error": None, "warning": None}
    if exercise is not None:
        report["exercise"] = exercise
        report["max_score"] = exercises[exercise].max_score
    try:
        exercise_name, cells = load_submission(path, exercise)
    except SubmissionError as exc:
        report["error"] = str(exc)
        return report
    why = sandbox_status() if sandbox else "the sandbox was turned off (sandbox=False)"
    if why is not None:
        if require_sandbox:
            raise SandboxUnavailable(f"--require-sandbox: {why}")
        report["warning"] = NOT_SANDBOXED.format(why=why)
    ex = require_references(exercises[exercise_name], references)
    report["exercise"] = ex.name
    report["max_score"] = ex.max_score
    report["manual_points"] = ex.manual_points
    static = static_reference_use(cells, ex)
    outcomes = _execute(ex, cells, seed, timeout, memory_mb, isolated=why is None, user=user,
                        salt=salt)
    cell_errors = outcomes["__cells__"]
    ex = outcomes["__exercise__"]
    if ex.numbers is not None:
        report["student_id"] = outcomes["__student__"] or ""
        if not normalized_id(report["student_id"]):
            note = ("STUDENT_ID is not set: the numeric tasks were graded on the numbers of the "
                    "empty id")
            report["warning"] = f"{report['warning']}; {note}" if report["warning"] else note
    results = []
    for task in ex.tasks:
        cases = task.cases(task_rng(seed, ex.name, task.name))
        res, timed_out, note = outcomes[task.name]
        if task.kind == "manual":
            entry = written_answer(task.name, task.points, res[0].outputs["answer"] if res
                                   and res[0].outputs else None)
            if note is not None and not res:  # the notebook's code never got that far
                entry.update(status="timeout" if timed_out else "error", feedback=note)
            results.append(entry)
            continue
        if note is not None and not res:
            status = "timeout" if timed_out else "error"
            results.append({"name": task.name, "score": 0.0, "max_score": float(task.points),
                            "status": status, "feedback": note})
            continue
        uses = static.get(task.name) or outcomes["__traps__"].get(task.name)
        res = _mark_missing(task, res)
        padded = list(res) + [None] * (len(cases) - len(res))
        result = evaluate(task, cases, padded[: len(cases)], timed_out=timed_out,
                          uses_reference=uses).as_dict()
        if any(r.missing for r in res) and cell_errors:
            result["feedback"] += ". " + _cell_error_note(task.name, cells, cell_errors)
        results.append(result)
    report["tasks"] = results
    report["score"] = round(sum(t["score"] for t in results), 2)
    return report


def _cell_error_note(name: str, cells: list[str], errors: dict) -> str:
    """Which failing cell probably held the missing definition (the first one that names it)."""
    for cell in sorted(errors):
        if isinstance(cell, int) and 0 <= cell < len(cells) and name in cells[cell]:
            return f"Cell {cell + 1}, which defines it, failed: {errors[cell]}"
    cell = min(c for c in errors if isinstance(c, int))
    return f"Cell {cell + 1} failed: {errors[cell]}"


def _mark_missing(task, res):
    """A missing function is an error; a missing (None) answer is 'not attempted'."""
    for r in res:
        if r.missing and task.kind == "value":
            r.not_implemented = True
    return res


def find_submissions(paths: Iterable) -> list[Path]:
    """Every file given, and every ``*.ipynb`` entry inside every folder given (recursively,
    skipping checkpoints, never following symlinks). Each becomes exactly one row: entries that
    are not notebook files (folders, FIFOs, symlinks) get a row that says so."""
    found, seen = [], set()
    for p in map(Path, paths):
        if p.is_dir() and not p.is_symlink():
            entries = []
            for root, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
                entries += [Path(root, n) for n in dirs + files if n.endswith(".ipynb")]
            candidates = sorted(entries)
        else:
            candidates = [p]
        for f in candidates:
            if str(f) not in seen:
                seen.add(str(f))
                found.append(f)
    return found


def _grade_safely(path, **options) -> dict:
    """grade_notebook, with any failure of the grader itself turned into this file's row."""
    try:
        return grade_notebook(path, **options)
    except (SandboxUnavailable, MissingReference, Interrupted, KeyboardInterrupt):
        raise
    except Exception as exc:
        return {"submission": submission_name(path), "file": str(path), "exercise":
                options.get("exercise"), "score": 0.0, "max_score": 0.0, "tasks": [],
                "error": f"the grader failed on this submission ({describe(exc)})", "warning": None}


def grade_many(paths: Iterable, *, jobs: int = 1, on_result: Callable[[dict], None] | None = None,
               **options) -> list[dict]:
    """Grade many submissions with ``jobs`` workers; ``on_result`` sees each report as it lands.

    Every path gets exactly one report, in the order given."""
    files = find_submissions(paths)
    stems = [submission_name(f) for f in files]
    names = {str(f): (str(f.parent / submission_name(f)) if stems.count(submission_name(f)) > 1
                      else submission_name(f)) for f in files}
    if options.get("exercise"):  # a missing reference stops the batch before it starts
        require_references(graded_exercises(options.get("references"))[options["exercise"]],
                           options.get("references"))
    if options.get("require_sandbox") and sandbox_status() is not None:
        raise SandboxUnavailable(f"--require-sandbox: {sandbox_status()}")
    reports = []
    _STOP.clear()
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(_grade_safely, f, **options): f for f in files}
            try:
                for future in as_completed(futures):
                    report = future.result()
                    report["submission"] = names.get(report["file"], report["submission"])
                    reports.append(report)
                    if on_result is not None:
                        on_result(report)
            except BaseException:
                _STOP.set()
                for future in futures:
                    future.cancel()
                kill_all()
                raise
    finally:
        _STOP.clear()  # the workers have stopped: later calls start afresh
    order = {str(f): i for i, f in enumerate(files)}
    return sorted(reports, key=lambda r: order.get(r["file"], 0))
