"""Where a submission's code runs: a bubblewrap sandbox, and the pipe the grader talks over.

Each submission gets a fresh process started as ``bwrap … python -S -E -s runner.py``: new PID,
network, IPC, UTS and mount namespaces, uid 65534 with no capabilities, a read-only view of the
Python interpreter, NumPy, matplotlib (and what they need) and nnlab without its grading code,
a private tmpfs as ``/tmp``, and nothing else of the machine's files — no submissions, reports,
solutions, grader source or other processes. Killing bwrap kills the whole process tree (PID
namespace, ``--die-with-parent``). Where bubblewrap is missing or cannot make namespaces the
same runner starts as a plain child process (``isolated=False``); the report says so loudly.

The grader reads the pipe with its own clock and caps (``runner.MAX_FRAME`` bytes per message,
checked before it reads the message): nothing the child sends extends a deadline.
"""

from __future__ import annotations

import functools
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import weakref
from importlib import metadata
from pathlib import Path

from . import runner

RUNNER = Path(runner.__file__).resolve()
PACKAGES = ("numpy", "matplotlib")  # what student code may import besides nnlab and the stdlib
SANDBOX_TMP_BYTES = 256 * 2**20
STARTUP_SECONDS = 20.0  # interpreter, NumPy and nnlab start-up; generous for a loaded machine


_LIVE: weakref.WeakSet = weakref.WeakSet()  # running sessions, killed together on Ctrl-C
_LIVE_LOCK = threading.Lock()


def kill_all() -> None:
    """Kill every running submission's process (an interrupted batch)."""
    with _LIVE_LOCK:
        sessions = list(_LIVE)
    for session in sessions:
        session.kill()


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here (and it was required)."""


class SessionDied(Exception):
    """The submission's process ended, broke the protocol or ran out of time."""

    def __init__(self, why: str, timed_out: bool = False):
        super().__init__(why)
        self.timed_out = timed_out


class StudentError(Exception):
    """The student's function raised (or was missing); ``kind`` says how."""

    def __init__(self, kind: str, message: str, function: str | None = None):
        super().__init__(message)
        self.kind, self.function = kind, function


def check_global_rng(name: str, args, kwargs) -> None:
    """Called when NumPy's global generator changed during a call (the child reports it): a
    function handed a generator must draw from that generator alone, so that is an error."""
    import numpy as np

    if any(isinstance(a, np.random.Generator) for a in (*args, *kwargs.values())):
        raise StudentError("global_rng", f"{name} used NumPy's global random generator "
                           "(np.random.seed, np.random.rand, np.random.permutation, ...): draw "
                           "every random number from the rng passed in (rng.random, "
                           "rng.permutation) and leave the global generator alone")


# ---- what the sandbox can see ----

def _distribution_roots(name: str, seen: set) -> list[Path]:
    """Top-level files and folders of an installed distribution and its dependencies."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return []
    seen.add(key)
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return []
    roots = set()
    for file in dist.files or ():
        parts = Path(file).parts
        if parts and parts[0] not in ("..", "__pycache__") and not parts[0].endswith(".pth"):
            roots.add(Path(dist.locate_file(parts[0])).resolve())
    paths = [p for p in sorted(roots) if p.exists()]
    for requirement in dist.requires or ():
        if "extra ==" in requirement:
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if match:
            paths += _distribution_roots(match.group(0), seen)
    return paths


@functools.lru_cache(maxsize=1)
def visible_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(paths bound read-only into the sandbox, the child's sys.path additions)."""
    import nnlab

    package = Path(nnlab.__file__).resolve().parent
    binds = {str(package)}
    search = [str(package.parent)]
    seen: set = set()
    for name in PACKAGES:
        for root in _distribution_roots(name, seen):
            binds.add(str(root))
            if str(root.parent) not in search:
                search.append(str(root.parent))
    return tuple(sorted(binds)), tuple(search)


def _interpreter() -> tuple[str, str, str]:
    """(the real interpreter binary, its installation prefix, its site-packages to hide)."""
    executable = os.path.realpath(sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    purelib = sysconfig.get_path("purelib", vars={"base": sys.base_prefix})
    return executable, prefix, os.path.realpath(purelib)


@functools.lru_cache(maxsize=1)
def matplotlib_cache() -> str | None:
    """The grader's matplotlib font cache (built once), copied read-only into each sandbox so
    that ``import matplotlib.pyplot`` in a notebook costs an import, not a font scan."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401  (builds the cache if missing)
    except ImportError:
        return None
    cache = Path(matplotlib.get_cachedir())
    found = sorted(cache.glob("fontlist-v*.json"))
    return str(found[-1]) if found else None


def bwrap_command(command: list[str]) -> list[str]:
    """The bubblewrap command line that runs ``command`` in the sandbox described above."""
    executable, prefix, purelib = _interpreter()
    binds, _ = visible_paths()
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
            "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--ro-bind", prefix, prefix]
    if os.path.isdir(purelib) and purelib.startswith(prefix + os.sep):
        args += ["--tmpfs", purelib]  # the interpreter's own site-packages: not for students
    for path in binds:
        args += ["--ro-bind", path, path]
    import nnlab

    grading = str(Path(nnlab.__file__).resolve().parent / "grading")
    args += ["--tmpfs", grading]  # nnlab without the grader: no tasks, references or solutions
    args += ["--ro-bind", str(RUNNER), "/sandbox/runner.py"]
    fonts = matplotlib_cache()
    if fonts:
        args += ["--ro-bind", fonts, f"/tmp/matplotlib/{Path(fonts).name}"]
    for key, value in _environment("/tmp").items():
        args += ["--setenv", key, value]
    return [*args, "--chdir", "/tmp", "--", executable, *command[1:]]


def _environment(tmp: str) -> dict:
    return {"HOME": tmp, "TMPDIR": tmp, "MPLCONFIGDIR": f"{tmp}/matplotlib", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8", "NNLAB_GRADING": "1"}


@functools.lru_cache(maxsize=1)
def sandbox_status() -> str | None:
    """None if bubblewrap works here; otherwise why not (a sentence for the report)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    executable = _interpreter()[0]
    try:
        probe = subprocess.run(bwrap_command([executable, "-S", "-E", "-s", "-c", "pass"]),
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start: {exc}"
    if probe.returncode != 0:
        why = probe.stderr.decode(errors="replace").strip().splitlines()
        return f"bubblewrap cannot create its namespaces here ({why[-1] if why else 'no message'})"
    return None


# ---- one running submission ----

class Session:
    """The submission's process and the grader's end of its pipe.

    ``run_cells`` sends the job and waits for the cells to finish; ``call`` and ``get`` ask one
    question each and accept only the answer to it. Deadlines are the grader's own: one per
    cell (a cell counts once, in order), one per task, and one for the whole session.
    """

    def __init__(self, cells: list[str], traps: list[str], *, timeout: float, memory_mb: int,
                 isolated: bool, task_seconds: float, user: str | None = None):
        self.timeout, self.cells, self.isolated = timeout, cells, isolated
        self.deadline = time.monotonic() + STARTUP_SECONDS + timeout * len(cells) + task_seconds
        executable = _interpreter()[0]
        script = "/sandbox/runner.py" if isolated else str(RUNNER)
        command = [executable, "-S", "-E", "-s", script]
        if isolated:
            command = bwrap_command(command)
            env = None
        else:
            env = {**_environment(os.environ.get("TMPDIR", "/tmp"))}
        drop = {}
        if user and not isolated and os.geteuid() == 0:  # a plain child: at least not root
            import pwd

            entry = pwd.getpwnam(user)
            drop = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            env["HOME"] = env["TMPDIR"] = env["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="nnlab-")
            os.chown(env["HOME"], entry.pw_uid, entry.pw_gid)
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, close_fds=True, env=env,
                                     start_new_session=True, cwd="/", **drop)
        with _LIVE_LOCK:
            _LIVE.add(self)
        self._buffer = bytearray()
        self._next_id = 0
        _, search = visible_paths()
        self._send({"op": "job", "cells": cells, "traps": sorted(set(traps)), "timeout": timeout,
                    "memory_mb": memory_mb, "path": list(search)})

    # -- plumbing --
    def _send(self, message: dict, values: dict | None = None, callbacks=None) -> None:
        try:
            data = runner.pack(message, values, callbacks)
        except runner.WireError as exc:
            raise SessionDied(f"the grader could not send its question: {exc}") from None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise SessionDied(self._death("the process stopped reading")) from None

    def _receive(self, deadline: float) -> tuple[dict, list]:
        fd = self.proc.stdout.fileno()
        need = 8
        length = None
        while True:
            if length is None and len(self._buffer) >= 8:
                (length,) = struct.unpack(">Q", bytes(self._buffer[:8]))
                if length > runner.MAX_FRAME:
                    self.kill()
                    raise SessionDied(f"the process sent a message of {length} bytes (the limit "
                                      f"is {runner.MAX_FRAME})")
                need = 8 + length
            if len(self._buffer) >= need and length is not None:
                payload = bytes(self._buffer[8:need])
                del self._buffer[:need]
                try:
                    return runner.unpack(payload, max_header=runner.MAX_HEADER)
                except runner.WireError as exc:
                    self.kill()
                    raise SessionDied(f"the process sent a malformed message ({exc})") from None
            remaining = min(deadline, self.deadline) - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise SessionDied("time limit", timed_out=True)
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
            if not ready:
                continue
            chunk = os.read(fd, min(need - len(self._buffer), 1 << 20))
            if not chunk:
                raise SessionDied(self._death("the process ended"))
            self._buffer += chunk

    def _death(self, what: str) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        signum = -code if code is not None and code < 0 else None
        if self.isolated and code is not None and 128 < code < 128 + 65:
            signum = code - 128  # bwrap reports a signal death as 128 + the signal's number
        if signum is not None:
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = f"signal {signum}"
            return f"{what} (killed by {name}: the memory or CPU limit, or a crash?)"
        return f"{what} (os._exit, a crash, or the memory limit?)"

    def kill(self) -> None:
        """Kill the process group (bwrap takes its PID namespace, every descendant, with it)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send({"op": "exit"})
            except SessionDied:
                pass
        self.kill()

    # -- the conversation --
    def run_cells(self) -> dict:
        """Run the notebook's cells: {"errors": {cell: message}, "cell": last cell started}."""
        errors, cell = {}, None
        cell_deadline = time.monotonic() + STARTUP_SECONDS + self.timeout
        while True:
            try:
                header, _ = self._receive(cell_deadline)
            except SessionDied as exc:
                exc.cell = cell
                exc.cell_errors = errors
                raise
            event = header.get("event")
            if event == "cell_start" and isinstance(header.get("cell"), int) and (
                    header["cell"] == (-1 if cell is None else cell) + 1 < len(self.cells)):
                cell = header["cell"]
                cell_deadline = time.monotonic() + self.timeout + 3
            elif event == "cell_error" and header.get("cell") == cell:
                errors[cell] = str(header.get("error"))[:300]
            elif event == "ready":
                return {"errors": errors, "cell": cell}
            elif event == "fatal":
                died = SessionDied(f"the grader's runner failed: {str(header.get('error'))[:200]}")
                died.cell, died.cell_errors = cell, errors
                raise died
            # anything else during the cells is ignored: it cannot move a deadline

    def _ask(self, message: dict, values: dict, deadline: float, callbacks: dict):
        ident = self._next_id
        self._next_id += 1
        self._send({**message, "id": ident}, values, callbacks)
        while True:
            header, arrays = self._receive(deadline)
            if header.get("id") != ident:
                self.kill()
                raise SessionDied("the process answered a question it was not asked")
            event = header.get("event")
            if event == "callback" and header.get("callback") in callbacks:
                self._answer_callback(callbacks[header["callback"]], header, arrays)
                continue
            if event == "result":
                return header, arrays
            if event == "error":
                raise StudentError(str(header.get("kind")), str(header.get("error"))[:300],
                                   header.get("function") if isinstance(header.get("function"), str)
                                   else None)
            self.kill()
            raise SessionDied(f"the process sent an unexpected message ({event!r})")

    def _answer_callback(self, fn, header, arrays) -> None:
        try:
            args = runner.decode(header.get("args"), arrays)
            value = fn(*args)
            self._send({"op": "callback_result"}, {"value": value})
        except SessionDied:
            raise
        except Exception as exc:
            self._send({"op": "callback_error", "error": runner.describe(exc)})

    def call(self, name: str, args: tuple, kwargs: dict, deadline: float,
             timeout: float | None = None):
        """The student's ``name(*args, **kwargs)``, run in the sandbox (under the child's alarm of
        ``timeout`` seconds, else the job's); arrays and generators passed in change here as the
        student's code changed them there. A call handed a generator that changed NumPy's global
        generator (the child's ``global_rng`` flag) raises ``StudentError("global_rng")``."""
        callbacks: dict = {}
        header, arrays = self._ask({"op": "call", "name": name, "timeout": timeout},
                                   {"args": list(args), "kwargs": kwargs}, deadline, callbacks)
        try:
            value = runner.decode(header.get("value"), arrays)
            after = runner.decode(header.get("args"), arrays)
        except runner.WireError as exc:
            raise StudentError("output", str(exc)) from None
        import numpy as np

        if isinstance(after, list) and len(after) == len(args):
            # what the call did to its arguments, as if it had run here: arrays changed in place
            # are changed here too, generators advance as far as the student's code drew
            for given, now in zip(args, after, strict=True):
                if isinstance(given, np.random.Generator) and isinstance(now, np.random.Generator):
                    given.bit_generator.state = now.bit_generator.state
                elif (isinstance(given, np.ndarray) and isinstance(now, np.ndarray)
                      and now.shape == given.shape and given.flags.writeable):
                    given[...] = now
        if header.get("global_rng") is True:
            check_global_rng(name, args, kwargs)
        return value

    def get(self, name: str, deadline: float):
        header, arrays = self._ask({"op": "get", "name": name}, {}, deadline, {})
        try:
            return runner.decode(header.get("value"), arrays)
        except runner.WireError as exc:
            raise StudentError("output", str(exc)) from None
