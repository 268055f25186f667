"""Exercise 10: inverted dropout (warm-up), the scale for the student's own rate, classic dropout's
inference scaling folded into the next layer, DropConnect forward and backward, Monte-Carlo dropout
predictions, and a training run with the learner's own dropout layer, graded by running it.

``dropout_forward`` keeps its public nnlab reference. Its mask is random, so it is graded on
properties (mask values, outputs equal inputs times mask, the share of units kept), not on one
particular draw — and on where its randomness comes from: each case calls the function three times
(a generator, the same generator again, a fresh generator of the same seed). The mask must come
from the generator passed in: the generator advances, a second call draws a new mask, the same seed
gives the same mask. (A call that touches NumPy's global generator is refused by the sandbox.)

Every other task is held out: the references and mistakes are in the course repository's
``exercises/reference/dropout.py``. ``mc_dropout_predict`` states how its masks are drawn, so its
output is exact for a given generator.
"""

from __future__ import annotations

import numpy as np

from ... import data, dropout
from ..core import Case, Exercise, Mistake, Task, manual_task
from .layers_and_training import NNLAB_TRAINING
from .optimizers import OPTIMIZER_CLASSES

NAME = "10_dropout"  # the student's rate: nnlab/variants/dropout.py
DROPOUT = ("nnlab.dropout.dropout_forward", "nnlab.dropout.dropout_backward",
           "nnlab.dropout.Dropout.forward", "nnlab.dropout.Dropout.backward")

# ---- Task 1: dropout_forward (warm-up) ----

def _three_calls(fn, x, rate, seed):
    rng = np.random.default_rng(seed)
    start = rng.bit_generator.state
    first = fn(x.copy(), rate, rng)
    drew = rng.bit_generator.state != start
    second = fn(x.copy(), rate, rng)  # the same generator, as the first call left it
    again = fn(x.copy(), rate, np.random.default_rng(seed))
    return {"call": first, "next": second, "same_seed": again, "drew": int(drew)}


def _forward_cases(rng):
    cases = []
    for label, shape, rate in (("rate 0.2 on (200, 50)", (200, 50), 0.2),
                               ("rate 0.5 on (100, 40)", (100, 40), 0.5),
                               ("rate 0 keeps everything", (10, 5), 0.0)):
        x = rng.normal(size=shape) + 3.0  # no exact zeros: a dropped unit is visible
        seed = int(rng.integers(2**31))
        cases.append(Case(label, lambda fn, x=x, rate=rate, seed=seed: _three_calls(fn, x, rate, seed),
                          data={"inputs": x, "rate": rate}, gate=rate == 0.0))
    return cases


def _call(got, which):
    """(outputs, mask) of one of the three calls, or None if it did not return two arrays."""
    keys = {k for k in got if k == which or k.startswith(which + ".")}
    if keys != {f"{which}.0", f"{which}.1"}:
        return None
    return got[f"{which}.0"].astype(float), got[f"{which}.1"].astype(float)


def _props(case, got):
    """(values, kept fraction, rate) of the first call's mask, or an error message."""
    x, rate = case.data["inputs"], case.data["rate"]
    first = _call(got, "call")
    if first is None:
        return "return two arrays: (outputs, mask)"
    out, mask = first
    if out.shape != x.shape or mask.shape != x.shape:
        return f"outputs and mask must have the inputs' shape {x.shape}; got {out.shape} and {mask.shape}"
    if not np.allclose(out, x * mask, rtol=1e-9, atol=0):
        return "outputs must equal inputs * mask"
    return np.unique(np.round(mask, 9)), float(np.mean(mask != 0)), rate


FIXED_MASK = ("the mask is the same on every call and does not come from the rng passed in (a "
              "fixed seed, or a mask made once?): draw a new mask from rng on every call, e.g. "
              "rng.random(inputs.shape) < 1 - rate")


def _rng_problem(case, got) -> str | None:
    """What is wrong with where the masks come from (rate > 0 only), or None."""
    if case.data["rate"] == 0:
        return None  # nothing is dropped: every mask is all ones, however it was drawn
    masks = [_call(got, which) for which in ("call", "next", "same_seed")]
    if any(m is None or m[1].shape != case.data["inputs"].shape for m in masks):
        return "return two arrays: (outputs, mask), on every call"
    first, second, again = (m[1] for m in masks)
    drew, repeated = bool(got.get("drew", 0)), np.array_equal(first, second)
    if repeated and not drew:
        return FIXED_MASK
    if not drew:
        return ("the mask does not come from the rng passed in (it drew nothing from it): use "
                "rng.random(...), not np.random or a generator of your own")
    if repeated:
        return ("two calls with the same generator gave the same mask: draw a new mask from rng "
                "on every call (no fixed seed, no new generator inside)")
    if not np.array_equal(first, again):
        return ("a generator with the same seed gave a different mask: draw the mask from the rng "
                "passed in, and only from it")
    return None


def _compare_forward(case, got, expected):
    props = _props(case, got)
    if isinstance(props, str):
        return props
    values, kept, rate = props
    scale = 1.0 / (1.0 - rate)
    if not np.all(np.isin(values, np.round([0.0, scale], 9))):
        return f"mask values should be 0 or 1 / (1 − rate) = {scale:.4g}; got values {values[:4]}"
    if abs(kept - (1 - rate)) > 0.03:
        return f"{kept:.0%} of the units were kept; expected about {1 - rate:.0%}"
    return _rng_problem(case, got)


def _detect(values_scale, kept_of_rate):
    def detect(case, got):
        if case.data["rate"] == 0:
            return None  # nothing is dropped: this case cannot tell (whatever it returned)
        props = _props(case, got)
        if isinstance(props, str):
            return False
        values, kept, rate = props
        ok_values = np.all(np.isin(values, np.round([0.0, values_scale(rate)], 9)))
        return bool(ok_values and abs(kept - kept_of_rate(rate)) <= 0.03)
    return detect


def _detect_fixed(case, got):
    if case.data["rate"] == 0:
        return None
    return _rng_problem(case, got) == FIXED_MASK


def _masked(inputs, mask):
    return inputs * mask, mask


def _unscaled(inputs, rate, rng):
    return _masked(inputs, (rng.random(inputs.shape) < 1 - rate).astype(float))


def _rate_kept(inputs, rate, rng):
    return _masked(inputs, (rng.random(inputs.shape) < rate) / rate)


def _times_keep(inputs, rate, rng):
    return _masked(inputs, (rng.random(inputs.shape) < 1 - rate) * (1 - rate))


def _fixed_mask(inputs, rate, rng):
    fixed = np.random.default_rng(0)  # the same mask whatever rng is given
    return _masked(inputs, (fixed.random(inputs.shape) < 1 - rate) / (1 - rate))


# ---- Task 2: answer_scale (the student's own rate) ----

def _scale_cases(rng, numbers):
    rate = numbers.get("rate")
    return [Case(f"your answer for rate {rate}", lambda v: np.asarray(v, dtype=np.float64).reshape(()),
                 data={"shape": ()})]


def _above_one(case, got):
    value = next(iter(got.values()))
    return None if value > 1 else "inverted dropout enlarges the units it keeps: the factor is above 1"


# ---- Task 3: classic_to_inverted ----

def _fold_cases(rng):
    cases = []
    for label, shape, rate in (("weights (4, 3), rate 0.2", (4, 3), 0.2),
                               ("weights (6, 2), rate 0.5", (6, 2), 0.5),
                               ("weights (3, 5), rate 0.35", (3, 5), 0.35),
                               ("rate 0: nothing was dropped in training", (4, 3), 0.0)):
        w, b = rng.normal(size=shape), rng.normal(size=(1, shape[1]))
        cases.append(Case(label, lambda fn, w=w, b=b, rate=rate: fn(w.copy(), b.copy(), rate),
                          data={"shapes": (w.shape, b.shape), "inputs": (w, b)}, gate=rate == 0.0))
    return cases


def _shapes(names):
    """An invariant: one array per name, each of the shape in ``case.data["shapes"]``."""
    def invariant(case, got):
        expected = case.data["shapes"]
        if sorted(got) != [str(i) for i in range(len(names))]:
            return f"return {len(names)} arrays: ({', '.join(names)})"
        for i, (name, shape) in enumerate(zip(names, expected, strict=True)):
            if got[str(i)].shape != tuple(shape):
                return f"{name} has shape {got[str(i)].shape}, expected {tuple(shape)}"
        return None
    return invariant


def _fold_invariant(case, got):
    msg = _shapes(("weights", "biases"))(case, got)
    if msg is None and case.gate and not all(
            np.allclose(got[str(i)], a, rtol=1e-12, atol=0) for i, a in enumerate(case.data["inputs"])):
        return "with rate 0 nothing was dropped in training, so the layer must stay as it is"
    return msg


# ---- Task 4: dropconnect_layer ----

def _weight_mask(rng, shape, rate):
    """0 or 1/(1 − rate) for each weight; with rate > 0 at least one weight dropped and one kept."""
    while True:
        mask = (rng.random(shape) < 1 - rate) / (1 - rate)
        if rate == 0 or 0 < np.count_nonzero(mask) < mask.size:
            return mask


def _dropconnect_cases(rng):
    cases = []
    for label, (n, n_in, n_out), rate in (
            ("5 samples, weights (3, 4), rate 0.25", (5, 3, 4), 0.25),
            ("one sample, weights (4, 2), rate 0.5", (1, 4, 2), 0.5),
            ("6 samples, weights (2, 5), rate 0.4", (6, 2, 5), 0.4),
            ("a mask of ones (rate 0): a plain dense layer", (4, 3, 3), 0.0)):
        x, w = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        b, d = rng.normal(size=(1, n_out)), rng.normal(size=(n, n_out))
        mask = _weight_mask(rng, (n_in, n_out), rate)
        cases.append(Case(label, lambda fn, x=x, w=w, b=b, m=mask, d=d:
                          fn(x.copy(), w.copy(), b.copy(), m.copy(), d.copy()),
                          data={"shapes": ((n, n_out), (n, n_in), (n_in, n_out), (1, n_out)),
                                "mask": mask}, gate=rate == 0.0))
    return cases


def _dropconnect_invariant(case, got):
    msg = _shapes(("outputs", "dinputs", "dweights", "dbiases"))(case, got)
    if msg is None and np.any(got["2"][case.data["mask"] == 0] != 0):
        return "a dropped weight (mask 0) took no part in the forward pass: its gradient must be 0"
    return msg


# ---- Task 5: mc_dropout_predict ----

def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mc_cases(rng):
    cases = []
    for label, (n, n_in, hidden, c), rate, passes in (
            ("8 samples, a 2-16-3 network, rate 0.3, 20 passes", (8, 2, 16, 3), 0.3, 20),
            ("5 samples, a 4-10-2 network, rate 0.5, 50 passes", (5, 4, 10, 2), 0.5, 50),
            ("6 samples, a 3-12-4 network, rate 0.2, 1 pass", (6, 3, 12, 4), 0.2, 1),
            ("rate 0: every pass is the plain prediction", (4, 2, 8, 3), 0.0, 10)):
        X = rng.normal(size=(n, n_in))
        params = (rng.normal(size=(n_in, hidden)), 0.5 * rng.normal(size=(1, hidden)),
                  rng.normal(size=(hidden, c)), 0.5 * rng.normal(size=(1, c)))
        seed = int(rng.integers(2**31))
        cases.append(Case(label, lambda fn, X=X, p=params, rate=rate, passes=passes, seed=seed:
                          fn(X.copy(), *(a.copy() for a in p), rate=rate, passes=passes,
                             rng=np.random.default_rng(seed)),
                          data={"shape": (n, c), "inputs": (X, *params), "rate": rate,
                                "passes": passes}, gate=rate == 0.0))
    return cases


def _mc_invariant(case, got):
    probs = next(iter(got.values()))
    if probs.shape != case.data["shape"]:
        return None  # check() names the shape itself
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-9):
        return "each row is an average of probability vectors: non-negative, summing to 1"
    X, W1, b1, W2, b2 = case.data["inputs"]
    plain = _softmax(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2)  # dropout off: the usual prediction
    same = np.allclose(probs, plain, rtol=1e-9, atol=1e-12)
    if case.data["rate"] == 0 and not same:
        return "with rate 0 nothing is dropped: every pass, and so the mean, is the plain prediction"
    if case.data["rate"] > 0 and same:
        return ("this is the plain prediction with dropout off: Monte-Carlo dropout keeps "
                "dropping units at prediction time, with a new mask in every pass")
    return None


# ---- Task 6: train_with_dropout (integrative, graded by running it) ----

# The reference (2-64-64-3 ReLU network with dropout after each hidden ReLU, He weights, plain
# SGD with learning rate 0.5 on mini-batches of 32 shuffled every epoch) on 150 spirals per rate
# after 500 epochs: rate 0 0.73 or more (mean 0.80), rate 0.1 0.60 (mean 0.78), rate 0.2 0.64
# (mean 0.76), rate 0.3 0.61 (mean 0.73), each run about 0.4 s. A linear model reaches about 0.41
# (0.33-0.5), one hidden layer of 64 with rate 0.3 only 0.55-0.7 (mean 0.62).
EPOCHS = 500
THRESHOLD = 0.55
RATES = (0.2, 0.1, 0.3)  # spiral 1 also trains once more with rate 0 and the same seed

NOT_RANDOM_AT_INFERENCE = (
    "a validation point and its copy got different probabilities: dropout is still on at "
    "prediction time. Predict in inference mode (forward(..., training=False)): every unit "
    "present, nothing rescaled")
NEVER_ON = (
    "the rate changed nothing: with the same seed, rate 0 gave exactly the same predictions. Is "
    "dropout active while training (forward(..., training=True)), with the rate passed in?")


def _twins(order):
    """For each row of the shuffled X_val, the row that holds the same point."""
    n = len(order) // 2
    where = np.empty_like(order)
    where[order] = np.arange(len(order))
    return where[(order + n) % len(order)]


def _train_cases(rng):
    cases = []
    for k, rate in enumerate(RATES):
        data_rng = np.random.default_rng(int(rng.integers(2**31)))
        X, y = data.spiral_data(100, 3, rng=data_rng)           # (300, 2), sorted by class
        X_v, y_v = data.spiral_data(80, 3, rng=data_rng)        # (240, 2)
        order = data_rng.permutation(2 * len(X_v))              # every point twice, shuffled
        X_val, y_val = np.concatenate([X_v, X_v])[order], np.concatenate([y_v, y_v])[order]
        seed = int(rng.integers(2**31))
        runs = {"dropout": rate, "no_dropout": 0.0} if k == 0 else {"dropout": rate}

        def run(fn, X=X, y=y, X_val=X_val, seed=seed, runs=runs):
            return {key: fn(X.copy(), y.copy(), X_val.copy(), rate=r, epochs=EPOCHS,
                            rng=np.random.default_rng(seed)) for key, r in runs.items()}

        label = f"spiral {k + 1} (300 training, 480 validation rows), rate {rate:g}"
        if k == 0:
            label += ", then rate 0 with the same seed"
        cases.append(Case(label, run, data={"y_val": y_val, "twins": _twins(order), "runs": runs}))
    return cases


def _probabilities(case, got, key):
    """The probabilities (n_val, 3) of one run, or a message saying what is wrong with them."""
    n = len(case.data["y_val"])
    if key not in got:
        return f"return one array: the class probabilities of each validation row, shape ({n}, 3)"
    probs = got[key].astype(np.float64)
    if probs.shape == (n,):
        return f"return the class probabilities, shape ({n}, 3), not the labels"
    if probs.shape != (n, 3):
        return (f"probabilities have shape {probs.shape}, expected ({n}, 3): one row per "
                "validation point (X_val, not X)")
    if not np.all(np.isfinite(probs)):
        return "the probabilities hold nan or inf: did the training diverge?"
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        return "each row must be a probability vector (the softmax): non-negative, summing to 1"
    return probs


def run_problem(case, got) -> str | None:
    """What is wrong with a training run's outputs, or None: the comparator and check's invariant."""
    results = {}
    for key, rate in case.data["runs"].items():
        probs = _probabilities(case, got, key)
        if isinstance(probs, str):
            return probs
        if not np.allclose(probs, probs[case.data["twins"]], rtol=1e-9, atol=1e-12):
            return NOT_RANDOM_AT_INFERENCE
        acc = float(np.mean(np.argmax(probs, axis=1) == case.data["y_val"]))
        if acc < THRESHOLD:
            return f"validation accuracy {acc:.0%} with rate {rate:g}, needs at least {THRESHOLD:.0%}"
        results[key] = probs
    if "no_dropout" in results and np.allclose(results["dropout"], results["no_dropout"],
                                               rtol=1e-9, atol=1e-12):
        return NEVER_ON
    return None


def _compare_run(case, got, expected):
    return run_problem(case, got)


EXERCISE = Exercise(
    NAME,
    "Dropout",
    (
        Task(
            "dropout_forward", 2, dropout.dropout_forward, _forward_cases, compare=_compare_forward,
            output_names=("outputs", "mask"),
            mistakes=(
                Mistake("dropout without rescaling: divide the kept units by 1 − rate so the "
                        "expected output stays the same", _unscaled,
                        detect=_detect(lambda r: 1.0, lambda r: 1 - r)),
                Mistake("rate is the fraction dropped, not the fraction kept", _rate_kept,
                        detect=_detect(lambda r: 1 / r, lambda r: r)),
                Mistake("the kept units are multiplied by 1 − rate; divide by it instead",
                        _times_keep, detect=_detect(lambda r: 1 - r, lambda r: 1 - r)),
                Mistake(FIXED_MASK, _fixed_mask, detect=_detect_fixed),
            ),
            forbidden=("nnlab.dropout.dropout_forward", "nnlab.dropout.Dropout.forward"),
        ),
        Task("answer_scale", 1, None, _scale_cases, kind="value", rtol=1e-3, variant=True,
             invariant=_above_one),
        Task("classic_to_inverted", 1, None, _fold_cases, output_names=("weights", "biases"),
             separable=False, invariant=_fold_invariant),
        Task("dropconnect_layer", 2, None, _dropconnect_cases,
             output_names=("outputs", "dinputs", "dweights", "dbiases"),
             invariant=_dropconnect_invariant, forbidden=DROPOUT),
        Task("mc_dropout_predict", 2, None, _mc_cases, invariant=_mc_invariant, forbidden=DROPOUT),
        Task("train_with_dropout", 3, None, _train_cases, compare=_compare_run,
             invariant=run_problem, timeout=60.0,
             forbidden=(*NNLAB_TRAINING, *OPTIMIZER_CLASSES, "nnlab.optimizers.adam_update",
                        *DROPOUT)),
        manual_task("answer_text_inference", 1),
    ),
)
