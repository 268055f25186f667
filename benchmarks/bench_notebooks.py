"""Benchmark (not a test): how long each notebook takes under strict nbval, kernel start included.

    .venv/bin/python benchmarks/bench_notebooks.py [notebooks/*.ipynb ...]

Each notebook runs in its own pytest process, as `make test` runs it (strict nbval, the course's
sanitize file), one after the other; the table gives the cell count, the wall time and the
result. The course's targets: each notebook under 30 s on a 2-core machine (the capstone under
60 s), the whole course under 4 minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg"]


def run(path: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *NBVAL,
                           str(path)], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return seconds, done.returncode, summary


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'notebook':<32} {'cells':>5} {'seconds':>8}  result")
    total, failed = 0.0, 0
    for path in paths:
        cells = len(json.loads(path.read_text(encoding="utf-8"))["cells"])
        seconds, code, summary = run(path)
        total += seconds
        failed += code != 0
        print(f"{path.stem:<32} {cells:>5} {seconds:>8.1f}  {summary}")
    print(f"{'all':<32} {'':>5} {total:>8.1f}  {failed} failed; load average {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
