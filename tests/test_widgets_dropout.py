"""The dropout-rate figure of notebook 10: a plain function, and the ipywidgets wrapper around it."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlab.widgets import dropout as drop  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _kept_share(fig):
    """Share of light (kept) cells in the mask picture."""
    return float(np.mean(np.asarray(fig.axes[1].images[0].get_array())))


def _boundary_vertices(fig):
    return np.concatenate([p.vertices for p in fig.axes[0].collections[0].get_paths()])


def test_a_higher_rate_drops_more_units_in_the_mask_picture():
    low = drop.plot_dropout(rate=0.0)
    high = drop.plot_dropout(rate=0.5)
    assert _kept_share(low) == 1.0
    assert 0.4 < _kept_share(high) < 0.6
    assert high.axes[1].get_title().startswith("a mask: ")


def test_the_mask_is_inverted_dropout():
    mask = drop.dropout_mask(0.2)
    assert mask.shape == drop.MASK_SHAPE
    assert set(np.unique(mask)) <= {0.0, 1 / 0.8}


def test_the_decision_boundary_and_title_follow_the_rate():
    none = drop.plot_dropout(rate=0.0)
    heavy = drop.plot_dropout(rate=0.7)
    assert none.axes[0].get_title().startswith("rate = 0:")
    assert heavy.axes[0].get_title().startswith("rate = 0.7:")
    a, b = _boundary_vertices(none), _boundary_vertices(heavy)
    assert a.shape != b.shape or not np.allclose(a, b)


def test_training_is_memoised_per_rate():
    first = drop.train_dropout_model(0.1)
    assert drop.train_dropout_model(0.1) is first
    _, train_acc, val_acc = first
    assert 0.0 <= train_acc <= 1.0 and 0.0 <= val_acc <= 1.0


def test_accuracies_are_measured_on_the_training_and_the_validation_data():
    X_train, y_train, X_val, y_val = drop.spiral_split(drop.SEED)
    model, train_acc, val_acc = drop.train_dropout_model(0.1)
    assert train_acc == model.evaluate(X_train, y_train)["accuracy"]
    assert val_acc == model.evaluate(X_val, y_val)["accuracy"]
    title = drop.plot_dropout(rate=0.1).axes[0].get_title()
    assert f"training {train_acc:.2f}" in title and f"validation {val_acc:.2f}" in title
    assert "test" not in title


def test_heavy_dropout_underfits_and_none_fits_the_training_data():
    _, train_none, _ = drop.train_dropout_model(0.0)
    _, train_heavy, _ = drop.train_dropout_model(0.7)
    assert train_none > 0.85
    assert train_heavy < train_none - 0.1


def test_draws_into_a_given_figure():
    fig = plt.figure()
    assert drop.plot_dropout(rate=0.1, fig=fig) is fig
    assert len(fig.axes) == 2


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_rates_outside_0_1_are_rejected(rate):
    with pytest.raises(ValueError, match="rate must be in"):
        drop.plot_dropout(rate=rate)


def test_interactive_wrapper_redraws_when_the_slider_moves():
    slider = ipywidgets.SelectionSlider(options=drop.RATES, value=0.1, description="rate")
    w = ipywidgets.interactive(drop.plot_dropout, rate=slider, fig=ipywidgets.fixed(None))
    assert w.result.axes[0].get_title().startswith("rate = 0.1:")
    before = _kept_share(w.result)
    slider.value = 0.5
    assert w.result.axes[0].get_title().startswith("rate = 0.5:")
    assert _kept_share(w.result) < before
