"""Compressed sparse row (CSR) and column (CSC) containers."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..kernels.cpu import sparse as ks
from ._base import (
    SparseFormat,
    as_index,
    check_bounds,
    check_data,
    check_index,
    check_indptr,
    check_shape,
    dense_input,
    index_dtype,
    scipy_input,
)

__all__ = ["CSC", "CSR"]

_uv = ks.unsigned_view


class _Compressed(SparseFormat):
    """Shared body of CSR (rows compressed) and CSC (columns compressed).

    The three arrays of a CSC matrix are the CSR arrays of its transpose, so
    one pair of kernels serves both: the "gather" kernel (output indexed by
    the compressed axis, parallel over it) and the "scatter" kernel (output
    indexed by ``indices``).
    """

    __slots__ = ("_data", "_indices", "_indptr")
    _csr_like: bool = True  # compressed axis is the row axis

    def __init__(
        self,
        data: Any,
        indices: Any,
        indptr: Any,
        shape: tuple[int, int],
        *,
        check: bool = True,
    ) -> None:
        if check:
            shape = check_shape(shape)
            data = check_data(data, "data", 1)
            indices = check_index(indices, "indices")
            indptr = check_index(indptr, "indptr")
            nnz = data.shape[0]
            if indices.shape[0] != nnz:
                raise ValueError(
                    "indices must have the same length as data, "
                    f"got {indices.shape[0]} and {nnz}"
                )
            major, minor = shape if self._csr_like else shape[::-1]
            axis = "rows" if self._csr_like else "columns"
            if indptr.shape[0] != major + 1:
                raise ValueError(
                    f"indptr must have length {major + 1} ({axis} + 1), "
                    f"got {indptr.shape[0]}"
                )
            check_indptr(indptr, "indptr", major + 1, nnz)
            check_bounds(indices, "indices", minor)
            idt = index_dtype(nnz, minor)
            indices = as_index(indices, idt)
            indptr = as_index(indptr, idt)
            data = np.ascontiguousarray(data)
        else:
            shape = (int(shape[0]), int(shape[1]))
        self._shape = shape
        self._data = data
        self._indices = indices
        self._indptr = indptr

    # -- attributes ---------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """Stored values, shape ``(nnz,)``."""
        return self._data

    @property
    def indices(self) -> np.ndarray:
        """Minor-axis index of each stored value (int32 when it fits)."""
        return self._indices

    @property
    def indptr(self) -> np.ndarray:
        """Offsets of each major-axis slice in ``data``/``indices``."""
        return self._indptr

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def nnz(self) -> int:
        return int(self._data.shape[0])

    @property
    def has_canonical_format(self) -> bool:
        """True when indices are sorted within each slice without duplicates."""
        if self.nnz < 2:
            return True
        return bool(ks.is_canonical(self._indices, self._indptr))

    def _major_minor(self) -> tuple[int, int]:
        m, n = self._shape
        return (m, n) if self._csr_like else (n, m)

    # -- kernels ------------------------------------------------------------
    def _gather(self, x: np.ndarray) -> np.ndarray:
        major, _ = self._major_minor()
        x, out = self._operand(x, major, None if x.ndim == 1 else x.shape[1])
        if self.nnz == 0 or out.size == 0:
            return out
        args = (self._data, _uv(self._indices), _uv(self._indptr), x, out)
        # serial below the threshold: small products never wait for threads
        parallel = ks.use_parallel(self.nnz * (1 if x.ndim == 1 else x.shape[1]))
        if x.ndim == 1:
            ks.csr_matvec(*args, parallel=parallel)
        else:
            ks.csr_matmat(*args, parallel=parallel)
        return out

    def _scatter(self, x: np.ndarray) -> np.ndarray:
        _, minor = self._major_minor()
        k = None if x.ndim == 1 else x.shape[1]
        x, out = self._operand(x, minor, k)
        if self.nnz == 0 or out.size == 0:
            return out
        width = 1 if k is None else k
        # one chunk (serial) below the kernels' parallel threshold
        nchunks = ks.n_scatter_chunks(
            self.nnz * width, minor * width, out.dtype.itemsize
        )
        bounds = ks.row_partition(self._indptr, nchunks)
        args = (self._data, _uv(self._indices), _uv(self._indptr), x, out, bounds)
        if x.ndim == 1:
            ks.csr_tmatvec(*args)
        else:
            ks.csr_tmatmat(*args)
        return out

    def _sddmm(self, X: np.ndarray, Yt: np.ndarray) -> SparseFormat:
        out = np.zeros(self.nnz, dtype=X.dtype)
        if self.nnz:
            if not self._csr_like:  # CSC arrays are CSR arrays of the transpose
                X, Yt = Yt, X
            parallel = ks.use_parallel(self.nnz * X.shape[1])
            ks.csr_sddmm(
                _uv(self._indices), _uv(self._indptr), X, Yt, out, parallel=parallel
            )
        return self._with_data(out)

    # -- conversions --------------------------------------------------------
    def _scipy_view(self) -> Any:
        cls = sp.csr_array if self._csr_like else sp.csc_array
        return cls((self._data, self._indices, self._indptr), shape=self._shape)

    def _asformat(self, format: str, **kwargs: Any) -> SparseFormat:
        if kwargs or format not in ("csr", "csc") or format == self.format:
            return super()._asformat(format, **kwargs)
        # CSR <-> CSC: SciPy transposes the validated arrays into new ones, so
        # neither the copy of to_scipy nor a second validation is needed
        view = self._scipy_view()
        S = view.tocsr() if format == "csr" else view.tocsc()
        cls = CSR if format == "csr" else CSC
        return cls(S.data, S.indices, S.indptr, self._shape, check=False)

    def to_scipy(self) -> Any:
        """Equivalent ``scipy.sparse`` array, arrays copied.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> CSR.from_dense(np.eye(2)).to_scipy().format
        'csr'
        """
        cls = sp.csr_array if self._csr_like else sp.csc_array
        return cls(
            (self._data.copy(), self._indices.copy(), self._indptr.copy()),
            shape=self._shape,
        )

    def todense(self) -> np.ndarray:
        """Dense ndarray (duplicates summed).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> CSR([1.0, 2.0], [1, 1], [0, 2, 2], (2, 2)).todense()
        array([[0., 3.],
               [0., 0.]])
        """
        return self._scipy_view().toarray()

    def sum_duplicates(self) -> _Compressed:
        """Canonical copy: indices sorted within each slice, duplicates summed.

        Examples
        --------
        >>> from sparsela.formats import CSR
        >>> CSR([1.0, 2.0], [1, 1], [0, 2, 2], (2, 2)).sum_duplicates().nnz
        1
        """
        S = self.to_scipy()
        S.sum_duplicates()  # in place, on the copies: valid, canonical arrays
        return type(self)(S.data, S.indices, S.indptr, self._shape, check=False)

    @classmethod
    def from_dense(cls, A: Any) -> _Compressed:
        """Matrix of the nonzero entries of the dense 2-D array ``A``.

        Integer and boolean input is cast to float64. The result is in
        canonical form (sorted indices, no duplicates).
        """
        A = dense_input(A, "A")
        B = A if cls._csr_like else A.T
        major, minor = B.shape
        rows, cols = np.nonzero(B)
        data = np.ascontiguousarray(B[rows, cols])
        counts = np.bincount(rows, minlength=major)
        idt = index_dtype(data.shape[0], minor)
        indptr = np.zeros(major + 1, dtype=idt)
        np.cumsum(counts, out=indptr[1:])
        return cls(data, cols.astype(idt), indptr, A.shape, check=False)

    @classmethod
    def from_scipy(cls, S: Any) -> _Compressed:
        """From any ``scipy.sparse`` matrix or array.

        CSR (resp. CSC) input keeps its arrays (no copy; unsorted indices and
        duplicates are kept); other formats are converted by SciPy, which sums
        duplicates. Integer and boolean data is cast to float64.
        """
        S = scipy_input(S, "S")
        S = S.tocsr() if cls._csr_like else S.tocsc()
        return cls(S.data, S.indices, S.indptr, S.shape)

    # -- structure ----------------------------------------------------------
    def _data_array(self) -> np.ndarray:
        return self._data

    def _with_data(self, data: np.ndarray) -> _Compressed:
        return type(self)(data, self._indices, self._indptr, self._shape, check=False)

    def copy(self) -> _Compressed:
        return type(self)(
            self._data.copy(),
            self._indices.copy(),
            self._indptr.copy(),
            self._shape,
            check=False,
        )


class CSR(_Compressed):
    """Compressed sparse row matrix.

    Parameters
    ----------
    data : ndarray of shape (nnz,)
        Stored values; float32, float64, complex64 or complex128 (integer data
        raises ``TypeError``: cast it first, or use :meth:`from_dense`).
    indices : array_like of int, shape (nnz,)
        Column index of each value, in ``[0, columns)``. Within a row they may
        be unsorted and repeat; repeated entries add up.
    indptr : array_like of int, shape (rows + 1,)
        Row ``i`` holds ``data[indptr[i]:indptr[i + 1]]``.
    shape : tuple of int
        ``(rows, columns)``.
    check : bool, default=True, keyword-only
        Validate the arrays (dtype, finiteness, bounds, monotone ``indptr``).
        ``check=False`` is for internal callers that pass valid, contiguous
        arrays with int32/int64 indices.

    Notes
    -----
    Index arrays are stored as int32 when ``nnz`` and the column count fit,
    int64 otherwise; the kernels read them through unsigned views. Arrays are
    shared with the caller, not copied, when already conforming: do not write
    into them afterwards. ``A.T`` is a CSC matrix on the same arrays (no
    copy); the products ``A @ x`` run in parallel over rows, ``A.T @ y``
    scatters (with per-thread buffers when that pays); products of fewer than
    :data:`~sparsela.kernels.cpu.sparse.PARALLEL_MIN_WORK` stored-entry
    updates run serially.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import CSR
    >>> A = CSR([1.0, 2.0, 3.0], [0, 2, 1], [0, 2, 3], shape=(2, 3))
    >>> A @ np.ones(3)
    array([3., 3.])
    >>> A.T.format, A.T.shape
    ('csc', (3, 2))
    """

    format = "csr"
    __slots__ = ()
    _csr_like = True

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self._gather(x)

    _matmat = _matvec

    def _tmatvec(self, y: np.ndarray) -> np.ndarray:
        return self._scatter(y)

    _tmatmat = _tmatvec

    @property
    def T(self) -> CSC:
        """Transpose as a CSC matrix on the same arrays (no copy)."""
        return CSC(
            self._data,
            self._indices,
            self._indptr,
            (self._shape[1], self._shape[0]),
            check=False,
        )


class CSC(_Compressed):
    """Compressed sparse column matrix.

    Same parameters as :class:`CSR` with rows and columns exchanged:
    ``indices`` holds row indices and column ``j`` holds
    ``data[indptr[j]:indptr[j + 1]]``.

    Parameters
    ----------
    data : array_like, shape (nnz,)
        Stored values (float32/64 or complex64/128, finite).
    indices : array_like of int, shape (nnz,)
        Row index of each stored value; within a column they may be unsorted
        and repeat (repeated entries add up).
    indptr : array_like of int, shape (columns + 1,)
        Column ``j`` holds ``data[indptr[j]:indptr[j + 1]]``.
    shape : tuple of int
        ``(rows, columns)``.
    check : bool, default=True, keyword-only
        Validate the arrays; ``check=False`` is for internal callers, as for
        :class:`CSR`.

    Notes
    -----
    ``A @ x`` scatters over columns (per-thread buffers when the matrix has
    at least a few entries per row and several threads are set); ``A.T @ y``
    gathers in parallel. ``A.T`` is a CSR matrix on the same arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import CSC
    >>> A = CSC.from_dense(np.array([[1.0, 0.0], [2.0, 3.0]]))
    >>> A.indptr.tolist(), A @ np.ones(2)
    ([0, 2, 3], array([1., 5.]))
    """

    format = "csc"
    __slots__ = ()
    _csr_like = False

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self._scatter(x)

    _matmat = _matvec

    def _tmatvec(self, y: np.ndarray) -> np.ndarray:
        return self._gather(y)

    _tmatmat = _tmatvec

    @property
    def T(self) -> CSR:
        """Transpose as a CSR matrix on the same arrays (no copy)."""
        return CSR(
            self._data,
            self._indices,
            self._indptr,
            (self._shape[1], self._shape[0]),
            check=False,
        )
