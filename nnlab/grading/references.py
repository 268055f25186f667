"""The held-out references: answers of the tasks that no public nnlab function gives away.

They live with the instructor material, in the course repository's ``exercises/reference``
(a folder of modules, each with ``REFERENCES = {task name: Reference(...)}``), never in the
installed package, the grading sandbox or a class release. The grader loads them from
``--reference DIR``, else ``$NNLAB_REFERENCE``, else the checkout this nnlab runs from.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from dataclasses import replace
from pathlib import Path

from .core import Exercise, Reference
from .tasks import EXERCISES

PACKAGE = "_nnlab_reference"


class MissingReference(LookupError):
    """A held-out task's reference cannot be found."""


def reference_dir(directory=None) -> Path | None:
    """Where the references are: the folder given, $NNLAB_REFERENCE, or the checkout's."""
    if directory is not None:
        return Path(directory)
    if os.environ.get("NNLAB_REFERENCE"):
        return Path(os.environ["NNLAB_REFERENCE"])
    import nnlab

    checkout = Path(nnlab.__file__).resolve().parents[1] / "exercises" / "reference"
    return checkout if (checkout / "__init__.py").is_file() else None


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> dict[str, Reference]:
    init = Path(directory) / "__init__.py"
    if not init.is_file():
        raise MissingReference(f"{directory} is not a reference folder (no __init__.py)")
    name = f"{PACKAGE}_{abs(hash(directory))}"
    spec = importlib.util.spec_from_file_location(name, init,
                                                  submodule_search_locations=[directory])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    found: dict[str, Reference] = {}
    for path in sorted(Path(directory).glob("[a-z]*.py")):
        module = importlib.import_module(f"{name}.{path.stem}")
        found.update(getattr(module, "REFERENCES", {}))
    return found


def load_references(directory=None) -> dict[str, Reference]:
    """{task name: Reference} from the reference folder ({} if there is none)."""
    where = reference_dir(directory)
    return {} if where is None else _load(str(Path(where).resolve()))


def complete(exercise: Exercise, references: dict[str, Reference]) -> Exercise:
    """The exercise with every held-out task given its reference and mistakes."""
    tasks = tuple(replace(task, reference=references[task.name].reference,
                          mistakes=references[task.name].mistakes)
                  if task.held_out and task.name in references else task
                  for task in exercise.tasks)
    return replace(exercise, tasks=tasks)


def graded_exercises(directory=None) -> dict[str, Exercise]:
    """Every exercise with the references found (a held-out task without one stays held out)."""
    references = load_references(directory)
    return {name: complete(ex, references) for name, ex in EXERCISES.items()}


def require_references(exercise: Exercise, directory=None) -> Exercise:
    """``exercise`` itself, if every held-out task has its reference; else MissingReference."""
    missing = [t.name for t in exercise.tasks if t.held_out]
    if missing:
        where = reference_dir(directory)
        raise MissingReference(
            f"{exercise.name}: no reference for {', '.join(missing[:3])}"
            f"{' …' if len(missing) > 3 else ''} (looked in {where or 'no folder'}): pass "
            "--reference DIR, the course repository's exercises/reference, or set NNLAB_REFERENCE")
    return exercise
