"""Time the book's spiral task four ways in one process, after proving they compute the same thing.

Task: spiral_data(100, 3), a 2-64-3 ReLU network, softmax cross-entropy, Adam(learning_rate=0.05,
decay=5e-7), full batch; every epoch records the loss and accuracy, backpropagates and updates.

    NumPy, reused buffers   the baseline: the tightest plain-NumPy loop we could write. Every
                            array is allocated once and rewritten with out=, reductions call the
                            ufuncs directly, Adam works in place; no checks, no calls per layer.
    NumPy, plain            the issue's tighter loop: one expression per equation (a new array per
                            operation), in-place Adam, `da1 *= z1 > 0`.
    nnlab functions         nnlab's pure functions (checked arguments) in a hand-written loop.
    Model.fit               nnlab.Model.mlp([2, 64, 3]) with nnlab.Adam.

First the losses and accuracies of the first 20 epochs of all four, from the same initial weights,
must agree to 1e-9 (the benchmark exits with status 1 otherwise). Then each way trains --epochs
epochs once per round, in rotating order, for --rounds rounds; a way's time is the median over the
rounds and its ratio the median of its per-round ratios to the baseline. The clock is this
process's CPU time (other jobs on a shared machine count less); --clock wall uses perf_counter.
Targets: Model.fit <= 1.15x and nnlab functions <= 1.2x the baseline.

    python benchmarks/bench_training.py [--epochs N] [--rounds R] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import nnlab  # noqa: E402

LR, DECAY, B1, B2, EPS = 0.05, 5e-7, 0.9, 0.999, 1e-7
CLIP = 1e-7  # probabilities are clipped to [1e-7, 1 - 1e-7] before the log, as in nnlab
TOLERANCE, CHECK_EPOCHS = 1e-9, 20
TARGETS = {"Model.fit": 1.15, "nnlab functions": 1.2}


def init(seed: int = 0):
    """Data and initial parameters [W1 (2, 64), b1 (1, 64), W2 (64, 3), b2 (1, 3)]."""
    rng = np.random.default_rng(seed)
    X, y = nnlab.spiral_data(100, 3, rng=rng)
    W1, W2 = nnlab.init_book(2, 64, rng), nnlab.init_book(64, 3, rng)
    return X, y, [W1, np.zeros((1, 64)), W2, np.zeros((1, 3))]


# Each way trains from copies of the same parameters and returns the per-epoch losses and accuracies.

def run_buffers(X, y, params, epochs):
    """The baseline: every array allocated once, rewritten in place."""
    W1, b1, W2, b2 = params
    n, hidden, classes = len(y), W1.shape[1], W2.shape[1]
    truth = np.arange(n) * classes + y  # flat positions of the true classes in (n, classes)
    z1, a1, da1, mask = (np.empty((n, hidden)) for _ in range(4))
    z2, column = np.empty((n, classes)), np.empty((n, 1))
    flat = z2.reshape(-1)
    grads = [np.empty_like(p) for p in params]
    dW1, db1, dW2, db2 = grads
    m, v, tmp, step = ([np.zeros_like(p) for p in params] for _ in range(4))
    losses, accs = [], []
    for epoch in range(epochs):
        np.matmul(X, W1, out=z1)
        z1 += b1
        np.maximum(0.0, z1, out=a1)
        np.matmul(a1, W2, out=z2)
        z2 += b2
        np.maximum.reduce(z2, axis=1, keepdims=True, out=column)
        z2 -= column
        np.exp(z2, out=z2)
        np.add.reduce(z2, axis=1, keepdims=True, out=column)
        z2 /= column  # probabilities
        picked = np.clip(flat.take(truth), CLIP, 1 - CLIP)
        losses.append(-(np.add.reduce(np.log(picked)) / n))
        accs.append(np.add.reduce(z2.argmax(axis=1) == y) / n)
        flat[truth] -= 1.0
        z2 /= n  # dz2 = (p̂ − y) / N
        np.matmul(a1.T, z2, out=dW2)
        np.add.reduce(z2, axis=0, keepdims=True, out=db2)
        np.matmul(z2, W2.T, out=da1)
        np.greater(z1, 0.0, out=mask)
        da1 *= mask
        np.matmul(X.T, da1, out=dW1)
        np.add.reduce(da1, axis=0, keepdims=True, out=db1)
        lr = LR / (1.0 + DECAY * epoch)
        t = epoch + 1
        for p, g, m_i, v_i, tmp_i, step_i in zip(params, grads, m, v, tmp, step, strict=True):
            m_i *= B1
            np.multiply(g, 1 - B1, out=tmp_i)
            m_i += tmp_i
            v_i *= B2
            np.multiply(g, g, out=tmp_i)
            tmp_i *= 1 - B2
            v_i += tmp_i
            np.divide(v_i, 1 - B2**t, out=tmp_i)
            np.sqrt(tmp_i, out=tmp_i)
            tmp_i += EPS
            np.divide(m_i, 1 - B1**t, out=step_i)
            step_i *= lr
            step_i /= tmp_i
            p -= step_i
    return losses, accs


def run_plain(X, y, params, epochs):
    """One NumPy expression per equation, in-place Adam and ReLU mask."""
    W1, b1, W2, b2 = params
    n = len(y)
    rows = np.arange(n)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    losses, accs = [], []
    for epoch in range(epochs):
        z1 = X @ W1 + b1
        a1 = np.maximum(0.0, z1)
        z2 = a1 @ W2 + b2
        exp = np.exp(z2 - z2.max(axis=1, keepdims=True))
        probs = exp / exp.sum(axis=1, keepdims=True)
        losses.append(-np.log(np.clip(probs[rows, y], CLIP, 1 - CLIP)).mean())
        accs.append((probs.argmax(axis=1) == y).mean())
        dz2 = probs
        dz2[rows, y] -= 1.0
        dz2 /= n
        dW2 = a1.T @ dz2
        db2 = dz2.sum(axis=0, keepdims=True)
        da1 = dz2 @ W2.T
        da1 *= z1 > 0
        dW1 = X.T @ da1
        db1 = da1.sum(axis=0, keepdims=True)
        lr = LR / (1.0 + DECAY * epoch)
        t = epoch + 1
        for p, g, m_i, v_i in zip(params, (dW1, db1, dW2, db2), m, v, strict=True):
            m_i *= B1
            m_i += (1 - B1) * g
            v_i *= B2
            v_i += (1 - B2) * g**2
            p -= lr * (m_i / (1 - B1**t)) / (np.sqrt(v_i / (1 - B2**t)) + EPS)
    return losses, accs


def run_functions(X, y, params, epochs):
    """nnlab's pure functions in a hand-written loop."""
    states = [{} for _ in params]
    losses, accs = [], []
    for epoch in range(epochs):
        W1, b1, W2, b2 = params
        z1 = nnlab.dense_forward(X, W1, b1)
        a1 = nnlab.relu(z1)
        probs = nnlab.softmax(nnlab.dense_forward(a1, W2, b2))
        losses.append(nnlab.categorical_cross_entropy(probs, y))
        accs.append(nnlab.accuracy(probs, y))
        dz2 = nnlab.softmax_cross_entropy_backward(probs, y)
        da1, dW2, db2 = nnlab.dense_backward(dz2, a1, W2)
        _, dW1, db1 = nnlab.dense_backward(nnlab.relu_backward(da1, z1), X, W1)
        lr = nnlab.inverse_time_decay(LR, DECAY, epoch)
        for i, grad in enumerate((dW1, db1, dW2, db2)):
            params[i], states[i] = nnlab.adam_update(params[i], grad, states[i], learning_rate=lr)
    return losses, accs


def run_model(X, y, params, epochs):
    """nnlab.Model.fit."""
    model = nnlab.Model.mlp([2, 64, 3], rng=np.random.default_rng(0),
                            optimizer=nnlab.Adam(LR, decay=DECAY))
    model.set_params(params)
    history = model.fit(X, y, epochs=epochs)
    return history["loss"], history["accuracy"]


WAYS = {
    "NumPy, reused buffers": run_buffers,
    "NumPy, plain": run_plain,
    "nnlab functions": run_functions,
    "Model.fit": run_model,
}
BASELINE, PLAIN = "NumPy, reused buffers", "NumPy, plain"


def train(way, epochs: int, seed: int = 0):
    X, y, params = init(seed)
    return WAYS[way](X, y, [p.copy() for p in params], epochs)


def max_difference(runs) -> float:
    """Largest |difference| of any way's losses or accuracies from the baseline's."""
    ref_loss, ref_acc = (np.asarray(r, dtype=float) for r in runs[BASELINE])
    return max(float(np.max(np.abs(np.asarray(values, dtype=float) - ref)))
               for losses, accs in runs.values() for values, ref in ((losses, ref_loss), (accs, ref_acc)))


def check_equivalence(epochs: int = CHECK_EPOCHS, seed: int = 0) -> float:
    """Max |difference| over the first ``epochs`` losses and accuracies (NaN counts as infinite)."""
    difference = max_difference({way: train(way, epochs, seed) for way in WAYS})
    return difference if np.isfinite(difference) else np.inf


def time_ways(epochs: int, rounds: int, clock, seed: int = 0):
    """Per-way times (µs/epoch), one per round, and the last round's results."""
    times, results = {way: [] for way in WAYS}, {}
    order = list(WAYS)
    for r in range(rounds):
        for way in order[r % len(order):] + order[:r % len(order)]:
            X, y, params = init(seed)
            params = [p.copy() for p in params]
            start = clock()
            results[way] = WAYS[way](X, y, params, epochs)
            times[way].append((clock() - start) / epochs * 1e6)
    return times, results


def median_ratio(values, reference) -> float:
    """Median over the rounds of the per-round ratio (each pair was timed minutes apart at most)."""
    return statistics.median(a / b for a, b in zip(values, reference, strict=True))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    print(f"spiral 100x3, 2-64-3 ReLU, softmax cross-entropy, Adam(lr {LR}, decay {DECAY}), full batch")
    difference = check_equivalence(CHECK_EPOCHS, args.seed)
    same = difference <= TOLERANCE
    print(f"same computation: first {CHECK_EPOCHS} epochs' losses and accuracies of all {len(WAYS)} "
          f"ways, max |difference| {difference:.1e} (tolerance {TOLERANCE:g}): "
          f"{'ok' if same else 'FAILED'}")
    if not same:
        return 1

    load_before = os.getloadavg()
    times, results = time_ways(args.epochs, args.rounds, clock, args.seed)
    load_after = os.getloadavg()
    print(f"{args.rounds} rounds x {args.epochs} epochs, ways alternating; {args.clock} clock; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} CPUs)")
    ratios = {way: median_ratio(values, times[BASELINE]) for way, values in times.items()}
    print(f"{'':>22}  us/epoch: median  [min - max]   ratio to baseline   to plain")
    for way, values in times.items():
        print(f"{way:>22}  {statistics.median(values):15.1f}  [{min(values):5.1f} - {max(values):5.1f}]"
              f"   {ratios[way]:17.3f}   {median_ratio(values, times[PLAIN]):8.3f}")
    final = {way: (float(losses[-1]), float(accs[-1])) for way, (losses, accs) in results.items()}
    whole = max_difference(results)
    print(f"after {args.epochs} epochs: loss {final[BASELINE][0]:.6f}, accuracy {final[BASELINE][1]:.3f}; "
          f"max |difference| between the ways over all epochs {whole:.1e}")
    print("targets: " + "; ".join(
        f"{way} <= {limit}x the baseline: {'met' if ratios[way] <= limit else 'NOT met'}"
        for way, limit in TARGETS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
