"""Helpers shared by the tests (imported as ``from _utils import ...``)."""

import numpy as np

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
REAL_DTYPES = [np.float32, np.float64]

# rtol by precision: the same table for every test that compares to a reference
TOL = {
    np.dtype(np.float32): 2e-4,
    np.dtype(np.complex64): 2e-4,
    np.dtype(np.float64): 1e-10,
    np.dtype(np.complex128): 1e-10,
}


def tol(dtype) -> float:
    return TOL[np.dtype(dtype)]


def random_array(rng, shape, dtype):
    """Standard normal array of ``dtype`` (complex: independent real/imag)."""
    dtype = np.dtype(dtype)
    out = rng.standard_normal(shape)
    if dtype.kind == "c":
        out = out + 1j * rng.standard_normal(shape)
    return out.astype(dtype)
