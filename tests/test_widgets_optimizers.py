"""The trajectory widget of notebook 05: surfaces, optimizer paths, the drawing function, the wrapper."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlab  # noqa: E402
from nnlab.widgets.optimizers import (  # noqa: E402
    OPTIMIZERS,
    SURFACES,
    compare_trajectories,
    saddle,
    saddle_gradient,
    trajectory,
    trajectory_figure,
    valley,
    valley_gradient,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _path_line(ax, label):
    lines = [line for line in ax.lines if line.get_label().startswith(label)]
    assert len(lines) == 1, [line.get_label() for line in ax.lines]
    return np.column_stack([lines[0].get_xdata(), lines[0].get_ydata()])


# ---- surfaces ----

def test_surfaces_by_hand():
    # valley: 0.02·81 + 4 = 5.62, gradient (0.04·(−9), 2·2); saddle at (1, 2): 0.5 + 4 − 2
    assert valley(np.array([-9.0, 2.0])) == pytest.approx(5.62)
    np.testing.assert_allclose(valley_gradient(np.array([-9.0, 2.0])), [-0.36, 4.0])
    assert saddle(np.array([1.0, 2.0])) == pytest.approx(2.5)
    np.testing.assert_allclose(saddle_gradient(np.array([1.0, 2.0])), [1.0, 6.0])


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradients_match_central_differences(name, rng):
    loss, gradient, _, _ = SURFACES[name]
    for _ in range(5):
        w = rng.uniform(-2, 2, size=2)
        numeric = nnlab.numerical_gradient(lambda p: float(loss(p)), w)
        assert nnlab.relative_error(gradient(w), numeric) < 1e-6


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_loss_works_on_a_grid(name):
    loss = SURFACES[name][0]
    grid = np.zeros((4, 5, 2))
    assert loss(grid).shape == (4, 5)


def test_saddle_has_minima_at_plus_minus_one_and_a_saddle_at_the_origin():
    for w in ([0.0, 1.0], [0.0, -1.0], [0.0, 0.0]):
        np.testing.assert_allclose(saddle_gradient(np.array(w)), 0.0)
    assert saddle(np.array([0.0, 1.0])) == pytest.approx(-0.25)
    # the origin is a minimum along x and a maximum along y
    assert saddle(np.array([0.1, 0.0])) > 0 > saddle(np.array([0.0, 0.1]))


# ---- paths ----

@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_path_follows_the_nnlab_update_function(optimizer, surface):
    update, hyper = OPTIMIZERS[optimizer]
    _, gradient, start, _ = SURFACES[surface]
    path = trajectory(optimizer, 0.05, 10, surface)
    assert path.shape == (11, 2)
    np.testing.assert_allclose(path[0], start)
    w, state = np.array(start), {}
    for point in path[1:]:
        w, state = update(w, gradient(w), state, learning_rate=0.05, **hyper)
        np.testing.assert_allclose(point, w)


def test_update_functions_are_nnlabs():
    assert OPTIMIZERS["SGD"][0] is nnlab.sgd_update and OPTIMIZERS["SGD"][1] == {}
    assert OPTIMIZERS["Momentum"] == (nnlab.sgd_update, {"momentum": 0.9})
    assert OPTIMIZERS["Adagrad"][0] is nnlab.adagrad_update
    assert OPTIMIZERS["RMSprop"][0] is nnlab.rmsprop_update
    assert OPTIMIZERS["Adam"][0] is nnlab.adam_update


def test_first_sgd_step_by_hand():
    # w = (−9, 2), gradient (−0.36, 4), lr 0.5: w − 0.5·g = (−8.82, 0)
    np.testing.assert_allclose(trajectory("SGD", 0.5, 1, "valley")[1], [-8.82, 0.0])


def test_sgd_converges_below_and_diverges_above_the_stability_limit():
    # across the valley the curvature is 2, so SGD is stable only for lr < 1
    stable = trajectory("SGD", 0.9, 200, "valley")
    assert len(stable) == 201 and valley(stable[-1]) < 1e-2
    diverging = trajectory("SGD", 1.05, 1000, "valley")
    assert len(diverging) < 1001  # stopped early, once far outside the box
    assert np.all(np.isfinite(diverging)) and abs(diverging[-1, 1]) > 1e3


def test_adaptive_methods_leave_the_saddle_faster_than_sgd():
    sgd = saddle(trajectory("SGD", 0.1, 40, "saddle"))
    adam = saddle(trajectory("Adam", 0.1, 40, "saddle"))
    assert sgd[-1] > -0.05  # still on the plateau around the saddle (loss 0)
    assert adam[-1] < -0.2  # near a minimum (loss −0.25)


def test_explicit_start_and_zero_steps():
    path = trajectory("Adam", 0.1, 0, "saddle", start=(1.0, 1.0))
    np.testing.assert_allclose(path, [[1.0, 1.0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "Nesterov"}, "optimizer must be one of"),
        ({"surface": "bowl"}, "surface must be one of"),
        ({"steps": -1}, "steps must be >= 0"),
        ({"learning_rate": 0.0}, "learning_rate must be a positive number"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {"optimizer": "SGD", "learning_rate": 0.1, "steps": 3, "surface": "valley", **kwargs}
    with pytest.raises(ValueError, match=match):
        trajectory(**args)


# ---- drawing ----

def test_figure_draws_the_path_and_returns_axes():
    fig, ax = plt.subplots()
    assert trajectory_figure("Momentum", 0.1, 30, "valley", ax=ax) is ax
    np.testing.assert_allclose(_path_line(ax, "Momentum"), trajectory("Momentum", 0.1, 30, "valley"))
    assert ax.get_title().startswith("Momentum, lr=0.1, 30 steps: loss ")
    assert len(ax.collections) > 0  # the filled contours of the surface


def test_more_steps_draw_a_longer_path_that_ends_lower():
    short = _path_line(trajectory_figure("SGD", 0.5, 10, "valley"), "SGD")
    long = _path_line(trajectory_figure("SGD", 0.5, 100, "valley"), "SGD")
    assert len(short) == 11 and len(long) == 101
    np.testing.assert_allclose(long[:11], short)
    assert valley(long[-1]) < valley(short[-1])


def test_larger_stable_learning_rate_gets_further_along_the_valley():
    slow = _path_line(trajectory_figure("SGD", 0.1, 50, "valley"), "SGD")
    fast = _path_line(trajectory_figure("SGD", 0.9, 50, "valley"), "SGD")
    assert abs(fast[-1, 0]) < abs(slow[-1, 0])  # x starts at −9; the minimum is at 0


def test_diverging_path_is_reported_in_the_title():
    ax = trajectory_figure("SGD", 1.5, 200, "valley")
    assert "diverged after" in ax.get_title()


def test_compare_draws_one_path_per_optimizer_with_its_final_loss():
    rates = {"SGD": 0.9, "Momentum": 0.1, "Adam": 0.3}
    ax = compare_trajectories(rates, steps=20, surface="valley")
    for name, lr in rates.items():
        path = _path_line(ax, name)
        np.testing.assert_allclose(path, trajectory(name, lr, 20, "valley"))
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0] == f"SGD (lr 0.9): loss {float(valley(trajectory('SGD', 0.9, 20)[-1])):.2g}"


# ---- the ipywidgets wrapper, as built in the notebook ----

def test_interactive_wrapper_redraws_when_controls_change():
    w = ipywidgets.interactive(
        trajectory_figure,
        optimizer=ipywidgets.Dropdown(options=list(OPTIMIZERS), value="SGD"),
        learning_rate=ipywidgets.FloatLogSlider(value=0.9, base=10, min=-3, max=0.5, step=0.05),
        steps=ipywidgets.IntSlider(value=50, min=1, max=200),
        surface=ipywidgets.ToggleButtons(options=list(SURFACES), value="valley"),
        ax=ipywidgets.fixed(None),
    )
    controls = {c.description: c for c in w.children if hasattr(c, "description")}
    assert {"optimizer", "learning_rate", "steps", "surface"} <= set(controls)
    assert len(_path_line(w.result, "SGD")) == 51

    controls["steps"].value = 120
    path = _path_line(w.result, "SGD")
    assert len(path) == 121 and w.result.get_title().startswith("SGD, lr=0.9, 120 steps")

    controls["optimizer"].value = "Adam"
    assert w.result.get_title().startswith("Adam, lr=0.9, 120 steps")
    np.testing.assert_allclose(_path_line(w.result, "Adam"), trajectory("Adam", 0.9, 120, "valley"))

    controls["surface"].value = "saddle"
    assert w.result.get_xlim() == SURFACES["saddle"][3][:2]
    np.testing.assert_allclose(_path_line(w.result, "Adam")[0], SURFACES["saddle"][2])
