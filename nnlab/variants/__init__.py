"""Each student's own numbers: drawn from a generator seeded by the course salt, the exercise and
the student's id, so two students get different inputs and copying a neighbour's answers fails.

One module here per exercise that has numbers, with ``EXERCISE`` (its stem) and
``numbers(rng) -> dict``; they are found automatically. They hold inputs, never answers, and
stay visible inside the grading sandbox (the notebook prints its numbers there too).

The salt is not a secret from students (their notebook needs it to show their numbers); it makes
one course's numbers differ from another's. ``nnlab exercises release --salt S`` writes it into
the student notebooks and ``nnlab grade --salt S`` recomputes every student's numbers from it.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Callable

import numpy as np

DEFAULT_SALT = "nnlab"


def normalized_id(student_id) -> str:
    """The id as it is hashed: surrounding spaces removed, case ignored."""
    return str(student_id or "").strip().casefold()


def student_rng(exercise: str, student_id, salt: str = DEFAULT_SALT) -> np.random.Generator:
    """The generator behind one student's numbers of one exercise."""
    text = f"{salt}\0{exercise}\0{normalized_id(student_id)}".encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text).digest()[:16], "little"))


def _discover() -> dict[str, Callable[[np.random.Generator], dict]]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.EXERCISE] = module.numbers
    return found


GENERATORS: dict[str, Callable[[np.random.Generator], dict]] = _discover()


def numbers_for(exercise: str, student_id, salt: str = DEFAULT_SALT) -> dict:
    """One student's numbers of an exercise ({} if the exercise has none)."""
    make = GENERATORS.get(exercise)
    return {} if make is None else make(student_rng(exercise, student_id, salt))


def student_numbers(exercise: str, student_id, salt: str = DEFAULT_SALT) -> dict:
    """Print and return a student's numbers (the exercise notebook's first cell calls this)."""
    numbers = numbers_for(exercise, student_id, salt)
    if not normalized_id(student_id):
        print("STUDENT_ID is empty: set it to your student id and run this cell again (your "
              "instructor grades the numbers that belong to your id).")
    print(f"Your numbers (student id {str(student_id).strip()!r}, course salt {salt!r}):")
    for name, value in numbers.items():
        text = np.array2string(np.asarray(value), separator=", ", prefix=" " * (len(name) + 3))
        print(f"{name} = {text}")
    return numbers
