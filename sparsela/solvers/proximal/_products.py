"""Products with ``A`` for the proximal-gradient iteration, fastest first.

Every engine has ``matmat(X)`` (``A X``) and ``rmatmat(R)`` (``A^H R``) on
C-contiguous 2-D arrays, and ``threaded_blas``: whether its products should
keep multi-threaded BLAS (see :func:`make_products`). ``A X`` goes through
the support of ``X`` where the engine can read the stored matrix: the
iterates are sparse.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...datafits import OperatorProducts
from ...kernels.cpu import prox as _k
from ...operators import LinearOperator

__all__ = ["make_products", "stored_matrix"]

_SUPPORT_FRACTION = 0.25  # product through the support when |S| <= this * n
_COPY_LIMIT = 1 << 28  # bytes: largest dense A of which a transposed copy is kept


def stored_matrix(op: LinearOperator) -> Any:
    """The matrix stored behind ``op`` that the Numba kernels read, or ``None``.

    A NumPy array for a :class:`~sparsela.operators.Dense` operator, a
    canonical CSC matrix (``data, indices, indptr``) for a
    :class:`~sparsela.operators.SparseMatrix`; ``None`` for anything else
    (matrix-free operators, CuPy arrays, subclasses).

    The products through the support of a sparse iterate read the stored
    columns directly (the generic ``matmat_support`` forms dense columns), and
    only an explicit dense matrix keeps multi-threaded BLAS (see
    :func:`make_products`).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Identity, aslinearoperator
    >>> from sparsela.solvers.proximal._products import stored_matrix
    >>> stored_matrix(aslinearoperator(np.eye(2))).shape
    (2, 2)
    >>> stored_matrix(Identity(2)) is None
    True
    """
    dense = op.as_array()
    return dense if dense is not None else op.as_csc()


def _real_mm(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``M @ X`` without casting a real ``M`` to complex for a complex ``X``."""
    if M.dtype.kind != "c" and X.dtype.kind == "c":
        return _real_mm(M, X.real) + 1j * _real_mm(M, X.imag)
    if X.shape[1] == 1:
        return (M @ X[:, 0]).reshape(-1, 1)
    return M @ X


class _DenseProducts:
    """An explicit dense ``A`` through a row-major copy of ``A^T``.

    Both products then read it contiguously (``A^T`` is ``A`` itself when
    ``A`` is column-major in the working precision), and ``A X`` with few
    non-zero rows in ``X`` reads only those rows of ``A^T``.
    """

    threaded_blas = True

    def __init__(self, AT: np.ndarray) -> None:
        self.AT = AT
        self.n, self.m = AT.shape
        self.complex_A = AT.dtype.kind == "c"

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        if self.complex_A:
            return np.ascontiguousarray(_real_mm(self.AT, R.conj()).conj())
        return np.ascontiguousarray(_real_mm(self.AT, R))

    def matmat(self, X: np.ndarray) -> np.ndarray:
        supp = _k.support_rows(X)
        if supp.shape[0] > _SUPPORT_FRACTION * self.n:
            return np.ascontiguousarray(_real_mm(self.AT.T, X))
        k = X.shape[1]
        P = np.ascontiguousarray(X[supp])
        outT = np.empty((k, self.m), dtype=np.result_type(self.AT.dtype, X.dtype))
        _k.rows_tmatmat(self.AT, supp, P, outT)
        return outT.reshape(self.m, 1) if k == 1 else np.ascontiguousarray(outT.T)


class _CSCProducts:
    """A sparse ``A`` in CSC: ``A^H R`` gathers over its columns and ``A X``
    touches only the columns in the support of ``X``."""

    threaded_blas = False

    def __init__(self, op: LinearOperator, csc: Any) -> None:
        self.op, self.csc = op, csc
        self.n = op.shape[1]

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        if R.shape[1] == 1:
            return self.csc.rmatvec(R[:, 0]).reshape(-1, 1)
        return np.ascontiguousarray(self.csc.rmatmat(R))

    def matmat(self, X: np.ndarray) -> np.ndarray:
        supp = _k.support_rows(X)
        if supp.shape[0] > _SUPPORT_FRACTION * self.n:
            if X.shape[1] == 1:
                return np.ascontiguousarray(self.op._matvec(X[:, 0])).reshape(-1, 1)
            return np.ascontiguousarray(self.op._matmat(X))
        P = np.ascontiguousarray(X[supp])
        csc = self.csc
        out = np.empty(
            (csc.shape[0], X.shape[1]), dtype=np.result_type(csc.dtype, X.dtype)
        )
        _k.csc_cols_matmat(csc.data, csc.indices, csc.indptr, supp, P, out)
        return out


class _GenericProducts(OperatorProducts):
    """Any operator, through its own products."""

    def __init__(self, op: LinearOperator, threaded_blas: bool) -> None:
        super().__init__(op)
        self.threaded_blas = threaded_blas


def make_products(op: LinearOperator, dtype: np.dtype) -> Any:
    """The fastest product engine for ``op`` in the working ``dtype``.

    ``threaded_blas`` is True only for an explicit dense matrix: with a
    sparse or matrix-free ``A`` every iteration mixes small BLAS calls with
    parallel Numba products, and the solver runs BLAS on one thread so that
    no spinning BLAS worker takes a core from them (CSR 10000 x 50000 on 2
    threads: 110 ms -> 43 ms).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import aslinearoperator
    >>> from sparsela.solvers.proximal._products import make_products
    >>> P = make_products(aslinearoperator(np.eye(3)), np.dtype(np.float64))
    >>> P.threaded_blas, P.matmat(np.ones((3, 1))).ravel()
    (True, array([1., 1., 1.]))
    """
    M = stored_matrix(op)
    if isinstance(M, np.ndarray):
        # the problem's precision, so that products never cast A on the fly
        want = np.result_type(M.dtype, np.finfo(dtype).dtype)
        if M.flags.f_contiguous and M.dtype == want:
            return _DenseProducts(M.T)
        if M.nbytes <= _COPY_LIMIT:
            return _DenseProducts(np.ascontiguousarray(M.T, dtype=want))
        return _GenericProducts(op, threaded_blas=True)
    if M is not None:
        return _CSCProducts(op, M)
    return _GenericProducts(op, threaded_blas=False)
