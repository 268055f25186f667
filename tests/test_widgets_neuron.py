"""The single-neuron widget of notebook 01: the plain drawing function and its ipywidgets wrapper."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlab.widgets.neuron import ACTIVATIONS, neuron_figure, neuron_output  # noqa: E402


def _image(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_output_is_the_activation_of_the_weighted_sum():
    x1, x2, a = neuron_output(0.5, -2.0, 0.25, "linear", resolution=5)
    assert a.shape == (5, 5)
    np.testing.assert_allclose(a, 0.5 * x1 - 2.0 * x2 + 0.25)
    # x1 runs along the columns, x2 along the rows, both over [-2, 2]
    np.testing.assert_allclose(x1[0], np.linspace(-2, 2, 5))
    np.testing.assert_allclose(x2[:, 0], np.linspace(-2, 2, 5))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_draws_and_returns_axes(activation):
    ax = neuron_figure(w1=1.0, w2=1.0, b=0.5, activation=activation)
    assert _image(ax).shape == (101, 101)
    assert "output" in ax.figure.axes[1].get_ylabel()  # the colour bar


def test_draws_on_the_axes_it_is_given():
    fig, ax = plt.subplots()
    assert neuron_figure(ax=ax) is ax
    assert len(ax.images) == 1


def test_larger_bias_raises_the_sigmoid_everywhere():
    low = _image(neuron_figure(w1=1.0, w2=-1.0, b=-1.0))
    high = _image(neuron_figure(w1=1.0, w2=-1.0, b=1.0))
    assert np.all(high > low)


def test_weight_sets_the_direction_of_increase():
    right = _image(neuron_figure(w1=2.0, w2=0.0, b=0.0))
    up = _image(neuron_figure(w1=0.0, w2=2.0, b=0.0))
    # w1 > 0: output grows with x1 (along columns) and is constant along x2
    assert np.all(np.diff(right, axis=1) > 0)
    np.testing.assert_allclose(np.diff(right, axis=0), 0.0)
    # w2 > 0: output grows with x2 (along rows)
    assert np.all(np.diff(up, axis=0) > 0)
    # the sigmoid's output is 0.5 on the line w·x + b = 0
    np.testing.assert_allclose(right[:, 50], 0.5)


def test_step_output_is_zero_or_one():
    a = _image(neuron_figure(w1=1.0, w2=1.0, b=0.0, activation="step"))
    assert sorted(np.unique(a).tolist()) == [0.0, 1.0]


def test_unknown_activation_raises():
    with pytest.raises(ValueError, match="activation must be one of"):
        neuron_figure(activation="swish")


def test_interactive_wrapper_redraws_when_a_slider_moves():
    w = ipywidgets.interactive(
        neuron_figure,
        w1=(-3.0, 3.0, 0.1), w2=(-3.0, 3.0, 0.1), b=(-3.0, 3.0, 0.1),
        activation=sorted(ACTIVATIONS), ax=ipywidgets.fixed(None),
    )
    controls = {c.description: c for c in w.children if hasattr(c, "description")}
    assert {"w1", "w2", "b", "activation"} <= set(controls)
    before = _image(w.result).copy()
    controls["b"].value = 2.0
    after = _image(w.result)
    assert w.result.get_title() == "$w_1$=1.0, $w_2$=-1.0, $b$=2.0"
    assert np.all(after > before)
    controls["activation"].value = "tanh"
    assert w.result.images[0].get_clim() == (-1.0, 1.0)
    assert _image(w.result).min() < 0
