"""Guards for the stored notebooks: one fresh run each, the shared setup, names used in order.

Strict nbval (run by `make test`) compares the outputs; these checks make sure there is
something to compare and that the course's conventions hold.
"""

import ast
import json
import re
from pathlib import Path

import pytest

import nnlab
from nnlab import course

ROOT = Path(__file__).resolve().parents[1]
ALL_NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("exercises/**/*.ipynb"))
COURSE_PATHS = [ROOT / "notebooks" / f"{nb.stem}.ipynb" for nb in course.NOTEBOOKS]
MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_stored_from_one_fresh_run_without_errors(path):
    nb = load(path)
    cells = code_cells(nb)
    counts = [c["execution_count"] for c in cells]
    assert cells, "a notebook without code cells belongs in the README"
    assert counts == list(range(1, len(cells) + 1)), "re-run with `make notebooks` (one fresh run)"
    assert "widgets" not in nb["metadata"], "widget state is stored: strip it (nbstripout)"
    for cell in cells:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", "".join(cell["source"])[:80]
            assert output.get("name") != "stderr", f"stderr output (warnings?): {output.get('text')}"
    assert path.stat().st_size < 1_000_000, "keep figures small"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_ignored_outputs_are_few_and_followed_by_asserts(path):
    cells = code_cells(load(path))
    for cell in cells:
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        assert "NBVAL_SKIP" not in source and "nbval-skip" not in tags, "no cell may be skipped"
        for line in source.splitlines():
            if any(m in line for m in MARKERS):
                assert line.strip() in {f"# {m}" for m in MARKERS}, f"marker not alone on its line: {line}"
    ignored = [i for i, c in enumerate(cells) if "# NBVAL_IGNORE_OUTPUT" in "".join(c["source"])
               or "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])]
    assert len(ignored) <= 2
    for i in ignored:
        assert i + 1 < len(cells) and "assert" in "".join(cells[i + 1]["source"]), (
            "an ignored-output cell must be followed by a cell of tolerance asserts")


def test_every_course_notebook_exists():
    missing = [p.name for p in COURSE_PATHS if not p.exists()]
    assert not missing


@pytest.mark.parametrize("path", COURSE_PATHS, ids=[p.stem for p in COURSE_PATHS])
def test_course_notebook_conventions(path):
    if not path.exists():
        pytest.fail(f"{path.name} is missing")
    nb = load(path)
    cells = code_cells(nb)
    assert "".join(cells[0]["source"]).strip() == course.SETUP_CELL, "first code cell must be SETUP_CELL"
    allowed = course.allowed_names(path.stem)
    for cell in cells:
        source = "".join(cell["source"])
        assert "from nnlab import" not in source, "use nnlab.<name> so the names can be checked"
        calls = re.findall(r"^[^#\n]*\b(nnfs\.init|np\.random\.seed)\(", source, re.M)
        assert not calls, f"never patch or seed NumPy globally: {calls}"
        used = set(re.findall(r"\bnnlab\.([A-Za-z_]\w*)", source))
        early = sorted(used - allowed)
        assert not early, f"{path.stem} uses nnlab names not introduced yet: {early}"
    assert len(nb["cells"]) <= 75, f"{len(nb['cells'])} cells: split the notebook (at most 75)"
    last = nb["cells"][-1]
    assert last["cell_type"] == "markdown"
    text = "".join(last["source"])
    index = [nb_.stem for nb_ in course.NOTEBOOKS].index(path.stem)
    assert f"](../exercises/{path.stem}.ipynb)" in text, "end with a link to the exercises"
    following = course.NOTEBOOKS[index + 1].stem if index + 1 < len(course.NOTEBOOKS) else "00_start_here"
    assert f"]({following}.ipynb)" in text, "end with a link to the next notebook"


def test_introduced_names_exist_and_are_introduced_once():
    seen = set()
    for notebook in course.NOTEBOOKS:
        for name in notebook.introduces:
            assert hasattr(nnlab, name), f"{notebook.stem} introduces unknown name {name}"
            assert name not in seen, f"{name} is introduced twice"
            seen.add(name)


def test_sanitize_file_pairs_regex_and_replace():
    lines = (ROOT / "tests" / "sanitize.cfg").read_text().splitlines()
    assert all(line == line.rstrip() for line in lines)
    entries = [line for line in lines if line]
    assert len(entries) % 2 == 0
    for regex, replace in zip(entries[::2], entries[1::2], strict=True):
        assert regex.startswith("regex: ") and replace.startswith("replace: ")
        assert lines.index(replace) == lines.index(regex) + 1


def test_every_course_notebook_has_its_exercises():
    for notebook in course.NOTEBOOKS:
        for folder in ("exercises", "exercises/solutions"):
            assert (ROOT / folder / f"{notebook.stem}.ipynb").exists(), (folder, notebook.stem)


# ---- the course's rule, read from the notebooks' own code: build it, check it, then import it ----

def exempt(name: str) -> bool:
    """Display helpers, data loaders, constants and error types need no learner version."""
    constant = name.isupper() and not callable(getattr(nnlab, name, None))  # not SGD
    return (name in {"setup", "show", "widgets"} or name.startswith(("plot_", "load_"))
            or name.endswith(("_data", "Error")) or constant)


def learner_name(name: str) -> str:
    """The learner's version of an nnlab name: my_<name> for a function, My<Name> for a class."""
    return f"My{name}" if name[0].isupper() else f"my_{name}"


def python_source(cell) -> str:
    """A code cell's source with IPython magics and shell lines blanked out, ready for ast."""
    lines = "".join(cell["source"]).splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def cell_names(cell):
    """(learner definitions, names read, nnlab names used) of one code cell."""
    tree = ast.parse(python_source(cell))
    defined, read, used = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) or (
                isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)):
            name = getattr(node, "name", None) or node.id
            if name.startswith(("my_", "My")):
                defined.add(name)
        elif isinstance(node, ast.Name):
            read.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "nnlab"):
            used.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nnlab":
            used.update(alias.name for alias in node.names)
    return defined, read, used


def rule_violations():
    """Every first use of an nnlab name that the course has not had the learner build and check.

    The first cell that uses ``nnlab.X`` must also use the learner's ``my_x`` / ``MyX``, which an
    earlier cell (or the same one) of this or an earlier notebook defined: that is the check cell.
    """
    built, checked, problems = set(), set(), []
    for notebook in course.NOTEBOOKS:
        path = ROOT / "notebooks" / f"{notebook.stem}.ipynb"
        if not path.exists():
            continue
        for number, cell in enumerate(code_cells(load(path)), start=1):
            defined, read, used = cell_names(cell)
            built |= defined
            for name in sorted(used - checked):
                if exempt(name):
                    continue
                mine = learner_name(name)
                if mine in built and mine in read | defined:
                    checked.add(name)
                else:
                    problems.append(f"{notebook.stem} code cell {number}: nnlab.{name} is used "
                                    f"before the learner builds {mine} and checks it against it")
    return problems


def test_every_nnlab_name_is_built_by_the_learner_first():
    assert rule_violations() == []


def test_the_rule_catches_a_name_used_before_it_is_built():
    cell = {"source": ["model = nnlab.Model([nnlab.Dense(2, 3, rng=rng)])\n"]}
    defined, read, used = cell_names(cell)
    assert used == {"Model", "Dense"} and not defined
    mine = {"source": ["class MyDense:\n    pass\n", "print(MyDense, nnlab.Dense)\n"]}
    defined, read, used = cell_names(mine)
    assert defined == {"MyDense"} and "MyDense" in read and used == {"Dense"}
    assert exempt("spiral_data") and exempt("plot_history") and exempt("IRIS_CLASSES")
    assert not exempt("Dense") and not exempt("SGD") and learner_name("Dense") == "MyDense"
    assert learner_name("adam_update") == "my_adam_update"
