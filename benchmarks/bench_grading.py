"""Benchmark (not a test): grade 100 copies of a mixed set of submissions with -j 1 and -j 2.

    .venv/bin/python benchmarks/bench_grading.py [--copies 10] [--jobs 1 2]

The mixed set holds full solutions, fresh student notebooks, solutions with a catalogued
mistake, one that kills its own process inside a task, and a truncated file. Infinite loops are
left out: each costs one worker the full --timeout. Target: 100 submissions in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nnlab.grading import grade_many  # noqa: E402

MISTAKES = {
    "02_loss": "def mean_squared_error(y_pred, y_true):\n    return np.sum((y_true - y_pred) ** 2)\n",
    "09_regularization": "def l2_gradient(weights, lam):\n    return lam * weights\n",
    "07_optimizers": ("def adam_update(param, grad, state, *, learning_rate, beta_1=0.9, "
                      "beta_2=0.999, epsilon=1e-7):\n"
                      "    m = beta_1 * state.get('m', 0) + (1 - beta_1) * grad\n"
                      "    v = beta_2 * state.get('v', 0) + (1 - beta_2) * grad**2\n"
                      "    return param - learning_rate * m / (np.sqrt(v) + epsilon), {'m': m, 'v': v}\n"),
}


def _write(folder: Path, name: str, exercise: str, *, student=False, extra=None) -> Path:
    src = ROOT / "exercises" / ("" if student else "solutions") / f"{exercise}.ipynb"
    nb = nbformat.read(src, as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def mixed_set(folder: Path, copy: int) -> list[Path]:
    files = [
        _write(folder, f"c{copy}_sol_01", "01_forward_pass"),
        _write(folder, f"c{copy}_sol_04", "05_worked_example_2-2-2"),
        _write(folder, f"c{copy}_sol_09", "12_k_fold"),
        _write(folder, f"c{copy}_fresh_03", "03_backprop_derivation", student=True),
        _write(folder, f"c{copy}_fresh_08", "11_validation", student=True),
        _write(folder, f"c{copy}_exit_07", "10_dropout",
               extra="import os\ndef dropout_backward(dvalues, mask):\n    os._exit(1)\n"),
    ]
    files += [_write(folder, f"c{copy}_wrong_{ex[:2]}", ex, extra=code) for ex, code in MISTAKES.items()]
    bad = folder / f"c{copy}_truncated_02_loss.ipynb"
    bad.write_bytes(files[0].read_bytes()[:300])
    return [*files, bad]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the 10-file mixed set")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [f for c in range(args.copies) for f in mixed_set(folder, c)]
        grade_many(files[:2], jobs=1)  # start the fork server (NumPy, nnlab loaded once)
        print(f"{len(files)} submissions (fork server already started)")
        for jobs in args.jobs:
            start = time.perf_counter()
            reports = grade_many(files, jobs=jobs)
            elapsed = time.perf_counter() - start
            errors = sum(1 for r in reports if r["error"])
            print(f"-j {jobs}: {elapsed:6.1f} s total, {elapsed / len(files):.3f} s per submission "
                  f"({errors} unreadable files reported)")


if __name__ == "__main__":
    main()
