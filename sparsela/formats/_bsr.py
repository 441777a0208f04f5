"""Block sparse row (BSR) container."""

from __future__ import annotations

import numbers
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

__all__ = ["BSR"]

_uv = ks.unsigned_view


def _check_blocksize(blocksize: Any, shape: tuple[int, int]) -> tuple[int, int]:
    try:
        dims = tuple(blocksize)
    except TypeError:
        raise TypeError(
            f"blocksize must be a tuple of two integers, got {blocksize!r}"
        ) from None
    if len(dims) != 2 or any(
        isinstance(d, bool) or not isinstance(d, numbers.Integral) for d in dims
    ):
        raise TypeError(f"blocksize must be a tuple of two integers, got {blocksize!r}")
    R, C = int(dims[0]), int(dims[1])
    if R < 1 or C < 1:
        raise ValueError(f"blocksize must be positive, got {blocksize!r}")
    if shape[0] % R or shape[1] % C:
        raise ValueError(f"blocksize {(R, C)} must divide the shape {shape}")
    return R, C


class BSR(SparseFormat):
    """Block sparse row matrix: dense ``R x C`` blocks on a CSR block pattern.

    Parameters
    ----------
    data : ndarray of shape (nblocks, R, C)
        The stored blocks; float32, float64, complex64 or complex128.
    indices : array_like of int, shape (nblocks,)
        Block-column index of each block, in ``[0, columns // C)``; repeated
        blocks add up.
    indptr : array_like of int, shape (rows // R + 1,)
        Block row ``b`` holds ``data[indptr[b]:indptr[b + 1]]``.
    shape : tuple of int
        ``(rows, columns)``, multiples of ``R`` and ``C``.
    blocksize : tuple of int, optional
        ``(R, C)``; must match ``data.shape[1:]`` (the default).
    check : bool, default=True, keyword-only
        Validate the arrays; ``check=False`` is for internal callers.

    Notes
    -----
    ``nnz`` counts stored values, ``nblocks * R * C`` (as SciPy does).
    ``A @ x`` runs in parallel over block rows; ``A.T @ y`` scatters (with
    per-thread buffers when that pays). ``A.T`` builds a new BSR matrix with
    ``(C, R)`` blocks (one ``O(nnz)`` pass).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import BSR
    >>> blocks = np.arange(1.0, 9.0).reshape(2, 2, 2)
    >>> A = BSR(blocks, [0, 1], [0, 1, 2], shape=(4, 4))
    >>> A.blocksize, A.nnz
    ((2, 2), 8)
    >>> A @ np.ones(4)
    array([ 3.,  7., 11., 15.])
    """

    format = "bsr"
    __slots__ = ("_data", "_indices", "_indptr")

    def __init__(
        self,
        data: Any,
        indices: Any,
        indptr: Any,
        shape: tuple[int, int],
        blocksize: tuple[int, int] | None = None,
        *,
        check: bool = True,
    ) -> None:
        if check:
            shape = check_shape(shape)
            data = check_data(data, "data", 3)
            if blocksize is None:
                blocksize = data.shape[1:]
                if data.shape[1] < 1 or data.shape[2] < 1:
                    raise ValueError(
                        f"data must hold blocks of positive size, got {data.shape}"
                    )
            R, C = _check_blocksize(blocksize, shape)
            if data.shape[1:] != (R, C):
                raise ValueError(
                    f"data must have shape (nblocks, {R}, {C}) for blocksize "
                    f"{(R, C)}, got {data.shape}"
                )
            indices = check_index(indices, "indices")
            indptr = check_index(indptr, "indptr")
            nblocks = data.shape[0]
            if indices.shape[0] != nblocks:
                raise ValueError(
                    "indices must have one entry per block, "
                    f"got {indices.shape[0]} for {nblocks} blocks"
                )
            check_indptr(indptr, "indptr", shape[0] // R + 1, nblocks)
            check_bounds(indices, "indices", shape[1] // C)
            idt = index_dtype(nblocks, shape[1] // C)
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
        """Stored blocks, shape ``(nblocks, R, C)``."""
        return self._data

    @property
    def indices(self) -> np.ndarray:
        """Block-column index of each block."""
        return self._indices

    @property
    def indptr(self) -> np.ndarray:
        """Offsets of each block row in ``data``/``indices``."""
        return self._indptr

    @property
    def blocksize(self) -> tuple[int, int]:
        """``(R, C)``."""
        return int(self._data.shape[1]), int(self._data.shape[2])

    @property
    def nblocks(self) -> int:
        """Number of stored blocks."""
        return int(self._data.shape[0])

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def nnz(self) -> int:
        return int(self._data.size)

    def _repr_extra(self) -> str:
        return f", blocksize={self.blocksize}"

    # -- products -----------------------------------------------------------
    def _matvec(self, x: np.ndarray) -> np.ndarray:
        x, out = self._operand(x, self._shape[0], None if x.ndim == 1 else x.shape[1])
        if self.nnz == 0 or out.size == 0:
            return out
        args = (self._data, _uv(self._indices), _uv(self._indptr), x, out)
        # serial below the threshold: small products never wait for threads
        parallel = ks.use_parallel(self._data.size * (1 if x.ndim == 1 else x.shape[1]))
        if x.ndim == 1:
            ks.bsr_matvec(*args, parallel=parallel)
        else:
            ks.bsr_matmat(*args, parallel=parallel)
        return out

    _matmat = _matvec

    def _tmatvec(self, y: np.ndarray) -> np.ndarray:
        k = None if y.ndim == 1 else y.shape[1]
        n = self._shape[1]
        y, out = self._operand(y, n, k)
        if self.nnz == 0 or out.size == 0:
            return out
        width = 1 if k is None else k
        nchunks = ks.n_scatter_chunks(self.nnz * width, n * width, out.dtype.itemsize)
        bounds = ks.row_partition(self._indptr, nchunks)
        args = (self._data, _uv(self._indices), _uv(self._indptr), y, out, bounds)
        if y.ndim == 1:
            ks.bsr_tmatvec(*args)
        else:
            ks.bsr_tmatmat(*args)
        return out

    _tmatmat = _tmatvec

    def _sddmm(self, X: np.ndarray, Yt: np.ndarray) -> BSR:
        out = np.zeros(self._data.shape, dtype=X.dtype)
        if self.nnz:
            parallel = ks.use_parallel(out.size * X.shape[1])
            ks.bsr_sddmm(
                _uv(self._indices), _uv(self._indptr), X, Yt, out, parallel=parallel
            )
        return self._with_data(out)

    # -- conversions --------------------------------------------------------
    def _scipy_view(self) -> Any:
        return sp.bsr_array(
            (self._data, self._indices, self._indptr),
            shape=self._shape,
            blocksize=self.blocksize,
        )

    def to_scipy(self) -> Any:
        """Equivalent ``scipy.sparse.bsr_array`` (arrays copied)."""
        return sp.bsr_array(
            (self._data.copy(), self._indices.copy(), self._indptr.copy()),
            shape=self._shape,
            blocksize=self.blocksize,
        )

    def todense(self) -> np.ndarray:
        """Dense ndarray (repeated blocks summed)."""
        return self._scipy_view().toarray()

    def _asformat(self, format: str, **kwargs: Any) -> SparseFormat:
        if format == "bsr" and kwargs.get("blocksize") in (None, self.blocksize):
            return self
        return super()._asformat(format, **kwargs)

    @classmethod
    def from_dense(cls, A: Any, blocksize: tuple[int, int] | None = None) -> BSR:
        """Blocks of the dense 2-D array ``A`` holding at least one nonzero.

        Parameters
        ----------
        A : array_like of shape (rows, columns)
            Dense matrix; integer and boolean input is cast to float64.
        blocksize : tuple of int, optional
            ``(R, C)`` dividing the shape; default: SciPy's heuristic.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import BSR
        >>> BSR.from_dense(np.eye(4), blocksize=(2, 2)).nblocks
        2
        """
        A = dense_input(A, "A")
        if blocksize is not None:
            blocksize = _check_blocksize(blocksize, A.shape)
        return cls.from_scipy(sp.csr_array(A), blocksize=blocksize)

    @classmethod
    def from_scipy(cls, S: Any, blocksize: tuple[int, int] | None = None) -> BSR:
        """From any ``scipy.sparse`` matrix or array.

        BSR input with the requested (or no) block size keeps its arrays (no
        copy); other input is converted by SciPy. ``blocksize`` defaults to
        SciPy's choice. Integer and boolean data is cast to float64.
        """
        S = scipy_input(S, "S")
        if blocksize is not None:
            blocksize = _check_blocksize(blocksize, S.shape)
        if S.format == "bsr" and blocksize in (None, S.blocksize):
            B = S
        elif S.shape[0] * S.shape[1] == 0:
            bs = blocksize or (1, 1)
            R, C = bs
            return cls(
                np.zeros((0, R, C), dtype=S.dtype),
                np.zeros(0, dtype=np.int32),
                np.zeros(S.shape[0] // R + 1, dtype=np.int32),
                S.shape,
                bs,
            )
        else:
            B = S.tobsr(blocksize=blocksize)
        return cls(B.data, B.indices, B.indptr, B.shape, B.blocksize)

    # -- structure ----------------------------------------------------------
    @property
    def T(self) -> BSR:
        """Transpose with ``(C, R)`` blocks (a new matrix, one ``O(nnz)`` pass)."""
        St = self._scipy_view().transpose()
        m, n = self._shape
        R, C = self.blocksize
        return BSR(
            np.ascontiguousarray(St.data).reshape(-1, C, R),
            St.indices,
            St.indptr,
            (n, m),
            (C, R),
        )

    def _data_array(self) -> np.ndarray:
        return self._data

    def _with_data(self, data: np.ndarray) -> BSR:
        return BSR(data, self._indices, self._indptr, self._shape, check=False)

    def copy(self) -> BSR:
        return BSR(
            self._data.copy(),
            self._indices.copy(),
            self._indptr.copy(),
            self._shape,
            check=False,
        )
