"""The Gradescope bundle: built from this checkout, run against a fake /autograder tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from grading_helpers import ROOT, submission

from nnlab.grading.gradescope import build_bundle
from nnlab.grading.tasks import EXERCISES

EXERCISE = "05_worked_example_2-2-2"  # held-out tasks on each student's own numbers
REFERENCES = sorted(f"reference/{p.name}" for p in (ROOT / "exercises" / "reference").glob("*.py"))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_bundle(EXERCISE, tmp_path_factory.mktemp("bundle") / "autograder.zip")


def test_the_bundle_holds_the_scripts_the_wheel_and_the_references(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        run = zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    wheels = [n for n in names if n.endswith(".whl")]
    assert sorted(names) == sorted(["setup.sh", "run_autograder", *wheels, *REFERENCES])
    assert len(wheels) == 1 and "reference/worked_example.py" in REFERENCES
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert f"--exercise {EXERCISE}" in run and "--format gradescope" in run
    assert '--reference "$ROOT/source/reference"' in run and "--salt nnlab" in run
    assert "bubblewrap" in setup and wheels[0] in setup
    with zipfile.ZipFile(bundle) as zf, zf.open(wheels[0]) as wheel_file:
        inner = zipfile.ZipFile(wheel_file).namelist()
    assert "nnlab/grading/runner.py" in inner
    assert not any("solutions" in n or "reference" in n.split("/")[0] for n in inner)


def _run(bundle, tmp_path, files: dict) -> dict:
    root = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    for name, path in files.items():
        (root / "submission" / name).write_bytes(path.read_bytes())
    env = {**os.environ, "AUTOGRADER": str(root), "NNLAB_PYTHON": sys.executable,
           "NNLAB_STUDENT_USER": ""}  # this machine's Python lives under /root: not for nobody
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_solution_full_marks_stub_zero(bundle, tmp_path):
    solution = submission(tmp_path, EXERCISE, name="mine.ipynb")
    result = _run(bundle, tmp_path / "a", {"homework.ipynb": solution})
    tasks = EXERCISES[EXERCISE].tasks
    assert result["score"] == EXERCISES[EXERCISE].max_score and len(result["tests"]) == len(tasks)
    stub = submission(tmp_path, EXERCISE, name="stub.ipynb", student=True)
    assert _run(bundle, tmp_path / "b", {"homework.ipynb": stub})["score"] == 0


def test_no_file_or_two_files_get_zero_with_a_message(bundle, tmp_path):
    none = _run(bundle, tmp_path / "a", {})
    assert none["score"] == 0 and "exactly one notebook" in none["output"]
    solution = submission(tmp_path, EXERCISE, name="mine.ipynb")
    two = _run(bundle, tmp_path / "b", {"a.ipynb": solution, "b.ipynb": solution})
    assert two["score"] == 0 and "found 2" in two["output"]


def test_a_hostile_notebook_gains_nothing(bundle, tmp_path):
    tree = tmp_path / "a" / "autograder"
    code = (f"import glob, os\nfor f in glob.glob('/autograder/**') + glob.glob('{tree}/**',"
            " recursive=True):\n    try:\n        open(f, 'w').write('{\"score\": 100}')\n"
            "    except OSError:\n        pass\nos._exit(0)\n")
    hostile = submission(tmp_path, EXERCISE, name="eve.ipynb", student=True, prepend=[code])
    result = _run(bundle, tmp_path / "a", {"eve.ipynb": hostile})
    assert result["score"] == 0 and result["tests"]


def test_the_cli_builds_the_bundle(tmp_path, bundle):
    wheel = tmp_path / "course.whl"
    with zipfile.ZipFile(bundle) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".whl"))
        wheel = tmp_path / name
        wheel.write_bytes(zf.read(name))
    out = tmp_path / "ag.zip"
    done = subprocess.run([sys.executable, "-m", "nnlab", "exercises", "gradescope", EXERCISE,
                           "-o", str(out), "--wheel", str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    bad = subprocess.run([sys.executable, "-m", "nnlab", "exercises", "gradescope", "99_nothing",
                          "-o", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown exercise" in bad.stderr
