"""The sparse-layer kernels against their NumPy references."""

import numpy as np
import pytest
from _utils import REAL_DTYPES, tol

from sparsela.formats import BSR, CSR, NM
from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import nn as kn
from sparsela.kernels.cpu.sparse import unsigned_view as uv

PARALLEL = [False, True]


def _sparse(rng, shape, density, dtype):
    W = rng.standard_normal(shape).astype(dtype)
    W *= rng.random(shape) < density
    W[1] = 0.0  # an empty row
    W[2, :3] = 1.0  # a row whose count leaves a tail of the unrolled loop
    W[2, 3:] = 0.0
    return W


def _close(a, b, dtype):
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    np.testing.assert_allclose(a, b, rtol=tol(dtype), atol=tol(dtype) * scale)


@pytest.mark.parametrize("dtype", REAL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("parallel", PARALLEL)
@pytest.mark.parametrize("batch", [1, 7, 33])
def test_csr_kernels(rng, dtype, parallel, batch):
    A = CSR.from_dense(_sparse(rng, (9, 14), 0.5, dtype))
    args = (A.data, uv(A.indices), uv(A.indptr))
    Xt = rng.standard_normal((14, batch)).astype(dtype)
    Gt = rng.standard_normal((9, batch)).astype(dtype)
    out0 = rng.standard_normal((9, batch)).astype(dtype)  # accumulates
    got = kn.csr_forward(*args, Xt, out0.copy(), parallel=parallel)
    _close(got, ref.csr_forward(*args, Xt, out0.copy()), dtype)
    s0 = rng.standard_normal(A.nnz).astype(dtype)
    got = kn.csr_sddmm(*args[1:], Gt, Xt, s0.copy(), parallel=parallel)
    _close(got, ref.csr_sddmm(*args[1:], Gt, Xt, s0.copy()), dtype)


@pytest.mark.parametrize("parallel", PARALLEL)
@pytest.mark.parametrize("width", [1, 3, 5, 100])
def test_slabs(rng, parallel, width):
    A = CSR.from_dense(_sparse(rng, (9, 14), 0.5, np.float64))
    ptrs = kn.slab_pointers(A.indices, A.indptr, width)
    assert ptrs.shape == (-(-14 // width) + 1 if width < 14 else 2, 9)
    np.testing.assert_array_equal(ptrs[0], A.indptr[:-1])
    np.testing.assert_array_equal(ptrs[-1], A.indptr[1:])
    for s in range(ptrs.shape[0] - 1):  # slab s holds exactly its columns
        for i in range(9):
            cols = A.indices[ptrs[s, i] : ptrs[s + 1, i]]
            assert ((cols // width) == s).all()
    args = (A.data, uv(A.indices), uv(A.indptr))
    Xt = rng.standard_normal((14, 6))
    got = kn.csr_forward(*args, Xt, np.zeros((9, 6)), parallel=parallel, slabs=ptrs)
    _close(got, ref.csr_forward(*args, Xt, np.zeros((9, 6))), np.float64)
    B = BSR.from_dense(np.kron(rng.random((3, 4)) < 0.6, np.ones((2, 4))), (2, 4))
    bargs = (B.data, uv(B.indices), uv(B.indptr))
    ptrs = kn.slab_pointers(B.indices, B.indptr, max(1, width // 4))
    Xt = rng.standard_normal((16, 6))
    got = kn.bsr_forward(*bargs, Xt, np.zeros((6, 6)), parallel=parallel, slabs=ptrs)
    _close(got, ref.bsr_forward(*bargs, Xt, np.zeros((6, 6))), np.float64)


@pytest.mark.parametrize("dtype", REAL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("parallel", PARALLEL)
@pytest.mark.parametrize("blocksize", [(1, 4), (2, 3), (2, 8), (3, 1)])
def test_bsr_kernels(rng, dtype, parallel, blocksize):
    R, C = blocksize
    W = np.kron(rng.random((4, 3)) < 0.6, np.ones(blocksize)) * rng.standard_normal(
        (4 * R, 3 * C)
    )
    A = BSR.from_dense(W.astype(dtype), blocksize)
    args = (A.data, uv(A.indices), uv(A.indptr))
    Xt = rng.standard_normal((3 * C, 5)).astype(dtype)
    Gt = rng.standard_normal((4 * R, 5)).astype(dtype)
    out0 = rng.standard_normal((4 * R, 5)).astype(dtype)
    got = kn.bsr_forward(*args, Xt, out0.copy(), parallel=parallel)
    _close(got, ref.bsr_forward(*args, Xt, out0.copy()), dtype)
    s0 = rng.standard_normal(A.data.shape).astype(dtype)
    got = kn.bsr_sddmm(*args[1:], Gt, Xt, s0.copy(), parallel=parallel)
    _close(got, ref.bsr_sddmm(*args[1:], Gt, Xt, s0.copy()), dtype)


@pytest.mark.parametrize("dtype", REAL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("parallel", PARALLEL)
@pytest.mark.parametrize("nm", [(1, 2), (2, 4), (3, 8), (5, 6)])
def test_nm_kernels(rng, dtype, parallel, nm):
    n, m = nm
    A = NM.from_dense(rng.standard_normal((5, 4 * m)).astype(dtype), n, m)
    Xt = rng.standard_normal((4 * m, 6)).astype(dtype)
    Gt = rng.standard_normal((5, 6)).astype(dtype)
    out0 = rng.standard_normal((5, 6)).astype(dtype)
    args = (A.values, A.positions, n, m)
    got = kn.nm_forward(*args, Xt, out0.copy(), parallel=parallel)
    _close(got, ref.nm_forward(*args, Xt, out0.copy()), dtype)
    s0 = rng.standard_normal(A.values.shape).astype(dtype)
    got = kn.nm_sddmm(*args[1:], Gt, Xt, s0.copy(), parallel=parallel)
    _close(got, ref.nm_sddmm(*args[1:], Gt, Xt, s0.copy()), dtype)


@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (8, 16), (21, 5)])
def test_transpose(rng, shape):
    X = rng.standard_normal(shape).astype(np.float32)
    out = np.empty(shape[::-1], dtype=np.float32)
    np.testing.assert_array_equal(
        kn.transpose(X, out), ref.transpose(X, np.empty_like(out))
    )
