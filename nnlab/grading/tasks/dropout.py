"""Exercise 07: inverted dropout forward and backward.

The mask is random, so ``dropout_forward`` is graded on properties (mask values, outputs equal
inputs times mask, the share of units kept), not on one particular draw.
"""

from __future__ import annotations

import numpy as np

from ... import dropout
from ..core import Case, Exercise, Mistake, Task, value_case


def _forward_cases(rng):
    cases = []
    for label, shape, rate in (("rate 0.2 on (200, 50)", (200, 50), 0.2),
                               ("rate 0.5 on (100, 40)", (100, 40), 0.5),
                               ("rate 0 keeps everything", (10, 5), 0.0)):
        x = rng.normal(size=shape) + 3.0  # no exact zeros: a dropped unit is visible
        seed = int(rng.integers(2**31))
        cases.append(Case(label, lambda fn, x=x, rate=rate, seed=seed:
                          fn(x.copy(), rate, np.random.default_rng(seed)),
                          data={"inputs": x, "rate": rate}, gate=rate == 0.0))
    return cases


def _props(case, got):
    """(values, kept fraction) of the mask, or an error message."""
    x, rate = case.data["inputs"], case.data["rate"]
    if set(got) != {"0", "1"}:
        return "return two arrays: (outputs, mask)"
    out, mask = got["0"].astype(float), got["1"].astype(float)
    if out.shape != x.shape or mask.shape != x.shape:
        return f"outputs and mask must have the inputs' shape {x.shape}; got {out.shape} and {mask.shape}"
    if not np.allclose(out, x * mask, rtol=1e-9, atol=0):
        return "outputs must equal inputs * mask"
    return np.unique(np.round(mask, 9)), float(np.mean(mask != 0)), rate


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
    return None


def _detect(values_scale, kept_of_rate):
    def detect(case, got):
        props = _props(case, got)
        if isinstance(props, str):
            return False
        values, kept, rate = props
        if rate == 0:
            return None  # nothing is dropped: this case cannot tell
        ok_values = np.all(np.isin(values, np.round([0.0, values_scale(rate)], 9)))
        return bool(ok_values and abs(kept - kept_of_rate(rate)) <= 0.03)
    return detect


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
                        "expected output stays the same",
                        detect=_detect(lambda r: 1.0, lambda r: 1 - r)),
                Mistake("rate is the fraction dropped, not the fraction kept",
                        detect=_detect(lambda r: 1 / r, lambda r: r)),
                Mistake("the kept units are multiplied by 1 − rate; divide by it instead",
                        detect=_detect(lambda r: 1 - r, lambda r: 1 - r)),
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
    ),
)
