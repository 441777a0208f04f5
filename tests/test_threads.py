"""BLAS products shared out over threads (sparsela._threads)."""

import numba
import numpy as np
import pytest
from _utils import DTYPES, random_array, tol

from sparsela._threads import rows_matmul


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape", [(0, 5, 3), (7, 5, 3), (300, 40, 17), (1000, 8, 1)])
def test_rows_matmul_equals_matmul(dtype, threads, shape):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("fewer cores than threads")
    M, k, N = shape
    rng = np.random.default_rng(M)
    A = random_array(rng, (k, M), dtype).T  # a transposed view, as in OMP
    B = random_array(rng, (k, N), dtype)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        out = rows_matmul(A, B)
    finally:
        numba.set_num_threads(before)
    assert out.shape == (M, N) and out.dtype == np.dtype(dtype)
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, A @ B, rtol=tol(dtype), atol=tol(dtype) * 10)
