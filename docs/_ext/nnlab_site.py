"""The course website's own Sphinx extension (loaded by ``docs/conf.py``).

- The start page (the site's root document) gets the course's table of contents: the course
  notebooks in order, then the exercises. It is added to the start page's document tree as hidden
  toctrees, so the notebook itself stays as it is.
- Every notebook page gets launch links (Binder, Colab) for the same notebook in the repository,
  in the header's launch menu. They are built from ``nnlab.course.REPOSITORY`` and
  ``nnlab.course.BRANCH`` only (``launch_links``), passed in as ``nnlab_repository`` and
  ``nnlab_branch``.
- A cell whose stored output is an ipywidgets view (a live figure with sliders) shows, instead of
  that empty view, a note: the figure just above is the static first frame, and the sliders need
  a live kernel (with the launch links). The notebooks store no widget state, so there is nothing
  to render without a kernel, and no widget JavaScript is loaded.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlparse

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BINDER = "https://mybinder.org/v2/gh/{owner}/{repo}/{branch}?labpath={path}"
COLAB = "https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}"
WIDGET_NOTE_CLASS = "nnlab-widget-note"


def owner_and_name(repository: str) -> tuple[str, str]:
    """``https://github.com/OWNER/REPO`` (optionally ``.git`` or a trailing slash) -> (OWNER, REPO)."""
    url = urlparse(repository)
    parts = [p for p in url.path.split("/") if p]
    if url.netloc != "github.com" or len(parts) != 2:
        raise ValueError(f"nnlab.course.REPOSITORY must be https://github.com/OWNER/REPO, got {repository!r}")
    owner, repo = parts
    return owner, repo.removesuffix(".git")


def launch_links(repository: str, branch: str, path: str) -> dict[str, str]:
    """Binder and Colab addresses of the notebook at ``path`` (relative to the repository root)."""
    owner, repo = owner_and_name(repository)
    fields = {"owner": owner, "repo": repo, "branch": branch, "path": path}
    return {"Binder": BINDER.format(**fields), "Colab": COLAB.format(**fields)}


def _notebook_path(app: Sphinx, docname: str) -> str | None:
    """The repository path of the notebook behind page ``docname``, or None for other pages."""
    source = app.env.doc2path(docname, base=False)
    path = PurePosixPath(str(source).replace("\\", "/"))
    return path.as_posix() if path.suffix == ".ipynb" else None


# -- the table of contents ----------------------------------------------------------------------
def _toctree(docname: str, caption: str, entries: list[str]) -> nodes.compound:
    toctree = addnodes.toctree()
    toctree["parent"] = docname
    toctree["entries"] = [(None, entry) for entry in entries]
    toctree["includefiles"] = list(entries)
    toctree["maxdepth"] = 1
    toctree["caption"] = caption
    toctree["rawcaption"] = caption
    toctree["glob"] = False
    toctree["hidden"] = True
    toctree["includehidden"] = False
    toctree["numbered"] = 0
    toctree["titlesonly"] = True
    toctree["rawentries"] = []
    wrapper = nodes.compound(classes=["toctree-wrapper"])
    wrapper.append(toctree)
    return wrapper


def course_contents(found_docs: set[str], root_doc: str) -> list[tuple[str, list[str]]]:
    """The sidebar's sections: the course notebooks in order, then the exercises."""
    course = sorted(d for d in found_docs if d.startswith("notebooks/") and d != root_doc)
    exercises = sorted(d for d in found_docs if d.startswith("exercises/") and d != "exercises/README")
    if "exercises/README" in found_docs:
        exercises.insert(0, "exercises/README")
    return [(caption, docs) for caption, docs in (("Course", course), ("Exercises", exercises)) if docs]


def add_contents(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.current_document.docname
    if docname != app.config.root_doc:
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        LOGGER.warning("the start page has no section: no table of contents added", location=docname)
        return
    for caption, docs in course_contents(app.env.found_docs, docname):
        section.append(_toctree(docname, caption, docs))


def reread_root(app: Sphinx, env, added, changed, removed) -> list[str]:
    """The start page lists every page: read it again on every build."""
    return [app.config.root_doc]


# -- widgets ------------------------------------------------------------------------------------
def _is_widget_bundle(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.container) and node.get("nb_element") == "mime_bundle"
            and any(child.get("mime_type") == WIDGET_VIEW for child in node.children))


def widget_note(links: dict[str, str] | None) -> nodes.Element:
    """The note shown instead of an ipywidgets view: a static figure above, sliders need a kernel."""
    note = nodes.admonition(classes=["note", WIDGET_NOTE_CLASS])
    note += nodes.title(text="Interactive figure")
    para = nodes.paragraph()
    para += nodes.Text("Its sliders need a live kernel. This page shows the figure above, drawn with "
                       "the sliders' starting values. To move them, run this notebook ")
    if links:
        for i, (name, url) in enumerate(links.items()):
            if i:
                para += nodes.Text(", ")
            para += nodes.reference(text=f"on {name}", refuri=url, classes=["nnlab-launch"])
        para += nodes.Text(", or ")
    para += nodes.Text("on your computer with ")
    para += nodes.literal(text="make lab")
    para += nodes.Text(".")
    note += para
    return note


def replace_widgets(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.current_document.docname
    path = _notebook_path(app, docname)
    links = launch_links(app.config.nnlab_repository, app.config.nnlab_branch, path) if path else None
    for bundle in list(doctree.findall(_is_widget_bundle)):
        bundle.replace_self(widget_note(links))


# -- launch links in the header -----------------------------------------------------------------
def add_launch_menu(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is None or "header_buttons" not in context:
        return
    path = _notebook_path(app, pagename)
    if path is None:
        return
    links = launch_links(app.config.nnlab_repository, app.config.nnlab_branch, path)
    buttons = [
        {"type": "link", "text": name, "tooltip": f"Run this notebook on {name}", "url": url,
         "icon": f"_static/images/logo_{'binder.svg' if name == 'Binder' else 'colab.png'}",
         "label": f"launch-{name.lower()}-button"}
        for name, url in links.items()
    ]
    context["header_buttons"].insert(0, {
        "type": "group", "tooltip": "Run this notebook (live kernel)", "icon": "fas fa-rocket",
        "buttons": buttons, "label": "launch-buttons",
    })


def setup(app: Sphinx) -> dict:
    app.add_config_value("nnlab_repository", "", "env", types=[str])
    app.add_config_value("nnlab_branch", "main", "env", types=[str])
    # Before Sphinx's toctree collector (priority 500) reads the start page's toctrees.
    app.connect("doctree-read", add_contents, priority=400)
    app.connect("doctree-read", replace_widgets)
    app.connect("env-get-outdated", reread_root)
    # After sphinx-book-theme has prepared and filled its header buttons (priority 501).
    app.connect("html-page-context", add_launch_menu, priority=502)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
