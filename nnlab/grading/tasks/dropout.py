"""Exercise 10: inverted dropout forward and backward.

The mask is random, so ``dropout_forward`` is graded on properties (mask values, outputs equal
inputs times mask, the share of units kept), not on one particular draw — and on where its
randomness comes from: each case calls the function three times (a generator, the same generator
again, a fresh generator of the same seed). The mask must come from the generator passed in: the
generator advances, a second call draws a new mask, the same seed gives the same mask. (A call
that touches NumPy's global generator is refused by the sandbox itself.)
"""

from __future__ import annotations

import numpy as np

from ... import dropout
from ..core import Case, Exercise, Mistake, Task, manual_task, value_case


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


def _backward_cases(rng):
    cases = []
    for label, shape, rate in (("rate 0.2 on (6, 4)", (6, 4), 0.2), ("rate 0.5 on (3, 8)", (3, 8), 0.5)):
        d = rng.normal(size=shape)
        mask = (rng.random(shape) < 1 - rate) / (1 - rate)
        cases.append(Case(label, lambda fn, d=d, m=mask: fn(d.copy(), m.copy())))
    return cases


EXERCISE = Exercise(
    "10_dropout",
    "Dropout",
    (
        Task(
            "dropout_forward", 3, dropout.dropout_forward, _forward_cases, compare=_compare_forward,
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
        Task(
            "dropout_backward", 1, dropout.dropout_backward, _backward_cases,
            mistakes=(
                Mistake("the gradient passes through the same mask, scaling included: "
                        "dvalues * mask", lambda d, m: d * (m > 0)),
                Mistake("dropped units get no gradient: multiply dvalues by the mask",
                        lambda d, m: d.copy()),
            ),
            forbidden=("nnlab.dropout.dropout_backward", "nnlab.dropout.Dropout.backward"),
        ),
        Task(
            "answer_scale", 1, 1.25, lambda rng: value_case(), kind="value", rtol=1e-3,
            mistakes=(Mistake("the survivors are divided by the fraction kept, 1 − rate", 0.8),
                      Mistake("rate is the fraction dropped: survivors are 1 − 0.2 of the units", 5.0)),
        ),
        manual_task("answer_text_inference", 1),
    ),
)
