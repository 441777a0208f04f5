"""Sparse-format products: sparsela (Numba) vs scipy.sparse, same matrices.

* CSR 1e6 x 1e6, 10 entries per row, float64: ``A @ x``, ``A @ X`` (8
  columns), ``A.T @ y`` and SDDMM (rank 8), sparsela with 1 and 2 Numba
  threads vs SciPy (single-threaded). ``csr-signed`` runs the same kernel on
  the signed int32 index arrays instead of their uint32 views.
* BSR 2^18 x 2^18 with 4x4 blocks (4 blocks per block row) vs scipy bsr_array.
* N:M 2:4, 4096 x 4096, vs the same matrix as a scipy csr_array and vs the
  dense product (BLAS limited to the same thread count).

    python -m pytest benchmarks/bench_formats.py --benchmark-enable \
        --benchmark-columns=median,iqr,rounds
"""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from sparsela.formats import BSR, CSR, NM
from sparsela.kernels.cpu import sparse as ks

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

N_CSR = 1_000_000
NNZ_ROW = 10
THREADS = {"sparsela-2threads": 2, "sparsela-1thread": 1}


@pytest.fixture(scope="module")
def csr_case():
    """1e6 x 1e6 CSR, 10 random columns per row (built in well under a second)."""
    rng = np.random.default_rng(0)
    indptr = np.arange(0, N_CSR * NNZ_ROW + 1, NNZ_ROW, dtype=np.int32)
    indices = rng.integers(0, N_CSR, N_CSR * NNZ_ROW, dtype=np.int32)
    data = rng.standard_normal(N_CSR * NNZ_ROW)
    A = CSR(data, indices, indptr, (N_CSR, N_CSR))
    S = sp.csr_array((data, indices, indptr), shape=(N_CSR, N_CSR))
    return A, S, rng


@pytest.fixture(scope="module")
def bsr_case():
    rng = np.random.default_rng(1)
    mb = 2**16  # block rows; 2^18 rows with R = 4
    indptr = np.arange(0, 4 * mb + 1, 4, dtype=np.int32)
    indices = np.sort(rng.integers(0, mb, (mb, 4)), axis=1).ravel().astype(np.int32)
    data = rng.standard_normal((4 * mb, 4, 4))
    A = BSR(data, indices, indptr, (4 * mb, 4 * mb))
    return A, A.to_scipy(), rng


@pytest.fixture(scope="module")
def nm_case():
    rng = np.random.default_rng(2)
    D = rng.standard_normal((4096, 4096))
    A = NM.from_dense(D, 2, 4)
    return A, A.to_scipy(), A.todense(), rng


def _run(benchmark, impl, fn, *args, rounds=15):
    """Warm up (compiles Numba), then time ``fn(*args)`` with the impl's threads."""
    threads = numba.get_num_threads()
    numba.set_num_threads(THREADS.get(impl, threads))
    try:
        fn(*args)
        benchmark.extra_info["threads"] = THREADS.get(impl, 1)
        benchmark.pedantic(fn, args=args, rounds=rounds, iterations=1, warmup_rounds=1)
    finally:
        numba.set_num_threads(threads)


CSR_IMPLS = ["sparsela-2threads", "sparsela-1thread", "scipy"]


@pytest.mark.parametrize("impl", [*CSR_IMPLS, "csr-signed-1thread"])
def test_csr_spmv(benchmark, csr_case, impl):
    A, S, rng = csr_case
    x = rng.standard_normal(N_CSR)
    np.testing.assert_allclose(A @ x, S @ x, rtol=1e-10, atol=1e-10)
    benchmark.group = "csr 1e6x1e6 nnz/row=10: A @ x"
    if impl == "scipy":
        _run(benchmark, impl, S.__matmul__, x)
    elif impl == "csr-signed-1thread":
        out = np.zeros(N_CSR)

        def signed(x):
            out[:] = 0.0
            ks.csr_matvec(A.data, A.indices, A.indptr, x, out)
            return out

        np.testing.assert_allclose(signed(x), S @ x, rtol=1e-10, atol=1e-10)
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            benchmark.extra_info["threads"] = 1
            benchmark.pedantic(signed, args=(x,), rounds=15, warmup_rounds=1)
        finally:
            numba.set_num_threads(threads)
    else:
        _run(benchmark, impl, A.matvec, x)


@pytest.mark.parametrize("impl", CSR_IMPLS)
def test_csr_matmat8(benchmark, csr_case, impl):
    A, S, rng = csr_case
    X = rng.standard_normal((N_CSR, 8))
    benchmark.group = "csr 1e6x1e6 nnz/row=10: A @ X, X 8 columns"
    fn = S.__matmul__ if impl == "scipy" else A.matmat
    _run(benchmark, impl, fn, X, rounds=7)


@pytest.mark.parametrize("impl", CSR_IMPLS)
def test_csr_rmatvec(benchmark, csr_case, impl):
    A, S, rng = csr_case
    y = rng.standard_normal(N_CSR)
    benchmark.group = "csr 1e6x1e6 nnz/row=10: A.T @ y"
    fn = S.T.__matmul__ if impl == "scipy" else A.rmatvec
    _run(benchmark, impl, fn, y)


@pytest.mark.parametrize("impl", ["sparsela-2threads", "sparsela-1thread", "numpy"])
def test_csr_sddmm(benchmark, csr_case, impl):
    A, S, rng = csr_case
    X, Y = rng.standard_normal((N_CSR, 8)), rng.standard_normal((8, N_CSR))
    rows = np.repeat(np.arange(N_CSR), NNZ_ROW)
    cols = A.indices

    def numpy_sddmm(X, Y):  # gather + row-wise dot: the NumPy peer
        return np.einsum("ij,ij->i", X[rows], Y.T[cols])

    benchmark.group = "csr 1e6x1e6 nnz/row=10: sddmm rank 8"
    if impl == "numpy":
        _run(benchmark, impl, numpy_sddmm, X, Y, rounds=5)
    else:
        np.testing.assert_allclose(
            A.sddmm(X, Y).data, numpy_sddmm(X, Y), rtol=1e-10, atol=1e-10
        )
        _run(benchmark, impl, A.sddmm, X, Y, rounds=5)


BSR_IMPLS = ["sparsela-2threads", "sparsela-1thread", "scipy"]


@pytest.mark.parametrize("k", [1, 8])
@pytest.mark.parametrize("impl", BSR_IMPLS)
def test_bsr_products(benchmark, bsr_case, impl, k):
    A, S, rng = bsr_case
    x = rng.standard_normal(A.shape[1] if k == 1 else (A.shape[1], k))
    np.testing.assert_allclose(A @ x, S @ x, rtol=1e-10, atol=1e-10)
    benchmark.group = f"bsr 2^18 4x4 blocks, 4 blocks/block row: A @ x, k={k}"
    _run(benchmark, impl, S.__matmul__ if impl == "scipy" else A.__matmul__, x)


@pytest.mark.parametrize("k", [1, 8])
@pytest.mark.parametrize("impl", BSR_IMPLS)
def test_bsr_transpose_products(benchmark, bsr_case, impl, k):
    A, S, rng = bsr_case
    y = rng.standard_normal(A.shape[0] if k == 1 else (A.shape[0], k))
    benchmark.group = f"bsr 2^18 4x4 blocks: A.T @ y, k={k}"
    if impl == "scipy":
        fn = S.T.__matmul__
    else:
        fn = A.rmatvec if k == 1 else A.rmatmat
    _run(benchmark, impl, fn, y)


NM_IMPLS = ["sparsela-2threads", "sparsela-1thread", "scipy-csr", "numpy-dense"]


@pytest.mark.parametrize("k", [1, 8])
@pytest.mark.parametrize("impl", NM_IMPLS)
def test_nm_products(benchmark, nm_case, impl, k):
    A, S, D, rng = nm_case
    x = rng.standard_normal(4096 if k == 1 else (4096, k))
    np.testing.assert_allclose(A @ x, S @ x, rtol=1e-10, atol=1e-10)
    benchmark.group = f"nm 2:4 4096x4096: A @ x, k={k}"
    if impl == "numpy-dense":
        if threadpool_limits is None:
            pytest.skip("threadpoolctl not installed")
        with threadpool_limits(limits=2):
            _run(benchmark, impl, D.__matmul__, x)
        benchmark.extra_info["threads"] = 2
    else:
        fn = S.__matmul__ if impl == "scipy-csr" else A.__matmul__
        _run(benchmark, impl, fn, x)


@pytest.mark.parametrize("impl", ["sparsela-2threads", "sparsela-1thread", "scipy-csr"])
def test_nm_transpose_product(benchmark, nm_case, impl):
    A, S, D, rng = nm_case
    y = rng.standard_normal(4096)
    benchmark.group = "nm 2:4 4096x4096: A.T @ y"
    fn = S.T.__matmul__ if impl == "scipy-csr" else A.rmatvec
    _run(benchmark, impl, fn, y)
