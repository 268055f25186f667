"""The logic behind the course's interactive figures, one module per notebook.

Each figure is a plain function of the widget values that draws and returns its axes or figure,
so tests can drive it without a browser. ``Interactive`` puts controls above such a figure and
redraws it whenever a control changes.
"""

from __future__ import annotations

import base64
import io

import ipywidgets
import matplotlib.pyplot as plt


class Interactive(ipywidgets.VBox):
    """Controls above the figure ``draw(**values)`` makes, redrawn on every change.

    ``controls`` maps ``draw``'s keyword arguments to ipywidgets controls; any other value
    (or ``ipywidgets.fixed(value)``) is passed unchanged. The figure is rendered to a PNG and
    stored in the output widget's state, not printed by the kernel, so it shows in JupyterLab
    but adds no cell output (notebooks show a static first frame in the cell before).
    """

    def __init__(self, draw, **controls):
        self._draw = draw
        self.controls = {k: w for k, w in controls.items() if isinstance(w, ipywidgets.ValueWidget)}
        self._fixed = {k: getattr(v, "value", v) for k, v in controls.items() if k not in self.controls}
        self.out = ipywidgets.Output()
        self.result = None
        super().__init__([*self.controls.values(), self.out])
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def update(self, change=None) -> None:
        values = {name: control.value for name, control in self.controls.items()}
        self.result = self._draw(**values, **self._fixed)
        fig = getattr(self.result, "figure", self.result)  # axes or figure
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.out.outputs = ({"output_type": "display_data", "metadata": {},
                             "data": {"image/png": png, "text/plain": "<Figure>"}},)

    def __repr__(self) -> str:
        return f"Interactive({self._draw.__name__}, controls: {', '.join(self.controls)})"
