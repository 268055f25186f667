"""Grading submissions: read the notebook, run its code in a child process, score the outputs.

The child (``child.run_job``) is forked from a fork server that has NumPy and nnlab loaded, so a
submission costs a fork rather than a Python start-up. The parent never imports or runs student
code: it reads the child's outputs as plain arrays and compares them with references it computes.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import multiprocessing.spawn
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from .child import EVENTS, forbidden_names, notebook_code, run_job
from .core import NUMERIC_KINDS, CaseResult, Exercise, evaluate, task_rng
from .tasks import EXERCISES

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 1024
MAX_ELEMENTS = 10_000_000


class SubmissionError(Exception):
    """The file cannot be graded (not a notebook, unknown exercise, ...)."""


class Interrupted(Exception):
    """Grading was interrupted (Ctrl-C); the child process was killed."""


_STOP = threading.Event()  # set on Ctrl-C: every running child is killed


# ---- reading a submission ----

def submission_name(path: Path) -> str:
    return Path(path).stem


def exercise_from_name(filename: str) -> str | None:
    """The exercise whose stem appears in a file name (longest match), if any."""
    hits = [name for name in EXERCISES if name in filename]
    return max(hits, key=len) if hits else None


def load_submission(path) -> tuple[str, list[str]]:
    """(exercise name, code cell sources) of a notebook file; raises SubmissionError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    try:
        nb = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SubmissionError(f"{path.name} is not a notebook: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{path.name} is not a valid notebook (truncated or not JSON: {exc.msg} at line "
            f"{exc.lineno}); re-download it from Jupyter (File > Download)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (no cell list)")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    tag = meta.get("nnlab", {}).get("exercise") if isinstance(meta.get("nnlab"), dict) else None
    exercise = tag if tag in EXERCISES else exercise_from_name(path.name)
    if exercise is None:
        known = ", ".join(EXERCISES)
        raise SubmissionError(
            f"cannot tell which exercise {path.name} is: its metadata has no nnlab exercise and "
            f"its name contains none of {known}")
    cells = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if isinstance(src, str):
            cells.append(src)
    return exercise, cells


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


# ---- running the child ----

_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        os.environ.setdefault("MPLBACKEND", "Agg")
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["numpy", "matplotlib.pyplot", "nnlab", "nnlab.grading.child",
                                    "nnlab.grading.tasks"])
        _CONTEXT = ctx
    return _CONTEXT


_START_LOCK = threading.Lock()


def _start(proc) -> None:
    """Start a child without re-importing the parent's ``__main__`` in it.

    multiprocessing would run the parent's main script (pytest, a benchmark, the CLI) again in
    every child: slow, and not code the child should run. Its target lives in nnlab, so the
    main-module entries of the preparation data are dropped while this child starts.
    """
    original = multiprocessing.spawn.get_preparation_data

    def without_main(name):
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _START_LOCK:
        multiprocessing.spawn.get_preparation_data = without_main
        try:
            proc.start()
        finally:
            multiprocessing.spawn.get_preparation_data = original


def _kill(proc) -> None:
    if proc.pid is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    except Exception:
        pass


def _read_events(path: str, offset: int) -> tuple[list[dict], int]:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(4 * 2**20)
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1
    events = []
    for line in data[:end].splitlines():
        try:
            event = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            events.append(event)
    return events, offset + end


def _run_child(exercise: Exercise, cells, tasks, seed, timeout, memory_mb) -> dict:
    """Run one child over ``tasks``; returns what happened, per task and overall."""
    workdir = tempfile.mkdtemp(prefix="nnlab-grade-")
    job = {"workdir": workdir, "exercise": exercise.name, "tasks": [t.name for t in tasks],
           "cells": cells, "seed": seed, "timeout": timeout, "memory_mb": memory_mb}
    proc = _context().Process(target=run_job, args=(job,), daemon=True)
    out = {"done": {}, "traps": {}, "started": None, "phase": "cells", "cell": None,
           "killed": False, "fatal": None, "cell_errors": {}}
    offset = 0
    try:
        _start(proc)
        deadline = time.monotonic() + timeout + 30  # fork-server start-up on the first job
        while True:
            proc.join(0.01)
            alive = proc.is_alive()
            events, offset = _read_events(os.path.join(workdir, EVENTS), offset)
            for event in events:
                deadline = _apply(event, out, workdir, deadline, timeout, {t.name for t in tasks})
            if not alive:
                break
            if _STOP.is_set():
                _kill(proc)
                raise Interrupted()
            if time.monotonic() > deadline:
                out["killed"] = True
                _kill(proc)
                events, offset = _read_events(os.path.join(workdir, EVENTS), offset)
                for event in events:
                    _apply(event, out, workdir, deadline, timeout, {t.name for t in tasks})
                break
        out["exitcode"] = proc.exitcode
    finally:
        _kill(proc)  # also whatever the student code started in the child's process group
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def _apply(event, out, workdir, deadline, timeout, names) -> float:
    kind, now = event["event"], time.monotonic()
    if kind == "cell_start" and isinstance(event.get("cell"), int):
        out["cell"] = event["cell"]
        return now + timeout + 3
    if kind == "cell_error" and isinstance(event.get("error"), str):
        out["cell_errors"][event.get("cell")] = event["error"][:300]
    elif kind == "cells_done":
        out["phase"] = "tasks"
        return now + timeout + 3
    elif kind == "task_start" and event.get("task") in names:
        out["started"] = event["task"]
        return now + timeout + 3
    elif kind == "task_done" and event.get("task") in names and event["task"] not in out["done"]:
        out["done"][event["task"]] = _case_results(event, workdir)
        out["started"] = None
        return now + timeout + 3
    elif kind == "trap" and event.get("task") in names and isinstance(event.get("function"), str):
        out["traps"].setdefault(event["task"], event["function"])
    elif kind == "fatal":
        out["fatal"] = str(event.get("error"))[:300]
    return deadline


def _case_results(event, workdir) -> tuple[list[CaseResult], bool]:
    """Case results of a finished task: errors from the event, outputs from the .npz file."""
    raw = event.get("cases") if isinstance(event.get("cases"), list) else []
    outputs: dict[int, dict] = {}
    path = os.path.join(workdir, f"task_{event['task']}.npz")
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                j, _, name = key.partition(":")
                arr = npz[key]
                if not j.isdigit() or arr.dtype.kind not in NUMERIC_KINDS or arr.size > MAX_ELEMENTS:
                    continue
                outputs.setdefault(int(j), {})[name] = np.array(arr)
    except Exception:
        pass  # unreadable outputs: the cases count as errors below
    results, timed_out = [], False
    for j, item in enumerate(raw):
        if not isinstance(item, dict):
            results.append(CaseResult(error="no result"))
        elif item.get("timeout") is True:
            timed_out = True
        elif isinstance(item.get("error"), str):
            results.append(CaseResult(error=item["error"][:300],
                                      not_implemented=item.get("not_implemented") is True,
                                      missing=item.get("missing") is True))
        elif j in outputs:
            results.append(CaseResult(outputs=outputs[j]))
        else:
            results.append(CaseResult(error="its output could not be read as numbers"))
    return results, timed_out


# ---- grading ----

def grade_notebook(path, *, seed: int = 0, timeout: float = DEFAULT_TIMEOUT,
                   memory_mb: int = DEFAULT_MEMORY_MB) -> dict:
    """Grade one submission. Returns the report; a file that cannot be graded gets ``error``."""
    path = Path(path)
    report = {"submission": submission_name(path), "file": str(path), "exercise": None,
              "score": 0.0, "max_score": 0.0, "tasks": [], "error": None}
    try:
        exercise_name, cells = load_submission(path)
    except SubmissionError as exc:
        report["error"] = str(exc)
        return report
    exercise = EXERCISES[exercise_name]
    report["exercise"] = exercise.name
    report["max_score"] = exercise.max_score
    static = static_reference_use(cells, exercise)
    outcomes = _execute(exercise, cells, seed, timeout, memory_mb)
    results = []
    for task in exercise.tasks:
        cases = task.cases(task_rng(seed, exercise.name, task.name))
        res, timed_out, note = outcomes[task.name]
        if note is not None and not res:
            status = "timeout" if timed_out else "error"
            results.append({"name": task.name, "score": 0.0, "max_score": float(task.points),
                            "status": status, "feedback": note})
            continue
        uses = static.get(task.name) or outcomes["__traps__"].get(task.name)
        res = _mark_missing(task, res)
        padded = list(res) + [None] * (len(cases) - len(res))
        results.append(evaluate(task, cases, padded[: len(cases)], timed_out=timed_out,
                                uses_reference=uses).as_dict())
    report["tasks"] = results
    report["score"] = round(sum(t["score"] for t in results), 2)
    return report


def _mark_missing(task, res):
    """A missing function is an error; a missing (None) answer is 'not attempted'."""
    for r in res:
        if r.missing and task.kind == "value":
            r.not_implemented = True
    return res


def _execute(exercise, cells, seed, timeout, memory_mb) -> dict:
    """Per task: (case results, timed out?, note), restarting the child after a fatal task."""
    outcomes: dict = {"__traps__": {}}
    remaining = list(exercise.tasks)
    while remaining:
        run = _run_child(exercise, cells, remaining, seed, timeout, memory_mb)
        outcomes["__traps__"].update(run["traps"])
        for task in remaining:
            if task.name in run["done"]:
                res, timed_out = run["done"][task.name]
                outcomes[task.name] = (res, timed_out, None)
        if run["phase"] == "cells":
            cell = run["cell"]
            where = f"cell {cell + 1}" if isinstance(cell, int) else "the notebook"
            why = (f"the notebook's code did not finish within the time limit ({where})"
                   if run["killed"] else
                   f"the notebook's code ended the Python process ({where}: os._exit, a crash, "
                   "or the memory limit?)")
            for task in remaining:
                outcomes.setdefault(task.name, ([], run["killed"], why))
            break
        started = run["started"]
        if started is None and not run["killed"] and all(t.name in run["done"] for t in remaining):
            break
        for task in remaining:
            if task.name == started:
                why = (f"{task.name} did not finish within {timeout:g} s (an infinite loop?)"
                       if run["killed"] else
                       f"the process died while running {task.name} (os._exit, a crash, or the "
                       f"memory limit; exit code {run['exitcode']})")
                outcomes[task.name] = ([], run["killed"], why)
        done_or_started = set(run["done"]) | {started}
        if started is None:  # died between tasks: skip the first unfinished one
            first = next(t.name for t in remaining if t.name not in run["done"])
            outcomes[first] = ([], False, run["fatal"] or "the grader's child process failed")
            done_or_started.add(first)
        remaining = [t for t in remaining if t.name not in done_or_started]
    return outcomes


def find_submissions(paths: Iterable) -> list[Path]:
    """Notebook files from files and directories (recursively, skipping checkpoints)."""
    found, seen = [], set()
    for p in map(Path, paths):
        files = sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts) \
            if p.is_dir() else [p]
        for f in files:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                found.append(f)
    return found


def grade_many(paths: Iterable, *, jobs: int = 1, on_result: Callable[[dict], None] | None = None,
               **options) -> list[dict]:
    """Grade many submissions with ``jobs`` workers; ``on_result`` sees each report as it lands."""
    files = find_submissions(paths)
    stems = [submission_name(f) for f in files]
    names = {str(f): (str(f.with_suffix("")) if stems.count(submission_name(f)) > 1
                      else submission_name(f)) for f in files}
    reports = []
    _STOP.clear()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_notebook, f, **options): f for f in files}
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
            raise
    order = {str(f): i for i, f in enumerate(files)}
    return sorted(reports, key=lambda r: order.get(r["file"], 0))
