"""Sphinx configuration of the course website (``make site``).

The source folder is the repository root (``sphinx-build -c docs . build/site/html``), so every
page keeps the path of its notebook: ``notebooks/02_loss.ipynb`` becomes
``notebooks/02_loss.html``, and the notebooks' own links (``02_loss.ipynb``,
``../exercises/01_forward_pass.ipynb``) resolve as they do in JupyterLab.

Notebooks are never executed: the site shows the outputs stored in them (the tested ones).
Nothing is fetched from the network, at build time or when a page is viewed: MathJax comes from
the ``sphinx-mathjax-offline`` package and is copied into ``_static/mathjax``; the theme's fonts
and scripts are its own files. The course's structure (the sidebar, the launch links, the note
under interactive figures) is added by ``docs/_ext/nnlab_site.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

from nnlab import course  # noqa: E402  (the repository's address: one setting, in nnlab.course)

project = "Neural networks from scratch"
author = "the nnlab course"
copyright = "the nnlab course authors"

# The start page is the site's root; nnlab_site gives it the course's table of contents.
root_doc = "notebooks/00_start_here"
include_patterns = ["notebooks/*.ipynb", "exercises/*.ipynb", "exercises/README.md"]
exclude_patterns = [
    ".venv", ".git", "build", "nnlab", "nnlab.egg-info", "tests", "benchmarks", "docs",
    "test-output", "exercises/solutions", "**/.ipynb_checkpoints",
]

extensions = [
    "myst_nb",
    "sphinx-mathjax-offline",  # MathJax 3 and its fonts served from _static/mathjax: no CDN
    "nnlab_site",
]

# -- notebooks ---------------------------------------------------------------------------------
nb_execution_mode = "off"  # the stored outputs are the tested ones
nb_ipywidgets_js = {}  # never load widget managers from a CDN (the notebooks store no widget state)
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# A notebook may go from "#" straight to "###" (08 does): fine on a page, so not a warning.
suppress_warnings = ["myst.header"]

# -- HTML --------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "nnlab: neural networks from scratch"
html_static_path = ["_static"]
html_css_files = ["nnlab-site.css"]
html_extra_path = ["_extra"]  # index.html: the site's address opens the start page
html_copy_source = True  # the header's download button: the .ipynb itself
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": course.REPOSITORY,
    "repository_branch": course.BRANCH,
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,  # its script is fine, but keep the header small
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": False,
    # Launch links (Binder, Colab) are built by nnlab_site from nnlab.course, not by the theme.
    "launch_buttons": {},
    "search_bar_text": "Search the course…",
    "navbar_persistent": [],  # the sidebar has the search field: no second one in a top bar
}
# Light by default, as the figures are (the theme's switch still offers dark).
html_context = {"default_mode": "light"}

# The launch links: one place, nnlab.course.REPOSITORY and BRANCH.
nnlab_repository = course.REPOSITORY
nnlab_branch = course.BRANCH
