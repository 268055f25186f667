"""The graded tasks of every exercise notebook, keyed by the notebook's stem."""

from __future__ import annotations

from ..core import Exercise
from . import (
    backprop,
    dropout,
    forward_pass,
    k_fold,
    loss,
    optimizers,
    regularization,
    validation,
    worked_example,
)

EXERCISES: dict[str, Exercise] = {
    module.EXERCISE.name: module.EXERCISE
    for module in (forward_pass, loss, backprop, worked_example, optimizers, regularization,
                   dropout, validation, k_fold)
}


def find_task(name: str):
    """(exercise, task) for a task name; task names are unique across the exercises."""
    for exercise in EXERCISES.values():
        for task in exercise.tasks:
            if task.name == name:
                return exercise, task
    raise KeyError(name)
