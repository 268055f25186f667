"""How long each course widget takes to redraw after a control moves, against plain matplotlib.

Each widget is built with ``nnlab.widgets.Interactive`` as in its notebook (after
``nnlab.setup()``); a redraw is one control change: the drawing function runs and the figure is
rendered to the PNG the browser shows. Its baseline, timed in the same run and alternating with
it, is a plain matplotlib redraw of equal size through the same ``Interactive``: a figure with the
widget's size, dpi and number of axes, one labelled line per axes. Widgets that train a network
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
import numpy as np  # noqa: E402

import nnlab  # noqa: E402
from nnlab.widgets import Interactive, dropout, neuron, optimizers, regularization  # noqa: E402


def cases():
    """(name, draw function, control name, values to cycle through, fixed arguments)."""
    yield "01 neuron", neuron.neuron_figure, "b", [0.0, 0.5, 1.0, -1.0], {"ax": None}
    yield ("08 optimizer paths", optimizers.trajectory_figure, "learning_rate", [0.1, 0.3, 0.05, 0.2],
           {"ax": None})
    yield ("09 L2 strength", regularization.plot_l2_boundary, "lam", list(regularization.LAMBDAS[:4]),
           {"fig": None})
    yield "10 dropout rate", dropout.plot_dropout, "rate", list(dropout.RATES[:4]), {"fig": None}


def plain_figure(value=0.0, *, size, dpi, n_axes):
    """The baseline: a figure of the given size with one labelled line in each of its axes."""
    fig, axes = plt.subplots(1, n_axes, figsize=size, dpi=dpi, squeeze=False)
    x = np.linspace(0.0, 1.0, 50)
    for ax in axes.ravel():
        ax.plot(x, value * x)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    return fig


def figure_of(widget):
    return getattr(widget.result, "figure", widget.result)  # draw returns axes or a figure


def redraw(control, value) -> float:
    start = time.perf_counter()
    control.value = value  # Interactive redraws and renders the PNG on every change
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.repeats < 2:
        parser.error("--repeats must be at least 2 (the first round only visits values once)")
    nnlab.setup()  # the notebooks' figure size and dpi
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); each redraw alternates with "
          f"a plain one; later visits: median of rounds 2-{args.repeats}; wall clock")
    print(f"{'widget':>20}  {'figure':>15}  first visit  later visits  plain redraw  later / plain")
    for name, draw, control_name, values, fixed in cases():
        control = ipywidgets.FloatText(value=values[0])
        widget = Interactive(draw, **{control_name: control}, **fixed)
        fig = figure_of(widget)
        shape = {"size": tuple(fig.get_size_inches()), "dpi": fig.dpi, "n_axes": len(fig.axes)}
        plain_control = ipywidgets.FloatText(value=0.0)
        Interactive(plain_figure, value=plain_control, **shape)
        first, later, plain = [], [], []
        for repeat in range(args.repeats):
            for i, value in enumerate(values[1:] + values[:1]):
                (first if repeat == 0 else later).append(redraw(control, value))
                plain.append(redraw(plain_control, float(i + 1 + repeat)))
        later_ms, plain_ms = statistics.median(later) * 1e3, statistics.median(plain) * 1e3
        pixels = f"{shape['size'][0] * shape['dpi']:.0f}x{shape['size'][1] * shape['dpi']:.0f}px"
        print(f"{name:>20}  {pixels:>9}, {shape['n_axes']} ax  {max(first) * 1e3:8.0f} ms"
              f"  {later_ms:9.0f} ms  {plain_ms:9.0f} ms  {later_ms / plain_ms:12.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
