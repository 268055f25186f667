import base64

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from nnlab.widgets import Interactive


def line(slope=1.0, *, label="", ax=None):
    if ax is None:
        _, ax = plt.subplots()
    ax.plot([0, 1], [0, slope])
    ax.set_title(label)
    return ax


def shown_png(widget):
    (output,) = widget.out.outputs
    return base64.b64decode(output["data"]["image/png"])


def test_moving_a_control_redraws_the_figure():
    slope = ipywidgets.FloatSlider(value=1.0, min=-2, max=2)
    widget = Interactive(line, slope=slope, label=ipywidgets.fixed("fixed title"), ax=None)
    first_png, first_ydata = shown_png(widget), widget.result.lines[0].get_ydata()
    assert first_png.startswith(b"\x89PNG")
    assert widget.result.get_title() == "fixed title"
    slope.value = -2.0
    np.testing.assert_allclose(widget.result.lines[0].get_ydata(), [0, -2.0])
    assert not np.array_equal(first_ydata, widget.result.lines[0].get_ydata())
    assert shown_png(widget) != first_png
    assert list(widget.children) == [slope, widget.out]


def test_figures_are_closed_and_repr_is_stable():
    before = len(plt.get_fignums())
    widget = Interactive(line, slope=ipywidgets.FloatSlider(value=0.5))
    assert len(plt.get_fignums()) == before  # nothing left for the inline backend to print
    assert repr(widget) == "Interactive(line, controls: slope)"
