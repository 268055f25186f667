"""Early stopping in Model.fit: `patience` epochs in a row without a lower validation loss."""

import numpy as np
import pytest

import nnlab


def _overfitting_run(patience: int):
    rng = np.random.default_rng(0)
    X, y = nnlab.spiral_data(40, 3, rng=rng)
    X_val, y_val = nnlab.spiral_data(40, 3, rng=rng)
    model = nnlab.Model.mlp([2, 64, 3], rng=np.random.default_rng(1), optimizer=nnlab.Adam(0.05))
    history = model.fit(X, y, epochs=2000, validation_data=(X_val, y_val), patience=patience)
    return model, history, X_val, y_val


@pytest.mark.parametrize("patience", [1, 5, 30])
def test_stops_after_patience_epochs_without_improvement(patience):
    model, history, X_val, y_val = _overfitting_run(patience)
    val_loss = np.array(history["val_loss"])
    best = history["best_epoch"]
    assert len(val_loss) < 2000, "the run should stop early"
    # Stopped exactly `patience` epochs after the best one, and none of those improved on it.
    assert len(val_loss) == best + patience + 1
    assert np.all(val_loss[best + 1 :] >= val_loss[best])
    assert best == int(np.argmin(val_loss))
    # Between two improvements there were never `patience` non-improving epochs in a row.
    running_min = np.minimum.accumulate(val_loss)
    improved = np.flatnonzero(np.r_[True, val_loss[1:] < running_min[:-1]])
    assert np.all(np.diff(improved) <= patience)
    # The best weights are restored.
    np.testing.assert_allclose(model.evaluate(X_val, y_val)["loss"], val_loss[best], rtol=1e-12)
