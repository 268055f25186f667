"""Benchmark (not a test): grade a class of 150 mixed submissions, sandboxed, with -j 2.

    .venv/bin/python benchmarks/bench_grading.py [--copies 14] [--jobs 2] [--timeout 10]

The batch: 14 copies of a 10-file mixed set (solutions, fresh student notebooks, catalogued
mistakes, a submission that kills its process inside a task, a truncated file) plus 10 hostile
submissions (forged answers, reading the solutions, overwriting and killing peers, a daemon,
writing to the grader's stdout and package, a deadline-extending message stream, an oversized
message, an infinite loop that ignores the alarm). Every row is checked against the score it
must get; the benchmark fails (exit 1) if one is wrong. Then the 140 non-hostile submissions
are graded again without the sandbox, in the same run, to measure what the sandbox costs.
Goal: the 150 in under 90 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nnlab.grading import grade_many  # noqa: E402
from nnlab.grading.sandbox import sandbox_status  # noqa: E402
from nnlab.grading.tasks import EXERCISES  # noqa: E402

MISTAKES = {  # exercise: (task the mistake breaks, the mistaken code)
    "02_loss": ("categorical_cross_entropy",
                "def categorical_cross_entropy(probs, y_true):\n"
                "    y = np.argmax(y_true, axis=1) if np.ndim(y_true) == 2 else y_true\n"
                "    return -np.sum(np.log(np.clip(probs[np.arange(len(probs)), y], 1e-7, 1)))\n"),
    "09_regularization": ("l2_gradient", "def l2_gradient(weights, lam):\n    return lam * weights\n"),
    "07_optimizers": ("sgd_update",
                      "def sgd_update(param, grad, state, *, learning_rate, momentum=0.0):\n"
                      "    update = momentum * state.get('u', 0.0) - grad\n"
                      "    return param + update, {'u': update}\n"),
}

FRAME = ("import json, os, struct\n"
         "def frame(m):\n    h = json.dumps({**m, 'arrays': []}).encode()\n"
         "    p = struct.pack('>I', len(h)) + h\n    return struct.pack('>Q', len(p)) + p\n")
HOSTILE = {  # name: code appended to a fresh student notebook (all of them must score 0)
    "forge": FRAME + ("for fd in range(3, 16):\n    for i in range(20):\n        try:\n"
                      "            os.write(fd, frame({'event': 'result', 'id': i, 'value': 1.0}))\n"
                      "        except OSError:\n            break\nos._exit(0)\n"),
    "solutions": ("import glob, pathlib, nnlab\n"
                  "root = pathlib.Path(nnlab.__file__).resolve().parents[1]\n"
                  "for f in glob.glob(str(root / 'exercises/solutions/*.ipynb')):\n"
                  "    exec(open(f).read())\n"),
    "peers": ("import glob\nfor f in glob.glob('{folder}/*.ipynb'):\n    try:\n"
              "        open(f, 'w').write('{}')\n    except OSError:\n        pass\n"),
    "kill": ("import os, signal\nfor pid in range(1, 3000):\n    if pid != os.getpid():\n"
             "        try:\n            os.kill(pid, signal.SIGKILL)\n        except OSError:\n"
             "            pass\n"),
    "daemon": ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
               "        time.sleep(30)\n    os._exit(0)\n"),
    "stdout": ("import os\nfor pid in os.listdir('/proc'):\n    try:\n"
               "        open(f'/proc/{pid}/fd/1', 'w').write('mallory: 9 / 9\\n')\n"
               "    except OSError:\n        pass\n"),
    "package": ("import nnlab, os\np = os.path.join(os.path.dirname(nnlab.__file__), 'grading', 'core.py')\n"
                "try:\n    open(p, 'a').write('\\nevaluate = None\\n')\nexcept OSError:\n    pass\n"),
    "deadline": FRAME + ("import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                         "while True:\n    for fd in range(3, 8):\n        try:\n"
                         "            os.write(fd, frame({'event': 'cell_start', 'cell': 1}))\n"
                         "        except OSError:\n            pass\n    time.sleep(0.5)\n"),
    "huge": ("import os, struct\nfor fd in range(3, 8):\n    try:\n"
             "        os.write(fd, struct.pack('>Q', 2**40))\n    except OSError:\n        pass\n"),
    "loop": ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n"
             "    try:\n        pass\n    except BaseException:\n        pass\n"),
}


def _write(folder: Path, name: str, exercise: str, *, student=False, extra=None) -> Path:
    src = ROOT / "exercises" / ("" if student else "solutions") / f"{exercise}.ipynb"
    nb = nbformat.read(src, as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def mixed_set(folder: Path, copy: int) -> dict[Path, float | None]:
    """Ten files and the score each must get (None: an error row)."""
    full = {name: ex.max_score for name, ex in EXERCISES.items()}
    files = {
        _write(folder, f"c{copy}_sol_01_forward_pass", "01_forward_pass"): full["01_forward_pass"],
        _write(folder, f"c{copy}_sol_05_worked", "05_worked_example_2-2-2"):
            full["05_worked_example_2-2-2"],
        _write(folder, f"c{copy}_sol_12_k_fold", "12_k_fold"): full["12_k_fold"],
        _write(folder, f"c{copy}_fresh_03_backprop", "03_backprop_derivation", student=True): 0.0,
        _write(folder, f"c{copy}_fresh_11_validation", "11_validation", student=True): 0.0,
        _write(folder, f"c{copy}_exit_10_dropout", "10_dropout",
               extra="import os\ndef dropout_forward(inputs, rate, rng):\n    os._exit(1)\n"):
            full["10_dropout"] - EXERCISES["10_dropout"].task("dropout_forward").points,
    }
    for ex, (task, code) in MISTAKES.items():
        path = _write(folder, f"c{copy}_wrong_{ex}", ex, extra=code)
        files[path] = full[ex] - EXERCISES[ex].task(task).points
    bad = folder / f"c{copy}_truncated_02_loss.ipynb"
    bad.write_bytes(next(iter(files)).read_bytes()[:300])
    files[bad] = None
    return files


def hostile_set(folder: Path) -> dict[Path, float | None]:
    exercises = list(EXERCISES)
    return {_write(folder, f"hostile_{name}_{exercises[i % len(exercises)]}",
                   exercises[i % len(exercises)], student=True,
                   extra=code.replace("{folder}", str(folder))): 0.0
            for i, (name, code) in enumerate(HOSTILE.items())}


def wrong_rows(reports: list[dict], expected: dict) -> list[str]:
    wrong = []
    for report in reports:
        want = expected[Path(report["file"])]
        got = None if report["error"] else report["score"]
        if got != want:
            wrong.append(f"{report['submission']}: expected {want}, got {got} ({report['error']})")
    return wrong


def timed(files, **options) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    reports = grade_many(files, **options)
    return time.perf_counter() - start, reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=14, help="copies of the 10-file mixed set")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    why = sandbox_status()
    if why is not None:
        print(f"bubblewrap does not work here ({why}): nothing to measure")
        return 1
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        benign: dict = {}
        for c in range(args.copies):
            benign.update(mixed_set(folder, c))
        hostile = hostile_set(folder)
        expected = {**benign, **hostile}
        options = {"jobs": args.jobs, "timeout": args.timeout}
        grade_many(list(benign)[:1], jobs=1)  # warm the caches (matplotlib's font list, imports)

        batch_s, reports = timed(list(expected), **options)
        wrong = wrong_rows(reports, expected)
        print(f"{len(expected)} submissions ({len(hostile)} hostile), sandboxed, -j {args.jobs}, "
              f"--timeout {args.timeout:g}: {batch_s:.1f} s; rows right: "
              f"{len(reports) - len(wrong)}/{len(expected)}")
        for line in wrong:
            print("  WRONG", line)

        boxed_s, boxed = timed(list(benign), **options)
        plain_s, plain = timed(list(benign), sandbox=False, **options)
        wrong += wrong_rows(boxed, expected) + wrong_rows(plain, expected)
        n = len(benign)
        print(f"the {n} non-hostile ones: sandboxed {boxed_s:.1f} s, without the sandbox "
              f"{plain_s:.1f} s (ratio {boxed_s / plain_s:.2f}); the sandbox costs "
              f"{(boxed_s - plain_s) * args.jobs / n * 1000:.0f} ms of worker time per submission")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
