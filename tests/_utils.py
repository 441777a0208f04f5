"""Helpers shared by the tests (imported as ``from _utils import ...``)."""

import numpy as np

from sparsela.testing import RTOL as TOL
from sparsela.testing import default_rtol as tol

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
REAL_DTYPES = [np.float32, np.float64]

__all__ = ["DTYPES", "REAL_DTYPES", "TOL", "random_array", "tol"]


def random_array(rng, shape, dtype):
    """Standard normal array of ``dtype`` (complex: independent real/imag)."""
    dtype = np.dtype(dtype)
    out = rng.standard_normal(shape)
    if dtype.kind == "c":
        out = out + 1j * rng.standard_normal(shape)
    return out.astype(dtype)
