"""pyproject.toml, environment.yml, binder/, the Makefile and the README must agree; every launch link
is built from nnlab.course.REPOSITORY and BRANCH, and the README's ways to run the course are those."""

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
import tomllib

import nnlab
from nnlab import course

ROOT = Path(__file__).resolve().parents[1]
yaml = pytest.importorskip("yaml")  # PyYAML: JupyterLab's dependencies bring it

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
EXTRAS = PROJECT["optional-dependencies"]
GROUPS = {"the package": PROJECT["dependencies"], **{f"[{k}]": v for k, v in EXTRAS.items()}}
OWNER_NAME = course.REPOSITORY.removeprefix("https://github.com/")
FOLDER = OWNER_NAME.split("/")[1]  # where nbgitpuller clones the repository
START = "notebooks/00_start_here.ipynb"


def _split(requirement: str) -> tuple[str, str]:
    """'numpy>=1.24' -> ('numpy', '>=1.24')."""
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", requirement).groups()
    return name.lower(), spec


def pyproject_specs() -> dict[str, str]:
    """Each package's version range; an extra's range wins over the package's (ipywidgets in [lab])."""
    specs = {}
    for requirements in GROUPS.values():
        specs.update(_split(r) for r in requirements)
    return specs


def environment(path: Path) -> tuple[str, dict[str, str], list[str]]:
    """(the python pin, {package: range} for conda and pip packages, the local pip lines)."""
    env = yaml.safe_load(path.read_text())
    python, specs, local = None, {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if line.startswith(("-e", ".")):
                    local.append(line)
                else:
                    specs.update([_split(line)])
        elif dep.startswith("python"):
            python = dep
        elif dep != "pip":
            specs.update([_split(dep)])
    return python, specs, local


def readme() -> str:
    return (ROOT / "README.md").read_text()


def section(heading: str) -> str:
    return readme().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def table(heading: str) -> list[list[str]]:
    rows = [line for line in section(heading).splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


# ---- dependencies ------------------------------------------------------------------------------

def test_the_package_needs_only_what_it_imports_and_jupyterlab_is_an_extra():
    assert {_split(r)[0] for r in PROJECT["dependencies"]} == {"numpy", "matplotlib", "ipywidgets"}
    extras = EXTRAS
    assert {"lab", "test", "docs"} <= set(extras)
    assert "jupyterlab" in {_split(r)[0] for r in extras["lab"]}
    assert {"pytest", "nbval", "nnfs", "jupyter-repo2docker"} <= {_split(r)[0] for r in extras["test"]}
    assert {"sphinx", "myst-nb", "sphinx-book-theme"} <= {_split(r)[0] for r in extras["docs"]}
    for requirements in GROUPS.values():
        for requirement in requirements:
            assert _split(requirement)[1].startswith(">=") or not _split(requirement)[1], requirement


def test_environment_yml_lists_every_package_with_the_same_range():
    python, specs, local = environment(ROOT / "environment.yml")
    assert specs == pyproject_specs()
    extras = ",".join(EXTRAS)
    assert local == [f"-e .[{extras}]"], "environment.yml installs the course package with every extra"


def test_binder_environment_is_lean_and_installs_the_course_package_after():
    python, specs, local = environment(ROOT / "binder" / "environment.yml")
    lean = dict(_split(r) for r in PROJECT["dependencies"] + EXTRAS["lab"])
    assert specs == lean, "binder/environment.yml: the package's dependencies and [lab], nothing else"
    assert python == environment(ROOT / "environment.yml")[0]
    assert local == [], "no local package in the environment: Binder caches it across commits"
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert re.search(r"^python -m pip install .*--no-deps -e \.$", post_build.read_text(), re.M)


def test_python_is_pinned_the_way_repo2docker_reads_it():
    for path in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        python = environment(path)[0]
        assert re.fullmatch(r"python=3\.\d+", python), f"{path.name}: {python} (python=3.12 style)"
        minor = int(python.split(".")[1])
        assert PROJECT["requires-python"] == ">=3.10" and minor >= 10
    assert f"Python 3.{minor}" in section("Ways to run it")


def test_readme_dependency_table_names_every_package_and_its_group():
    rows = {re.fullmatch(r"`([A-Za-z0-9_.\-]+)`", row[0]).group(1): row[1] for row in table("Dependencies")}
    assert set(rows) == set(pyproject_specs())
    for group, requirements in GROUPS.items():
        for name, spec in map(_split, requirements):
            floor = spec.removeprefix(">=")
            assert group in rows[name] or (group == "the package" and rows[name].startswith(group)), name
            if group == "the package":
                assert rows[name].startswith(f"the package, ≥ {floor}"), name


def test_readme_states_the_floors_the_packaging_test_tries():
    floors = {name: spec.removeprefix(">=") for name, spec in map(_split, PROJECT["dependencies"])}
    text = section("Dependencies")
    stated = f"NumPy {floors['numpy']}, matplotlib {floors['matplotlib']}, ipywidgets {floors['ipywidgets']}"
    assert stated in text


# ---- the distribution name and the version -----------------------------------------------------

def test_the_distribution_name_is_one_and_not_nnlab():
    assert PROJECT["name"] == course.DISTRIBUTION != "nnlab"
    assert "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nnlab.__version__"}
    assert course.RELEASE == f"v{nnlab.__version__}"
    assert f"package is `{course.DISTRIBUTION}`" in section("Ways to run it")
    assert f"Release `{course.RELEASE}`" in section("Ways to run it")


# ---- the Makefile ------------------------------------------------------------------------------

def test_make_test_installs_every_extra_and_make_lab_the_lab_one():
    makefile = (ROOT / "Makefile").read_text()
    extras = re.search(r"^EXTRAS_ALL := (.+)$", makefile, re.M).group(1).split(",")
    assert extras == list(EXTRAS)
    full = makefile.split("\n$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    lab = makefile.split("\n$(VENV)/.installed-lab:", 1)[1].split("\n\n", 1)[0]
    assert "$(call install,$(EXTRAS_ALL))" in full and "$(call install,lab)" in lab
    assert re.search(r"^test: \$\(VENV\)/\.installed$", makefile, re.M)
    assert re.search(r"^lab: \$\(VENV\)/\.installed-lab$", makefile, re.M)
    dry_run = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert f"pip install --quiet -e '.[{','.join(extras)}]'" in dry_run


def test_ci_runs_the_readme_test_command():
    text = readme()
    assert "make test" in text and "make lab" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_make_lab_serves_the_course_on_the_chosen_port():
    dry_run = subprocess.run(["make", "-n", "lab", "PORT=8899"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert "jupyter lab --no-browser --port=8899" in dry_run
    assert "default_url=/lab/tree/notebooks/00_start_here.ipynb" in dry_run


# ---- the README's ways to run it, and every launch link ----------------------------------------

def expected_ways() -> dict[str, str]:
    """Each row of the README's 'Ways to run it' table: its one command or link, built here."""
    pull = (f"https://YOUR-HUB/hub/user-redirect/git-pull?repo={quote(course.REPOSITORY, safe='')}"
            f"&branch={course.BRANCH}&urlpath={quote(f'lab/tree/{FOLDER}/{START}', safe='')}")
    return {
        "your machine": "`make lab`",
        "conda": "`conda env create -f environment.yml && conda activate nnlab && jupyter lab`",
        "Binder": f"[launch on Binder](https://mybinder.org/v2/gh/{OWNER_NAME}/{course.BRANCH}?labpath={START})",
        "Google Colab": f"[open in Colab](https://colab.research.google.com/github/{OWNER_NAME}/blob/"
                        f"{course.BRANCH}/{START})",
        "JupyterHub for a class": f"`{' '.join(hub_command())}`",
        "JupyterHub, your own image": f"`{pull}`",
        "the website": "`make site`",
    }


def hub_command() -> list[str]:
    return ["jupyter-repo2docker", "--no-run", "--user-id", "1000", "--user-name", "jovyan",
            "--image-name", f"{course.DISTRIBUTION}:{course.RELEASE}", "--ref", course.RELEASE,
            course.REPOSITORY]


def test_readme_ways_to_run_it_table_has_each_way_with_its_command():
    rows = {row[0]: row[1] for row in table("Ways to run it")}
    assert rows == expected_ways()
    text = section("Ways to run it")
    assert f"lives at {course.REPOSITORY};" in text
    assert f'`pip install "{course.DISTRIBUTION}[lab] @ git+{course.REPOSITORY}@{course.RELEASE}"`' in text


def test_the_ways_run_what_exists():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "site"):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target}"
    name = yaml.safe_load((ROOT / "environment.yml").read_text())["name"]
    assert f"conda activate {name} " in expected_ways()["conda"]
    assert (ROOT / START).is_file()


URL_CHAR = r"[^\s)\"'<>`\]\\;,|]"
LAUNCH = re.compile(rf"https?://{URL_CHAR}*(?:mybinder\.org|colab\.research\.google\.com|github\.com|git-pull)"
                    rf"{URL_CHAR}*")


def launch_links() -> dict[str, list[str]]:
    """Every address in the README, the notebooks and the website's sources that opens or fetches
    the course (Binder, Colab, GitHub, nbgitpuller)."""
    files = [ROOT / "README.md", *sorted(ROOT.glob("notebooks/*.ipynb")),
             *sorted(ROOT.glob("exercises/**/*.ipynb")), *sorted(ROOT.glob("exercises/*.md")),
             *sorted(ROOT.glob("docs/**/*.md"))]
    found = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        for url in LAUNCH.findall(text):
            found.setdefault(url, []).append(str(path.relative_to(ROOT)))
    return found


def built_from_the_repository(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.netloc == "mybinder.org":
        labpath = parse_qs(parsed.query).get("labpath", [""])[0]
        return parsed.path == f"/v2/gh/{OWNER_NAME}/{course.BRANCH}" and (ROOT / labpath).is_file()
    if parsed.netloc == "colab.research.google.com":
        prefix = f"/github/{OWNER_NAME}/blob/{course.BRANCH}/"
        return parsed.path.startswith(prefix) and (ROOT / parsed.path.removeprefix(prefix)).is_file()
    if parsed.path.endswith("/git-pull"):
        query = parse_qs(parsed.query)
        path = query.get("urlpath", [""])[0].removeprefix("lab/tree/")
        return (query.get("repo") == [course.REPOSITORY] and query.get("branch") == [course.BRANCH]
                and path.startswith(f"{FOLDER}/") and (ROOT / path.removeprefix(f"{FOLDER}/")).is_file())
    if parsed.netloc == "github.com":  # the repository, a page of it, or the pinned release (git+...@tag)
        return url in (course.REPOSITORY, f"{course.REPOSITORY}@{course.RELEASE}") or url.startswith(
            course.REPOSITORY + "/")
    return False


def test_every_launch_link_is_built_from_the_one_repository_setting():
    found = launch_links()
    assert len(found) >= 4, found  # the README's Binder, Colab and nbgitpuller links, the repository
    wrong = {url: where for url, where in found.items() if not built_from_the_repository(url)}
    assert not wrong, f"not built from nnlab.course.REPOSITORY / BRANCH: {wrong}"


def test_the_link_check_catches_a_link_to_another_place():
    assert built_from_the_repository(expected_ways()["Binder"].split("(", 1)[1].rstrip(")"))
    assert not built_from_the_repository(f"https://mybinder.org/v2/gh/someone/else/{course.BRANCH}?labpath={START}")
    assert not built_from_the_repository(f"https://colab.research.google.com/github/{OWNER_NAME}/blob/dev/{START}")
    assert not built_from_the_repository("https://github.com/someone/nnlab")
    assert not built_from_the_repository(f"{course.REPOSITORY}@{course.BRANCH}")  # a branch: not pinned
