"""Run the course notebooks in a real JupyterLab, in headless Chromium driven by Playwright.

Used by ``tests/test_browser.py``; also runs on its own for a quick look::

    .venv/bin/python tests/browser_support.py notebooks/00_start_here.ipynb notebooks/01_*.ipynb

Design:

- ``LabServer`` copies ``notebooks/`` and ``exercises/`` into a temporary root (so nothing the
  browser does — running, autosave, checkpoints — touches the working tree), and starts
  JupyterLab there on a free 127.0.0.1 port with a random token, isolated from the user's Jupyter
  config and settings, with autosave, news and update checks off. ``stop()`` shuts the kernels
  down, then ends the server's process group (SIGTERM, then SIGKILL).
- ``LabBrowser`` starts Debian's Chromium through Playwright (no browser download), opens
  JupyterLab once, and for each notebook opens it, runs ``notebook:restart-run-all``, waits for
  the kernel to go idle, collects errors, then moves each slider and checks that the figure next
  to it changes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIR = ROOT / "test-output"

# Debian's Chromium on an offline machine: no sandbox as root, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# JupyterLab user settings for the test server: every cell in the DOM, no autosave, no dialogs,
# no requests to the internet.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/sessionDialogs": {"skipKernelRestartDialog": True},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

SERVER_START_TIMEOUT = 90.0
NOTEBOOK_RUN_TIMEOUT = 180.0
FIGURE_CHANGE_TIMEOUT = 30.0


def chromium_executable() -> str | None:
    """Path of the Chromium to drive: $NNLAB_CHROMIUM, else Debian's ``chromium`` on PATH."""
    explicit = os.environ.get("NNLAB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here (one line), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if chromium_executable() is None:
        return "Chromium not found (apt-get install chromium, or set NNLAB_CHROMIUM)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """The course notebooks present now, in course order: notebooks/NN_*.ipynb."""
    return sorted(p for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb") if p.is_file())


class LabServer:
    """A JupyterLab server on 127.0.0.1 serving a temporary copy of the course."""

    def __init__(self, source_root: Path = ROOT):
        self.source_root = source_root
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="nnlab-browser-")
        self.work = Path(self._tmp.name)
        self.root = self.work / "course"
        self.log_path = self.work / "jupyterlab.log"
        self._kernel_pids: set[int] = set()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> LabServer:
        self._copy_course()
        config_dir = self.work / "config"
        settings_dir = self.work / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings_dir / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")
        config_dir.mkdir()
        (config_dir / "jupyter_lab_config.py").write_text(
            "\n".join([
                "c.ServerApp.ip = '127.0.0.1'",
                f"c.ServerApp.port = {self.port}",
                "c.ServerApp.port_retries = 0",
                "c.ServerApp.open_browser = False",
                f"c.ServerApp.root_dir = {str(self.root)!r}",
                f"c.IdentityProvider.token = {self.token!r}",
                "c.ServerApp.terminals_enabled = False",
                "c.ServerApp.allow_root = True",  # CI containers run as root
                "c.LabApp.expose_app_in_browser = True",  # window.jupyterapp, as galata does
                "c.LabApp.news_url = None",
                "c.LabApp.extension_manager = 'readonly'",  # no PyPI queries
                "c.LabApp.check_for_updates_class = 'jupyterlab.handlers.announcements.NeverCheckForUpdate'",
                f"c.LabApp.user_settings_dir = {str(settings_dir)!r}",
                f"c.LabApp.workspaces_dir = {str(self.work / 'workspaces')!r}",
                "c.LanguageServerManager.autodetect = False",
                "",
            ]),
            encoding="utf-8",
        )
        env = dict(os.environ)
        env.update({
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_RUNTIME_DIR": str(self.work / "runtime"),
            "IPYTHONDIR": str(self.work / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
        })
        env.pop("JUPYTER_TOKEN", None)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser"],
                cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self._wait_until_up()
        return self

    def stop(self) -> None:
        """Shut the kernels and the server down; always safe to call."""
        try:
            if self.process is not None and self.process.poll() is None:
                self._remember_kernel_pids()
                self._shutdown_kernels()
                self._terminate_group(self.process.pid)
            for pid in self._kernel_pids:  # kernels run in sessions of their own
                self._terminate_group(pid)
        finally:
            self.process = None
            self._tmp.cleanup()

    def __enter__(self) -> LabServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------
    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _copy_course(self) -> None:
        self.root.mkdir()
        for name in ("notebooks", "exercises"):
            source = self.source_root / name
            if source.is_dir():
                shutil.copytree(source, self.root / name,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def _request(self, method: str, path: str, timeout: float = 5.0):
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:  # 127.0.0.1 only
            body = response.read()
        return json.loads(body) if body else None

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                self._request("GET", "/api/status", timeout=2.0)
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                           f"{self.log_tail()}")

    def _remember_kernel_pids(self) -> None:
        """The server's direct children (its kernels), read from /proc where there is one."""
        server = self.process.pid
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == server:
                self._kernel_pids.add(int(stat.parent.name))

    def _shutdown_kernels(self) -> None:
        try:
            for kernel in self._request("GET", "/api/kernels") or []:
                self._request("DELETE", f"/api/kernels/{kernel['id']}", timeout=10.0)
        except (urllib.error.URLError, OSError, ValueError):
            pass

    @staticmethod
    def _terminate_group(pid: int) -> None:
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except (ProcessLookupError, PermissionError):
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(pid, 0)
                except (ProcessLookupError, PermissionError):
                    return
                try:  # reap it if it is our child
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.1)


@dataclass
class NotebookRun:
    """What happened when one notebook ran in the browser."""

    path: str
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    sliders_moved: int = 0
    figures_changed: int = 0
    widget_cells: int = 0
    notes: list[str] = field(default_factory=list)


# JavaScript run in the page. `window.__nnlab` holds the notebook panel under test.
JS_OPEN = """async (path) => {
  const app = window.jupyterapp;
  await app.started; await app.restored;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  window.__nnlab = {panel, done: null};
  return panel.id;
}"""

JS_RUN_ALL = """async () => {
  const state = window.__nnlab;
  const app = window.jupyterapp;
  // Start from no outputs, so that nothing seen afterwards can be left over from the file.
  await app.commands.execute('notebook:clear-all-cell-outputs');
  state.done = null;
  app.commands.execute('notebook:restart-run-all').then(
    (ok) => { state.done = {ok: ok !== false}; },
    (err) => { state.done = {ok: false, error: String(err)}; });
}"""

JS_KERNEL_IDLE = """() => {
  const session = window.__nnlab.panel.sessionContext.session;
  return Boolean(session && session.kernel && session.kernel.status === 'idle');
}"""

JS_STATUS = """() => {
  const state = window.__nnlab;
  const panel = state.panel;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON();
    cells.push({
      index: i,
      empty: cell.sharedModel.getSource().trim() === '',
      count: cell.executionCount,
      running: cell.executionState === 'running',
      errors: outputs.filter(o => o.output_type === 'error')
                     .map(o => `${o.ename}: ${o.evalue}`),
      widgets: outputs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length,
    });
  }
  return {done: state.done, kernel: kernel ? kernel.status : 'none', cells};
}"""

# Errors that only the page shows: tracebacks inside widget outputs, widgets that failed to render.
JS_DOM_ERRORS = """() => {
  const panel = window.__nnlab.panel;
  const found = [];
  const cells = panel.content.widgets;
  cells.forEach((cell, i) => {
    const node = cell.node;
    node.querySelectorAll('.jp-OutputArea-output').forEach((out) => {
      const text = out.innerText || '';
      if (text.includes('Traceback (most recent call last)')) {
        found.push(`cell ${i}: traceback shown: ` + text.split('\\n').filter(Boolean).slice(-1)[0]);
      }
      if (text.includes('Error displaying widget')) {
        found.push(`cell ${i}: widget failed to render: ` + text.trim().slice(0, 200));
      }
    });
  });
  return found;
}"""

JS_CELL_IMAGES = """(index) => {
  const cell = window.__nnlab.panel.content.widgets[index];
  return Array.from(cell.node.querySelectorAll('.jp-Cell-outputArea img')).map(img => img.src);
}"""

JS_CLOSE = """async () => {
  const state = window.__nnlab;
  if (!state) return;
  const panel = state.panel;
  try { await panel.sessionContext.shutdown(); } catch (e) {}
  panel.context.model.dirty = false;  // never save: the test works on a copy anyway
  panel.dispose();
  window.__nnlab = null;
}"""


class LabBrowser:
    """Headless Chromium on one JupyterLab page; runs notebooks one after the other."""

    def __init__(self, server: LabServer, viewport: tuple[int, int] = (1280, 900)):
        self.server = server
        self.viewport = viewport
        self._playwright = None
        self._browser = None
        self.page = None
        self.console_errors: list[str] = []

    def start(self) -> LabBrowser:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        context = self._browser.new_context(
            viewport={"width": self.viewport[0], "height": self.viewport[1]})
        self.page = context.new_page()
        self.page.on("console", self._on_console)
        self.page.goto(self.server.url("/lab"), wait_until="domcontentloaded", timeout=60_000)
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")
        return self

    def stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def __enter__(self) -> LabBrowser:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def screenshot(self, name: str) -> Path:
        OUTPUT_DIR.mkdir(exist_ok=True)
        path = OUTPUT_DIR / name
        self.page.screenshot(path=str(path))
        return path

    # -- one notebook ----------------------------------------------------------------------
    def open(self, relpath: str) -> None:
        self.page.evaluate(JS_OPEN, relpath)
        self.page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook", timeout=30_000)

    def close(self) -> None:
        self.page.evaluate(JS_CLOSE)

    def run_all(self, run: NotebookRun, timeout: float = NOTEBOOK_RUN_TIMEOUT) -> dict:
        """Restart the kernel, run all cells and wait for the kernel to go idle."""
        # A restart requested while the first kernel is still starting can leave it hanging.
        self.page.wait_for_function(JS_KERNEL_IDLE, timeout=60_000)
        self.page.evaluate(JS_RUN_ALL)
        deadline = time.monotonic() + timeout
        idle_since = None
        while True:
            self._accept_dialog()
            status = self.page.evaluate(JS_STATUS)
            cells = status["cells"]
            failed = any(cell["errors"] for cell in cells)
            finished = (status["done"] is not None or failed) and not any(c["running"] for c in cells)
            if finished and status["kernel"] == "idle":
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 0.5:  # idle, and stays idle
                    break
            else:
                idle_since = None
            if time.monotonic() > deadline:
                run.errors.append(f"not finished after {timeout:.0f} s (kernel {status['kernel']})")
                return status
            time.sleep(0.2)
        for cell in cells:
            run.errors.extend(f"cell {cell['index']}: {error}" for error in cell["errors"])
        unrun = [c["index"] for c in cells if not c["empty"] and c["count"] is None]
        if unrun and not run.errors:
            run.errors.append(f"cells not run: {unrun} (run result {status['done']})")
        return status

    def _accept_dialog(self) -> None:
        """Accept a dialog if one is open (e.g. a kernel restart confirmation)."""
        button = self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
        if button.count():
            button.first.click()

    def check_widgets(self, run: NotebookRun, status: dict) -> None:
        """Wait for widgets to render; move each widget cell's sliders until its figure changes."""
        widget_cells = [c["index"] for c in status["cells"] if c["widgets"]]
        run.widget_cells = len(widget_cells)
        for index in widget_cells:
            cell = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
            try:
                cell.locator(".jupyter-widgets").first.wait_for(state="attached", timeout=20_000)
            except Exception:
                run.errors.append(f"cell {index}: widget output never rendered")
                continue
            sliders = cell.locator(".widget-slider:not(.widget-vslider)")
            if sliders.count() == 0:
                sliders = cell.locator(".widget-slider")
            if sliders.count() == 0:
                run.notes.append(f"cell {index}: widget without a slider")
                continue
            self._move_sliders(run, index, cell, sliders)

    def _move_sliders(self, run: NotebookRun, index: int, cell, sliders) -> None:
        cell.scroll_into_view_if_needed()
        before = self._wait_for_images(index)
        if not before:
            run.notes.append(f"cell {index}: no figure before moving a slider")
        for k in range(sliders.count()):
            slider = sliders.nth(k)
            if not self._set_slider(slider):
                continue
            run.sliders_moved += 1
            changed = self._wait_for_change(index, before)
            if changed is not None:
                run.figures_changed += 1
                return
        run.errors.append(f"cell {index}: moving its {sliders.count()} slider(s) did not change the figure")

    def _set_slider(self, slider) -> bool:
        """Move the slider three steps with the keyboard, as a learner could; False without a handle.

        Keyboard steps work for every kind of slider (float, log, selection) and fire the same
        change event as a drag, so ``continuous_update=False`` sliders update too.
        """
        handle = slider.locator(".noUi-handle")
        if handle.count() == 0:
            return False
        handle = handle.first
        now = float(handle.get_attribute("aria-valuenow") or 0)
        high = float(handle.get_attribute("aria-valuemax") or 0)
        key = "ArrowRight" if now < high else "ArrowLeft"
        handle.focus()
        for _ in range(3):
            handle.press(key)
        return True

    def _wait_for_images(self, index: int, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            images = self.page.evaluate(JS_CELL_IMAGES, index)
            if images or time.monotonic() > deadline:
                return images
            time.sleep(0.1)

    def _wait_for_change(self, index: int, before: list[str],
                         timeout: float = FIGURE_CHANGE_TIMEOUT) -> list[str] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            images = self.page.evaluate(JS_CELL_IMAGES, index)
            if images and images != before:
                return images
            time.sleep(0.1)
        return None

    def run_notebook(self, relpath: str, screenshot: str | None = None) -> NotebookRun:
        """Open, restart and run all, check errors and widgets, close. Screenshot on failure."""
        run = NotebookRun(relpath)
        self.console_errors.clear()
        start = time.monotonic()
        try:
            self.open(relpath)
            status = self.run_all(run)
            if not run.errors:
                self.check_widgets(run, status)
            run.errors.extend(self.page.evaluate(JS_DOM_ERRORS))
            run.seconds = time.monotonic() - start
            name = Path(relpath).stem
            if run.errors:
                path = self.screenshot(f"failure-{name}.png")
                run.notes.append(f"screenshot: {path.relative_to(ROOT)}")
                run.notes.extend(f"browser console: {m}" for m in self.console_errors[-5:])
            elif screenshot:
                self._show_for_screenshot(run)
                self.screenshot(screenshot)
        except Exception as exc:
            run.errors.append(f"{type(exc).__name__}: {exc}")
            try:
                path = self.screenshot(f"failure-{Path(relpath).stem}.png")
                run.notes.append(f"screenshot: {path.relative_to(ROOT)}")
            except Exception:
                pass
        finally:
            run.seconds = run.seconds or time.monotonic() - start
            try:
                self.close()
            except Exception:
                pass
        return run

    def _show_for_screenshot(self, run: NotebookRun) -> None:
        """Scroll so the screenshot shows something telling: the first widget, else the top."""
        widget = self.page.locator(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .widget-slider").first
        if run.widget_cells and widget.count():
            widget.scroll_into_view_if_needed()
            self.page.evaluate("""() => {
              const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
              const cell = panel.querySelector('.jp-Cell .widget-slider').closest('.jp-Cell');
              cell.scrollIntoView({block: 'start'});
            }""")
        else:
            self.page.evaluate("""() => {
              const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
              nb.scrollTop = 0;
              const first = nb.querySelector('.jp-Cell');
              if (first) first.scrollIntoView({block: 'start'});
            }""")
        self.page.wait_for_timeout(300)


def main(argv: list[str]) -> int:
    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    paths = [Path(a).resolve() for a in argv] or course_notebooks()
    source_root = paths[0].parents[1] if paths else ROOT
    total = time.monotonic()
    failed = 0
    with LabServer(source_root) as server, LabBrowser(server) as browser:
        print(f"JupyterLab and Chromium ready in {time.monotonic() - total:.1f} s")
        for path in paths:
            relpath = path.relative_to(source_root).as_posix()
            run = browser.run_notebook(relpath, screenshot=f"browser-{path.stem}.png")
            failed += bool(run.errors)
            print(f"{relpath}: {run.seconds:.1f} s, {run.widget_cells} widget cell(s), "
                  f"{run.figures_changed} figure(s) changed by a slider"
                  + "".join(f"\n  ERROR {e}" for e in run.errors)
                  + "".join(f"\n  note: {n}" for n in run.notes))
    print(f"total {time.monotonic() - total:.1f} s, {failed} notebook(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
