"""The graded tasks of every exercise notebook, keyed by the notebook's stem.

Each module here defines ``EXERCISE`` (an ``Exercise``); every module is found automatically,
and the exercises are listed in course order (by stem).
"""

from __future__ import annotations

import importlib
import pkgutil

from ..core import Exercise


def _discover() -> dict[str, Exercise]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        exercise = getattr(importlib.import_module(f"{__name__}.{info.name}"), "EXERCISE", None)
        if isinstance(exercise, Exercise):
            found[exercise.name] = exercise
    return dict(sorted(found.items()))


EXERCISES: dict[str, Exercise] = _discover()


def find_task(name: str):
    """(exercise, task) for a task name; task names are unique across the exercises."""
    for exercise in EXERCISES.values():
        for task in exercise.tasks:
            if task.name == name:
                return exercise, task
    raise KeyError(name)
