"""The child process that runs a submission's code (never the grader's own process).

It executes the notebook's code cells in a fresh namespace, then calls each graded function on
the grader's inputs and writes what came back as plain arrays (``.npz``, no pickles) into its
working directory, reporting progress as JSON lines in ``events.jsonl``. Everything it writes is
treated by the parent as untrusted data: the parent validates shapes and dtypes and computes the
reference outputs itself.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import re
import resource
import signal
import types
import warnings

import numpy as np

from .core import OutputError, flatten, task_rng

EVENTS = "events.jsonl"
_MAGIC = re.compile(r"^(\s*)([%!].*)$", re.MULTILINE)


class TimeLimit(BaseException):
    """Raised by the alarm inside student code (a BaseException, so ``except Exception`` in the
    student's code does not swallow it)."""


class CalledReference(BaseException):
    """Raised when graded code calls nnlab's own implementation of a graded function."""


def notebook_code(source: str) -> str:
    """A code cell as plain Python: IPython line magics and shell escapes become ``pass``."""
    if source.lstrip().startswith("%%"):
        return ""
    return _MAGIC.sub(lambda m: f"{m.group(1)}pass  # {m.group(2)}", source)


class _Events:
    def __init__(self, path: str):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def emit(self, **event) -> None:
        try:
            os.write(self.fd, (json.dumps(event) + "\n").encode())
        except Exception:
            pass


class _Traps:
    """Replace the code of nnlab's reference functions by a trap (so aliases are caught too).

    Before ``arm()`` a trapped function still works (notebook cells may compare with nnlab);
    once armed, calling it records the hit and raises ``CalledReference``.
    """

    def __init__(self, events: _Events):
        self.events = events
        self.armed = False
        self.task = None

    def install(self, dotted_names) -> None:
        for dotted in sorted(set(dotted_names)):
            fn = _resolve(dotted)
            if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
                continue
            original = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__,
                                          fn.__defaults__, fn.__closure__)
            original.__kwdefaults__ = fn.__kwdefaults__
            fn.__globals__["__nnlab_grading_trap__"] = self._hit
            src = (f"def __trap__(*args, **kwargs):\n"
                   f"    return __nnlab_grading_trap__({dotted!r}, args, kwargs)\n")
            scope: dict = {}
            exec(compile(src, f"<trap {dotted}>", "exec"), scope)
            self._originals = getattr(self, "_originals", {})
            self._originals[dotted] = original
            fn.__code__ = scope["__trap__"].__code__

    def _hit(self, dotted, args, kwargs):
        if not self.armed:
            return self._originals[dotted](*args, **kwargs)
        self.events.emit(event="trap", task=self.task, function=dotted)
        raise CalledReference(f"called nnlab's {dotted}")


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = obj.__dict__[attr] if isinstance(obj, type) else getattr(obj, attr)
        except (AttributeError, KeyError):
            return None
        return obj
    return None


def forbidden_names(task) -> list[str]:
    """The task's forbidden nnlab names plus its own reference function."""
    names = list(task.forbidden)
    ref = task.reference
    if task.kind == "function" and isinstance(ref, types.FunctionType):
        names.append(f"{ref.__module__}.{ref.__qualname__}")
    return names


def _limits(memory_mb: int, cpu_seconds: int) -> None:
    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:
        current = 0
    limit = current + memory_mb * 2**20
    for which, value in ((resource.RLIMIT_AS, (limit, limit)),
                         (resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1)),
                         (resource.RLIMIT_FSIZE, (256 * 2**20, 256 * 2**20)),
                         (resource.RLIMIT_CORE, (0, 0))):
        try:
            resource.setrlimit(which, value)
        except (ValueError, OSError):  # e.g. RLIMIT_AS on macOS: the wall-clock limit remains
            pass


def _alarm(seconds: float) -> None:
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _on_alarm(signum, frame):
    raise TimeLimit()


def _describe(exc: BaseException, memory_mb: int) -> str:
    if isinstance(exc, MemoryError):
        return f"MemoryError: ran out of memory (the limit is {memory_mb} MB)"
    if isinstance(exc, SystemExit):
        return "SystemExit: the code called sys.exit()"
    if isinstance(exc, OutputError):
        return str(exc)
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_job(job: dict) -> None:
    """Entry point of the child (started by the grader through a fork server)."""
    try:
        os.setsid()  # its own process group: the parent can kill it with any children it starts
    except OSError:
        pass
    os.chdir(job["workdir"])
    events = _Events(os.path.join(job["workdir"], EVENTS))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)  # whatever the notebook prints goes nowhere
    os.environ["NNLAB_GRADING"] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    timeout, memory_mb = float(job["timeout"]), int(job["memory_mb"])
    n_cells, n_tasks = len(job["cells"]), len(job["tasks"])
    _limits(memory_mb, int(timeout * (n_cells + n_tasks + 2)) + 5)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        _run(job, events, timeout, memory_mb)
    except BaseException as exc:  # never let the child's own failure go unreported
        events.emit(event="fatal", error=_describe(exc, memory_mb))
    os._exit(0)


def _run(job, events, timeout, memory_mb) -> None:
    from .tasks import EXERCISES

    exercise = EXERCISES[job["exercise"]]
    tasks = [exercise.task(name) for name in job["tasks"]]
    traps = _Traps(events)
    traps.install(name for task in tasks for name in forbidden_names(task))
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for i, source in enumerate(job["cells"]):
        events.emit(event="cell_start", cell=i)
        try:
            code = compile(notebook_code(source), f"<cell {i + 1}>", "exec")
            _alarm(timeout)
            try:
                exec(code, namespace)
            finally:
                _alarm(0)
        except BaseException as exc:
            events.emit(event="cell_error", cell=i, error=_describe(exc, memory_mb))
    events.emit(event="cells_done")
    all_cases = [task.cases(task_rng(job["seed"], exercise.name, task.name)) for task in tasks]
    traps.armed = True
    for task, cases in zip(tasks, all_cases, strict=True):
        traps.task = task.name
        events.emit(event="task_start", task=task.name)
        obj = namespace.get(task.name)
        results = _run_task(task, cases, obj, timeout, memory_mb)
        arrays = {f"{j}:{key}": arr for j, res in enumerate(results) if "outputs" in res
                  for key, arr in res.pop("outputs").items()}
        np.savez(os.path.join(job["workdir"], f"task_{task.name}.npz"), **arrays)
        events.emit(event="task_done", task=task.name, cases=results)
    events.emit(event="done")


def _run_task(task, cases, obj, timeout, memory_mb) -> list[dict]:
    if obj is None or (task.kind == "function" and not callable(obj)):
        what = "defined" if obj is None else "a function"
        missing = {"error": f"{task.name} is not {what}", "missing": True}
        return [dict(missing) for _ in cases]
    results = []
    _alarm(timeout)
    try:
        for case in cases:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    results.append({"outputs": flatten(case.run(obj))})
            except NotImplementedError:
                results.append({"error": "NotImplementedError", "not_implemented": True})
            except (TimeLimit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                results.append({"error": _describe(exc, memory_mb)})
    except TimeLimit:
        results.append({"timeout": True})
    finally:
        _alarm(0)
    return results
