"""Time the book's spiral task three ways in one run and print µs/epoch and the ratios.

Task: spiral_data(100, 3), a 2-64-3 ReLU network with softmax cross-entropy, Adam
(learning_rate=0.05, decay=5e-7), 10,001 full-batch epochs; every epoch computes the loss and
accuracy, backpropagates and updates. Target: the model class within 1.3x of the tight loop.

    python benchmarks/bench_training.py [--epochs N] [--repeats R]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import nnlab  # noqa: E402

LR, DECAY, B1, B2, EPS = 0.05, 5e-7, 0.9, 0.999, 1e-7


def init(seed):
    rng = np.random.default_rng(seed)
    X, y = nnlab.spiral_data(100, 3, rng=rng)
    W1, W2 = nnlab.init_book(2, 64, rng), nnlab.init_book(64, 3, rng)
    return X, y, [W1, np.zeros((1, 64)), W2, np.zeros((1, 3))]


def run_model(seed, epochs):
    X, y, params = init(seed)
    model = nnlab.Model.mlp([2, 64, 3], rng=np.random.default_rng(seed),
                            optimizer=nnlab.Adam(LR, decay=DECAY))
    model.set_params([p.copy() for p in params])
    history = model.fit(X, y, epochs=epochs)
    return history["loss"][-1], history["accuracy"][-1]


def run_functions(seed, epochs):
    """nnlab's pure functions in a hand-written loop."""
    X, y, params = init(seed)
    states = [{} for _ in params]
    for epoch in range(epochs):
        W1, b1, W2, b2 = params
        z1 = nnlab.dense_forward(X, W1, b1)
        a1 = nnlab.relu(z1)
        probs = nnlab.softmax(nnlab.dense_forward(a1, W2, b2))
        loss = nnlab.categorical_cross_entropy(probs, y)
        acc = nnlab.accuracy(probs, y)
        dz2 = nnlab.softmax_cross_entropy_backward(probs, y)
        da1, dW2, db2 = nnlab.dense_backward(dz2, a1, W2)
        _, dW1, db1 = nnlab.dense_backward(nnlab.relu_backward(da1, z1), X, W1)
        lr = nnlab.inverse_time_decay(LR, DECAY, epoch)
        for i, grad in enumerate((dW1, db1, dW2, db2)):
            params[i], states[i] = nnlab.adam_update(params[i], grad, states[i], learning_rate=lr)
    return loss, acc


def run_tight(seed, epochs):
    """The tightest plain-NumPy loop: in-place Adam, no checks, no function calls per layer."""
    X, y, params = init(seed)
    W1, b1, W2, b2 = params
    n = len(y)
    rows = np.arange(n)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for epoch in range(epochs):
        z1 = X @ W1 + b1
        a1 = np.maximum(z1, 0.0)
        z2 = a1 @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(np.clip(probs[rows, y], 1e-7, 1 - 1e-7)))
        acc = np.mean(probs.argmax(axis=1) == y)
        dz2 = probs
        dz2[rows, y] -= 1.0
        dz2 /= n
        dW2 = a1.T @ dz2
        db2 = dz2.sum(axis=0, keepdims=True)
        da1 = dz2 @ W2.T
        da1[z1 <= 0] = 0.0
        dW1 = X.T @ da1
        db1 = da1.sum(axis=0, keepdims=True)
        lr = LR / (1.0 + DECAY * epoch)
        t = epoch + 1
        step = lr * np.sqrt(1 - B2**t) / (1 - B1**t)
        for p, g, mi, vi in zip((W1, b1, W2, b2), (dW1, db1, dW2, db2), m, v, strict=True):
            mi *= B1
            mi += (1 - B1) * g
            vi *= B2
            vi += (1 - B2) * g * g
            # Folding both bias corrections into the step size, ε scaled to match the book's form.
            p -= step * mi / (np.sqrt(vi) + EPS * np.sqrt(1 - B2**t))
    return loss, acc


def best_time(fn, seed, epochs, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(seed, epochs)
        times.append(time.perf_counter() - start)
    return min(times) / epochs * 1e6, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_001)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    runs = {"model class": run_model, "nnlab functions": run_functions, "tight NumPy loop": run_tight}
    results = {name: best_time(fn, args.seed, args.epochs, args.repeats) for name, fn in runs.items()}
    tight = results["tight NumPy loop"][0]
    print(f"spiral 100x3, 2-64-3, Adam lr {LR} decay {DECAY}, {args.epochs} epochs, "
          f"best of {args.repeats}")
    for name, (us, (loss, acc)) in results.items():
        print(f"{name:>18}: {us:7.1f} us/epoch  ratio {us / tight:4.2f}  "
              f"final loss {loss:.3f} acc {acc:.3f}")


if __name__ == "__main__":
    main()
