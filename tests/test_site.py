"""The course website (``make site``): built offline, then every page opened in headless Chromium.

The site is built once per test session into a temporary folder, with the same Sphinx command as
``make site`` (warnings are errors), then served by a small threaded ``http.server`` on a free
127.0.0.1 port. One Chromium page (Playwright, as in ``tests/test_browser.py``) opens every page
of the course: the start page, each course notebook, each exercise notebook and the exercises'
README. Requests to any other host are blocked and recorded. On every page:

- no request left 127.0.0.1, no local request failed, no console error, no uncaught exception;
- the title is the notebook's own ``# heading`` followed by the site's title;
- MathJax (served from the site) rendered every formula, with no TeX error; the formulas are
  counted;
- every image loaded (``naturalWidth > 0``), and every stored figure of the notebook is there;
- every link the notebook's text makes to another notebook, an exercise or the README leads to
  a built page (and to an existing anchor);
- a notebook page has Binder and Colab launch links, built from ``nnlab.course.REPOSITORY`` and
  ``nnlab.course.BRANCH`` and nothing else; any launch link anywhere points at that page's own
  notebook;
- each cell whose stored output is a widget shows the note that sliders need a live kernel, with
  the static figure above it, and no widget placeholder text.

Screenshots: ``test-output/site-00_start_here.png`` and ``test-output/site-07_optimizers.png`` (a page
with formulas and a figure); ``test-output/site-report.txt`` gives the build time and the counts.
Needs the docs packages (``pip install -e '.[docs]'``), playwright and Chromium; without them the
tests are skipped with the reason, except under CI=true, where they fail.
Run: ``.venv/bin/python -m pytest tests/test_site.py -v``.
"""

from __future__ import annotations

import functools
import html
import http.server
import importlib.util
import json
import os
import re
import runpy
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browser_support import (
    CHROMIUM_ARGS,
    OUTPUT_DIR,
    ROOT,
    chromium_executable,
    free_port,
    unavailable_reason,
)

from nnlab import course

DOCS_PACKAGES = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline")
BUILD_TIMEOUT = 300
SCREENSHOT_NOTEBOOK = "07_optimizers"  # a page with formulas and a figure
REPORT = OUTPUT_DIR / "site-report.txt"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LAUNCH_HOSTS = ("mybinder.org", "colab.research.google.com")


def sphinx_command(html_dir: Path, doctrees: Path) -> list[str]:
    """The command ``make site`` runs (see the Makefile), into the given folders."""
    return [sys.executable, "-m", "sphinx", "-b", "html", "-c", "docs", "-d", str(doctrees),
            "-W", "--keep-going", "-q", ".", str(html_dir)]


@functools.cache
def html_title() -> str:
    """The site's title (docs/conf.py), the suffix of every page's title."""
    return runpy.run_path(str(ROOT / "docs" / "conf.py"))["html_title"]


def expected_launch_links(path: str) -> dict[str, str]:
    """The issue's launch addresses for the notebook at ``path``, from nnlab.course alone."""
    owner, repo = urlparse(course.REPOSITORY).path.strip("/").removesuffix(".git").split("/")
    branch = course.BRANCH
    return {
        "Binder": f"https://mybinder.org/v2/gh/{owner}/{repo}/{branch}?labpath={path}",
        "Colab": f"https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}",
    }


# -- what the sources say each page must show ---------------------------------------------------
CODE_SPAN = re.compile(r"```.*?```|`[^`\n]*`", re.S)
MATH = re.compile(r"\$[^$\s][^$]*?\$|\$\$.+?\$\$|\\begin\{", re.S)
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


class Page:
    """One page of the site and what its source (a notebook or README.md) says it must show."""

    def __init__(self, source: Path):
        self.source = source
        self.path = source.relative_to(ROOT).as_posix()  # repository path: notebooks/02_loss.ipynb
        self.html = Path(self.path).with_suffix(".html").as_posix()
        self.is_notebook = source.suffix == ".ipynb"
        if self.is_notebook:
            cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
            markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
            outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
        else:
            markdown, outputs = [source.read_text(encoding="utf-8")], []
        text = "\n".join(markdown)
        self.title = next(line[2:].strip() for line in text.splitlines() if line.startswith("# "))
        self.has_math = bool(MATH.search(CODE_SPAN.sub("", text)))
        bundles = [o.get("data", {}) for o in outputs]
        self.figures = sum("image/png" in b for b in bundles if WIDGET_VIEW not in b)
        self.widgets = sum(WIDGET_VIEW in b for b in bundles)
        # Links the text makes to other pages of the course, as built pages (relative to the site).
        self.links = set()
        for target in MD_LINK.findall(CODE_SPAN.sub("", text)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file, _, _ = target.partition("#")
            if file.endswith((".ipynb", ".md")):
                resolved = os.path.normpath(os.path.join(os.path.dirname(self.path), file))
                self.links.add(Path(resolved).with_suffix(".html").as_posix())

    @property
    def stem(self) -> str:
        return Path(self.path).stem


def course_pages() -> list[Page]:
    sources = [*sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
               *sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))]
    readme = ROOT / "exercises" / "README.md"
    if readme.is_file():
        sources.append(readme)
    return [Page(p) for p in sources]


PAGES = course_pages()
REPORT_ROWS: dict[str, dict] = {}


def _unavailable(*reasons: str | None) -> None:
    reason = next((r for r in reasons if r), None)
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"site tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)


def docs_unavailable_reason() -> str | None:
    missing = [name for name in DOCS_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        return f"the docs packages are not installed ({', '.join(missing)}): pip install -e '.[docs]'"
    return None


# -- the build, the server, the browser ----------------------------------------------------------
@pytest.fixture(scope="session")
def site(tmp_path_factory) -> dict:
    """The site, built once: {'html': folder, 'seconds': build time}."""
    _unavailable(docs_unavailable_reason())
    out = tmp_path_factory.mktemp("site")
    html_dir, doctrees = out / "html", out / "doctrees"
    started = time.monotonic()
    result = subprocess.run(sphinx_command(html_dir, doctrees), cwd=ROOT, capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT)
    seconds = time.monotonic() - started
    assert result.returncode == 0, (f"the site did not build (exit {result.returncode}):\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return {"html": html_dir, "seconds": seconds, "warnings": result.stderr.strip()}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def server(site):
    port = free_port()
    handler = functools.partial(_QuietHandler, directory=str(site["html"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class SiteBrowser:
    """One headless Chromium page; requests to any host but the site's are blocked and recorded."""

    def __init__(self, base_url: str):
        from playwright.sync_api import sync_playwright

        self.base_url = base_url
        self.origin = urlparse(base_url).netloc
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
            self.context = self._browser.new_context(viewport={"width": 1280, "height": 900})
            self.context.route("**/*", self._route)
            self.page = self.context.new_page()
        except BaseException:
            self._playwright.stop()
            raise
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught: {exc}"))
        self.page.on("requestfailed", lambda req: self.failed.append(f"{req.url}: {req.failure}"))
        self.page.on("response", self._on_response)

    def _route(self, route) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https") and url.netloc != self.origin:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def reset(self) -> None:
        self.blocked.clear()
        self.failed.clear()
        self.console_errors.clear()

    def open(self, path: str) -> None:
        self.reset()
        self.page.goto(f"{self.base_url}/{path}", wait_until="load", timeout=60_000)

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()


@pytest.fixture(scope="module")
def browser(server, site):
    _unavailable(unavailable_reason())
    OUTPUT_DIR.mkdir(exist_ok=True)
    started = time.monotonic()
    chromium = SiteBrowser(server)
    try:
        yield chromium
    finally:
        chromium.close()
        _write_report(site, time.monotonic() - started)


def _write_report(site: dict, browser_seconds: float) -> None:
    rows = [REPORT_ROWS[p.html] for p in PAGES if p.html in REPORT_ROWS]
    lines = [f"site build: {site['seconds']:.1f} s; browser checks: {browser_seconds:.1f} s",
             f"pages: {len(rows)}, formulas rendered: {sum(r['formulas'] for r in rows)}, "
             f"images loaded: {sum(r['images'] for r in rows)} "
             f"({sum(r['figures'] for r in rows)} figures, the rest launch-menu icons), "
             f"widget notes: {sum(r['widget_notes'] for r in rows)}"]
    lines += [f"{r['page']}: {r['seconds']:.1f} s, {r['formulas']} formulas, {r['images']} images "
              f"({r['figures']} figures), {r['widget_notes']} widget notes" for r in rows]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- in the page --------------------------------------------------------------------------------
JS_READY = """() => {
  if (!document.querySelector('.math')) return true;
  const mj = window.MathJax;
  return Boolean(mj && mj.startup && mj.startup.promise);
}"""

JS_INSPECT = """async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
  })));
  const maths = Array.from(document.querySelectorAll('.math'));
  const notes = Array.from(document.querySelectorAll('.nnlab-widget-note'));
  const figureBefore = (note) => {
    // The nearest figure before the note in document order, in the same section.
    const section = note.closest('section');
    const figures = Array.from(section.querySelectorAll('.cell_output img'));
    return figures.some(img => img.compareDocumentPosition(note) & Node.DOCUMENT_POSITION_FOLLOWING);
  };
  return {
    title: document.title,
    mathjax: mj && mj.version ? mj.version : null,
    formulas: document.querySelectorAll('mjx-container').length,
    math_nodes: maths.length,
    unrendered: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    tex_errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80)),
    images: images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth})),
    figures: document.querySelectorAll('.cell_output img').length,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    widget_notes: notes.map(note => ({
      text: note.innerText, figure_before: figureBefore(note),
      launch: Array.from(note.querySelectorAll('a[href]')).map(a => a.href),
    })),
    placeholders: Array.from(document.querySelectorAll('.cell_output'))
      .filter(out => /Interactive\\(|application\\/vnd\\.jupyter\\.widget/.test(out.innerText)).length,
  };
}"""


def _local_target(site_html: Path, base_url: str, href: str) -> tuple[Path, str] | None:
    """The built file and anchor a same-site link points to, or None for another site."""
    url = urlparse(href)
    if f"{url.scheme}://{url.netloc}" != base_url:
        return None
    path = unquote(url.path).lstrip("/") or "index.html"
    target = site_html / path
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(url.fragment)


def _check_links(page: Page, info: dict, site_html: Path, base_url: str) -> list[str]:
    problems = []
    anchors_cache: dict[Path, str] = {}
    for href in info["links"]:
        local = _local_target(site_html, base_url, href)
        if local is None:
            continue
        target, fragment = local
        if not target.is_file():
            problems.append(f"broken link {href}")
            continue
        if fragment and target.suffix == ".html":
            text = anchors_cache.setdefault(target, target.read_text(encoding="utf-8"))
            if f'id="{html.escape(fragment)}"' not in text:
                problems.append(f"link to a missing anchor {href}")
    linked = {str(t[0].relative_to(site_html).as_posix())
              for h in info["links"] if (t := _local_target(site_html, base_url, h))}
    for wanted in sorted(page.links):
        if wanted not in linked:
            problems.append(f"the text links to {wanted}, but the page has no link to it")
    return problems


def _check_launch_links(page: Page, info: dict) -> list[str]:
    problems = []
    launch = [h for h in info["links"] if urlparse(h).hostname in LAUNCH_HOSTS]
    if not page.is_notebook:
        return [f"launch link on a page without a notebook: {h}" for h in launch]
    expected = expected_launch_links(page.path)
    for href in launch:
        if href not in expected.values():
            problems.append(f"launch link not built from nnlab.course (REPOSITORY {course.REPOSITORY!r}, "
                            f"BRANCH {course.BRANCH!r}) for {page.path}: {href}")
    for name, url in expected.items():
        if url not in launch:
            problems.append(f"no {name} launch link {url}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[p.html.removesuffix(".html") for p in PAGES])
def test_page(browser: SiteBrowser, site, page: Page):
    started = time.monotonic()
    browser.open(page.html)
    browser.page.wait_for_function(JS_READY, timeout=30_000)
    info = browser.page.evaluate(JS_INSPECT)
    problems = []

    problems += [f"request to another host: {u}" for u in browser.blocked]
    problems += [f"failed request: {u}" for u in browser.failed]
    problems += [f"console: {m}" for m in browser.console_errors]
    if info["title"] != f"{page.title} — {html_title()}":
        problems.append(f"title {info['title']!r}, expected {page.title!r} — {html_title()!r}")

    if page.has_math:
        if not info["mathjax"] or not info["mathjax"].startswith("3."):
            problems.append(f"MathJax 3 did not load (window.MathJax.version = {info['mathjax']!r})")
        if info["math_nodes"] == 0:
            problems.append("the notebook has formulas, the page none")
    problems += [f"formula not rendered: {t!r}" for t in info["unrendered"]]
    problems += [f"TeX error: {t!r}" for t in info["tex_errors"]]
    if info["formulas"] < info["math_nodes"]:
        problems.append(f"{info['formulas']} formulas rendered out of {info['math_nodes']}")

    problems += [f"image not loaded: {i['src'][:120]}" for i in info["images"] if not i["width"]]
    if info["figures"] != page.figures:
        problems.append(f"{info['figures']} figures on the page, {page.figures} stored in the notebook")

    problems += _check_links(page, info, site["html"], browser.base_url)
    problems += _check_launch_links(page, info)

    notes = info["widget_notes"]
    if len(notes) != page.widgets:
        problems.append(f"{len(notes)} widget notes, {page.widgets} widget outputs in the notebook")
    expected = expected_launch_links(page.path) if page.is_notebook else {}
    for k, note in enumerate(notes):
        if "live kernel" not in note["text"]:
            problems.append(f"widget note {k} does not say that the sliders need a live kernel")
        if not note["figure_before"]:
            problems.append(f"widget note {k} has no static figure above it")
        if sorted(note["launch"]) != sorted(expected.values()):
            problems.append(f"widget note {k} launch links {note['launch']}")
    if info["placeholders"]:
        problems.append(f"{info['placeholders']} outputs show a widget placeholder instead of the note")

    if page.stem in ("00_start_here", SCREENSHOT_NOTEBOOK) and page.path.startswith("notebooks/"):
        _screenshot(browser, page)
    REPORT_ROWS[page.html] = {
        "page": page.html, "seconds": time.monotonic() - started, "formulas": info["formulas"],
        "images": len(info["images"]), "figures": info["figures"], "widget_notes": len(notes),
    }
    assert not problems, f"{page.html}:\n" + "\n".join(problems)


JS_SHOW_FIGURE = """() => {
  // Scroll to the first figure with a displayed formula shortly above it (else any formula),
  // so that the screenshot shows both.
  const top = (el) => el.getBoundingClientRect().top + window.scrollY;
  const figures = Array.from(document.querySelectorAll('.cell_output img'));
  for (const selector of ['mjx-container[display="true"]', 'mjx-container']) {
    const maths = Array.from(document.querySelectorAll(selector));
    for (const img of figures) {
      const bottom = top(img) + img.getBoundingClientRect().height;
      if (maths.some(m => top(m) < top(img) && bottom - top(m) < 780)) {
        window.scrollTo(0, Math.max(0, bottom - 860));
        return true;
      }
    }
  }
  return false;
}"""


def _screenshot(browser: SiteBrowser, page: Page) -> None:
    target = OUTPUT_DIR / f"site-{page.stem}.png"
    target.unlink(missing_ok=True)
    if page.stem != "00_start_here":
        browser.page.evaluate(JS_SHOW_FIGURE)
    browser.page.wait_for_timeout(200)
    browser.page.screenshot(path=str(target))


def test_index_opens_the_start_page(browser: SiteBrowser):
    browser.open("index.html")
    browser.page.wait_for_url("**/notebooks/00_start_here.html", timeout=10_000)
    assert browser.page.title().startswith(Page(ROOT / "notebooks" / "00_start_here.ipynb").title)
    assert not browser.blocked and not browser.failed and not browser.console_errors


def test_sidebar_lists_the_whole_course(browser: SiteBrowser, site):
    browser.open("notebooks/00_start_here.html")
    hrefs = browser.page.evaluate(
        "() => Array.from(document.querySelectorAll('.bd-sidebar-primary a[href]')).map(a => a.href)")
    listed = {t[0].relative_to(site["html"]).as_posix()
              for h in hrefs if (t := _local_target(site["html"], browser.base_url, h))}
    missing = [p.html for p in PAGES if p.html not in listed]
    assert not missing, f"pages missing from the sidebar: {missing}"


def test_search_works_offline(browser: SiteBrowser):
    browser.open("search.html?q=softmax")
    browser.page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    assert not browser.blocked and not browser.failed and not browser.console_errors


ASSET = re.compile(r"<(?:script|link|img|iframe|source|audio|video|embed)\b[^>]*?\b(?:src|href)=\"([^\"]*)\"",
                   re.I)
CSS_URL = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")\s]+)", re.I)


def test_site_assets_are_all_local(site):
    """No page loads a script, style sheet, font or image from another host (read off the HTML)."""
    html_dir = site["html"]
    problems = []
    for path in sorted(html_dir.rglob("*.html")):
        for url in ASSET.findall(path.read_text(encoding="utf-8")):
            if re.match(r"(?:[a-z]+:)?//", url, re.I) and not url.startswith("data:"):
                problems.append(f"{path.relative_to(html_dir)}: {url}")
    for path in sorted(html_dir.rglob("*.css")):
        found = CSS_URL.findall(path.read_text(errors="replace"))
        problems += [f"{path.relative_to(html_dir)}: {u}" for u in found]
    assert not problems, "assets from another host:\n" + "\n".join(problems[:20])
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not served by the site"


def test_makefile_site_target_runs_this_build():
    """``make site`` installs the docs extra and runs the Sphinx command this test builds with."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nsite:", 1)[1].split("\n\n", 1)[0]
    assert "pip install --quiet -e '.[docs]'" in recipe
    assert "-m sphinx -b html -c docs" in recipe and "-W --keep-going" in recipe
