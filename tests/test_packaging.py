"""The course package as a learner installs it, and the Binder / JupyterHub build plans.

- The wheel, built from a copy of the sources, installed in a fresh virtual environment, runs
  notebook 01 and exercise 01 from a folder outside the repository (data files come from the wheel),
  and its grader grades the solution notebook.
- The lowest versions claimed in pyproject.toml (numpy, matplotlib, ipywidgets) run notebooks 01
  (live widgets, moved here) and 12 (the Iris data) under strict nbval.
- repo2docker's build plan (``--no-build --no-run``: no Docker) for binder/, environment.yml and
  the README's JupyterHub command installs the course package and the course's Python.

The virtual environments need the package registry (pip) and nothing else; each notebook is run
from a copy whose first cell is the current ``nnlab.course.SETUP_CELL``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

import nnlab
from nnlab import course

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
FLOORS = dict(re.fullmatch(r"([a-z]+)>=([\d.]+)", r).groups() for r in PROJECT["dependencies"])
KERNEL_TOOLS = ("ipykernel", "nbclient")
# Pythons the floors install on (wheels for NumPy 1.24 exist for Python 3.11 and older).
FLOORS_PYTHON = "3.11"
PIP_TIMEOUT = 900

# Runs notebooks in the environment's own kernel, in the notebook's folder, and saves them.
RUNNER = """
import sys
import nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
    nbformat.write(nb, path)
"""


# ---- helpers (tests/test_colab.py uses them too) -------------------------------------------------

def pip_env() -> dict[str, str]:
    """This process's environment without anything that would put the repository on the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def kernel_env(home: Path, **extra: str) -> dict[str, str]:
    """A fresh user for notebook runs: its own HOME, Jupyter and IPython folders."""
    env = {k: v for k, v in pip_env().items() if not k.startswith(("JUPYTER", "IPYTHON", "MPL"))}
    for name in ("home", "jupyter-data", "jupyter-config", "ipython"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home / "home"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), IPYTHONDIR=str(home / "ipython"),
               JUPYTER_PLATFORM_DIRS="1", **extra)
    return env


def run(args, *, cwd: Path, env: dict[str, str], timeout: int = PIP_TIMEOUT) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout


def source_copy(folder: Path) -> Path:
    """What the sdist holds: pyproject.toml, README.md and the package, without caches or builds."""
    folder.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "nnlab", folder / "nnlab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return folder


_WHEEL: dict[str, Path] = {}


def course_wheel(tmp_path_factory) -> Path:
    """The course's wheel, built once per test session from a copy of the sources."""
    if "wheel" not in _WHEEL:
        base = tmp_path_factory.mktemp("wheel")
        src = source_copy(base / "src")
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", base / "dist", src],
            cwd=base, env=pip_env())
        (wheel,) = (base / "dist").glob("*.whl")
        _WHEEL["wheel"] = wheel
    return _WHEEL["wheel"]


def make_venv(folder: Path, *requirements, python: str = sys.executable) -> Path:
    """A fresh virtual environment with ``requirements``; returns its Python."""
    run([python, "-m", "venv", folder], cwd=folder.parent, env=pip_env())
    venv_python = folder / "bin" / "python"
    run([venv_python, "-m", "pip", "install", "--quiet", *requirements], cwd=folder.parent, env=pip_env())
    return venv_python


def installed_versions(python: Path, *names: str) -> dict[str, str]:
    code = ("import importlib.metadata as m, json, sys\n"
            "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))")
    return json.loads(run([python, "-c", code, *names], cwd=python.parent, env=pip_env()))


def prepared(notebook: Path, folder: Path, *extra_cells: str) -> Path:
    """A copy of ``notebook`` in ``folder`` whose first code cell is the current SETUP_CELL, with
    ``extra_cells`` (checks that print nothing) appended."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    first["source"] = course.SETUP_CELL.splitlines(keepends=True)
    for source in extra_cells:
        cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                "source": source.splitlines(keepends=True)}
        if nb.get("nbformat_minor", 0) >= 5:
            cell["id"] = f"check{len(nb['cells'])}"
        nb["cells"].append(cell)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / notebook.name
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def execute(python: Path, *notebooks: Path, env: dict[str, str]) -> list[dict]:
    """Run each notebook (in place, in its folder) in ``python``'s kernel; return them, executed."""
    run([python, "-c", RUNNER, *[nb.name for nb in notebooks]], cwd=notebooks[0].parent, env=env)
    return [json.loads(nb.read_text(encoding="utf-8")) for nb in notebooks]


def outputs_text(nb: dict) -> str:
    return "\n".join(json.dumps(c.get("outputs", [])) for c in nb["cells"] if c["cell_type"] == "code")


def installed_here(venv: Path) -> str:
    """A check cell: nnlab comes from ``venv``'s site-packages, never from the repository."""
    return (f"import sys\nassert sys.prefix == {str(venv)!r}, sys.prefix\n"
            f"assert nnlab.__file__.startswith(sys.prefix), nnlab.__file__\n"
            f"assert not any(p.startswith({str(ROOT)!r}) for p in sys.path), sys.path\n")


# Moves the first control of every live figure in the notebook and checks that it redrew.
WIDGETS_REDRAW = """\
live = [w for w in list(globals().values()) if isinstance(w, nnlab.widgets.Interactive)]
assert live, "no live figure in this notebook"
for w in live:
    control = next(iter(w.controls.values()))
    before = w.result
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        control.value = [v for v in values if v != control.value][-1]
    else:
        control.value = control.max if control.value != control.max else control.min
    assert w.result is not before and w.out.outputs[0]["data"]["image/png"], w
"""


def course_python_pin() -> str:
    text = (ROOT / "environment.yml").read_text()
    return re.search(r"^\s+-\s+python=(3\.\d+)$", text, re.M).group(1)


# ---- the wheel -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return course_wheel(tmp_path_factory)


def test_the_wheel_is_the_course_package_with_its_data(wheel):
    assert wheel.name == f"{course.DISTRIBUTION.replace('-', '_')}-{nnlab.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "nnlab" / "data").iterdir() if p.is_file()}
    assert data and data <= names, f"data files missing from the wheel: {sorted(data - names)}"
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "nnlab").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    metadata = zipfile.ZipFile(wheel).read(
        f"{course.DISTRIBUTION.replace('-', '_')}-{nnlab.__version__}.dist-info/METADATA").decode()
    requires = [line.removeprefix("Requires-Dist: ") for line in metadata.splitlines()
                if line.startswith("Requires-Dist: ")]
    assert {r for r in requires if "extra ==" not in r} == set(PROJECT["dependencies"])
    assert not any(r.startswith("jupyterlab") and "extra ==" not in r for r in requires)


def test_the_wheel_runs_notebook_01_and_an_exercise_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    python = make_venv(venv, wheel, *KERNEL_TOOLS)
    outside = tmp_path / "learner"
    notebook = prepared(ROOT / "notebooks" / "01_forward_pass.ipynb", outside, installed_here(venv))
    exercise = prepared(ROOT / "exercises" / "01_forward_pass.ipynb", outside / "exercises",
                        installed_here(venv))
    env = kernel_env(tmp_path / "user")
    for nb in execute(python, notebook, env=env) + execute(python, exercise, env=env):
        assert '"output_type": "error"' not in outputs_text(nb)
    # the data files are read from the installed package, and its grader grades a solution
    code = "import nnlab; X, y = nnlab.load_iris(); d = nnlab.load_digits(); print(X.shape, nnlab.__file__)"
    out = run([python, "-c", code], cwd=outside, env=env)
    assert out.startswith("(150, 4) ") and str(venv) in out
    solution = prepared(ROOT / "exercises" / "solutions" / "01_forward_pass.ipynb", outside / "solutions")
    report = run([venv / "bin" / "nnlab", "grade", "--reference", ROOT / "exercises" / "reference",
                  solution], cwd=outside, env=env, timeout=300)
    assert re.search(r"\): (\d+) / \1\b", report), report  # full marks (written answers aside)
    # the wheel alone cannot grade the held-out tasks: their references are not in it
    alone = subprocess.run([venv / "bin" / "nnlab", "grade", solution], cwd=outside, env=env,
                           capture_output=True, text=True, timeout=300)
    assert alone.returncode == 2 and "no reference for" in alone.stderr, alone


def test_the_wheel_holds_no_reference_or_answer_of_a_held_out_task(wheel):
    from nnlab.grading.references import load_references
    from nnlab.grading.tasks import EXERCISES

    with zipfile.ZipFile(wheel) as zf:
        sources = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".py")}
    assert sources and not any(n.startswith("exercises/") for n in sources)
    held_out = [t for ex in EXERCISES.values() for t in ex.tasks if t.held_out]
    references = load_references(ROOT / "exercises" / "reference")
    assert len(held_out) >= 20 and {t.name for t in held_out} <= set(references)
    for task in held_out:
        assert task.reference is None and not task.mistakes, task.name
        defining = [n for n, text in sources.items() if f"def {task.name}(" in text]
        assert not defining, f"{task.name}'s reference is defined in {defining}"
    assert not [n for n, text in sources.items() if re.search(r"^REFERENCES = \{", text, re.M)]


# ---- the lowest versions ------------------------------------------------------------------------

def floors_python() -> str | None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == FLOORS_PYTHON:
        return sys.executable
    return shutil.which(f"python{FLOORS_PYTHON}")


def test_the_lowest_versions_run_two_notebooks_under_strict_nbval(wheel, tmp_path):
    python = floors_python()
    if python is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Python {FLOORS_PYTHON} is needed for the floors test")
        pytest.skip(f"no python{FLOORS_PYTHON} on PATH: the floors' wheels need it")
    venv = tmp_path / "venv"
    floors = [f"{name}=={version}" for name, version in FLOORS.items()]
    python = make_venv(venv, wheel, *floors, *KERNEL_TOOLS, "pytest", "nbval", python=python)
    versions = installed_versions(python, *FLOORS)
    assert all(versions[n] in (v, f"{v}.0") for n, v in FLOORS.items()), versions
    folder = tmp_path / "learner"
    notebooks = [prepared(ROOT / "notebooks" / "01_forward_pass.ipynb", folder, installed_here(venv),
                          WIDGETS_REDRAW),
                 prepared(ROOT / "notebooks" / "12_k_fold.ipynb", folder, installed_here(venv))]
    shutil.copy2(ROOT / "tests" / "sanitize.cfg", folder / "sanitize.cfg")
    (folder / "pytest.ini").write_text("[pytest]\n")
    nbval = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "sanitize.cfg"]
    out = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini", *nbval,
               *[nb.name for nb in notebooks]], cwd=folder, env=kernel_env(tmp_path / "user"))
    assert re.search(r"\b\d+ passed", out) and "failed" not in out, out


# ---- repo2docker: Binder, conda, JupyterHub ---------------------------------------------------

def repo2docker(*args, cwd: Path) -> str:
    exe = Path(sys.executable).parent / "jupyter-repo2docker"
    if not exe.exists():
        pytest.fail("jupyter-repo2docker is missing: pip install -e '.[test]'")
    done = subprocess.run([str(exe), "--no-build", "--no-run", *map(str, args)], cwd=cwd, env=pip_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr  # the plan (a Dockerfile) and its log lines


def assert_plan(plan: str, env_file: str, *, package_in_env: bool) -> None:
    """The plan builds the course's Python and installs the course package."""
    assert f"Building conda environment for python={course_python_pin()}" in plan
    assert "Python version unspecified" not in plan
    update = plan.index(f'env update -p ${{NB_PYTHON_PREFIX}} --file "{env_file}"')
    copy = re.search(r"^COPY --chown=\d+:\d+ src/ \$\{REPO_DIR\}/$", plan, re.M).start()
    if package_in_env:  # environment.yml's pip section installs `-e .[...]`, after the repo's copy
        assert copy < update
    else:  # the lean environment comes first (cached across commits); postBuild installs the package
        post = plan.index("RUN ./binder/postBuild")
        assert update < copy < post


def test_binder_plan_installs_the_course_python_and_package(tmp_path):
    plan = repo2docker(ROOT, cwd=tmp_path)
    assert "Picked Local content provider" in plan
    assert_plan(plan, "binder/environment.yml", package_in_env=False)
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert re.search(r"^python -m pip install .*-e \.$", post_build, re.M)  # the course package


def test_conda_environment_plan_installs_the_course_python_and_package(tmp_path):
    repo = tmp_path / "repo"  # the repository without binder/: what conda and JupyterHub read
    source_copy(repo)
    shutil.copy2(ROOT / "environment.yml", repo / "environment.yml")
    plan = repo2docker(repo, cwd=tmp_path)
    assert_plan(plan, "environment.yml", package_in_env=True)
    assert re.search(r"^\s+- -e \.\[", (repo / "environment.yml").read_text(), re.M)


def test_readme_jupyterhub_command_plans_the_release_image(tmp_path):
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| JupyterHub for a class |"))
    command = row.split("`")[1].split()
    assert command[0] == "jupyter-repo2docker" and command[-1] == course.REPOSITORY
    assert command[command.index("--ref") + 1] == course.RELEASE
    # the same command, planned only, on this checkout instead of the published repository
    plan = repo2docker(*command[1:-1], ROOT, cwd=tmp_path)
    assert_plan(plan, "binder/environment.yml", package_in_env=False)
    assert f'LABEL repo2docker.ref="{course.RELEASE}"' in plan
    assert "COPY --chown=1000:1000 src/ ${REPO_DIR}/" in plan  # the hub's user owns the course
