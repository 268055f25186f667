"""End to end: the course notebooks run in a real JupyterLab, in headless Chromium.

One JupyterLab server (127.0.0.1, free port, random token, serving a temporary copy of the course)
and one browser page are shared by all notebooks of the run. For each course notebook present at
collection time (notebooks/NN_*.ipynb) the test opens it, restarts the kernel and runs all cells,
waits for the kernel to go idle and fails on any error shown; in a notebook with sliders it moves
them and checks that the figure shown changes. A failure leaves test-output/failure-<notebook>.png;
a pass leaves test-output/browser-<notebook>.png, and test-output/browser-times.txt lists the times.

Needs the playwright package and Chromium (Debian's ``chromium``, or $NNLAB_CHROMIUM); without
them the tests are skipped with the reason — except under CI=true, where they fail.
Run: ``.venv/bin/python -m pytest tests/test_browser.py -v``.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from browser_support import OUTPUT_DIR, ROOT, LabBrowser, LabServer, course_notebooks, unavailable_reason

NOTEBOOKS = course_notebooks()
WIDGET_MARKERS = ("interactive(", "interact(", "Slider(")
TIMES = OUTPUT_DIR / "browser-times.txt"


def uses_widgets(path) -> bool:
    """Whether the notebook's code builds ipywidgets (sliders or interact)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return any(marker in code for marker in WIDGET_MARKERS)


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab server and a headless Chromium page on it; both always shut down."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    OUTPUT_DIR.mkdir(exist_ok=True)
    TIMES.write_text("", encoding="utf-8")
    started = time.monotonic()
    server = LabServer(ROOT)
    try:
        server.start()
        browser = LabBrowser(server)
        try:
            browser.start()
            with TIMES.open("a", encoding="utf-8") as out:
                out.write(f"JupyterLab + Chromium start: {time.monotonic() - started:.1f} s\n")
            yield browser
        finally:
            browser.stop()
    finally:
        server.stop()
        with TIMES.open("a", encoding="utf-8") as out:
            out.write(f"total including shutdown: {time.monotonic() - started:.1f} s\n")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_browser(lab: LabBrowser, notebook):
    for stale in (OUTPUT_DIR / f"browser-{notebook.stem}.png", OUTPUT_DIR / f"failure-{notebook.stem}.png"):
        stale.unlink(missing_ok=True)
    run = lab.run_notebook(f"notebooks/{notebook.name}", screenshot=f"browser-{notebook.stem}.png")
    with TIMES.open("a", encoding="utf-8") as out:
        out.write(f"{notebook.name}: {run.seconds:.1f} s, {run.widget_cells} widget cell(s), "
                  f"{run.figures_changed} figure(s) changed by a slider"
                  f"{' FAILED' if run.errors else ''}\n")
    details = "\n".join([*run.errors, *run.notes])
    assert not run.errors, f"{notebook.name} in the browser:\n{details}"
    if uses_widgets(notebook):
        assert run.widget_cells, f"{notebook.name} builds widgets but none was displayed\n{details}"
        assert run.figures_changed, f"{notebook.name}: no slider changed a figure\n{details}"
