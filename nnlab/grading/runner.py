"""The submission's side of grading: a self-contained script run inside the sandbox.

It is started as ``python -S -E -s runner.py`` (inside bubblewrap: the only grading file it can
see) with a pipe on its stdin and stdout. It reads one job — the notebook's code cells, the nnlab
functions to trap and the limits; never the exercise, the seed, the tasks or the answers — runs
the cells, then answers the grader's questions one at a time: "call your ``softmax`` with these
arrays", "what is your ``answer_scale``". The grader decides what to ask, checks every reply
against the question it just asked and computes every reference itself.

The wire format (also used by the grader, which imports this module): a frame is an 8-byte
big-endian length, then a 4-byte header length, a JSON header and the raw bytes of the arrays the
header lists as ``[dtype, shape]``. Values are JSON with tagged lists for tuples, dicts, arrays,
non-finite floats, random generators and callbacks. Decoding checks sizes, dtypes and element
counts before it allocates anything.

The answer to a call is ``{"event": "result", "id": ..., "global_rng": bool}`` with the values
``value`` (what the function returned) and ``args`` (its array and generator arguments as they are
after the call). ``global_rng`` says whether NumPy's global generator (``np.random.seed``,
``np.random.rand``, ...) changed during the call: a function handed a generator must draw from it
alone, and only the child can see its own global state.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys

MAX_FRAME = 32 * 2**20  # bytes of one message
MAX_HEADER = 1 * 2**20  # bytes of the JSON part of a submission's message (the job may be longer)
MAX_ELEMENTS = 4_000_000  # array elements in one message
MAX_ARRAYS = 10_000  # arrays in one message
MAX_DEPTH = 32
NUMERIC_KINDS = "biuf"


class WireError(ValueError):
    """A message broke the protocol: too large, malformed, or not plain numbers."""


# ---- values <-> (JSON tree, arrays) ----

def encode(value, arrays: list, callbacks: dict | None = None, depth: int = 0):
    """A JSON-able tree for ``value``; arrays go to ``arrays`` (their index is in the tree)."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else {"f": repr(value)}
    if isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
        if arr.dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"returned an array of dtype {arr.dtype}, expected numbers")
        arrays.append(np.ascontiguousarray(arr))
        return {"a": len(arrays) - 1}
    if isinstance(value, list):
        return [encode(v, arrays, callbacks, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode(v, arrays, callbacks, depth + 1) for v in value]}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, str | int) or isinstance(k, bool):
                raise WireError(f"dict keys must be strings or integers; got {type(k).__name__}")
            items.append([k, encode(v, arrays, callbacks, depth + 1)])
        return {"d": items}
    if isinstance(value, np.random.Generator):
        return {"rng": value.bit_generator.state}
    if callable(value) and callbacks is not None:
        callbacks[len(callbacks)] = value
        return {"cb": len(callbacks) - 1}
    raise WireError(f"returned a {type(value).__name__}, expected numbers or NumPy arrays")


def decode(tree, arrays: list, make_callback=None, depth: int = 0):
    """The value a tree from ``encode`` stands for (arrays by index)."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    if isinstance(tree, list):
        return [decode(v, arrays, make_callback, depth + 1) for v in tree]
    if not isinstance(tree, dict) or len(tree) != 1:
        raise WireError("malformed value")
    (tag, body), = tree.items()
    if tag == "a" and isinstance(body, int) and not isinstance(body, bool) and 0 <= body < len(arrays):
        return arrays[body]
    if tag == "f" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "t" and isinstance(body, list):
        return tuple(decode(v, arrays, make_callback, depth + 1) for v in body)
    if tag == "d" and isinstance(body, list):
        out = {}
        for item in body:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str | int)):
                raise WireError("malformed dict")
            out[item[0]] = decode(item[1], arrays, make_callback, depth + 1)
        return out
    if tag == "rng" and isinstance(body, dict):
        import numpy as np

        rng = np.random.Generator(np.random.PCG64())
        try:
            rng.bit_generator.state = body
        except (TypeError, ValueError, KeyError) as exc:
            raise WireError(f"malformed random generator: {exc}") from None
        return rng
    if tag == "cb" and isinstance(body, int) and make_callback is not None:
        return make_callback(body)
    raise WireError(f"malformed value (tag {tag!r})")


def pack(message: dict, values: dict | None = None, callbacks: dict | None = None) -> bytes:
    """One frame: ``message`` (plain JSON) plus ``values`` encoded with their arrays."""
    arrays: list = []
    header = dict(message)
    for key, value in (values or {}).items():
        header[key] = encode(value, arrays, callbacks)
    header["arrays"] = [[a.dtype.str, list(a.shape)] for a in arrays]
    head = json.dumps(header, allow_nan=False).encode()
    body = b"".join(a.tobytes() for a in arrays)
    payload = struct.pack(">I", len(head)) + head + body
    if len(payload) > MAX_FRAME:
        raise WireError(f"message of {len(payload)} bytes exceeds {MAX_FRAME}")
    return struct.pack(">Q", len(payload)) + payload


def unpack(payload: bytes, max_header: int = MAX_FRAME) -> tuple[dict, list]:
    """(header, arrays) of one frame's payload, checked before anything is allocated."""
    import numpy as np

    if len(payload) < 4:
        raise WireError("truncated message")
    (head_len,) = struct.unpack(">I", payload[:4])
    if head_len > len(payload) - 4:
        raise WireError("truncated header")
    if head_len > max_header:
        raise WireError(f"a header of {head_len} bytes exceeds {max_header}")
    try:
        header = json.loads(payload[4:4 + head_len])
    except (ValueError, RecursionError) as exc:
        raise WireError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays", []), list):
        raise WireError("header is not an object")
    specs = header.get("arrays", [])
    if len(specs) > MAX_ARRAYS:
        raise WireError("too many arrays")
    arrays, offset, elements = [], 4 + head_len, 0
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str)
                and isinstance(spec[1], list) and len(spec[1]) <= 32
                and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ELEMENTS
                        for n in spec[1])):
            raise WireError("malformed array description")
        try:
            dtype = np.dtype(spec[0])
        except TypeError:
            raise WireError(f"unknown dtype {spec[0]!r}") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.itemsize > 16 or dtype.fields is not None:
            raise WireError(f"dtype {dtype} is not plain numbers")
        count = math.prod(spec[1])
        elements += count
        if elements > MAX_ELEMENTS:
            raise WireError(f"more than {MAX_ELEMENTS} array elements")
        size = count * dtype.itemsize
        if offset + size > len(payload):
            raise WireError("array data truncated")
        arr = np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(spec[1])
        arrays.append(arr.copy())
        offset += size
    if offset != len(payload):
        raise WireError("unexpected bytes after the arrays")
    return header, arrays


def read_frame(fd: int) -> bytes:
    """One frame's payload from a blocking file descriptor (the sandbox's side)."""
    (length,) = struct.unpack(">Q", _read_exact(fd, 8))
    if length > MAX_FRAME:
        raise WireError(f"message of {length} bytes exceeds {MAX_FRAME}")
    return _read_exact(fd, length)


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the grader closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ---- the submission's process ----

class TimeLimit(BaseException):
    """Raised by the alarm (a BaseException: ``except Exception`` in student code can't eat it)."""


class CalledReference(BaseException):
    """Raised when graded code calls nnlab's own implementation of a graded function."""


def notebook_code(source: str) -> str:
    """A code cell as plain Python: a cell magic runs its body (``%%time``, ``%%capture``), other
    cell magics are skipped; line magics and shell escapes become ``pass``."""
    import re

    stripped = source.lstrip()
    if stripped.startswith("%%"):
        first, _, body = stripped.partition("\n")
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in ("time", "timeit", "capture", "prun"):
            return ""
        source = body
    return re.sub(r"^(\s*)([%!].*)$", lambda m: f"{m.group(1)}pass  # {m.group(2)}", source,
                  flags=re.MULTILINE)


def describe(exc: BaseException, memory_mb: int = 0) -> str:
    if isinstance(exc, MemoryError):
        return f"MemoryError: ran out of memory (the limit is {memory_mb} MB)"
    if isinstance(exc, SystemExit):
        return "SystemExit: the code called sys.exit()"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Traps:
    """Replace the code of nnlab's reference functions by a trap (aliases are caught too).

    Unarmed, a trapped function still works (cells may compare with nnlab); armed — while a
    graded function runs — calling it raises ``CalledReference``.
    """

    def __init__(self):
        self.armed = False
        self.hit = None
        self._originals = {}

    def install(self, dotted_names) -> None:
        import types

        for dotted in sorted(set(dotted_names)):
            fn = _resolve(dotted)
            if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
                continue
            original = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__,
                                          fn.__defaults__, fn.__closure__)
            original.__kwdefaults__ = fn.__kwdefaults__
            self._originals[dotted] = original
            fn.__globals__["__nnlab_grading_trap__"] = self._trap
            scope: dict = {}
            exec(compile(f"def __trap__(*args, **kwargs):\n"
                         f"    return __nnlab_grading_trap__({dotted!r}, args, kwargs)\n",
                         f"<trap {dotted}>", "exec"), scope)
            fn.__code__ = scope["__trap__"].__code__

    def _trap(self, dotted, args, kwargs):
        if not self.armed:
            return self._originals[dotted](*args, **kwargs)
        self.hit = dotted
        raise CalledReference(f"called nnlab's {dotted}")


def _resolve(dotted: str):
    import importlib

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


def _limits(memory_mb: int, cpu_seconds: int) -> None:
    import resource

    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:
        current = 0
    limit = current + memory_mb * 2**20
    for which, value in ((resource.RLIMIT_AS, (limit, limit)),
                         (resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1)),
                         (resource.RLIMIT_FSIZE, (64 * 2**20, 64 * 2**20)),
                         (resource.RLIMIT_CORE, (0, 0))):
        try:
            resource.setrlimit(which, value)
        except (ValueError, OSError):  # e.g. RLIMIT_AS on macOS: the wall-clock limit remains
            pass


def _global_rng_state(get_state):
    """A comparable copy of NumPy's global (legacy) generator state, or None if unreadable."""
    try:
        name, key, pos, has_gauss, gauss = get_state()
        return (str(name), bytes(key.tobytes()), int(pos), int(has_gauss), float(gauss))
    except Exception:
        return None


class Child:
    """The loop inside the sandbox: run the cells, then answer one question at a time."""

    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out

    def send(self, message: dict, values: dict | None = None) -> None:
        try:
            data = pack(message, values)
        except (WireError, TypeError, ValueError, OverflowError, RecursionError) as exc:
            data = pack({"event": "error", "id": message.get("id"), "kind": "output",
                         "error": str(exc)[:300]})
        write_all(self.fd_out, data)

    def receive(self) -> tuple[dict, list]:
        return unpack(read_frame(self.fd_in))

    def run(self, job: dict) -> None:
        import builtins
        import signal
        import warnings

        import numpy as np

        self.timeout, self.memory_mb = float(job["timeout"]), int(job["memory_mb"])
        _limits(self.memory_mb, int(self.timeout * (len(job["cells"]) + 40)) + 10)
        signal.signal(signal.SIGALRM, self._on_alarm)
        self.traps = Traps()
        self.traps.install(job.get("traps", []))
        # `from nnlab.grading import check` works and does nothing: the grader does the checking
        import types

        grading = types.ModuleType("nnlab.grading")
        grading.__path__ = []  # a package without modules: nnlab.grading.tasks is not importable
        grading.check = lambda *args, **kwargs: None

        def student_numbers(*args, **kwargs):  # inputs, not answers: nnlab.variants is visible
            from nnlab.variants import student_numbers

            return student_numbers(*args, **kwargs)

        grading.student_numbers = student_numbers
        sys.modules["nnlab.grading"] = grading
        get_state = np.random.get_state  # taken before the cells run (they may replace it)
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        for i, source in enumerate(job["cells"]):
            self.send({"event": "cell_start", "cell": i})
            try:
                code = compile(notebook_code(source), f"<cell {i + 1}>", "exec")
                signal.setitimer(signal.ITIMER_REAL, self.timeout)
                try:
                    exec(code, namespace)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except BaseException as exc:
                error = describe(exc, self.memory_mb)
                if isinstance(exc, TimeLimit):
                    error = f"did not finish within {self.timeout:g} s"
                self.send({"event": "cell_error", "cell": i, "error": error})
        self.send({"event": "ready"})
        while True:
            header, arrays = self.receive()
            op, ident = header.get("op"), header.get("id")
            if op == "exit":
                return
            name = header.get("name")
            obj = namespace.get(name) if isinstance(name, str) else None
            if op == "get":
                if obj is None:
                    kind = "not_implemented" if name in namespace else "missing"
                    self.send({"event": "error", "id": ident, "kind": kind,
                               "error": f"{name} is {'None' if name in namespace else 'not defined'}"})
                else:
                    self.send({"event": "result", "id": ident}, {"value": obj})
                continue
            if op != "call":
                return
            args = decode(header.get("args"), arrays, self._callback_maker(ident))
            kwargs = decode(header.get("kwargs"), arrays, self._callback_maker(ident))
            if obj is None or not callable(obj):
                what = "defined" if obj is None else "a function"
                self.send({"event": "error", "id": ident, "kind": "missing",
                           "error": f"{name} is not {what}"})
                continue
            self.traps.armed, self.traps.hit = True, None
            limit = header.get("timeout")
            limit = float(limit) if isinstance(limit, int | float) and limit > 0 else self.timeout
            try:
                global_before = _global_rng_state(get_state)
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    signal.setitimer(signal.ITIMER_REAL, limit)
                    try:
                        value = obj(*args, **kwargs)
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                self.traps.armed = False
                global_changed = _global_rng_state(get_state) != global_before
                # the arguments as they are now: arrays (modified in place?) and generators
                after = [a if isinstance(a, np.ndarray | np.random.Generator) else None for a in args]
                self.send({"event": "result", "id": ident, "global_rng": global_changed},
                          {"value": value, "args": after})
            except BaseException as exc:
                self.traps.armed = False
                if isinstance(exc, NotImplementedError):
                    kind = "not_implemented"
                elif isinstance(exc, TimeLimit):
                    kind = "timeout"
                elif isinstance(exc, CalledReference) or self.traps.hit:
                    kind = "trap"
                else:
                    kind = "exception"
                self.send({"event": "error", "id": ident, "kind": kind, "function": self.traps.hit,
                           "error": describe(exc, self.memory_mb)})

    def _callback_maker(self, ident):
        def make(number: int):
            def callback(*args):
                self.send({"event": "callback", "id": ident, "callback": number},
                          {"args": list(args)})
                header, arrays = self.receive()
                if header.get("op") != "callback_result":
                    raise RuntimeError(header.get("error") or "the grader's function failed")
                return decode(header.get("value"), arrays)
            return callback
        return make

    @staticmethod
    def _on_alarm(signum, frame):
        raise TimeLimit()


def main() -> None:
    """Entry point: keep the pipe's ends, silence everything else, read the job and run it."""
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)  # whatever the notebook prints goes nowhere
    os.close(devnull)
    child = Child(fd_in, fd_out)
    try:
        payload = read_frame(fd_in)  # the job: plain JSON, readable before NumPy is importable
        (head_len,) = struct.unpack(">I", payload[:4])
        header = json.loads(payload[4:4 + head_len])
        sys.path[:0] = [p for p in header.get("path", []) if isinstance(p, str)]
        os.environ.update({"NNLAB_GRADING": "1", "MPLBACKEND": "Agg"})
        child.run(header)
    except BaseException as exc:  # never let the child's own failure go unreported
        try:
            child.send({"event": "fatal", "error": describe(exc)})
        except BaseException:
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
