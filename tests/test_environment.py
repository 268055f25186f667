"""pyproject.toml, environment.yml and the README must name the same dependencies."""

import re
import subprocess
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_name(r) for r in requirements}


def environment_names() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:", 1)[1]
    for line in text.splitlines():
        match = re.match(r"^\s+-\s+([A-Za-z0-9_.\-]+)", line)
        if match and match.group(1) not in {"python", "pip", "-e"}:
            names.add(_name(match.group(1)))
    return names


def readme_names() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
    return {m.group(1).lower() for m in re.finditer(r"^\| `([A-Za-z0-9_.\-]+)` \|", section, re.M)}


def test_the_three_dependency_lists_agree():
    expected = pyproject_names()
    assert {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "nnfs", "pytest", "nbval"} <= expected
    assert environment_names() == expected
    assert readme_names() == expected


def test_environment_installs_nnlab_from_the_repo_and_states_python():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+-\s+-e \.$", text, re.M)
    assert re.search(r"^\s+-\s+python>=3\.10$", text, re.M)
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.10"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_make_lab_serves_the_course_on_the_chosen_port():
    dry_run = subprocess.run(["make", "-n", "lab", "PORT=8899"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert "jupyter lab --no-browser --port=8899" in dry_run
    assert "default_url=/lab/tree/notebooks/00_start_here.ipynb" in dry_run
