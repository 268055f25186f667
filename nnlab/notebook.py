"""Helpers for the course notebooks: shared display settings and ``show`` for source code."""

from __future__ import annotations

import inspect

import numpy as np

FIGSIZE = (4.0, 3.0)
DPI = 72


def setup() -> None:
    """Print options and matplotlib settings shared by every notebook (small, stable figures)."""
    import matplotlib.pyplot as plt

    np.set_printoptions(precision=4, suppress=True)
    plt.rcParams.update({"figure.figsize": FIGSIZE, "figure.dpi": DPI, "savefig.dpi": DPI,
                         "font.size": 9, "figure.max_open_warning": 0})


def show(obj) -> None:
    """Print the source code of an nnlab function or class, so a notebook can display it."""
    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise TypeError(f"show() needs a function or class defined in Python; got {obj!r}") from exc
    print(source.rstrip())
