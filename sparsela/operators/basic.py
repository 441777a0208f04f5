"""Elementary operators: Dense, SparseMatrix, Identity, Diagonal, Restriction."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse

from .._backend import get_namespace
from .._threads import rows_matmul
from .._validation import check_array, check_index_array, check_positive_int
from ._base import LinearOperator, _conj, _is_format, _norms

__all__ = ["Dense", "Diagonal", "Identity", "Restriction", "SparseMatrix"]


class Dense(LinearOperator):
    """An explicit matrix as an operator (NumPy or CuPy array).

    Parameters
    ----------
    A : array_like of shape (m, n)
        Floating or complex matrix; integers are cast to float64.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Dense
    >>> A = Dense(np.array([[1.0, 2.0], [0.0, 1.0]]))
    >>> A.H @ np.array([1.0, 1.0])
    array([1., 3.])
    """

    def __init__(self, A: Any) -> None:
        xp = get_namespace(A)
        A = check_array(A, "A", ndim=2, allow_int=True, xp=xp)
        super().__init__(A.shape, A.dtype)
        self.A = A

    def _matvec(self, x):
        return self.A @ x

    def _matmat(self, X):
        return self.A @ X

    def _rmatvec(self, y):
        # A^H y = conj(conj(y) @ A): avoids materialising conj(A)
        return _conj(_conj(y) @ self.A)

    def _rmatmat(self, Y):
        return _conj(_conj(Y).T @ self.A).T

    # capabilities: direct on the array
    @property
    def nnz(self):
        return self.shape[0] * self.shape[1]

    def as_array(self):
        return self.A if isinstance(self.A, np.ndarray) else None

    def column_norms(self):
        return _norms(self.A)

    def columns(self, idx):
        return self.A[:, np.asarray(idx, dtype=np.int64)]

    def matmat_support(self, idx, X):
        return self.columns(idx) @ X

    def rmatmat_support(self, idx, Y):
        return _conj(_conj(Y).T @ self.columns(idx)).T

    def gram(self):
        if not isinstance(self.A, np.ndarray):
            return _conj(self.A).T @ self.A
        # rows shared out over the Numba threads: no spinning BLAS workers
        # left behind to slow a parallel kernel that follows
        return rows_matmul(_conj(self.A).T, self.A)

    def normal(self) -> LinearOperator:
        """``A^H A``, formed explicitly when it is no larger than ``A``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.ones((3, 2))).normal().todense()
        array([[3., 3.],
               [3., 3.]])
        """
        m, n = self.shape
        if n <= m:
            return Dense(_conj(self.A).T @ self.A)
        return super().normal()

    def todense(self) -> np.ndarray:
        return np.array(self.A.get() if hasattr(self.A, "get") else self.A)


class SparseMatrix(LinearOperator):
    """A sparse matrix (sparsela format or ``scipy.sparse``) as an operator.

    SciPy sparse input is wrapped once in sparsela's
    :class:`~sparsela.formats.CSC` (CSC input, arrays kept) or
    :class:`~sparsela.formats.CSR` (any other format) so that products run on
    the Numba kernels.

    Parameters
    ----------
    S : sparsela format or scipy.sparse matrix/array
        The matrix.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparsela.operators import SparseMatrix
    >>> S = SparseMatrix(sp.eye(3, format="csr") * 2.0)
    >>> S @ np.ones(3)
    array([2., 2., 2.])
    """

    def __init__(self, S: Any) -> None:
        from ..formats import CSC, CSR

        if scipy.sparse.issparse(S):
            if S.ndim != 2:
                raise ValueError(f"S must be 2-dimensional, got shape {S.shape}")
            if S.dtype.kind not in "fc":
                S = S.astype(np.float64)
            # CSC stays CSC (its arrays kept): column solvers need no conversion
            S = CSC.from_scipy(S) if S.format == "csc" else CSR.from_scipy(S)
        elif not _is_format(S):
            raise TypeError(
                "S must be a sparsela format or scipy.sparse matrix, "
                f"got {type(S).__name__}"
            )
        super().__init__(S.shape, S.dtype)
        self.S = S

    def _matvec(self, x):
        return self.S.matvec(x)

    def _matmat(self, X):
        return self.S.matmat(X)

    def _rmatvec(self, y):
        return self.S.rmatvec(y)

    def _rmatmat(self, Y):
        return self.S.rmatmat(Y)

    def _adjoint(self):
        return SparseMatrix(self.S.H)

    # capabilities: on a canonical CSC copy, made once on first use
    def as_csc(self):
        csc = self.__dict__.get("_csc_cache")
        if csc is None:
            csc = self.S if getattr(self.S, "format", None) == "csc" else None
            csc = self.S.asformat("csc") if csc is None else csc
            self.__dict__["_csc_cache"] = csc
        return csc

    def _canonical_csc(self):
        # column norms need duplicates summed first; products do not, so the
        # check (a pass over the indices) is paid only here
        csc = self.__dict__.get("_canonical_cache")
        if csc is None:
            csc = self.as_csc()
            if not csc.has_canonical_format:
                csc = csc.sum_duplicates()
            self.__dict__["_canonical_cache"] = csc
        return csc

    @property
    def nnz(self):
        return int(self.S.nnz)

    def column_norms(self):
        C = self._canonical_csc()
        sq = C.data.real**2 + C.data.imag**2 if C.dtype.kind == "c" else C.data**2
        out = np.zeros(self.shape[1], dtype=sq.dtype)
        ends = C.indptr[1:].astype(np.int64)
        starts = C.indptr[:-1].astype(np.int64)
        nz = ends > starts
        if nz.any():
            out[nz] = np.add.reduceat(sq, starts[nz])
        return np.sqrt(out)

    def columns(self, idx):
        C = self._canonical_csc()
        idx = np.asarray(idx, dtype=np.int64)
        starts = C.indptr[idx].astype(np.int64)
        counts = C.indptr[idx + 1].astype(np.int64) - starts
        out = np.zeros((self.shape[0], idx.size), dtype=self.dtype)
        if counts.sum():
            col = np.repeat(np.arange(idx.size), counts)
            first = np.repeat(np.cumsum(counts) - counts, counts)
            pos = np.repeat(starts, counts) + np.arange(col.size) - first
            out[C.indices[pos], col] = C.data[pos]
        return out

    def gram(self):
        C = self.as_csc().to_scipy()
        return np.asarray((C.conj().T @ C).toarray())

    def todense(self) -> np.ndarray:
        return np.asarray(self.S.todense())


class Identity(LinearOperator):
    """Identity operator of size ``n`` (or a zero-padding/truncation if ``m != n``).

    Parameters
    ----------
    n : int
        Number of columns.
    m : int, optional
        Number of rows (default ``n``). With ``m > n`` the input is zero-padded,
        with ``m < n`` it is truncated.
    dtype : dtype, default=float64
        Nominal dtype; products keep the input's precision.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Identity
    >>> Identity(2, m=3) @ np.array([1.0, 2.0])
    array([1., 2., 0.])
    """

    def __init__(
        self, n: int, *, m: int | None = None, dtype: Any = np.float64
    ) -> None:
        n = check_positive_int(n, "n", allow_zero=True)
        m = n if m is None else check_positive_int(m, "m", allow_zero=True)
        super().__init__((m, n), dtype)

    def _resize(self, X, rows):
        xp = get_namespace(X)
        if X.shape[0] == rows:
            return X.copy()
        out = xp.zeros((rows,) + X.shape[1:], dtype=X.dtype)
        k = min(rows, X.shape[0])
        out[:k] = X[:k]
        return out

    def _matvec(self, x):
        return self._resize(x, self.shape[0])

    def _rmatvec(self, y):
        return self._resize(y, self.shape[1])

    _matmat = _matvec
    _rmatmat = _rmatvec

    def _adjoint(self):
        return Identity(self.shape[0], m=self.shape[1], dtype=self.dtype)

    _transpose = _adjoint

    def normal(self):
        if self.shape[0] >= self.shape[1]:
            return Identity(self.shape[1], dtype=self.dtype)
        return super().normal()

    def norm_est(self, **kwargs):
        est = 1.0 if min(self.shape) > 0 else 0.0
        if kwargs.get("return_vector"):
            return est, np.ones(self.shape[1]) / max(1, self.shape[1]) ** 0.5
        return est


class Diagonal(LinearOperator):
    """Diagonal operator ``diag(d)``.

    Parameters
    ----------
    d : array_like of shape (n,)
        Diagonal entries (real or complex).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Diagonal
    >>> Diagonal(np.array([1.0, -2.0])) @ np.array([3.0, 3.0])
    array([ 3., -6.])
    """

    def __init__(self, d: Any) -> None:
        xp = get_namespace(d)
        d = check_array(d, "d", ndim=1, allow_int=True, xp=xp)
        super().__init__((d.shape[0], d.shape[0]), d.dtype)
        self.d = d

    def _matvec(self, x):
        return self.d * x

    def _rmatvec(self, y):
        return _conj(self.d) * y

    def _matmat(self, X):
        return self.d[:, None] * X

    def _rmatmat(self, Y):
        return _conj(self.d)[:, None] * Y

    def _adjoint(self):
        return Diagonal(_conj(self.d))

    def _transpose(self):
        return self

    def normal(self):
        xp = get_namespace(self.d)
        return Diagonal(xp.abs(self.d) ** 2)

    def norm_est(self, **kwargs):
        xp = get_namespace(self.d)
        est = float(xp.abs(self.d).max()) if self.d.size else 0.0
        if kwargs.get("return_vector"):
            v = np.zeros(self.shape[1])
            if self.d.size:
                v[int(np.argmax(np.abs(np.asarray(self.d))))] = 1.0
            return est, v
        return est


class Restriction(LinearOperator):
    """Subsampling operator ``x -> x[idx]`` of shape ``(len(idx), n)``.

    Its adjoint scatters (and sums, for repeated indices) back into length ``n``.

    Parameters
    ----------
    n : int
        Length of the input.
    idx : array_like of int
        Kept indices, each in ``[0, n)``.
    dtype : dtype, default=float64
        Nominal dtype; products keep the input's precision.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Restriction
    >>> R = Restriction(4, [0, 2])
    >>> R @ np.array([1.0, 2.0, 3.0, 4.0])
    array([1., 3.])
    >>> R.H @ np.array([1.0, 1.0])
    array([1., 0., 1., 0.])
    """

    def __init__(self, n: int, idx: Any, *, dtype: Any = np.float64) -> None:
        n = check_positive_int(n, "n", allow_zero=True)
        idx = check_index_array(idx, "idx", n)
        if idx.ndim != 1:
            raise ValueError(f"idx must be 1-dimensional, got shape {idx.shape}")
        super().__init__((idx.shape[0], n), dtype)
        self.idx = idx
        self._unique = np.unique(idx).size == idx.size

    def _matvec(self, x):
        return x[self.idx]

    _matmat = _matvec

    def _rmatvec(self, y):
        xp = get_namespace(y)
        out = xp.zeros((self.shape[1],) + y.shape[1:], dtype=y.dtype)
        if self._unique:
            out[self.idx] = y
        else:
            np.add.at(out, self.idx, y)
        return out

    _rmatmat = _rmatvec

    def _transpose(self):
        return self.H

    def norm_est(self, **kwargs):
        est = float(np.sqrt(np.bincount(self.idx).max())) if self.idx.size else 0.0
        if kwargs.get("return_vector"):
            v = np.zeros(self.shape[1])
            if self.idx.size:
                v[np.argmax(np.bincount(self.idx))] = 1.0
            return est, v
        return est
