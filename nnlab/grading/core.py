"""What a graded task is, how outputs are compared, and how a score and its feedback are made.

Everything here runs in the grader's own process: outputs of student code arrive as plain
NumPy arrays (loaded with ``allow_pickle=False``) and are compared with references computed here.
"""

from __future__ import annotations

import math
import re
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

NUMERIC_KINDS = "biuf"
STATUSES = ("passed", "partial", "failed", "not_attempted", "error", "timeout", "manual")


@dataclass(frozen=True)
class Case:
    """One input chosen by the grader: ``run(fn)`` calls the function under test and returns
    what is compared. ``data`` keeps arrays a custom comparator may need (e.g. the inputs)."""

    label: str
    run: Callable[[Any], Any]
    data: dict = field(default_factory=dict)
    gate: bool = False  # a degenerate input (λ = 0, zero gradients, rate 0): must pass, pays nothing


@dataclass(frozen=True)
class Mistake:
    """A known-wrong variant: ``impl`` has the task's signature (or is a wrong value);
    ``detect(case, got)`` may replace the output comparison for random outputs."""

    feedback: str
    impl: Any = None
    detect: Callable | None = None


@dataclass(frozen=True)
class Task:
    """A graded function (``kind="function"``), answer variable (``kind="value"``) or written
    answer (``kind="manual"``: collected, graded by an instructor)."""

    name: str
    points: float
    reference: Any
    cases: Callable[[np.random.Generator], list[Case]]
    kind: str = "function"
    mistakes: tuple[Mistake, ...] = ()
    forbidden: tuple[str, ...] = ()  # dotted nnlab names the graded code may not call
    compare: Callable | None = None  # (case, got, expected) -> None if right, else a message
    rtol: float | None = None
    output_names: tuple[str, ...] = ()
    separable: bool = True  # with several outputs, each earns its share (False: all or nothing)
    timeout: float | None = None  # an integrative task's own time guard in seconds (else --timeout)
    # A task on the student's own numbers: ``cases(rng, numbers)``; an answer variable's
    # reference (and each mistake's wrong value) is then a function of the numbers.
    variant: bool = False
    # What ``check`` can say without the answer (held-out tasks): (case, outputs) -> message or None.
    invariant: Callable | None = None

    @property
    def held_out(self) -> bool:
        """The reference lives with the instructor material (``exercises/reference``), not here."""
        return self.kind != "manual" and self.reference is None


@dataclass(frozen=True)
class Reference:
    """A held-out task's answer, kept outside the package: the reference and its mistakes."""

    reference: Any
    mistakes: tuple[Mistake, ...] = ()


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    tasks: tuple[Task, ...]

    @property
    def numbers(self) -> Callable[[np.random.Generator], dict] | None:
        """The generator of a student's own numbers (``nnlab.variants``), if the exercise has one."""
        from ..variants import GENERATORS

        return GENERATORS.get(self.name)

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)

    @property
    def max_score(self) -> float:
        """Points the grader awards; written answers (``kind="manual"``) are not among them."""
        return float(sum(t.points for t in self.tasks if t.kind != "manual"))

    @property
    def manual_points(self) -> float:
        """Points of the written answers, which an instructor grades."""
        return float(sum(t.points for t in self.tasks if t.kind == "manual"))


def for_numbers(task: Task, numbers: dict | None) -> Task:
    """A variant task made concrete for one student's numbers (other tasks are returned as is)."""
    if not task.variant:
        return task
    numbers = numbers or {}
    cases = task.cases
    changes = {"cases": lambda rng: cases(rng, numbers), "variant": False}
    if task.kind == "value":
        changes["reference"] = None if task.reference is None else task.reference(numbers)
        changes["mistakes"] = tuple(
            replace(m, impl=m.impl(numbers)) if callable(m.impl) else m for m in task.mistakes)
    return replace(task, **changes)


def manual_task(name: str, points: float) -> Task:
    """A written answer: a text variable the grader collects for the instructor to grade."""
    return Task(name, points, None, lambda rng: [], kind="manual")


def written_answer(name: str, points: float, value) -> dict:
    """The report entry of a written answer: status "manual" (or "not_attempted"), never scored."""
    text = value.strip() if isinstance(value, str) else ""
    worth = plural(points, "point")
    if not text:
        return {"name": name, "score": 0.0, "max_score": 0.0, "manual_points": float(points),
                "status": "not_attempted", "answer": "",
                "feedback": f"written answer not given yet ({worth}, graded by hand)"}
    return {"name": name, "score": 0.0, "max_score": 0.0, "manual_points": float(points),
            "status": "manual", "answer": text[:4000],
            "feedback": f"written answer ({plural(len(text.split()), 'word')}): {worth}, graded by "
                        "your instructor"}


def plural(count: float, noun: str) -> str:
    return f"{count:g} {noun}{'' if count == 1 else 's'}"


class InputChanged(ValueError):
    """A graded function changed one of its array arguments in place."""


def keeps_inputs(fn, name: str | None = None):
    """``fn`` that raises ``InputChanged`` if a call changes one of its array arguments in place
    (the grader's rule for every task; used in the cases too, so ``check`` says the same)."""
    name = name or getattr(fn, "__name__", "the function")

    def call(*args, **kwargs):
        before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
        out = fn(*args, **kwargs)
        for i, (old, new) in enumerate(zip(before, args, strict=True)):
            if old is not None and not np.array_equal(old, new, equal_nan=True):
                raise InputChanged(f"{name} changed its argument {i + 1} (shape {old.shape}) in "
                                   "place; leave the inputs as they were: work on a copy")
        return out
    return call


def forbidden_names(task: Task) -> list[str]:
    """The task's forbidden nnlab names plus its own reference function (dotted)."""
    import types

    names = list(task.forbidden)
    ref = task.reference
    if task.kind == "function" and isinstance(ref, types.FunctionType) and \
            ref.__module__.startswith("nnlab."):
        names.append(f"{ref.__module__}.{ref.__qualname__}")
    return names


def value_case(label: str = "your answer") -> list[Case]:
    """The single case of an answer variable: the value itself, as a float array."""
    return [Case(label, lambda v: np.asarray(v, dtype=np.float64))]


def task_rng(seed: int, exercise: str, task: str) -> np.random.Generator:
    """The same inputs for a task in every process: seeded by (seed, exercise, task)."""
    return np.random.default_rng([int(seed), zlib.crc32(f"{exercise}/{task}".encode())])


# ---- outputs as plain arrays ----

class OutputError(TypeError):
    """Student code returned something that is not numbers."""


def flatten(value, prefix: str = "") -> dict[str, np.ndarray]:
    """Nested tuples/lists/dicts of numbers -> {key: plain ndarray}, e.g. {"0": ..., "1.m": ...}.

    Lists of scalars become one array; anything that is not numbers raises ``OutputError``.
    """
    if isinstance(value, dict):
        out = {}
        for key in sorted(value, key=str):
            out.update(flatten(value[key], f"{prefix}{key}."))
        return out
    if isinstance(value, tuple | list) and not _all_scalars(value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}{i}."))
        return out
    if isinstance(value, np.ndarray):
        arr = np.array(value, copy=True, subok=False)  # a plain ndarray: no subclass __eq__
    elif isinstance(value, bool | int | float | np.number | np.bool_) or _all_scalars(value):
        arr = np.array(value)
    else:
        raise OutputError(f"returned a {type(value).__name__}, expected numbers or NumPy arrays")
    if arr.dtype.kind not in NUMERIC_KINDS:
        raise OutputError(f"returned an array of dtype {arr.dtype}, expected numbers")
    return {prefix.rstrip(".") or "value": arr}


def _all_scalars(value) -> bool:
    return isinstance(value, tuple | list) and all(
        isinstance(v, bool | int | float | np.number | np.bool_) for v in value
    )


# ---- comparison ----

def _rtol_for(dtype: np.dtype, task_rtol: float | None) -> float:
    base = {2: 1e-2, 4: 1e-4}.get(dtype.itemsize, 1e-6) if dtype.kind == "f" else 1e-6
    return max(base, task_rtol or 0.0)


def compare_arrays(got: np.ndarray, expected: np.ndarray, rtol: float | None = None) -> str | None:
    """None if ``got`` matches ``expected``; otherwise a message that names the problem
    (shape, dtype, max absolute/relative error, first mismatch) without giving the answer."""
    if got.shape != expected.shape:
        return shape_message(got.shape, expected.shape)
    if got.dtype.kind not in NUMERIC_KINDS:
        return f"expected numbers, got dtype {got.dtype}"
    if expected.dtype.kind in "biu":  # counts and indices are exact
        if got.dtype.kind == "f" and not np.all(np.isfinite(got) & (got == np.round(got))):
            return "expected whole numbers (indices or counts), got fractions"
        bad = got.astype(np.float64) != expected.astype(np.float64)
        if not bad.any():
            return None
        return f"{int(bad.sum())} of {bad.size} values differ; first at index {_first(bad)}"
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    tol = _rtol_for(got.dtype, rtol)
    finite = np.isfinite(e)
    scale = float(np.max(np.abs(e[finite]))) if finite.any() else 0.0
    with np.errstate(all="ignore"):
        diff = np.abs(g - e)
        same_special = (g == e) | (np.isnan(g) & np.isnan(e))  # inf == inf, nan matches nan
        bad = np.where(finite, ~(diff <= tol * np.abs(e) + tol * scale + 1e-12), ~same_special)
    if not bad.any():
        return None
    if np.isnan(g).any() and not np.isnan(e).any():
        return (f"your result contains nan (first at index {_first(np.isnan(g))}): overflow, 0/0, "
                "or the square root of a negative number?")
    if np.isinf(g).any() and not np.isinf(e).any():
        return f"your result contains inf (first at index {_first(np.isinf(g))}): overflow or log(0)?"
    both = finite & np.isfinite(g)
    max_abs = float(np.max(diff[both])) if both.any() else math.inf
    with np.errstate(all="ignore"):
        rel = diff[both] / np.maximum(np.abs(e[both]), 1e-300)
    max_rel = float(np.max(rel)) if both.any() else math.inf
    return (f"{int(bad.sum())} of {bad.size} values differ (max abs error {max_abs:.3g}, "
            f"max rel error {max_rel:.3g}); first mismatch at index {_first(bad)}")


def _first(mask: np.ndarray):
    idx = np.argwhere(mask)[0]
    return tuple(int(i) for i in idx) if mask.ndim else ()


def shape_message(got: tuple, expected: tuple) -> str:
    msg = f"shape {got}, expected {expected}"
    if len(got) + 1 == len(expected) and expected[-1] == 1 and got == expected[:-1]:
        msg += ": a column (N, 1) was expected; keep the axis (keepdims=True) or reshape"
    elif len(got) == len(expected) + 1 and got[-1] == 1 and got[:-1] == expected:
        msg += ": drop the extra axis of length 1"
    elif len(got) == 2 and got == expected[::-1]:
        msg += ": transposed?"
    elif (len(got) + 1 == len(expected) and expected[0] == 1 and got == expected[1:]):
        msg += ": keep the first axis (keepdims=True)"
    elif got == ():
        msg += ": a single number where one value per entry was expected (a sum over everything?)"
    elif len(got) < len(expected):
        msg += ": an axis went missing (a sum without keepdims, or the wrong axis?)"
    return msg


def compare_outputs(got: dict, expected: dict, rtol=None, names: Sequence[str] = ()) -> str | None:
    """Compare two flattened outputs key by key; None if they match."""
    if set(got) != set(expected):
        if len(expected) == 1 and len(got) == 1:
            return compare_arrays(next(iter(got.values())), next(iter(expected.values())), rtol)
        return (f"returned {_describe(got)}, expected {_describe(expected)}")
    for key in sorted(expected):
        msg = compare_arrays(got[key], expected[key], rtol)
        if msg is not None:
            return f"{_name(key, names)}: {msg}" if len(expected) > 1 else msg
    return None


def _describe(flat: dict) -> str:
    tops = sorted({k.split(".")[0] for k in flat})
    if tops == ["value"]:
        return "one value"
    return f"{len(tops)} values"


def _name(key: str, names: Sequence[str]) -> str:
    head, _, rest = key.partition(".")
    if head.isdigit() and int(head) < len(names):
        head = names[int(head)]
    return f"{head}[{rest}]" if rest else head


# ---- grading one task from outputs ----

@dataclass
class CaseResult:
    """What one case produced: flattened outputs, or an error (exception name and message)."""

    outputs: dict | None = None
    error: str | None = None
    not_implemented: bool = False
    missing: bool = False  # the function or answer variable is not defined at all


@dataclass
class TaskResult:
    name: str
    score: float
    max_score: float
    status: str
    feedback: str

    def as_dict(self) -> dict:
        return {"name": self.name, "score": self.score, "max_score": self.max_score,
                "status": self.status, "feedback": self.feedback}


def reference_outputs(task: Task, cases: list[Case]) -> list[dict]:
    return [run_quietly(case.run, task.reference) for case in cases]


def run_quietly(run, obj):
    """Run a case with warnings silenced (overflow warnings never change a result)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return flatten(run(obj))


def _case_ok(task: Task, case: Case, got: dict, expected: dict) -> str | None:
    if task.compare is not None:
        return task.compare(case, got, expected)
    return compare_outputs(got, expected, task.rtol, task.output_names)


def evaluate(task: Task, cases: list[Case], results: list[CaseResult | None], *,
             timed_out: bool = False, uses_reference: str | None = None) -> TaskResult:
    """Score a task from its case results (None = not run) and write the feedback."""
    points = float(task.points)
    if uses_reference:
        return TaskResult(task.name, 0.0, points, "failed",
                          f"{task.name} calls nnlab's own {uses_reference}: it scores 0. Write it "
                          "yourself with NumPy (the grader replaces nnlab's version by a trap).")
    expected = reference_outputs(task, cases)
    ran = [r for r in results if r is not None]
    if not ran and timed_out:
        return TaskResult(task.name, 0.0, points, "timeout",
                          f"{task.name} did not finish within the time limit (an infinite loop?)")
    if ran and all(r.not_implemented for r in ran) and not timed_out:
        what = "the function still raises NotImplementedError" if task.kind == "function" \
            else f"{task.name} is not set yet"
        return TaskResult(task.name, 0.0, points, "not_attempted", f"not attempted yet ({what})")
    parts = _parts(task)
    passed, messages, errors, failing, right_cases = 0, [], [], [], []
    part_ok = [True] * len(parts)
    gates_ok = True
    for case, res, exp in zip(cases, results, expected, strict=True):
        if res is None:  # not run (a time limit): it earns nothing
            part_ok = [False] * len(parts)
            gates_ok = gates_ok and not case.gate
            continue
        if res.error is not None:
            errors.append(f"{case.label}: {explain(res.error)}")
            part_ok = [False] * len(parts)
            gates_ok = gates_ok and not case.gate
            continue
        msg = _case_ok(task, case, res.outputs, exp)
        if msg is None:
            passed += 1
            right_cases.append((case, exp))
            continue
        messages.append(f"{case.label}: {msg}")
        failing.append((case, res.outputs, exp))
        gates_ok = gates_ok and not case.gate
        for i, keys in enumerate(parts):
            if keys is None or _part_differs(task, res.outputs, exp, keys):
                part_ok[i] = False
    n = len(cases)
    hint = _match_mistake(task, failing, right_cases) if failing else None
    if passed == n and not timed_out:
        text = "the check passed" if n == 1 else f"all {n} checks passed"
        return TaskResult(task.name, points, points, "passed", text)
    # Points come only from parts right on every input, and only once every gate (degenerate
    # input) passes; a catalogued mistake earns nothing.
    right = [name for name, ok in zip(_part_names(task, parts), part_ok, strict=True) if ok]
    score = 0.0
    if gates_ok and hint is None and len(parts) > 1:
        score = round(points * len(right) / len(parts), 2)
    if timed_out:
        status = "timeout"
    elif score > 0:
        status = "partial"
    elif errors and not messages:
        status = "error"
    else:
        status = "failed"
    head = f"{passed} of {n} checks passed"
    if timed_out:
        head += "; then the time limit was reached (an infinite loop?)"
    gate_failed = [m for m, (c, _, _) in zip(messages, failing, strict=False) if c.gate]
    detail = [f"Likely mistake: {hint}"] if hint else (gate_failed or messages)[:1]
    detail += errors[:1]
    if score > 0:
        detail.insert(0, f"right on every input: {', '.join(right)}")
    elif not gates_ok and hint is None and len(parts) > 1 and right:
        detail.append("a special case must pass before any part earns points")
    return TaskResult(task.name, score, points, status, ". ".join([head, *detail]))


def _parts(task: Task) -> list:
    """The separately scored outputs of a task: [None] (one part) or the key prefix of each."""
    if task.compare is not None or len(task.output_names) < 2 or not task.separable:
        return [None]
    return [str(i) for i in range(len(task.output_names))]


def _part_names(task: Task, parts: list) -> list[str]:
    return [task.name] if parts == [None] else list(task.output_names)


def _part_differs(task: Task, got: dict, expected: dict, prefix: str) -> bool:
    def pick(flat):
        return {k: v for k, v in flat.items() if k == prefix or k.startswith(prefix + ".")}

    mine, ref = pick(got), pick(expected)
    return not ref or compare_outputs(mine, ref, task.rtol) is not None


def explain(error: str) -> str:
    """A raw exception turned into a sentence about its likely cause."""
    if "operands could not be broadcast together" in error:
        shapes = re.findall(r"\(([\d, ]*)\)", error)
        return (f"{error} — two arrays of shapes that do not fit together"
                f"{' (' + ' and '.join(shapes[:2]) + ')' if shapes else ''}: check each array's "
                "shape, keepdims=True on sums, and (N,) against (N, 1)")
    if "matmul" in error and "mismatch" in error:
        return f"{error} — a matrix product with the wrong shapes: transposed weights?"
    if error.startswith("IndexError") and ("arrays used as indices" in error or "only integers" in error):
        return f"{error} — labels used as indices must be integers (one-hot labels need argmax)"
    if error.startswith(("NameError", "UnboundLocalError")):
        return f"{error} — a name used before it is defined (a cell not run, or a typo?)"
    return error


def _match_mistake(task: Task, failing, right_cases=()) -> str | None:
    """The first catalogued mistake that explains the student's outputs: they match it on every
    failing case, and (for a wrong implementation) it would also have passed every case the
    student passed. A variant that fails an input the student got right is not the student's
    mistake, however well it matches elsewhere (Adam from t = 0 is nan on every input, so it
    'matches' any nan; but it also fails zero gradients, which a nan from √(negative) passes)."""
    for mistake in task.mistakes:
        votes = [_mistake_matches(task, mistake, case, got) for case, got, _ in failing]
        if mistake.detect is None:
            votes += [_mistake_passes(task, mistake, case, exp) for case, exp in right_cases]
        if True in votes and False not in votes:  # None: this case cannot tell
            return mistake.feedback
    return None


def _mistake_passes(task: Task, mistake: Mistake, case: Case, expected: dict) -> bool | None:
    """On a case the student got right: None if the wrong variant gets it right too (the case
    cannot tell), False if the variant would have failed it."""
    try:
        wrong = run_quietly(case.run, mistake.impl)
    except Exception:
        return False
    return None if _case_ok(task, case, wrong, expected) is None else False


def _mistake_matches(task: Task, mistake: Mistake, case: Case, got: dict) -> bool | None:
    try:
        if mistake.detect is not None:
            return mistake.detect(case, got)
        wrong = run_quietly(case.run, mistake.impl)
    except Exception:
        return False
    if task.compare is not None:
        # Random outputs need the task's own comparator: "matches the wrong variant".
        return task.compare(case, got, wrong) is None
    return compare_outputs(got, wrong, task.rtol) is None
