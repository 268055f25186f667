"""The capstone's final recipe on the handwritten digits, side by side with scikit-learn.

Task: nnlab.load_digits() (1,797 images of 8×8 pixels), stratified 80/20 train/test splits, pixels
standardised with a scaler fitted on the training part. Models, each trained on the same split:

* nnlab softmax regression (the notebook's baseline: one Dense(64, 10), Adam 0.01, 30 epochs);
* nnlab MLP 64-128-64-10 with the notebook's chosen hyper-parameters, without augmentation;
* nnlab MLP, the same, trained on the augmented training set (4 one-pixel shifts and ±10°
  rotations, 7× the images): the final recipe of notebooks/13_capstone_digits.ipynb;
* when scikit-learn is installed: LogisticRegression and MLPClassifier(hidden_layer_sizes=(64,)).

Prints the test accuracy per split, the mean, and the mean fit time (training only, prediction
excluded). scikit-learn is not an nnlab dependency; to get its rows, run with an interpreter that
has it, e.g. ``PYTHONPATH=. /path/to/venv-with-sklearn/bin/python benchmarks/bench_digits.py``.

    python benchmarks/bench_digits.py [--splits N]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import nnlab  # noqa: E402

# The final configuration that notebook 13 selects: random search scored by 3-fold CV on its
# training set (learning rate, L2, dropout), the number of epochs at the lowest validation loss
# with augmentation. Update these together with the notebook.
LEARNING_RATE, L2, DROPOUT, EPOCHS, BATCH_SIZE = 3.9e-3, 1.2e-5, 0.02, 13, 64


def shift(images, dr, dc):
    """Move every image dr rows down and dc columns right, filling with 0. (N, 8, 8) -> (N, 8, 8)."""
    out = np.zeros_like(images)
    out[:, max(dr, 0):8 + min(dr, 0), max(dc, 0):8 + min(dc, 0)] = \
        images[:, max(-dr, 0):8 + min(-dr, 0), max(-dc, 0):8 + min(-dc, 0)]
    return out


def rotate(images, degrees):
    """Rotate every image about its centre with bilinear interpolation, 0 outside. (N, 8, 8)."""
    theta = np.deg2rad(degrees)
    r, c = np.mgrid[0:8, 0:8] - 3.5
    src_r = np.cos(theta) * r - np.sin(theta) * c + 3.5
    src_c = np.sin(theta) * r + np.cos(theta) * c + 3.5
    r0, c0 = np.floor(src_r).astype(int), np.floor(src_c).astype(int)
    fr, fc = src_r - r0, src_c - c0
    out = np.zeros(images.shape)
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (1, 0, fr * (1 - fc)),
                           (0, 1, (1 - fr) * fc), (1, 1, fr * fc)):
        rows, cols = r0 + dr, c0 + dc
        inside = (rows >= 0) & (rows < 8) & (cols >= 0) & (cols < 8)
        out += weight * inside * images[:, rows.clip(0, 7), cols.clip(0, 7)]
    return out


def augment(X, y):
    """Originals, 4 one-pixel shifts and ±10° rotations: (N, 64), (N,) -> (7N, 64), (7N,)."""
    images = X.reshape(-1, 8, 8)
    variants = [images] + [shift(images, dr, dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))]
    variants += [rotate(images, degrees) for degrees in (-10, 10)]
    return np.concatenate(variants).reshape(-1, 64), np.tile(y, len(variants))


def make_mlp(rng):
    """64 -> 128 -> 64 -> 10, He init with L2 and dropout in the hidden layers, 0.01·randn output."""
    layers = []
    for n_in, n_out in ((64, 128), (128, 64)):
        layers += [nnlab.Dense(n_in, n_out, rng=rng, init="he", weight_regularizer_l2=L2), nnlab.ReLU()]
        if DROPOUT > 0:
            layers.append(nnlab.Dropout(DROPOUT, rng=rng))
    layers.append(nnlab.Dense(64, 10, rng=rng, init="book"))
    return nnlab.Model(layers, optimizer=nnlab.Adam(LEARNING_RATE))


def nnlab_softmax(X_train, y_train, seed):
    model = nnlab.Model([nnlab.Dense(64, 10, rng=np.random.default_rng(seed))], optimizer=nnlab.Adam(0.01))
    scaler = nnlab.StandardScaler().fit(X_train)
    model.fit(scaler.transform(X_train), y_train, epochs=30, batch_size=BATCH_SIZE,
              rng=np.random.default_rng(seed + 1))
    return lambda X: model.predict(scaler.transform(X)).argmax(axis=1)


def nnlab_mlp(X_train, y_train, seed, augmented):
    if augmented:
        X_train, y_train = augment(X_train, y_train)
    scaler = nnlab.StandardScaler().fit(X_train)  # fitted on the images the model trains on
    model = make_mlp(np.random.default_rng(seed))
    model.fit(scaler.transform(X_train), y_train, epochs=EPOCHS if augmented else 30,
              batch_size=BATCH_SIZE, rng=np.random.default_rng(seed + 1))
    return lambda X: model.predict(scaler.transform(X)).argmax(axis=1)


def sklearn_models():
    """scikit-learn's two reference models on standardised pixels, or {} without scikit-learn."""
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return {}

    def wrap(make):
        def fit(X_train, y_train, seed):
            scaler = nnlab.StandardScaler().fit(X_train)
            model = make(seed).fit(scaler.transform(X_train), y_train)
            return lambda X: model.predict(scaler.transform(X))
        return fit

    return {
        "scikit-learn LogisticRegression": wrap(lambda seed: LogisticRegression(max_iter=2000)),
        "scikit-learn MLPClassifier(64)": wrap(
            lambda seed: MLPClassifier(hidden_layer_sizes=(64,), max_iter=1000, random_state=seed)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5, help="stratified 80/20 splits (seeds 0..N-1)")
    args = parser.parse_args()

    models = {
        "nnlab softmax regression": nnlab_softmax,
        "nnlab MLP 64-128-64-10": lambda X, y, seed: nnlab_mlp(X, y, seed, augmented=False),
        "nnlab MLP + augmentation (capstone)": lambda X, y, seed: nnlab_mlp(X, y, seed, augmented=True),
    }
    extra = sklearn_models()
    models.update(extra)
    X, y = nnlab.load_digits()
    scores = {name: [] for name in models}
    times = {name: [] for name in models}
    for seed in range(args.splits):
        X_train, y_train, _, _, X_test, y_test = nnlab.train_val_test_split(
            X, y, val_fraction=0.0, test_fraction=0.2, rng=np.random.default_rng(seed), stratify=True)
        for name, fit in models.items():
            start = time.perf_counter()
            predict = fit(X_train, y_train, seed)
            times[name].append(time.perf_counter() - start)
            scores[name].append(float(np.mean(predict(X_test) == y_test)))

    n_train, n_test = len(y_train), len(y_test)
    print(f"digits: {args.splits} stratified 80/20 splits ({n_train} training, {n_test} test images), "
          f"standardised pixels")
    print(f"capstone recipe: lr {LEARNING_RATE}, L2 {L2}, dropout {DROPOUT}, "
          f"{EPOCHS} epochs on 7x augmented data")
    header = "  ".join(f"split {s}" for s in range(args.splits))
    print(f"{'model':<38} {header}   mean acc   mean fit time")
    for name in models:
        per_split = "  ".join(f"{a:7.3f}" for a in scores[name])
        print(f"{name:<38} {per_split}   {np.mean(scores[name]):8.3f}   {np.mean(times[name]):9.2f} s")
    if not extra:
        print("(scikit-learn not installed: its two reference models were skipped)")


if __name__ == "__main__":
    main()
