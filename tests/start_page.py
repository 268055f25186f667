"""The start page's list of notebooks, generated from ``nnlab.course.NOTEBOOKS``.

``notebooks/00_start_here.ipynb`` holds the table in the Markdown cell that starts with
``TABLE_HEADING``; ``tests/test_start_page.py`` fails when it drifts from the course's table of
contents. After changing ``nnlab/course.py``, rewrite the cell with::

    .venv/bin/python tests/start_page.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_PAGE = ROOT / "notebooks" / "00_start_here.ipynb"
TABLE_HEADING = "## The notebooks, in order"


def notebook_table() -> str:
    """The Markdown cell listing every course notebook with its summary and exercise links."""
    from nnlab.course import NOTEBOOKS

    lines = [
        TABLE_HEADING,
        "",
        "Work through them in this order; each one uses what the earlier ones built.",
        "",
        "| | Notebook | What you will do | Exercises |",
        "|---|---|---|---|",
    ]
    for notebook in NOTEBOOKS:
        number = notebook.stem.split("_", 1)[0]
        lines.append(
            f"| {number} | [{notebook.title}]({notebook.stem}.ipynb) | {notebook.summary} "
            f"| [exercises](../exercises/{notebook.stem}.ipynb) |"
        )
    return "\n".join(lines)


def table_cell_index(cells: list[dict]) -> int:
    """Index of the Markdown cell that holds the table."""
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith(TABLE_HEADING):
            return index
    raise LookupError(f"{START_PAGE.name} has no Markdown cell starting with {TABLE_HEADING!r}")


def main() -> int:
    notebook = json.loads(START_PAGE.read_text(encoding="utf-8"))
    cell = notebook["cells"][table_cell_index(notebook["cells"])]
    new = notebook_table()
    if "".join(cell["source"]) == new:
        print(f"{START_PAGE.relative_to(ROOT)}: table already up to date")
        return 0
    cell["source"] = new.splitlines(keepends=True)
    START_PAGE.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{START_PAGE.relative_to(ROOT)}: table rewritten from nnlab.course.NOTEBOOKS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
