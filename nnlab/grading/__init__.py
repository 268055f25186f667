"""Graded exercises: immediate self-checks in notebooks and the offline grader ``nnlab grade``.

``check(fn)`` gives feedback inside a notebook. ``grade_notebook(path)`` runs a submission in a
child process with time and memory limits and scores its outputs against nnlab's references.
"""

from ..variants import student_numbers
from .core import Case, Exercise, Mistake, Task
from .grader import SubmissionError, grade_many, grade_notebook, load_submission
from .selfcheck import check
from .tasks import EXERCISES

__all__ = ["EXERCISES", "Case", "Exercise", "Mistake", "SubmissionError", "Task", "check",
           "grade_many", "grade_notebook", "load_submission", "student_numbers"]
