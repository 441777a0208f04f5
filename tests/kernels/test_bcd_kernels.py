"""BCD epoch kernels against their NumPy twins in ``kernels/reference.py``."""

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import random_array, tol

from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import bcd as K


def _case(rng, dtype, loss, m=12, n=9):
    """``A`` (Fortran), its CSC arrays, the fit ``R``, ``x`` and ``aux``."""
    dtype = np.dtype(dtype)
    if loss == K.LOSS_QUADRATIC:
        B = random_array(rng, (n, n), dtype)
        A = B.T @ B + n * np.eye(n, dtype=dtype)
        m = n
    else:
        A = random_array(rng, (m, n), dtype)
    A[rng.random(A.shape) < 0.3] = 0  # sparse columns, one of them empty
    A[:, 2] = 0
    if loss == K.LOSS_QUADRATIC:
        A = np.triu(A) + np.triu(A, 1).T + n * np.eye(n, dtype=dtype)
    A = np.asfortranarray(A)
    C = sp.csc_matrix(A)
    x = random_array(rng, n, dtype)
    x[::3] = 0
    if loss == K.LOSS_LOGISTIC:
        aux = np.where(rng.random(m) < 0.5, -1.0, 1.0)
        R = (A @ x).astype(dtype)
    elif loss == K.LOSS_QUADRATIC:
        aux = rng.standard_normal(n)
        R = (A @ x).astype(dtype)
    elif loss == K.LOSS_NEWTON:  # R = A d, aux = [h, g]
        aux = np.concatenate([rng.uniform(0.05, 0.25, m), rng.standard_normal(n)])
        R = (A @ (0.1 * x)).astype(dtype)
    else:
        aux = np.zeros(1, dtype=dtype)
        R = (A @ x - random_array(rng, m, dtype)).astype(dtype)
    data = C.data.astype(dtype)
    return A, (data, C.indices, C.indptr), R, x, aux


def _lips(A, loss):
    L = (np.abs(A) ** 2).sum(axis=0)
    if loss == K.LOSS_LOGISTIC:
        return 0.25 * L
    if loss == K.LOSS_NEWTON:
        return L.astype(np.float64) * 0.25
    if loss == K.LOSS_QUADRATIC:
        return np.diag(A).real.astype(np.float64).copy()
    return L.astype(np.float64)


LOSSES = [K.LOSS_SQUARED, K.LOSS_LOGISTIC, K.LOSS_QUADRATIC, K.LOSS_NEWTON]


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("pen", [K.PEN_NONE, K.PEN_L1, K.PEN_NONNEG])
@pytest.mark.parametrize("loss", LOSSES)
def test_cd_epochs(rng, dtype, loss, pen, fmt):
    if dtype.kind == "c" and (loss != K.LOSS_SQUARED or pen == K.PEN_NONNEG):
        pytest.skip("real-only loss or penalty")
    A, csc, R, x, aux = _case(rng, dtype, loss)
    if pen == K.PEN_NONNEG:
        x = np.abs(x)
    lips = _lips(A, loss)
    ws = np.array([0, 4, 2, 1, 4, 8, 3], dtype=np.int64)  # a repeat, an empty column
    x1, R1, x2, R2 = x.copy(), R.copy(), x.copy(), R.copy()
    if fmt == "dense":
        K.cd_epochs_dense(A, R1, x1, lips, ws, np.int64(2), loss, pen, 0.3, aux)
    else:
        K.cd_epochs_csc(*csc, R1, x1, lips, ws, np.int64(2), loss, pen, 0.3, aux)
    ref.cd_epochs_dense(A, R2, x2, lips, ws, 2, loss, pen, 0.3, aux)
    t = 10 * tol(dtype)
    np.testing.assert_allclose(x1, x2, rtol=t, atol=t)
    np.testing.assert_allclose(R1, R2, rtol=t, atol=t)
    assert x1.dtype == dtype and R1.dtype == dtype
    if loss != K.LOSS_QUADRATIC:
        assert x1[2] == x[2]  # an empty column (L = 0) is skipped


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("pen", [K.PEN_L1, K.PEN_GROUP])
@pytest.mark.parametrize("loss", LOSSES)
def test_bcd_epochs(rng, dtype, loss, pen, fmt):
    if dtype.kind == "c" and loss != K.LOSS_SQUARED:
        pytest.skip("real-only loss")
    A, csc, R, x, aux = _case(rng, dtype, loss)
    perm = rng.permutation(9).astype(np.int64)
    ptr = np.array([0, 1, 4, 6, 9], dtype=np.int64)
    lips = np.array(
        [np.linalg.norm(A[:, perm[ptr[b] : ptr[b + 1]]], 2) ** 2 for b in range(4)]
    )
    weights = np.array([1.0, 2.0, 0.5, 1.5])
    ws = np.array([3, 0, 2, 1], dtype=np.int64)
    buf = np.zeros(3, dtype=dtype)
    x1, R1, x2, R2 = x.copy(), R.copy(), x.copy(), R.copy()
    args = (perm, ptr, lips, ws, np.int64(2), loss, pen, 0.4, weights, aux, buf)
    if fmt == "dense":
        K.bcd_epochs_dense(A, R1, x1, *args)
    else:
        K.bcd_epochs_csc(*csc, R1, x1, *args)
    ref.bcd_epochs_dense(A, R2, x2, *args)
    t = 10 * tol(dtype)
    np.testing.assert_allclose(x1, x2, rtol=t, atol=t)
    np.testing.assert_allclose(R1, R2, rtol=t, atol=t)


def test_block_step_never_increases_the_objective(rng):
    """``L_b >= lambda_max(A_b^H A_b)``: the block step majorises (least squares)."""
    A, csc, R, x, aux = _case(rng, np.float64, K.LOSS_SQUARED, m=30, n=9)
    y = A @ x - R
    perm, ptr = np.arange(9, dtype=np.int64), np.array([0, 3, 6, 9], dtype=np.int64)
    lips = np.array([np.linalg.norm(A[:, b * 3 : b * 3 + 3], 2) ** 2 for b in range(3)])

    def F(v):
        return 0.5 * np.linalg.norm(A @ v - y) ** 2 + 0.4 * np.abs(v).sum()

    buf = np.zeros(3)
    for b in range(3):
        before = F(x)
        K.bcd_epochs_dense(A, R, x, perm, ptr, lips, np.array([b]), np.int64(1),
                           0, K.PEN_L1, 0.4, np.ones(3), aux, buf)  # fmt: skip
        assert F(x) <= before + 1e-12
    np.testing.assert_allclose(R, A @ x - y, atol=1e-12)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_col_dots(rng, dtype, fmt):
    A, csc, R, x, aux = _case(rng, dtype, K.LOSS_SQUARED)
    cols = np.array([3, 0, 2, 8, 3], dtype=np.int64)
    out = np.empty(cols.size, dtype=dtype)
    if fmt == "dense":
        K.col_dots_dense(A, R, cols, out)
    else:
        K.col_dots_csc(*csc, R, cols, out)
    want = ref.col_dots_dense(A, R, cols, np.empty_like(out))
    np.testing.assert_allclose(out, want, rtol=tol(dtype), atol=tol(dtype))
    if fmt == "csc":
        K.col_dots_csc_parallel(*csc, R, cols, out)
        np.testing.assert_allclose(out, want, rtol=tol(dtype), atol=tol(dtype))
    out1 = np.empty(0, dtype=dtype)
    K.col_dots_dense(A, R, np.zeros(0, dtype=np.int64), out1)  # no columns


def test_one_row_and_one_column(rng):
    A = np.asfortranarray(rng.standard_normal((1, 4)))
    R, x = np.array([-1.0]), np.zeros(4)
    lips = (A**2).sum(axis=0)
    ws = np.arange(4, dtype=np.int64)
    x2, R2 = x.copy(), R.copy()
    K.cd_epochs_dense(A, R, x, lips, ws, np.int64(3), 0, K.PEN_L1, 0.01, np.zeros(1))
    ref.cd_epochs_dense(A, R2, x2, lips, ws, 3, 0, K.PEN_L1, 0.01, np.zeros(1))
    np.testing.assert_allclose(x, x2, atol=1e-14)
    A1 = np.asfortranarray(rng.standard_normal((5, 1)))
    R, x = -np.ones(5), np.zeros(1)
    K.cd_epochs_dense(A1, R, x, (A1**2).sum(axis=0), np.zeros(1, dtype=np.int64),
                      np.int64(1), 0, K.PEN_NONE, 0.0, np.zeros(1))  # fmt: skip
    np.testing.assert_allclose(x, np.linalg.lstsq(A1, np.ones(5), rcond=None)[0])
