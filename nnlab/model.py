"""A sequential model that trains layers with a loss and an optimizer, keeping a history."""

from __future__ import annotations

import math
import sys

import numpy as np

from ._checks import as_float_array, check_rng
from .activations import Linear, ReLU, Sigmoid, Tanh
from .dropout import Dropout
from .layers import Dense
from .losses import LOSSES
from .optimizers import Adam, Optimizer
from .validation import iterate_minibatches

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "linear": Linear}
HISTORY_KEYS = ("epoch", "loss", "data_loss", "regularization_loss", "accuracy", "learning_rate")


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during training."""


class Model:
    """Layers applied in order; the loss object turns the last output into predictions.

    >>> model = Model([Dense(2, 64, rng=rng), ReLU(), Dense(64, 3, rng=rng)],
    ...               loss="softmax_cross_entropy", optimizer=Adam(0.05, decay=5e-7))
    >>> history = model.fit(X, y, epochs=1001)
    """

    def __init__(self, layers, *, loss="softmax_cross_entropy", optimizer=None):
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"loss must be one of {sorted(LOSSES)}; got {loss!r}")
            loss = LOSSES[loss]()
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an nnlab optimizer; got {type(optimizer).__name__}")
        self.layers = list(layers)
        self.loss = loss  # an object with output, prepare_targets, loss, backward, accuracy
        self.optimizer = optimizer if optimizer is not None else Adam()
        self._trainable = [layer for layer in self.layers if isinstance(layer, Dense)]
        if not self._trainable:
            raise ValueError("a model needs at least one Dense layer")

    @classmethod
    def mlp(
        cls,
        sizes,
        *,
        rng: np.random.Generator,
        activation: str = "relu",
        loss: str = "softmax_cross_entropy",
        optimizer=None,
        dropout: float = 0.0,
        init: str = "book",
        **regularizers,
    ):
        """A fully connected network, e.g. ``Model.mlp([2, 64, 3], rng=rng)``.

        Hidden layers use ``activation`` (and ``Dropout(dropout)`` after it when dropout > 0);
        ``regularizers`` (``weight_regularizer_l2=5e-4``, ...) apply to the hidden layers,
        as in the nnfs book.
        """
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
        sizes = list(sizes)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
            hidden = i < len(sizes) - 2
            layers.append(Dense(n_in, n_out, rng=rng, init=init, **(regularizers if hidden else {})))
            if hidden:
                layers.append(ACTIVATIONS[activation]())
                if dropout > 0:
                    layers.append(Dropout(dropout, rng=rng))
        return cls(layers, loss=loss, optimizer=optimizer)

    # ---- parameters ----
    def get_params(self) -> list[np.ndarray]:
        return [p.copy() for layer in self._trainable for p in layer.params]

    def set_params(self, params) -> None:
        params = list(params)
        for layer in self._trainable:
            layer.set_params(params[:2])
            params = params[2:]

    # ---- passes ----
    def _check_X(self, X) -> np.ndarray:
        X = as_float_array(X, "X", ndim=2)
        n_in = self._trainable[0].weights.shape[0]
        if X.shape[1] != n_in:
            raise ValueError(f"X must have shape (N, {n_in}); got {X.shape}")
        return X

    def _forward(self, X, training: bool) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X, training=training)
        return self.loss.output(X)

    def _backward(self, dvalues) -> None:
        for layer in reversed(self.layers):
            dvalues = layer.backward(dvalues)

    def regularization_loss(self) -> float:
        return sum(layer.regularization_loss() for layer in self._trainable)

    def predict(self, X) -> np.ndarray:
        """Model outputs in inference mode (probabilities for classification)."""
        return self._forward(self._check_X(X), training=False)

    def evaluate(self, X, y) -> dict:
        """Data loss and accuracy on (X, y) in inference mode."""
        outputs = self.predict(X)
        targets = self._targets(y, len(outputs), outputs.shape[1])
        return {"loss": self.loss.loss(outputs, targets), "accuracy": self.loss.accuracy(outputs, targets)}

    def _targets(self, y, n_samples: int, n_outputs: int):
        if len(y) != n_samples:
            raise ValueError(f"y must have {n_samples} samples to match X; got {len(y)}")
        return self.loss.prepare_targets(y, n_outputs)

    # ---- training ----
    def _train_step(self, X, y, params) -> tuple[float, float, float]:
        """Forward, loss, backward, update. The losses are those of the parameters before the update."""
        outputs = self._forward(X, training=True)
        data_loss = self.loss.loss(outputs, y)
        acc = self.loss.accuracy(outputs, y)
        reg_loss = self.regularization_loss()
        self._backward(self.loss.backward(outputs, y))
        self.optimizer.step(params, [g for layer in self._trainable for g in layer.grads])
        return data_loss, acc, reg_loss

    def fit(
        self,
        X,
        y,
        *,
        epochs: int,
        batch_size: int | None = None,
        validation_data=None,
        patience: int | None = None,
        restore_best: bool = True,
        rng: np.random.Generator | None = None,
        print_every: int | None = None,
        progress: bool = False,
    ) -> dict:
        """Train for ``epochs`` passes over (X, y); returns the per-epoch history.

        batch_size=None trains on the full batch; otherwise mini-batches are reshuffled each
        epoch with ``rng``. With ``validation_data=(X_val, y_val)`` the validation loss and
        accuracy are recorded; with ``patience`` training stops after that many epochs without
        a lower validation loss, restoring the best weights if ``restore_best``.
        History keys: epoch, loss, data_loss, regularization_loss, accuracy, learning_rate
        (and val_loss, val_accuracy); loss = data_loss + regularization_loss.
        """
        X = self._check_X(X)
        n_outputs = self._trainable[-1].weights.shape[1]
        y = self._targets(y, len(X), n_outputs)
        if epochs < 1:
            raise ValueError(f"epochs must be a positive integer; got {epochs}")
        if batch_size is not None and batch_size < len(X):
            if batch_size < 1:
                raise ValueError(f"batch_size must be a positive integer or None; got {batch_size}")
            if rng is None:
                raise ValueError("mini-batch training shuffles: pass rng=np.random.default_rng(seed)")
        if rng is not None:
            check_rng(rng)
        if patience is not None and validation_data is None:
            raise ValueError("early stopping (patience) needs validation_data=(X_val, y_val)")
        if validation_data is not None:
            X_val = self._check_X(validation_data[0])
            y_val = self._targets(validation_data[1], len(X_val), n_outputs)
        history = {key: [] for key in HISTORY_KEYS}
        if validation_data is not None:
            history.update(val_loss=[], val_accuracy=[])
        best_loss, best_params, waited = np.inf, None, 0
        full_batch = batch_size is None or batch_size >= len(X)
        params = [p for layer in self._trainable for p in layer.params]  # updated in place

        for epoch in range(epochs):
            lr = self.optimizer.current_learning_rate
            if full_batch:
                data_loss, acc, reg_loss = self._train_step(X, y, params)
            else:  # averages over the batches of the epoch, weighted by batch size
                data_loss = acc = reg_loss = 0.0
                for idx in iterate_minibatches(len(X), batch_size, rng=rng):
                    batch_loss, batch_acc, batch_reg = self._train_step(X[idx], y[idx], params)
                    data_loss += batch_loss * len(idx)
                    acc += batch_acc * len(idx)
                    reg_loss += batch_reg * len(idx)
                data_loss, acc, reg_loss = data_loss / len(X), acc / len(X), reg_loss / len(X)
            loss = data_loss + reg_loss
            if not math.isfinite(loss):
                raise TrainingDivergedError(
                    f"loss became {loss} at epoch {epoch}; "
                    f"try a lower learning rate (now {self.optimizer.learning_rate})"
                )
            history["epoch"].append(epoch)
            history["loss"].append(loss)
            history["data_loss"].append(data_loss)
            history["regularization_loss"].append(reg_loss)
            history["accuracy"].append(acc)
            history["learning_rate"].append(lr)
            if validation_data is not None:
                val = self.evaluate(X_val, y_val)
                history["val_loss"].append(val["loss"])
                history["val_accuracy"].append(val["accuracy"])
                if patience is not None:
                    if val["loss"] < best_loss:
                        best_loss, best_params, waited = val["loss"], self.get_params(), 0
                    else:
                        waited += 1
                        if waited >= patience:  # `patience` epochs in a row without improvement
                            break
            if print_every and epoch % print_every == 0:
                print(f"epoch: {epoch}, acc: {acc:.3f}, loss: {loss:.3f}, lr: {lr:.5g}")
            if progress:
                _progress_bar(epoch + 1, epochs)
        if progress:
            print(file=sys.stdout)
        if patience is not None and restore_best and best_params is not None:
            self.set_params(best_params)
            history["best_epoch"] = int(np.argmin(history["val_loss"]))
        return history

    def __repr__(self) -> str:
        return f"Model({self.layers}, loss={type(self.loss).__name__}, optimizer={self.optimizer})"


def _progress_bar(done: int, total: int, width: int = 30) -> None:
    if done % max(1, total // 100) and done != total:
        return
    filled = width * done // total
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] epoch {done}/{total}", end="", flush=True)
