"""The logic behind the course's interactive figures, one module per notebook.

Each figure is a plain function of the widget values that draws on the axes it is given and
returns them, so tests can drive it without a browser; the notebooks wrap it with
``ipywidgets.interactive``.
"""
