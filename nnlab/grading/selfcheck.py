"""``check``: immediate feedback inside a notebook, for self-study.

It runs the same inputs and comparisons as ``nnlab grade`` but in the notebook's own process,
so it is a study aid, not a grade: only ``nnlab grade`` isolates the code it runs. A held-out
task (its reference lives outside the package) is checked only as far as that is possible
without the answer: it runs, returns finite numbers of the right shape, keeps its invariants.
"""

from __future__ import annotations

import dis
import os
import sys
import types

import numpy as np

from ..variants import DEFAULT_SALT, student_rng
from .core import (
    CaseResult,
    OutputError,
    evaluate,
    explain,
    for_numbers,
    forbidden_names,
    plural,
    run_quietly,
    shape_message,
    task_rng,
    written_answer,
)
from .tasks import find_task


def check(obj, *, seed: int = 0) -> None:
    """Check a graded function (``check(adam_update)``) or answer (``check("answer_scale")``)
    against the reference on the grader's inputs, and print one line of feedback."""
    if os.environ.get("NNLAB_GRADING"):
        return  # inside the grader's child process: the grader does the checking
    scope = sys._getframe(1).f_globals
    if isinstance(obj, str):
        name, value = obj, scope.get(obj)
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
    if task.variant:
        numbers = exercise.numbers(student_rng(exercise.name, scope.get("STUDENT_ID", ""),
                                               scope.get("COURSE_SALT", DEFAULT_SALT)))
        task = for_numbers(task, numbers)
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
    if task.held_out:
        print(format_held_out(task, cases, results, uses))
        return
    print(format_result(evaluate(task, cases, results, uses_reference=uses), task.kind))


def format_held_out(task, cases, results, uses=None) -> str:
    """Feedback on a task whose answer the notebook must not hold: whether the code runs, returns
    finite numbers and keeps the task's invariants; the values themselves only the grader sees."""
    if uses:
        return (f"✘ {task.name}: it calls nnlab's own {uses}, which scores 0: write it yourself "
                "with NumPy.")
    if results and all(r.not_implemented for r in results):
        return _not_attempted(task.name, task.kind)
    for case, res in zip(cases, results, strict=True):
        if res.error is not None:
            return f"✘ {task.name}: {case.label}: {explain(res.error)}"
        shape = case.data.get("shape")
        if shape is not None and len(res.outputs) == 1:
            got = next(iter(res.outputs.values())).shape
            if got != tuple(shape):
                return f"✘ {task.name}: {case.label}: {shape_message(got, tuple(shape))}"
        bad = [key for key, arr in res.outputs.items()
               if arr.dtype.kind == "f" and not np.all(np.isfinite(arr))]
        if bad:
            return f"✘ {task.name}: {case.label}: the result holds nan or inf ({', '.join(bad)})"
        msg = task.invariant(case, res.outputs) if task.invariant is not None else None
        if msg is not None:
            return f"✘ {task.name}: {case.label}: {msg}"
    shaped = " of the right shape" if any("shape" in c.data for c in cases) else ""
    holds = "; the properties that need no answer hold" if task.invariant is not None else ""
    if task.kind == "function":
        head = f"runs on {plural(len(cases), 'input')} with finite results{shaped}{holds}"
    else:
        head = f"a finite answer{shaped}{holds}"
    return (f"✔ {task.name}: {head}. Its values are graded by `nnlab grade` "
            f"({plural(task.points, 'point')}).")


def format_result(result, kind: str = "function") -> str:
    points = f"({result.score:g}/{result.max_score:g} points)"
    if result.status == "passed":
        return f"✔ {result.name}: {result.feedback} {points}"
    if result.status == "not_attempted":
        return _not_attempted(result.name, kind)
    return f"✘ {result.name}: {result.feedback} {points}"


def _not_attempted(name: str, kind: str) -> str:
    todo = ("replace `raise NotImplementedError` with your code" if kind == "function"
            else f"set {name} to your answer")
    return f"… {name}: not attempted yet — {todo}, then run this cell again."


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
    codes, names, attributes = [fn.__code__], set(), set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        attributes.update(i.argval for i in dis.get_instructions(code)
                          if i.opname in ("LOAD_ATTR", "LOAD_METHOD"))
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
            for attr in attributes & set(short):  # read as an attribute (nnlab.x), not a global
                return short[attr]
    return None

