"""N:M structured-sparse container (any N:M, not only 2:4)."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import scipy.sparse as sp

from .._validation import check_positive_int
from ..kernels.cpu import sparse as ks
from ._base import (
    SparseFormat,
    check_data,
    check_index,
    check_shape,
    dense_input,
    index_dtype,
    scipy_input,
)
from ._compressed import CSC

__all__ = ["NM"]

# rows densified at a time by NM.from_scipy (elements)
_DENSE_CHUNK = 2**22


def _check_nm(n: Any, m: Any, cols: int) -> tuple[int, int]:
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    if m > 256:
        raise ValueError(f"m must be at most 256 (uint8 positions), got {m}")
    if n > m:
        raise ValueError(f"n must be at most m={m}, got {n}")
    if cols % m:
        raise ValueError(
            f"m must divide the number of columns, got m={m} for {cols} columns"
        )
    return n, m


def _select(A: np.ndarray, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the ``n`` largest-magnitude entries of each group of ``m`` columns."""
    rows, cols = A.shape
    groups = cols // m
    A3 = A.reshape(rows, groups, m)
    # stable sort of -|a|: equal magnitudes keep their order (lowest index first)
    order = np.argsort(-np.abs(A3), axis=-1, kind="stable")[..., :n]
    pos = np.sort(order, axis=-1)
    vals = np.take_along_axis(A3, pos, axis=-1)
    return (
        np.ascontiguousarray(vals.reshape(rows, groups * n)),
        pos.reshape(rows, groups * n).astype(np.uint8),
    )


class NM(SparseFormat):
    """N:M structured-sparse matrix: ``n`` kept values in every ``m`` columns.

    Along each row, every group of ``m`` consecutive columns stores exactly
    ``n`` values and their in-group offsets.

    Parameters
    ----------
    values : ndarray of shape (rows, columns // m * n)
        Kept values, group after group; float32, float64, complex64 or
        complex128.
    positions : array_like of int, same shape as ``values``
        In-group offset (``0 .. m-1``) of each kept value, distinct within a
        group; stored as uint8. Value ``values[i, g*n + t]`` sits at column
        ``g*m + positions[i, g*n + t]``.
    shape : tuple of int
        ``(rows, columns)``; ``m`` must divide ``columns``.
    n, m : int
        ``1 <= n <= m <= 256``.
    check : bool, default=True, keyword-only
        Validate the arrays; ``check=False`` is for internal callers.

    Notes
    -----
    ``nnz`` counts kept values (``rows * columns * n / m``), explicit zeros
    included. No column index array is stored: a product reads one byte of
    position per value instead of four or eight bytes of index, which is what
    makes the format fast. ``A @ x`` runs in parallel over rows and ``A.T @
    y`` in parallel over column groups (groups own disjoint outputs, so no
    buffers are needed). ``A.T`` is a CSC matrix (the transpose of an N:M
    matrix is not N:M along rows); ``to_scipy`` gives a ``csr_array``.

    References
    ----------
    .. [1] A. Zhou et al., "Learning N:M fine-grained structured sparse neural
       networks from scratch", ICLR 2021, arXiv:2102.04010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import NM
    >>> A = NM.from_dense(np.array([[1.0, -4.0, 3.0, 2.0]]), n=2, m=4)
    >>> A.values, A.positions
    (array([[-4.,  3.]]), array([[1, 2]], dtype=uint8))
    >>> A @ np.ones(4)
    array([-1.])
    """

    format = "nm"
    __slots__ = ("_m", "_n", "_positions", "_values")

    def __init__(
        self,
        values: Any,
        positions: Any,
        shape: tuple[int, int],
        n: int,
        m: int,
        *,
        check: bool = True,
    ) -> None:
        if check:
            shape = check_shape(shape)
            n, m = _check_nm(n, m, shape[1])
            values = check_data(values, "values", 2)
            positions = check_index(positions, "positions", ndim=2)
            want = (shape[0], shape[1] // m * n)
            if values.shape != want:
                raise ValueError(
                    f"values must have shape {want} for shape {shape} and "
                    f"{n}:{m}, got {values.shape}"
                )
            if positions.shape != want:
                raise ValueError(
                    f"positions must have shape {want}, got {positions.shape}"
                )
            if positions.size:
                lo, hi = int(positions.min()), int(positions.max())
                if lo < 0 or hi >= m:
                    raise ValueError(
                        f"positions must lie in [0, {m}), got values in [{lo}, {hi}]"
                    )
            positions = positions.astype(np.uint8)
            if n > 1 and positions.size:
                p = np.sort(positions.reshape(shape[0], -1, n), axis=-1)
                if bool((np.diff(p, axis=-1) == 0).any()):
                    raise ValueError(
                        "positions must be distinct within each group of "
                        f"{n} kept values"
                    )
            values = np.ascontiguousarray(values)
            positions = np.ascontiguousarray(positions)
        else:
            shape = (int(shape[0]), int(shape[1]))
            n, m = int(n), int(m)
        self._shape = shape
        self._values = values
        self._positions = positions
        self._n = n
        self._m = m

    # -- attributes ---------------------------------------------------------
    @property
    def values(self) -> np.ndarray:
        """Kept values, shape ``(rows, columns // m * n)``."""
        return self._values

    @property
    def positions(self) -> np.ndarray:
        """In-group offsets (uint8), same shape as :attr:`values`."""
        return self._positions

    @property
    def n(self) -> int:
        """Values kept per group."""
        return self._n

    @property
    def m(self) -> int:
        """Group length."""
        return self._m

    @property
    def dtype(self) -> np.dtype:
        return self._values.dtype

    @property
    def nnz(self) -> int:
        return int(self._values.size)

    def _repr_extra(self) -> str:
        return f", {self._n}:{self._m}"

    def column_indices(self) -> np.ndarray:
        """Column of each kept value, same shape as :attr:`values` (int64)."""
        groups = np.arange(self._values.shape[1], dtype=np.int64) // self._n
        return groups[None, :] * self._m + self._positions

    # -- products -----------------------------------------------------------
    def _matvec(self, x: np.ndarray) -> np.ndarray:
        x, out = self._operand(x, self._shape[0], None if x.ndim == 1 else x.shape[1])
        if self.nnz == 0 or out.size == 0:
            return out
        args = (self._values, self._positions, self._n, self._m, x, out)
        # serial below the threshold: small products never wait for threads
        parallel = ks.use_parallel(self.nnz * (1 if x.ndim == 1 else x.shape[1]))
        if x.ndim == 1:
            ks.nm_matvec(*args, parallel=parallel)
        else:
            ks.nm_matmat(*args, parallel=parallel)
        return out

    _matmat = _matvec

    def _tmatvec(self, y: np.ndarray) -> np.ndarray:
        k = None if y.ndim == 1 else y.shape[1]
        y, out = self._operand(y, self._shape[1], k)
        if self.nnz == 0 or out.size == 0:
            return out
        width = 1 if k is None else k
        # column groups own disjoint outputs: one run per thread; the serial
        # kernel below the kernels' parallel threshold
        parallel = ks.use_parallel(self.nnz * width)
        nchunks = max(1, min(numba.get_num_threads(), self._shape[1] // self._m))
        args = (self._values, self._positions, self._n, self._m, y, out, nchunks)
        if y.ndim == 1:
            ks.nm_tmatvec(*args, parallel=parallel)
        else:
            ks.nm_tmatmat(*args, parallel=parallel)
        return out

    _tmatmat = _tmatvec

    def _sddmm(self, X: np.ndarray, Yt: np.ndarray) -> NM:
        out = np.zeros(self._values.shape, dtype=X.dtype)
        if self.nnz:
            parallel = ks.use_parallel(self.nnz * X.shape[1])
            ks.nm_sddmm(
                self._positions, self._n, self._m, X, Yt, out, parallel=parallel
            )
        return self._with_data(out)

    # -- conversions --------------------------------------------------------
    def _csr_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, width = self._values.shape
        idt = index_dtype(self.nnz, self._shape[1])
        indptr = np.arange(rows + 1, dtype=np.int64) * width
        return (
            self._values.reshape(-1).copy(),
            self.column_indices().reshape(-1).astype(idt),
            indptr.astype(idt),
        )

    def to_scipy(self) -> Any:
        """Equivalent ``scipy.sparse.csr_array`` (explicit zeros kept)."""
        return sp.csr_array(self._csr_arrays(), shape=self._shape)

    def todense(self) -> np.ndarray:
        """Dense ndarray."""
        out = np.zeros(self._shape, dtype=self.dtype)
        if self.nnz:
            rows = np.arange(self._shape[0])[:, None]
            out[rows, self.column_indices()] = self._values
        return out

    def _asformat(self, format: str, **kwargs: Any) -> SparseFormat:
        if format == "nm" and kwargs.get("n", self._n) == self._n:
            if kwargs.get("m", self._m) == self._m:
                return self
        if format == "nm":
            kwargs.setdefault("n", self._n)
            kwargs.setdefault("m", self._m)
        return super()._asformat(format, **kwargs)

    @classmethod
    def from_dense(cls, A: Any, n: int, m: int) -> NM:
        """Keep the ``n`` largest-magnitude entries of every group of ``m``.

        Parameters
        ----------
        A : array_like of shape (rows, columns)
            Dense matrix, ``m`` dividing ``columns``; integer and boolean
            input is cast to float64.
        n, m : int
            Pattern, ``1 <= n <= m <= 256``.

        Returns
        -------
        NM
            Ties in magnitude keep the lowest column; positions come sorted
            within each group. This is the standard magnitude pruning to N:M.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import NM
        >>> NM.from_dense(np.array([[0.0, 1.0, 1.0, 0.0]]), 1, 2).todense()
        array([[0., 1., 1., 0.]])
        """
        A = dense_input(A, "A")
        n, m = _check_nm(n, m, A.shape[1])
        values, positions = _select(A, n, m)
        return cls(values, positions, A.shape, n, m, check=False)

    @classmethod
    def from_scipy(cls, S: Any, n: int, m: int) -> NM:
        """From a ``scipy.sparse`` matrix, keeping ``n`` of every ``m`` columns.

        Same selection rule as :meth:`from_dense` (lossless when ``S`` already
        has at most ``n`` nonzeros per group); rows are densified a block at a
        time, so memory stays ``O(columns)`` per row. Integer and boolean data
        is cast to float64.
        """
        S = scipy_input(S, "S")
        n, m = _check_nm(n, m, S.shape[1])
        rows, cols = S.shape
        S = sp.csr_array(S)
        step = max(1, _DENSE_CHUNK // max(cols, 1))
        vals, poss = [], []
        for r0 in range(0, rows, step):
            block = S[r0 : r0 + step].toarray()
            v, p = _select(block, n, m)
            vals.append(v)
            poss.append(p)
        width = cols // m * n
        values = np.concatenate(vals) if vals else np.zeros((0, width), S.dtype)
        positions = np.concatenate(poss) if poss else np.zeros((0, width), np.uint8)
        return cls(values, positions, S.shape, n, m)

    # -- structure ----------------------------------------------------------
    @property
    def T(self) -> CSC:
        """Transpose as a CSC matrix (the transpose is not N:M along rows)."""
        data, indices, indptr = self._csr_arrays()
        return CSC(data, indices, indptr, (self._shape[1], self._shape[0]), check=False)

    def _data_array(self) -> np.ndarray:
        return self._values

    def _with_data(self, data: np.ndarray) -> NM:
        return NM(data, self._positions, self._shape, self._n, self._m, check=False)

    def copy(self) -> NM:
        return NM(
            self._values.copy(),
            self._positions.copy(),
            self._shape,
            self._n,
            self._m,
            check=False,
        )
