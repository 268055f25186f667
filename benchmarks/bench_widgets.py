"""How long each course widget takes to redraw after a control moves, against a baseline.

Each widget is built with ``nnlab.widgets.Interactive`` as in its notebook; a redraw is one
control change: the drawing function runs and the figure is rendered to the PNG the browser
shows. The baseline is the same for a figure with one empty axes. Widgets that train a network
memoise it per value: the first visit to a value is reported apart from later visits.
Target: well under 1 s per redraw on a 2-core machine.

    python benchmarks/bench_widgets.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import time  # noqa: E402

import ipywidgets  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import nnlab  # noqa: E402, F401
from nnlab.widgets import Interactive, dropout, neuron, optimizers, regularization  # noqa: E402


def empty_figure(value=0.0, ax=None):
    _, ax = plt.subplots()
    return ax


def cases():
    """(name, widget, control, values to cycle through)."""
    yield ("baseline: empty axes", *_build(empty_figure, "value", [0.0, 1.0, 2.0]))
    yield ("01 neuron", *_build(neuron.neuron_figure, "b", [0.0, 0.5, 1.0, -1.0], ax=None))
    yield ("05 optimizer paths", *_build(optimizers.trajectory_figure, "learning_rate",
                                         [0.1, 0.3, 0.05, 0.2], ax=None))
    yield ("06 L2 strength", *_build(regularization.plot_l2_boundary, "lam",
                                     list(regularization.LAMBDAS[:4]), fig=None))
    yield ("07 dropout rate", *_build(dropout.plot_dropout, "rate", list(dropout.RATES[:4]), fig=None))


def _build(draw, name, values, **fixed):
    control = ipywidgets.FloatText(value=values[0])
    return Interactive(draw, **{name: control}, **fixed), control, values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    baseline = None
    print(f"{'widget':>22}  first visit   later visits (median)   vs baseline")
    for name, _widget, control, values in cases():  # the widget redraws on each change
        first, later = [], []
        for repeat in range(args.repeats):
            for value in values[1:] + values[:1]:
                start = time.perf_counter()
                control.value = value
                (first if repeat == 0 else later).append(time.perf_counter() - start)
        later_ms = statistics.median(later) * 1e3
        baseline = baseline or later_ms
        print(f"{name:>22}  {max(first) * 1e3:8.0f} ms   {later_ms:8.0f} ms"
              f"              {later_ms / baseline:5.1f}x")


if __name__ == "__main__":
    main()
