"""The setup cell in Google Colab: when ``google.colab`` imports, it installs the course package,
pinned to this version's release tag; anywhere else it installs nothing.

The slow tests run notebook 01 in a fresh virtual environment that has what Colab has (NumPy,
matplotlib, ipywidgets 7.7, a kernel) but not the course package, with a stand-in ``google.colab``
module and a stand-in ``%pip`` that records what it is asked and installs the course's wheel for
exactly the pinned requirement (nothing is fetched from the repository).
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager
from test_notebooks import python_source
from test_packaging import (
    KERNEL_TOOLS,
    course_wheel,
    execute,
    installed_here,
    kernel_env,
    make_venv,
    prepared,
)

import nnlab
from nnlab import course
from nnlab.grading.runner import notebook_code

ROOT = Path(__file__).resolve().parents[1]
PINNED = f"{course.DISTRIBUTION} @ git+{course.REPOSITORY}@{course.RELEASE}"
COLAB_LIKE = ("numpy", "matplotlib", "ipywidgets==7.7.1")  # Colab's ipywidgets is 7.7.1

STANDIN_PIP = '''\
"""Stand-in for %pip (tests/test_colab.py): records each request; installs the course wheel for
the pinned requirement, refuses anything else."""
import os
import shlex
import subprocess
import sys

from IPython import get_ipython


def pip(line):
    with open(os.environ["STANDIN_PIP_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\\n")
    args = shlex.split(line)
    wanted = [a for a in args[1:] if not a.startswith("-")]
    if args[:1] != ["install"] or wanted != [os.environ["STANDIN_PIP_PINNED"]]:
        raise RuntimeError(f"the stand-in installer has only {os.environ['STANDIN_PIP_PINNED']}: {line}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    os.environ["STANDIN_PIP_WHEEL"]], check=True)


get_ipython().register_magic_function(pip, "line", "pip")
'''


# ---- the cell's text -------------------------------------------------------------------------

def test_setup_cell_installs_the_pinned_release_in_colab_only():
    lines = course.SETUP_CELL.splitlines()
    install = f'    %pip install --quiet "{PINNED}"'
    assert install in lines and course.COLAB_INSTALL in course.SETUP_CELL
    at = lines.index(install)
    assert lines[at - 1].strip() == "import google.colab" and lines[at - 2].startswith("try:")
    assert lines[at + 1].startswith("except ImportError:") and lines[at + 2].strip() == "pass"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", course.RELEASE) and course.RELEASE == f"v{nnlab.__version__}"
    ref = PINNED.rsplit("@", 1)[1]
    assert ref == course.RELEASE and ref not in (course.BRANCH, "main", "master", "HEAD", "latest")
    # the BLAS threads are set before anything (google.colab included) can load NumPy
    assert lines.index("import google.colab".rjust(len(lines[at - 1]))) > max(
        i for i, line in enumerate(lines) if "os.environ[var]" in line)
    for kept in ("%matplotlib inline", "import nnlab", "nnlab.setup()  # print options and small figures",
                 "SEED = 0"):
        assert kept in lines
    assert len(lines) <= 15, "keep the setup cell short"


def test_setup_cell_parses_as_ipython_the_notebook_tests_and_the_grader_read_it():
    ipython = TransformerManager().transform_cell(course.SETUP_CELL)
    assert f"get_ipython().run_line_magic('pip', 'install --quiet \"{PINNED}\"')" in ipython
    for source in (ipython, python_source({"source": [course.SETUP_CELL]}), notebook_code(course.SETUP_CELL)):
        tree = ast.parse(source)
        assert any(isinstance(node, ast.Try) for node in tree.body)


# ---- running it --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> dict:
    """A Colab-like environment without the course package, and the stand-ins."""
    base = tmp_path_factory.mktemp("colab")
    wheel = course_wheel(tmp_path_factory)
    venv = base / "venv"
    python = make_venv(venv, *COLAB_LIKE, *KERNEL_TOOLS)
    standin = base / "google-colab"
    (standin / "google" / "colab").mkdir(parents=True)
    (standin / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s module."""\n')
    return {"base": base, "venv": venv, "python": python, "wheel": wheel, "google": standin}


def user(colab: dict, name: str, *, in_colab: bool) -> tuple[dict[str, str], Path]:
    """A fresh user of ``colab``'s environment with the stand-in %pip, and its request log."""
    home = colab["base"] / name
    log = home / "pip.log"
    env = kernel_env(home, STANDIN_PIP_LOG=str(log), STANDIN_PIP_PINNED=PINNED,
                     STANDIN_PIP_WHEEL=str(colab["wheel"]))
    if in_colab:
        env["PYTHONPATH"] = str(colab["google"])
    startup = Path(env["IPYTHONDIR"]) / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00_standin_pip.py").write_text(STANDIN_PIP)
    log.write_text("")
    return env, log


def test_in_colab_the_setup_cell_installs_the_course_package_then_the_notebook_runs(colab):
    python = colab["python"]
    missing = subprocess.run([python, "-c", "import nnlab"], capture_output=True, cwd=colab["base"])
    assert missing.returncode != 0, "the Colab-like environment must start without the course package"
    env, log = user(colab, "learner-in-colab", in_colab=True)
    notebook = prepared(ROOT / "notebooks" / "01_forward_pass.ipynb", colab["base"] / "colab",
                        installed_here(colab["venv"]))
    (executed,) = execute(python, notebook, env=env)
    assert log.read_text().splitlines() == [f'install --quiet "{PINNED}"']
    errors = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]
              if o["output_type"] == "error"]
    assert not errors


def test_elsewhere_the_setup_cell_installs_nothing(colab):
    subprocess.run([colab["python"], "-m", "pip", "install", "--quiet", "--no-deps", colab["wheel"]],
                   check=True, capture_output=True)
    env, log = user(colab, "learner-elsewhere", in_colab=False)
    notebook = prepared(ROOT / "notebooks" / "00_start_here.ipynb", colab["base"] / "elsewhere",
                        "import sys\nassert 'google.colab' not in sys.modules\n")
    execute(colab["python"], notebook, env=env)
    assert log.read_text() == "", "outside Colab the setup cell must not install anything"
