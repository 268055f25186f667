"""The λ-slider figure of notebook 09: a plain function, and the ipywidgets wrapper around it."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlab.widgets import regularization as reg  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _hist_counts(fig):
    return np.array([patch.get_height() for patch in fig.axes[1].patches])


def _central_share(fig, width=0.1):
    """Share of the histogram's weights within ±width of zero."""
    counts = _hist_counts(fig)
    edges = np.linspace(*reg.HIST_RANGE, len(counts) + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    return counts[np.abs(centres) < width].sum() / counts.sum()


def test_larger_lambda_shrinks_the_weights_in_the_histogram():
    weak = reg.plot_l2_boundary(lam=0.0)
    strong = reg.plot_l2_boundary(lam=1e-2)
    assert _hist_counts(weak).sum() == _hist_counts(strong).sum() == 64 * 64
    assert _central_share(strong) > _central_share(weak) + 0.1


def test_the_decision_boundary_and_title_follow_lambda():
    weak = reg.plot_l2_boundary(lam=0.0)
    strong = reg.plot_l2_boundary(lam=3e-2)
    assert weak.axes[0].get_title().startswith("λ = 0:")
    assert strong.axes[0].get_title().startswith("λ = 0.03:")
    # the filled contour of predicted classes differs between the two networks
    weak_paths = weak.axes[0].collections[0].get_paths()
    strong_paths = strong.axes[0].collections[0].get_paths()
    weak_vertices = np.concatenate([p.vertices for p in weak_paths])
    strong_vertices = np.concatenate([p.vertices for p in strong_paths])
    assert weak_vertices.shape != strong_vertices.shape or not np.allclose(weak_vertices, strong_vertices)


def test_training_is_memoised_per_lambda():
    first = reg.train_l2_model(1e-3)
    again = reg.train_l2_model(1e-3)
    assert first is again
    model, train_acc, val_acc = first
    assert 0.0 <= val_acc <= 1.0 and 0.0 <= train_acc <= 1.0


def test_accuracies_are_measured_on_the_training_and_the_validation_data():
    X_train, y_train, X_val, y_val = reg.spiral_split(reg.SEED)
    assert X_train.shape == X_val.shape == (300, 2) and y_train.shape == y_val.shape == (300,)
    assert not np.allclose(X_train, X_val)  # two samples, not one twice
    model, train_acc, val_acc = reg.train_l2_model(1e-3)
    assert train_acc == model.evaluate(X_train, y_train)["accuracy"]
    assert val_acc == model.evaluate(X_val, y_val)["accuracy"]
    title = reg.plot_l2_boundary(lam=1e-3).axes[0].get_title()
    assert f"training {train_acc:.2f}" in title and f"validation {val_acc:.2f}" in title
    assert "test" not in title


def test_strong_penalty_underfits_and_no_penalty_fits_the_training_data():
    _, train_none, _ = reg.train_l2_model(0.0)
    _, train_strong, _ = reg.train_l2_model(3e-2)
    assert train_none > 0.85
    assert train_strong < train_none - 0.1


def test_draws_into_a_given_figure():
    fig = plt.figure()
    assert reg.plot_l2_boundary(lam=1e-3, fig=fig) is fig
    assert len(fig.axes) == 2


def test_negative_lambda_is_rejected():
    with pytest.raises(ValueError, match="lam must be >= 0"):
        reg.plot_l2_boundary(lam=-1.0)


def test_interactive_wrapper_redraws_when_the_slider_moves():
    slider = ipywidgets.SelectionSlider(options=reg.LAMBDAS, value=1e-3, description="λ")
    w = ipywidgets.interactive(reg.plot_l2_boundary, lam=slider, fig=ipywidgets.fixed(None))
    assert w.result.axes[0].get_title().startswith("λ = 0.001:")
    before = _central_share(w.result)
    slider.value = 3e-2
    assert w.result.axes[0].get_title().startswith("λ = 0.03:")
    assert _central_share(w.result) > before
