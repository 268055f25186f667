"""Exercise 04: Xavier weights and the relative error (warm-ups); the uniform limit for LeakyReLU
layers (a derivation); the Jacobian of a function of a matrix; and fixing a cheap gradient check
along one direction (a one-sided difference whose perturbation is never undone).

``init_xavier`` is random, so it is graded on properties (shape, bounds, mean, spread), not on
one particular draw. The other three are held out: their references and mistakes are in
``exercises/reference/gradient_checking.py``.
"""

from __future__ import annotations

import numpy as np

from ... import activations, gradcheck, layers
from ..core import Case, Exercise, Mistake, Task, manual_task

# ---- init_xavier (random: graded on properties) ----


def _xavier_cases(rng):
    cases = []
    for label, shape in (("a (300, 200) layer", (300, 200)), ("a square (100, 100) layer", (100, 100)),
                         ("a (2, 64) layer", (2, 64))):
        seed = int(rng.integers(2**31))
        cases.append(Case(label, lambda fn, s=shape, seed=seed: fn(*s, np.random.default_rng(seed)),
                          data={"shape": shape}))
    return cases


def _weights(got):
    return next(iter(got.values())).astype(np.float64) if len(got) == 1 else None


def _xavier_stats(case, w):
    """(limit, relative tolerance of the std, std / Xavier's std, mean in its standard errors,
    largest |w| / limit) of a draw."""
    n_in, n_out = case.data["shape"]
    limit = np.sqrt(6.0 / (n_in + n_out))
    tol = 5 * 0.45 / np.sqrt(w.size) + 1e-3  # five standard errors of a uniform draw's std
    ratio = float(np.std(w) / (limit / np.sqrt(3)))
    mean = float(np.mean(w) / max(np.std(w), 1e-300) * np.sqrt(w.size))
    return limit, tol, ratio, mean, float(np.max(np.abs(w)) / limit)


def _compare_xavier(case, got, expected):
    w = _weights(got)
    shape = case.data["shape"]
    if w is None:
        return "return one array of weights"
    if w.shape != shape:
        hint = ": transposed? weights are (n_in, n_out)" if w.shape == shape[::-1] else ""
        return f"weights of shape {w.shape}, expected {shape}{hint}"
    limit, tol, ratio, mean, top = _xavier_stats(case, w)
    if top > 1 + 1e-9:
        return f"some weights lie beyond this layer's Xavier limit (largest |w| is {top:.2f} × the limit)"
    if abs(mean) > 5:
        return "the weights are not centred on 0"
    if abs(ratio - 1) > tol:
        return (f"the spread is off: the standard deviation is {ratio:.2f} × that of Xavier "
                "weights for this layer")
    if top < 1 - 10 / w.size:
        return "the weights do not fill the whole interval ±limit (a uniform draw does)"
    return None


def _xavier_detect(kind):
    def detect(case, got):
        w = _weights(got)
        shape = case.data["shape"]
        if w is None:
            return False
        n_in, n_out = shape
        if kind == "transposed":
            return None if shape[0] == shape[1] else w.shape == shape[::-1]
        if w.shape != shape:
            return False
        limit, tol, ratio, mean, top = _xavier_stats(case, w)
        if kind == "std_as_limit":  # uniform on ±√(2 / (n_in + n_out))
            return abs(ratio * np.sqrt(3) - 1) <= tol and top <= 1 / np.sqrt(3) + 1e-9
        if kind == "fan_in":  # uniform on ±√(6 / n_in)
            return abs(ratio / np.sqrt((n_in + n_out) / n_in) - 1) <= tol and abs(mean) <= 5
        if kind == "normal":  # N(0, 2 / (n_in + n_out))
            return abs(ratio - 1) <= tol and top > 1 + 1e-9
        if kind == "one_sided":  # uniform on [0, limit]
            return float(np.min(w)) >= 0 and abs(float(np.mean(w)) / limit - 0.5) < 0.1
        return False
    return detect


def _xavier_std_as_limit(n_in, n_out, rng):
    a = np.sqrt(2.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out))


def _xavier_fan_in(n_in, n_out, rng):
    a = np.sqrt(6.0 / n_in)
    return rng.uniform(-a, a, size=(n_in, n_out))


def _xavier_normal(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))


def _xavier_one_sided(n_in, n_out, rng):
    return rng.uniform(0.0, np.sqrt(6.0 / (n_in + n_out)), size=(n_in, n_out))


def _xavier_transposed(n_in, n_out, rng):
    a = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_out, n_in))


# ---- relative_error ----

def _relerr_cases(rng):
    a1 = rng.normal(size=(4, 3))
    b1 = a1 + 1e-4 * rng.normal(size=(4, 3))
    a2, b2 = np.array([0.0, 1.0, -2.0, 0.0]), np.array([0.0, 1.1, -2.0, 1e-3])
    a3 = 1e-9 * rng.normal(size=5)
    b3 = a3 + 1e-10 * rng.normal(size=5)
    a4, b4 = np.array([[1e3, 1e-3], [5.0, -7.0]]), np.array([[1e3 + 1.0, 2e-3], [5.0, -7.0]])
    z = np.zeros((2, 3))
    return [
        Case("gradients of size about 1, (4, 3)", lambda fn: fn(a1.copy(), b1.copy())),
        Case("entries that are 0 in both", lambda fn: fn(a2.copy(), b2.copy())),
        Case("tiny gradients (about 1e-9)", lambda fn: fn(a3.copy(), b3.copy())),
        Case("a large and a small entry", lambda fn: fn(a4.copy(), b4.copy())),
        Case("two arrays of zeros", lambda fn: fn(z.copy(), z.copy()), gate=True),
    ]


def _abs(a, b):
    return np.abs(np.asarray(a, float) - np.asarray(b, float))


# ---- leaky_relu_init_limit (a derivation; held out: exercises/reference) ----

def _positive(case, got):
    value = next(iter(got.values()))
    return None if np.all(value > 0) else "a limit a of U(−a, a) is a positive number"


def _x_unchanged(case, got):
    """What check() can say without the answer: the caller's x comes back as it was."""
    if "1" in got and np.any(got["1"] != 0):
        return "x is not the same after the call: perturb copies, never the caller's array"
    return None


def _limit_cases(rng):
    settings = [("n_in = 150, α = 0 (ReLU)", (150, 10, 0.0)),
                ("n_in = 64, n_out = 64, α = 0.01", (64, 64, 0.01)),
                ("n_in = 100, n_out = 30, α = 0.2", (100, 30, 0.2)),
                ("n_in = 50, α = 1 (a linear unit)", (50, 20, 1.0)),
                ("n_in = 10, n_out = 400, α = 0.5", (10, 400, 0.5))]
    return [Case(label, lambda fn, s=s: fn(*s)) for label, s in settings]


# ---- numerical_jacobian (held out) ----

def _jac_cases(rng):
    v = rng.normal(size=4)
    A = rng.normal(size=(2, 3))
    x2 = rng.normal(size=3)
    X, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    M = rng.normal(size=(2, 3))
    s = rng.normal(size=3)
    c = rng.normal(size=4)

    def run(fn, f, x):
        x_given = x.copy()
        jac = fn(f, x_given, 1e-5)
        return np.asarray(jac, dtype=np.float64), x_given - x  # x must come back unchanged

    return [
        Case("softmax of a vector (4,)", lambda fn: run(fn, lambda u: activations.softmax(u[None])[0], v)),
        Case("a linear map A @ x, A of shape (2, 3)", lambda fn: run(fn, lambda u: A @ u, x2)),
        Case("X @ W as a function of the matrix W (3, 2)", lambda fn: run(fn, lambda u: X @ u, W)),
        Case("tanh of a (2, 3) matrix", lambda fn: run(fn, np.tanh, M)),
        Case("sin(20 Σx) · x, every output depends on every input",
             lambda fn: run(fn, lambda u: np.sin(20 * np.sum(u)) * u, c)),
        Case("a scalar function Σ sin(50 x): J is the gradient",
             lambda fn: run(fn, lambda u: float(np.sum(np.sin(50 * u))), s)),
    ]


# ---- directional_derivative (find the bug; held out) ----

def _dd_cases(rng):
    a = rng.normal(size=(3, 3))
    quad = a @ a.T + 3 * np.eye(3)
    x1, d1 = rng.normal(size=3), np.array([1.0, -2.0, 2.0])  # |d| = 3
    x2, d2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    x3, d3 = rng.normal(size=4), np.eye(4)[2]

    def run(fn, f, x, d):
        x_given, d_given = x.copy(), d.copy()
        value = fn(f, x_given, d_given, 1e-5)
        return np.asarray(value, dtype=np.float64), x_given - x  # x must come back unchanged

    return [
        Case("xᵀAx along a direction of length 3", lambda fn: run(fn, lambda v: float(v @ quad @ v), x1, d1)),
        Case("Σ sin(50 x) on a (2, 3) array, strongly curved",
             lambda fn: run(fn, lambda v: float(np.sum(np.sin(50 * v))), x2, d2)),
        Case("Σ x⁴ along the basis vector e₂", lambda fn: run(fn, lambda v: float(np.sum(v**4)), x3, d3)),
        Case("the zero direction", lambda fn: run(fn, lambda v: float(np.sum(v**4)), x3, np.zeros(4)),
             gate=True),
    ]


EXERCISE = Exercise(
    "04_gradient_checking",
    "Gradient checking and initialisation",
    (
        Task(
            "init_xavier", 1, layers.init_xavier, _xavier_cases, compare=_compare_xavier,
            mistakes=(
                Mistake("the limit a of U(−a, a) is not the square root of the variance: a uniform "
                        "draw on ±a has variance a²/3", _xavier_std_as_limit,
                        _xavier_detect("std_as_limit")),
                Mistake("Xavier balances fan-in and fan-out: the limit uses n_in + n_out, not n_in "
                        "alone", _xavier_fan_in, _xavier_detect("fan_in")),
                Mistake("that is a normal draw; nnlab's Xavier weights are uniform on ±limit "
                        "(same variance, bounded)", _xavier_normal, _xavier_detect("normal")),
                Mistake("the weights must be symmetric around 0: draw from −limit to +limit",
                        _xavier_one_sided, _xavier_detect("one_sided")),
                Mistake("weights have shape (n_in, n_out), the shape of a dense layer's weights",
                        _xavier_transposed, _xavier_detect("transposed")),
            ),
            forbidden=("nnlab.layers.init_xavier",),
        ),
        Task(
            "relative_error", 1, gradcheck.relative_error, _relerr_cases,
            mistakes=(
                Mistake("where both values are 0 the ratio is 0/0: the denominator needs its floor",
                        lambda a, b: float(np.max(_abs(a, b) / (np.abs(a) + np.abs(b))))),
                Mistake("the floor is a maximum, max(|a| + |b|, 1e-8), not an extra 1e-8 in the sum: "
                        "for tiny gradients the two differ",
                        lambda a, b: float(np.max(_abs(a, b) / (np.abs(a) + np.abs(b) + 1e-8)))),
                Mistake("the denominator is symmetric in a and b: |a| + |b|",
                        lambda a, b: float(np.max(_abs(a, b) / np.maximum(np.abs(b), 1e-8)))),
                Mistake("the verdict is the worst element (the maximum), not the mean",
                        lambda a, b: float(np.mean(_abs(a, b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))),
                Mistake("the course's relative error is element-wise, then the largest; a ratio of "
                        "norms lets the large entries hide a wrong small one",
                        lambda a, b: float(np.linalg.norm(_abs(a, b))
                                           / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-8))),
                Mistake("that is the absolute difference: divide by the size of the values",
                        lambda a, b: float(np.max(_abs(a, b)))),
            ),
            forbidden=("nnlab.gradcheck.relative_error",),
        ),
        Task("leaky_relu_init_limit", 2, None, _limit_cases, rtol=1e-6, invariant=_positive),
        Task("numerical_jacobian", 3, None, _jac_cases, rtol=1e-5, separable=False,
             output_names=("jacobian", "change of x after the call"), invariant=_x_unchanged,
             forbidden=("nnlab.gradcheck.numerical_gradient",)),
        Task("directional_derivative", 3, None, _dd_cases, rtol=1e-5, separable=False,
             output_names=("derivative", "change of x after the call"), invariant=_x_unchanged,
             forbidden=("nnlab.gradcheck.numerical_gradient",)),
        manual_task("answer_text_central_difference", 1),
    ),
)
