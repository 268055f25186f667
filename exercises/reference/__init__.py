"""The held-out references of the graded exercises (instructor material).

One module per exercise, each with ``REFERENCES = {task name: Reference(answer, mistakes)}``.
The grader loads this folder (``nnlab grade --reference exercises/reference``); it is not part
of the installed package, the grading sandbox cannot see it, and a class release leaves it out.
"""
