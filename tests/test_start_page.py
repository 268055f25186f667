"""The start page (notebooks/00_start_here.ipynb) lists the whole course, and its links work."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from start_page import START_PAGE, TABLE_HEADING, notebook_table, table_cell_index

from nnlab.course import NOTEBOOKS, SETUP_CELL

LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def cells() -> list[dict]:
    return json.loads(START_PAGE.read_text(encoding="utf-8"))["cells"]


def markdown(cells: list[dict]) -> str:
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_start_page_lists_every_notebook_with_links(cells, notebook):
    text = markdown(cells)
    assert f"[{notebook.title}]({notebook.stem}.ipynb)" in text
    assert f"](../exercises/{notebook.stem}.ipynb)" in text
    assert notebook.summary in text


def test_start_page_lists_notebooks_in_course_order(cells):
    table = "".join(cells[table_cell_index(cells)]["source"])
    positions = [table.index(f"({n.stem}.ipynb)") for n in NOTEBOOKS]
    assert positions == sorted(positions)


def test_start_page_table_is_generated_from_course(cells):
    table = "".join(cells[table_cell_index(cells)]["source"])
    assert table == notebook_table(), (
        f"the '{TABLE_HEADING}' cell is out of date with nnlab/course.py; "
        "run: .venv/bin/python tests/start_page.py")


def test_start_page_links_point_to_files(cells):
    links = [unquote(target) for target in LINK.findall(markdown(cells))
             if not target.startswith(("http://", "https://", "#", "mailto:"))]
    assert links
    missing = sorted({t for t in links if not (START_PAGE.parent / t.split("#")[0]).is_file()})
    assert not missing, f"links on the start page to files that do not exist: {missing}"


def test_start_page_first_code_cell_is_the_setup_cell(cells):
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and "".join(code[0]["source"]) == SETUP_CELL


def test_start_page_ends_with_the_first_notebook_and_its_exercises(cells):
    last = "".join(cells[-1]["source"])
    first = NOTEBOOKS[0].stem
    assert f"]({first}.ipynb)" in last and f"](../exercises/{first}.ipynb)" in last
