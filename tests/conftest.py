import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads: one BLAS thread, as in the notebooks

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlab  # noqa: E402

matplotlib.use("Agg")

# Central differences in float64 agree with a correct analytic gradient to ~1e-7 or better.
GRAD_RTOL = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def assert_gradient(loss_of, x, analytic, rtol=GRAD_RTOL):
    """Check an analytic gradient of the scalar ``loss_of(x)`` against central differences."""
    numeric = nnlab.numerical_gradient(loss_of, x)
    assert analytic.shape == x.shape
    err = nnlab.relative_error(analytic, numeric)
    assert err < rtol, (
        f"relative error {err:.2e} (analytic {analytic.ravel()[:4]}, numeric {numeric.ravel()[:4]})"
    )
