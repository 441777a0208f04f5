"""Coordinate (COO) container."""

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
    check_shape,
    dense_input,
    index_dtype,
    scipy_input,
)

__all__ = ["COO"]

_uv = ks.unsigned_view


class COO(SparseFormat):
    """Coordinate-format sparse matrix (triplets; duplicates allowed).

    Parameters
    ----------
    data : ndarray of shape (nnz,)
        Stored values; float32, float64, complex64 or complex128 (integer data
        raises ``TypeError``).
    row, col : array_like of int, shape (nnz,)
        Row and column of each value, in bounds. Order is free and positions
        may repeat: repeated entries add up in products and conversions.
    shape : tuple of int
        ``(rows, columns)``.
    check : bool, default=True, keyword-only
        Validate the arrays; ``check=False`` is for internal callers.

    Notes
    -----
    COO is the assembly format: products run one serial pass over the
    triplets (``O(nnz)``); convert with ``asformat("csr")`` for repeated,
    parallel products. ``A.T`` swaps ``row`` and ``col`` (no copy).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import COO
    >>> A = COO([1.0, 2.0, 5.0], [0, 0, 1], [1, 1, 0], shape=(2, 2))
    >>> A.todense()
    array([[0., 3.],
           [5., 0.]])
    >>> A @ np.array([1.0, 1.0])
    array([3., 5.])
    """

    format = "coo"
    __slots__ = ("_col", "_data", "_row")

    def __init__(
        self,
        data: Any,
        row: Any,
        col: Any,
        shape: tuple[int, int],
        *,
        check: bool = True,
    ) -> None:
        if check:
            shape = check_shape(shape)
            data = check_data(data, "data", 1)
            row = check_index(row, "row")
            col = check_index(col, "col")
            nnz = data.shape[0]
            for name, arr in (("row", row), ("col", col)):
                if arr.shape[0] != nnz:
                    raise ValueError(
                        f"{name} must have the same length as data, "
                        f"got {arr.shape[0]} and {nnz}"
                    )
            check_bounds(row, "row", shape[0])
            check_bounds(col, "col", shape[1])
            idt = index_dtype(shape[0], shape[1])
            row = as_index(row, idt)
            col = as_index(col, idt)
            data = np.ascontiguousarray(data)
        else:
            shape = (int(shape[0]), int(shape[1]))
        self._shape = shape
        self._data = data
        self._row = row
        self._col = col

    @property
    def data(self) -> np.ndarray:
        """Stored values, shape ``(nnz,)``."""
        return self._data

    @property
    def row(self) -> np.ndarray:
        """Row index of each stored value."""
        return self._row

    @property
    def col(self) -> np.ndarray:
        """Column index of each stored value."""
        return self._col

    @property
    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        """``(row, col)``, as in ``scipy.sparse.coo_array``."""
        return self._row, self._col

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def nnz(self) -> int:
        return int(self._data.shape[0])

    # -- products -----------------------------------------------------------
    def _product(self, x: np.ndarray, row: np.ndarray, col: np.ndarray, rows: int):
        x, out = self._operand(x, rows, None if x.ndim == 1 else x.shape[1])
        if self.nnz == 0 or out.size == 0:
            return out
        if x.ndim == 1:
            ks.coo_matvec(self._data, _uv(row), _uv(col), x, out)
        else:
            ks.coo_matmat(self._data, _uv(row), _uv(col), x, out)
        return out

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self._product(x, self._row, self._col, self._shape[0])

    _matmat = _matvec

    def _tmatvec(self, y: np.ndarray) -> np.ndarray:
        return self._product(y, self._col, self._row, self._shape[1])

    _tmatmat = _tmatvec

    def _sddmm(self, X: np.ndarray, Yt: np.ndarray) -> COO:
        out = np.zeros(self.nnz, dtype=X.dtype)
        if self.nnz:
            ks.coo_sddmm(_uv(self._row), _uv(self._col), X, Yt, out)
        return self._with_data(out)

    # -- conversions --------------------------------------------------------
    def _scipy_view(self) -> Any:
        return sp.coo_array((self._data, (self._row, self._col)), shape=self._shape)

    def to_scipy(self) -> Any:
        """Equivalent ``scipy.sparse.coo_array`` (arrays copied, duplicates kept)."""
        return sp.coo_array(
            (self._data.copy(), (self._row.copy(), self._col.copy())),
            shape=self._shape,
        )

    def todense(self) -> np.ndarray:
        """Dense ndarray (duplicates summed)."""
        return self._scipy_view().toarray()

    def sum_duplicates(self) -> COO:
        """Copy with duplicates summed and entries in row-major order.

        Examples
        --------
        >>> from sparsela.formats import COO
        >>> COO([1.0, 2.0], [0, 0], [1, 1], (1, 2)).sum_duplicates().data
        array([3.])
        """
        S = self.to_scipy()
        S.sum_duplicates()
        return COO.from_scipy(S)

    @classmethod
    def from_dense(cls, A: Any) -> COO:
        """Triplets of the nonzero entries of the dense 2-D array ``A``.

        Integer and boolean input is cast to float64; entries come in
        row-major order.
        """
        A = dense_input(A, "A")
        rows, cols = np.nonzero(A)
        idt = index_dtype(*A.shape)
        return cls(
            np.ascontiguousarray(A[rows, cols]),
            rows.astype(idt),
            cols.astype(idt),
            A.shape,
            check=False,
        )

    @classmethod
    def from_scipy(cls, S: Any) -> COO:
        """From any ``scipy.sparse`` matrix or array (COO input: no copy).

        Integer and boolean data is cast to float64.
        """
        S = scipy_input(S, "S")
        S = S.tocoo()
        row, col = S.coords if hasattr(S, "coords") else (S.row, S.col)
        return cls(S.data, row, col, S.shape)

    # -- structure ----------------------------------------------------------
    @property
    def T(self) -> COO:
        """Transpose (``row`` and ``col`` swapped, no copy)."""
        return COO(
            self._data,
            self._col,
            self._row,
            (self._shape[1], self._shape[0]),
            check=False,
        )

    def _data_array(self) -> np.ndarray:
        return self._data

    def _with_data(self, data: np.ndarray) -> COO:
        return COO(data, self._row, self._col, self._shape, check=False)

    def copy(self) -> COO:
        return COO(
            self._data.copy(),
            self._row.copy(),
            self._col.copy(),
            self._shape,
            check=False,
        )
