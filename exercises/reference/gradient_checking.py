"""Exercise 04's answers: the LeakyReLU limit, the numerical Jacobian, the repaired directional
derivative, and the wrong variants the grader recognises."""

from __future__ import annotations

import numpy as np

from nnlab.grading.core import Mistake, Reference


def leaky_relu_init_limit(n_in, n_out, alpha):
    """a = √(6 / ((1 + α²) · n_in)): U(−a, a) keeps E[a²] through LeakyReLU(α) layers."""
    return float(np.sqrt(6.0 / ((1.0 + alpha**2) * n_in)))


def numerical_jacobian(f, x, epsilon=1e-5):
    """J[i, j] = ∂f_i/∂x_j ≈ (f(x + ε e_j) − f(x − ε e_j))_i / 2ε.

    Shapes: x any, f(x) any -> J of shape f(x).shape + x.shape (x itself is not changed).
    """
    x = np.array(x, dtype=np.float64)
    out_shape = np.shape(f(x.copy()))
    jac = np.zeros(out_shape + x.shape)
    columns = jac.reshape(int(np.prod(out_shape)), x.size)  # a view: (f.size, x.size)
    for j in range(x.size):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus.flat[j] += epsilon
        x_minus.flat[j] -= epsilon
        columns[:, j] = (np.ravel(f(x_plus)) - np.ravel(f(x_minus))) / (2 * epsilon)
    return jac


def _jac_flat(f, x, epsilon, diff):
    """(f.size, x.size) difference quotients with a chosen difference rule."""
    x = np.array(x, dtype=np.float64)
    fx = np.ravel(f(x.copy()))
    cols = np.zeros((fx.size, x.size))
    for j in range(x.size):
        cols[:, j] = diff(f, x, j, epsilon, fx)
    return np.shape(f(x.copy())), x, cols


def _central(f, x, j, eps, fx):
    xp, xm = x.copy(), x.copy()
    xp.flat[j] += eps
    xm.flat[j] -= eps
    return (np.ravel(f(xp)) - np.ravel(f(xm))) / (2 * eps)


def _jac_forward(f, x, epsilon=1e-5):
    def forward(f, x, j, eps, fx):
        xp = x.copy()
        xp.flat[j] += eps
        return (np.ravel(f(xp)) - fx) / eps
    shape, x, cols = _jac_flat(f, x, epsilon, forward)
    return cols.reshape(shape + x.shape)


def _jac_no_two(f, x, epsilon=1e-5):
    return 2 * numerical_jacobian(f, x, epsilon)


def _jac_transposed(f, x, epsilon=1e-5):
    jac = numerical_jacobian(f, x, epsilon)
    n_out = jac.ndim - np.ndim(x)
    return np.moveaxis(jac, list(range(n_out)), list(range(jac.ndim - n_out, jac.ndim)))


def _jac_flattened(f, x, epsilon=1e-5):
    shape, x, cols = _jac_flat(f, x, epsilon, _central)
    return cols


def _jac_piled_up(f, x, epsilon=1e-5):
    # One working copy, perturbed and never restored: element j is evaluated with every earlier
    # element still shifted by −ε.
    x = np.array(x, dtype=np.float64)
    work = x.copy()
    out_shape = np.shape(f(x.copy()))
    cols = np.zeros((int(np.prod(out_shape)), x.size))
    for j in range(x.size):
        work.flat[j] += epsilon
        f_plus = np.ravel(f(work.copy()))
        work.flat[j] -= 2 * epsilon
        f_minus = np.ravel(f(work.copy()))
        cols[:, j] = (f_plus - f_minus) / (2 * epsilon)
    return cols.reshape(out_shape + x.shape)


def directional_derivative(f, x, direction, epsilon=1e-5):
    """∇f(x) · d ≈ (f(x + ε d) − f(x − ε d)) / 2ε, two evaluations of f (x is not changed)."""
    x = np.asarray(x, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    return float((f(x + epsilon * d) - f(x - epsilon * d)) / (2 * epsilon))


def _dd_original(f, x, direction, epsilon=1e-5):
    # The code of the task, literally: one-sided, and x is moved for good.
    f_x = f(x)
    x += epsilon * direction
    return (f(x) - f_x) / epsilon


def _dd_forward(f, x, direction, epsilon=1e-5):
    x = np.asarray(x, dtype=np.float64)
    return float((f(x + epsilon * direction) - f(x.copy())) / epsilon)


def _dd_no_two(f, x, direction, epsilon=1e-5):
    return 2 * directional_derivative(f, x, direction, epsilon)


def _dd_normalised(f, x, direction, epsilon=1e-5):
    d = np.asarray(direction, dtype=np.float64)
    return directional_derivative(f, x, d / np.linalg.norm(d), epsilon)


def _dd_not_restored(f, x, direction, epsilon=1e-5):
    x += epsilon * direction
    f_plus = f(x)
    x -= 2 * epsilon * direction
    return float((f_plus - f(x)) / (2 * epsilon))  # x is left at x − ε d


REFERENCES = {
    "leaky_relu_init_limit": Reference(leaky_relu_init_limit, (
        Mistake("a LeakyReLU no longer sets the negative half to 0: count the share of the "
                "second moment it keeps", lambda n_in, n_out, alpha: np.sqrt(6 / n_in)),
        Mistake("the negative side is scaled by α, so its second moment by α², not α",
                lambda n_in, n_out, alpha: np.sqrt(6 / ((1 + alpha) * n_in))),
        Mistake("that is the standard deviation σ; a uniform U(−a, a) has variance a²/3",
                lambda n_in, n_out, alpha: np.sqrt(2 / ((1 + alpha**2) * n_in))),
        Mistake("the limit is a square root", lambda n_in, n_out, alpha: 6 / ((1 + alpha**2) * n_in)),
        Mistake("each half of a symmetric z carries half of its second moment: the share "
                "kept is (1 + α²)/2, not 1 + α²",
                lambda n_in, n_out, alpha: np.sqrt(3 / ((1 + alpha**2) * n_in))),
        Mistake("He's argument follows the forward pass, a sum of n_in terms: n_out does "
                "not enter",
                lambda n_in, n_out, alpha: np.sqrt(12 / ((1 + alpha**2) * (n_in + n_out)))),
    )),
    "numerical_jacobian": Reference(numerical_jacobian, (
        Mistake("the axes are in the wrong order: J[i, j] = ∂f_i/∂x_j has the axes of f(x) "
                "first, then those of x", _jac_transposed),
        Mistake("J keeps the shapes, f(x).shape + x.shape; yours is flattened to a "
                "(f.size, x.size) matrix", _jac_flattened),
        Mistake("that is a forward difference (f(x + ε) − f(x)) / ε, whose error is of "
                "order ε; use central differences", _jac_forward),
        Mistake("f(x + ε e_j) and f(x − ε e_j) are 2ε apart: divide by 2ε", _jac_no_two),
        Mistake("each perturbation must be undone before the next element is perturbed: "
                "here they pile up", _jac_piled_up),
    )),
    "directional_derivative": Reference(directional_derivative, (
        Mistake("that is the original: a one-sided difference, and x is left moved by "
                "ε · direction", _dd_original),
        Mistake("a one-sided difference (f(x + εd) − f(x)) / ε is off by a term of order ε; "
                "use central differences", _dd_forward),
        Mistake("f(x + εd) and f(x − εd) are 2ε apart: divide by 2ε", _dd_no_two),
        Mistake("the direction is used as it is given, not normalised: the result is "
                "∇f · direction", _dd_normalised),
        Mistake("x is left moved by −ε · direction: perturb copies (x + ε·d makes a new "
                "array), never the caller's x", _dd_not_restored),
    )),
}
