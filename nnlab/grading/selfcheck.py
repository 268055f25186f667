"""``check``: immediate feedback inside a notebook, for self-study.

It runs the same inputs and comparisons as ``nnlab grade`` but in the notebook's own process,
so it is a study aid, not a grade: only ``nnlab grade`` isolates the code it runs.
"""

from __future__ import annotations

import os
import sys
import types

from .core import (
    CaseResult,
    OutputError,
    evaluate,
    forbidden_names,
    run_quietly,
    task_rng,
    written_answer,
)
from .tasks import find_task


def check(obj, *, seed: int = 0) -> None:
    """Check a graded function (``check(adam_update)``) or answer (``check("answer_scale")``)
    against the reference on the grader's inputs, and print one line of feedback."""
    if os.environ.get("NNLAB_GRADING"):
        return  # inside the grader's child process: the grader does the checking
    if isinstance(obj, str):
        name, value = obj, sys._getframe(1).f_globals.get(obj)
    else:
        name, value = getattr(obj, "__name__", None), obj
    try:
        exercise, task = find_task(name)
    except KeyError:
        print(f"check: {name!r} is not one of the graded tasks")
        return
    if task.kind == "manual":
        entry = written_answer(task.name, task.points, value)
        mark = "✎" if entry["status"] == "manual" else "…"
        print(f"{mark} {task.name}: {entry['feedback']}.")
        return
    cases = task.cases(task_rng(seed, exercise.name, task.name))
    results = []
    for case in cases:
        if value is None:
            results.append(CaseResult(error="NotImplementedError", not_implemented=True))
            continue
        try:
            results.append(CaseResult(outputs=run_quietly(case.run, value)))
        except NotImplementedError:
            results.append(CaseResult(error="NotImplementedError", not_implemented=True))
        except OutputError as exc:
            results.append(CaseResult(error=str(exc)))
        except Exception as exc:
            text = str(exc).splitlines()[0][:200] if str(exc) else ""
            results.append(CaseResult(error=f"{type(exc).__name__}: {text}" if text else type(exc).__name__))
    uses = references_nnlab(value, task) if task.kind == "function" else None
    print(format_result(evaluate(task, cases, results, uses_reference=uses), task.kind))


def format_result(result, kind: str = "function") -> str:
    points = f"({result.score:g}/{result.max_score:g} points)"
    if result.status == "passed":
        return f"✔ {result.name}: {result.feedback} {points}"
    if result.status == "not_attempted":
        todo = ("replace `raise NotImplementedError` with your code" if kind == "function"
                else f"set {result.name} to your answer")
        return f"… {result.name}: not attempted yet — {todo}, then run this cell again."
    return f"✘ {result.name}: {result.feedback} {points}"


def references_nnlab(fn, task) -> str | None:
    """The forbidden nnlab function a graded function's code refers to (through any alias)."""
    if not isinstance(fn, types.FunctionType):
        return None
    from .runner import _resolve

    targets = {}
    for dotted in forbidden_names(task):
        obj = _resolve(dotted)
        if obj is not None:
            targets[id(obj)] = dotted
    short = {d.rsplit(".", 1)[1]: d for d in targets.values()}
    codes, names = [fn.__code__], set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    scope = dict(fn.__globals__)
    if fn.__closure__:
        for var, cell in zip(fn.__code__.co_freevars, fn.__closure__, strict=True):
            try:
                scope[var] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
        names.update(fn.__code__.co_freevars)
    for name in names:
        obj = scope.get(name)
        if obj is not None and id(obj) in targets:
            return targets[id(obj)]
        if isinstance(obj, types.ModuleType) and obj.__name__.startswith("nnlab"):
            for attr in names & set(short):
                return short[attr]
    return None
