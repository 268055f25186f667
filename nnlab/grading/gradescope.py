"""``nnlab exercises gradescope EXERCISE -o autograder.zip``: a Gradescope autograder bundle.

The zip holds the course wheel, the held-out references (``reference/``, read by the grader
only), ``setup.sh`` (Gradescope runs it once, as root, to build the
image) and ``run_autograder`` (run for each submission). The grader runs as root; each
submission's code runs in the bubblewrap sandbox where the container allows user namespaces, and
otherwise as the unprivileged user ``nobody`` with the source and results folders unreadable to
it. ``results.json`` is written whatever happens.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..variants import DEFAULT_SALT
from .references import graded_exercises, reference_dir, require_references

VENV = "/opt/nnlab"  # outside /autograder/source, readable by the student's user

SETUP_SH = """#!/usr/bin/env bash
# Gradescope: build the autograder image (runs once, as root).
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv bubblewrap >/dev/null
python3 -m venv {venv}
{venv}/bin/python -m pip install --quiet --upgrade pip
{venv}/bin/python -m pip install --quiet ./{wheel}
chmod -R a+rX {venv}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope: grade one submission of {exercise}; always leaves results/results.json.
set -u
ROOT="${{AUTOGRADER:-/autograder}}"
PYTHON="${{NNLAB_PYTHON:-{venv}/bin/python}}"
STUDENT_USER="${{NNLAB_STUDENT_USER-nobody}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
chmod 700 "$ROOT/source" "$ROOT/results" 2>/dev/null || true  # unreadable to the student's user
USER_ARGS=()
if [ -n "$STUDENT_USER" ]; then USER_ARGS=(--user "$STUDENT_USER"); fi
"$PYTHON" -m nnlab grade "$ROOT/submission" --exercise {exercise} --format gradescope \\
    --output "$RESULTS" --timeout {timeout} --salt {salt} --reference "$ROOT/source/reference" \\
    "${{USER_ARGS[@]}}" || true
if [ ! -s "$RESULTS" ]; then
    echo '{{"score": 0.0, "tests": [], "output": "The autograder failed before grading."}}' \
        > "$RESULTS"
fi
"""


def build_wheel(project: Path, out_dir: Path) -> Path:
    """Build the course's wheel from its source tree (pyproject.toml beside the package)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
                    str(out_dir), str(project)], check=True)
    wheels = sorted(out_dir.glob("*.whl"))
    if not wheels:
        raise RuntimeError(f"pip built no wheel from {project}")
    return wheels[-1]


def project_root() -> Path | None:
    """The source tree this nnlab comes from, if it is a checkout (pyproject.toml beside it)."""
    import nnlab

    root = Path(nnlab.__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def build_bundle(exercise: str, output, *, wheel: Path | None = None, timeout: float = 10.0,
                 salt: str = DEFAULT_SALT, references=None) -> Path:
    """Write the autograder zip for ``exercise``; returns its path."""
    from .tasks import EXERCISES

    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; one of {', '.join(EXERCISES)}")
    require_references(graded_exercises(references)[exercise], references)
    reference_files = sorted(reference_dir(references).glob("*.py"))
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            root = project_root()
            if root is None:
                raise RuntimeError("not a source checkout: pass --wheel with the course's wheel")
            wheel = build_wheel(root, Path(tmp))
        files = {
            "setup.sh": SETUP_SH.format(venv=VENV, wheel=wheel.name),
            "run_autograder": RUN_AUTOGRADER.format(venv=VENV, exercise=exercise,
                                                    timeout=f"{timeout:g}", salt=shlex.quote(salt)),
        }
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, text in files.items():
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16  # executable, as Gradescope expects
                bundle.writestr(info, text)
            bundle.write(wheel, wheel.name)
            for path in reference_files:
                bundle.write(path, f"reference/{path.name}")
    return output
