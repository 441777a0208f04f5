"""Base class and shared validation for the sparse-format containers."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._validation import check_array, working_dtype

__all__ = ["SparseFormat"]

_DATA_DTYPES = (
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.complex64),
    np.dtype(np.complex128),
)
_INT32_MAX = np.iinfo(np.int32).max
FORMAT_NAMES = ("csr", "csc", "coo", "bsr", "nm")


# ---------------------------------------------------------------------------
# validation helpers (used by every format)
# ---------------------------------------------------------------------------
def check_shape(shape: Any) -> tuple[int, int]:
    """Validate a 2-D shape of non-negative integers."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(
            f"shape must be a tuple of two integers, got {shape!r}"
        ) from None
    if len(dims) != 2:
        raise ValueError(f"shape must have two entries, got {shape!r}")
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"shape must hold integers, got {shape!r}")
        if d < 0:
            raise ValueError(f"shape must be non-negative, got {shape!r}")
        out.append(int(d))
    return out[0], out[1]


def _native(arr: np.ndarray) -> np.ndarray:
    """``arr`` in native byte order (big-endian data is valid data)."""
    if not arr.dtype.isnative:
        return arr.astype(arr.dtype.newbyteorder("="))
    return arr


def check_data(data: Any, name: str, ndim: int) -> np.ndarray:
    """Validate stored values: float32/64 or complex64/128, finite, ``ndim``-D.

    Non-native (big-endian) byte order is converted; other dtypes are refused
    (the constructors store what they are given: cast first).
    """
    if data is None:
        raise TypeError(f"{name} must be an array, got None")
    arr = _native(np.asarray(data))
    if arr.dtype not in _DATA_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32, float64, complex64 or complex128, "
            f"got {arr.dtype} (cast integer data with .astype(float) first)"
        )
    return check_array(arr, name, ndim=ndim)


def check_index(idx: Any, name: str, ndim: int = 1) -> np.ndarray:
    """Validate an integer index array (values are checked by the caller)."""
    if idx is None:
        raise TypeError(f"{name} must be an integer array, got None")
    arr = np.asarray(idx)
    if arr.dtype.kind not in "iu":
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-dimensional, got shape {tuple(arr.shape)}"
        )
    return arr


def check_bounds(idx: np.ndarray, name: str, upper: int) -> None:
    """Raise ``ValueError`` unless every value of ``idx`` is in ``[0, upper)``."""
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= upper:
            raise ValueError(
                f"{name} must lie in [0, {upper}), got values in [{lo}, {hi}]"
            )


def check_indptr(indptr: np.ndarray, name: str, length: int, nnz: int) -> None:
    """Validate a compressed pointer array: length, ends, monotone."""
    if indptr.shape[0] != length:
        raise ValueError(
            f"{name} must have length {length} (rows + 1), got {indptr.shape[0]}"
        )
    if int(indptr[0]) != 0:
        raise ValueError(f"{name}[0] must be 0, got {indptr[0]}")
    if int(indptr[-1]) != nnz:
        raise ValueError(
            f"{name}[-1] must equal the number of stored entries {nnz}, "
            f"got {indptr[-1]}"
        )
    if length > 1 and bool((np.diff(indptr.astype(np.int64)) < 0).any()):
        raise ValueError(f"{name} must be non-decreasing")


def index_dtype(*maxvals: int) -> np.dtype:
    """int32 when every value fits, int64 otherwise."""
    return np.dtype(np.int32 if max(maxvals, default=0) <= _INT32_MAX else np.int64)


def as_index(idx: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """C-contiguous copy-if-needed of ``idx`` in ``dtype``."""
    return np.ascontiguousarray(idx, dtype=dtype)


def dense_input(A: Any, name: str = "A") -> np.ndarray:
    """Validate a dense 2-D matrix for ``from_dense``; ints/bools -> float64."""
    arr = check_array(A, name, ndim=2, allow_int=True)
    return _cast_storage(arr, name)


def _cast_storage(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype not in _DATA_DTYPES:
        raise TypeError(
            f"{name} must have a float32, float64, complex64 or complex128 dtype, "
            f"got {arr.dtype}"
        )
    return arr


def scipy_input(S: Any, name: str = "S") -> Any:
    """Validate a scipy.sparse input; ints/bools -> float64."""
    if not sp.issparse(S):
        raise TypeError(
            f"{name} must be a scipy.sparse matrix or array, got {type(S).__name__}"
        )
    if S.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional, got shape {S.shape}")
    if S.dtype.kind not in "biufc":
        raise TypeError(f"{name} must hold numbers, got dtype {S.dtype}")
    if S.dtype.kind in "biu":
        S = S.astype(np.float64)
    elif S.dtype not in _DATA_DTYPES:  # big-endian, float16, longdouble
        S = S.astype(working_dtype(S.dtype))
    if S.dtype not in _DATA_DTYPES:
        raise TypeError(
            f"{name} must have a float32, float64, complex64 or complex128 dtype, "
            f"got {S.dtype}"
        )
    return S


def check_operand(
    x: Any, name: str, rows: int, ndim: int | tuple[int, ...]
) -> np.ndarray:
    """Validate a dense product operand with ``rows`` rows."""
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    arr = _native(np.asarray(x))
    if arr.dtype not in _DATA_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32, float64, complex64 or complex128, "
            f"got {arr.dtype}"
        )
    arr = check_array(arr, name, ndim=ndim)
    if arr.shape[0] != rows:
        want = f"({rows},)" if arr.ndim == 1 else f"({rows}, k)"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    return arr


def _array_like(obj: Any) -> bool:
    """Dense operands ``@`` handles: ndarrays, sequences, ``__array__`` objects."""
    if isinstance(obj, SparseFormat) or sp.issparse(obj):
        return False
    return isinstance(obj, (np.ndarray, list, tuple)) or hasattr(obj, "__array__")


def _slot_names(cls: type) -> tuple[str, ...]:
    """Every slot declared along ``cls.__mro__``."""
    names: list[str] = []
    for c in cls.__mro__:
        slots = c.__dict__.get("__slots__", ())
        names.extend((slots,) if isinstance(slots, str) else slots)
    return tuple(names)


# ---------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------
class SparseFormat:
    """Common interface of the sparse-format containers.

    Subclasses store raw arrays, validate them once in the constructor, and
    implement ``_matvec``, ``_matmat``, ``_tmatvec``, ``_tmatmat`` (products
    with the plain transpose), ``_sddmm``, ``todense``, ``to_scipy``, ``T``,
    ``_with_data`` and ``copy``. The containers are frozen: attributes are
    read-only and operations return new objects (the arrays are shared, not
    copied, where that is safe, so do not write into them).

    The unchecked ``_matvec(x)`` / ``_matmat(X)`` / ``_rmatvec(y)`` /
    ``_rmatmat(Y)`` take C-order NumPy arrays of the right shape and a
    floating dtype and skip validation; they are for internal callers (the
    ``SparseMatrix`` operator) that validated already.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import CSR, SparseFormat
    >>> A = CSR.from_dense(np.eye(2))
    >>> isinstance(A, SparseFormat), A.format, A.asformat("coo").format
    (True, 'csr', 'coo')
    """

    format: str = ""
    ndim: int = 2
    # make ``ndarray @ A`` defer to ``A.__rmatmul__``
    __array_ufunc__ = None
    __slots__ = ("_shape",)

    # -- attributes ---------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        """Dtype of the stored values."""
        raise NotImplementedError

    @property
    def nnz(self) -> int:
        """Number of stored entries (explicit zeros and duplicates included)."""
        raise NotImplementedError

    @property
    def density(self) -> float:
        """``nnz / (rows * columns)`` (0.0 for an empty shape)."""
        size = self._shape[0] * self._shape[1]
        return self.nnz / size if size else 0.0

    @property
    def size(self) -> int:
        """Same as :attr:`nnz` (the SciPy meaning)."""
        return self.nnz

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") and not hasattr(self, name):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(f"{type(self).__name__} objects are immutable")

    # -- pickling -----------------------------------------------------------
    # Pickle protocols 0 and 1 refuse an object whose class declares
    # non-empty __slots__ without __getstate__ (CSR and CSC only passed
    # because their own __slots__ is empty); protocol 2 and later read the
    # slots themselves. One explicit state, the slots of the whole hierarchy
    # by name, serves every format and every protocol, and __setstate__
    # restores it past the freezing __setattr__.
    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _slot_names(type(self))}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        m, n = self._shape
        return (
            f"<{type(self).__name__} {m}x{n}, nnz={self.nnz}, dtype={self.dtype}"
            f"{self._repr_extra()}>"
        )

    def _repr_extra(self) -> str:
        return ""

    # -- conversions --------------------------------------------------------
    def todense(self) -> np.ndarray:
        """Dense ``ndarray`` of the matrix (duplicates summed)."""
        raise NotImplementedError

    def toarray(self) -> np.ndarray:
        """Alias of :meth:`todense` (the SciPy name)."""
        return self.todense()

    def to_scipy(self) -> Any:
        """The equivalent ``scipy.sparse`` array (arrays are copied)."""
        raise NotImplementedError

    def asformat(self, format: str, **kwargs: Any) -> SparseFormat:
        """Convert to the format named ``format``.

        Parameters
        ----------
        format : {"csr", "csc", "coo", "bsr", "nm"}
            Target format. The same format returns ``self``.
        **kwargs
            ``blocksize=(R, C)`` for ``"bsr"`` (default: SciPy's heuristic, or
            the current block size); ``n`` and ``m`` for ``"nm"`` (required
            unless converting an NM matrix to itself).

        Returns
        -------
        SparseFormat
            The converted matrix. Duplicates are summed when the target is
            not ``"coo"`` or the source's own format.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> A = CSR.from_dense(np.eye(3))
        >>> A.asformat("coo").nnz
        3
        """
        if not isinstance(format, str) or format.lower() not in FORMAT_NAMES:
            raise ValueError(f"format must be one of {FORMAT_NAMES}, got {format!r}")
        return self._asformat(format.lower(), **kwargs)

    def _asformat(self, format: str, **kwargs: Any) -> SparseFormat:
        from . import BSR, COO, CSC, CSR, NM

        if format == self.format and not kwargs:
            return self
        S = self.to_scipy()
        if format == "csr":
            return CSR.from_scipy(S)
        if format == "csc":
            return CSC.from_scipy(S)
        if format == "coo":
            return COO.from_scipy(S)
        if format == "bsr":
            return BSR.from_scipy(S, blocksize=kwargs.get("blocksize"))
        if "n" not in kwargs or "m" not in kwargs:
            raise ValueError("asformat('nm') needs the keyword arguments n and m")
        return NM.from_scipy(S, kwargs["n"], kwargs["m"])

    def tocsr(self) -> SparseFormat:
        """Same as ``asformat("csr")``."""
        return self.asformat("csr")

    def tocsc(self) -> SparseFormat:
        """Same as ``asformat("csc")``."""
        return self.asformat("csc")

    def tocoo(self) -> SparseFormat:
        """Same as ``asformat("coo")``."""
        return self.asformat("coo")

    # -- products -----------------------------------------------------------
    def matvec(self, x: Any) -> np.ndarray:
        """Product ``A @ x`` with a dense vector.

        Parameters
        ----------
        x : array_like of shape (columns,)
            float32, float64, complex64 or complex128; finite.

        Returns
        -------
        ndarray of shape (rows,)
            Dtype ``numpy.result_type(A.dtype, x.dtype)`` (float32 stays
            float32). Duplicate entries each contribute.

        Raises
        ------
        ValueError
            If ``x`` has the wrong shape or holds NaN/Inf.
        TypeError
            If ``x`` has an integer, boolean or object dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> A = CSR.from_dense(np.array([[1.0, 2.0], [0.0, 3.0]]))
        >>> A.matvec(np.array([1.0, 1.0]))
        array([3., 3.])
        """
        x = check_operand(x, "x", self._shape[1], 1)
        return self._matvec(x)

    def matmat(self, X: Any) -> np.ndarray:
        """Product ``A @ X`` with a dense matrix of shape ``(columns, k)``.

        Same rules as :meth:`matvec`; returns shape ``(rows, k)``. Non
        C-contiguous ``X`` is copied once.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> CSR.from_dense(np.eye(2)).matmat(np.ones((2, 3))).shape
        (2, 3)
        """
        X = check_operand(X, "X", self._shape[1], 2)
        return self._matmat(X)

    def rmatvec(self, y: Any) -> np.ndarray:
        """Adjoint product ``A^H @ y`` (conjugate transpose).

        Parameters
        ----------
        y : array_like of shape (rows,)
            float32, float64, complex64 or complex128; finite.

        Returns
        -------
        ndarray of shape (columns,)
            Dtype ``numpy.result_type(A.dtype, y.dtype)``. Use ``A.T @ y``
            for the plain transpose.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> A = CSR.from_dense(np.array([[1j, 2.0], [0.0, 3.0]]))
        >>> A.rmatvec(np.array([1.0, 1.0]))
        array([0.-1.j, 5.-0.j])
        """
        y = check_operand(y, "y", self._shape[0], 1)
        return self._rmatvec(y)

    def rmatmat(self, Y: Any) -> np.ndarray:
        """Adjoint product ``A^H @ Y`` for ``Y`` of shape ``(rows, k)``.

        Same rules as :meth:`rmatvec`; returns shape ``(columns, k)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> CSR.from_dense(np.ones((2, 3))).rmatmat(np.ones((2, 1))).ravel()
        array([2., 2., 2.])
        """
        Y = check_operand(Y, "Y", self._shape[0], 2)
        return self._rmatmat(Y)

    def _rmatvec(self, y: np.ndarray) -> np.ndarray:
        if self.dtype.kind == "c":
            return np.conj(self._tmatvec(np.conj(y)))
        return self._tmatvec(y)

    def _rmatmat(self, Y: np.ndarray) -> np.ndarray:
        if self.dtype.kind == "c":
            return np.conj(self._tmatmat(np.conj(Y)))
        return self._tmatmat(Y)

    def _operand(self, x: np.ndarray, rows: int, k: int | None = None):
        """Contiguous operand in the result dtype and a zeroed output."""
        dt = np.result_type(self.dtype, x.dtype)
        x = np.ascontiguousarray(x, dtype=dt)
        out = np.zeros(rows if k is None else (rows, k), dtype=dt)
        return x, out

    def __matmul__(self, other: Any) -> Any:
        if not _array_like(other):
            return NotImplemented  # sparse @ sparse, operators: not ours
        arr = np.asarray(other)
        if arr.ndim == 1:
            return self.matvec(arr)
        if arr.ndim == 2:
            return self.matmat(arr)
        raise ValueError(
            f"x must be 1- or 2-dimensional for A @ x, got shape {arr.shape}"
        )

    def __rmatmul__(self, other: Any) -> Any:
        if not _array_like(other):
            return NotImplemented
        arr = np.asarray(other)
        if arr.ndim == 1:
            x = check_operand(arr, "x", self._shape[0], 1)
            return self._tmatvec(x)
        if arr.ndim == 2:
            if arr.shape[-1] != self._shape[0]:
                raise ValueError(
                    f"X must have shape (k, {self._shape[0]}) for X @ A, "
                    f"got {arr.shape}"
                )
            X = check_operand(arr.T, "X", self._shape[0], 2)
            return np.ascontiguousarray(self._tmatmat(X).T)
        raise ValueError(
            f"x must be 1- or 2-dimensional for x @ A, got shape {arr.shape}"
        )

    def sddmm(self, X: Any, Y: Any) -> SparseFormat:
        """Sampled dense-dense product: ``X @ Y`` evaluated on this pattern.

        Parameters
        ----------
        X : ndarray of shape (rows, r)
            Left factor.
        Y : ndarray of shape (r, columns)
            Right factor.

        Returns
        -------
        SparseFormat
            Same format and sparsity pattern as ``self`` (index arrays shared),
            with value ``(X @ Y)[i, j]`` at each stored position ``(i, j)``;
            the stored values of ``self`` are not used. Dtype:
            ``numpy.result_type(X.dtype, Y.dtype)``.

        Notes
        -----
        This is the gradient of a loss with respect to the kept weights of a
        sparse layer: for ``Z = W @ H`` the gradient of the stored values of
        ``W`` is ``W.sddmm(G, H.T)`` with ``G`` the gradient at ``Z``. It costs
        ``O(nnz * r)``, never forming ``X @ Y``. A duplicated position (COO or
        non-canonical CSR/CSC) receives the full value at each copy.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.formats import CSR
        >>> A = CSR.from_dense(np.array([[1.0, 0.0], [0.0, 2.0]]))
        >>> X = np.array([[1.0], [2.0]]); Y = np.array([[3.0, 4.0]])
        >>> A.sddmm(X, Y).todense()
        array([[3., 0.],
               [0., 8.]])
        """
        m, n = self._shape
        X = check_operand(X, "X", m, 2)
        Y = check_operand(Y, "Y", X.shape[1], 2)
        if Y.shape[1] != n:
            raise ValueError(f"Y must have shape ({X.shape[1]}, {n}), got {Y.shape}")
        dt = np.result_type(X.dtype, Y.dtype)
        X = np.ascontiguousarray(X, dtype=dt)
        Yt = np.ascontiguousarray(Y.T, dtype=dt)
        return self._sddmm(X, Yt)

    # -- transposes ---------------------------------------------------------
    @property
    def T(self) -> SparseFormat:
        """Transpose (no conjugation)."""
        raise NotImplementedError

    @property
    def H(self) -> SparseFormat:
        """Conjugate transpose."""
        return self.T.conj()

    def transpose(self) -> SparseFormat:
        """Same as :attr:`T`."""
        return self.T

    def conj(self) -> SparseFormat:
        """Complex conjugate (``self`` for real dtypes)."""
        if self.dtype.kind != "c":
            return self
        return self._with_data(np.conj(self._data_array()))

    def conjugate(self) -> SparseFormat:
        """Same as :meth:`conj`."""
        return self.conj()

    def astype(self, dtype: Any) -> SparseFormat:
        """Same pattern with values cast to ``dtype`` (one of the four)."""
        dtype = np.dtype(dtype)
        if dtype not in _DATA_DTYPES:
            raise TypeError(
                f"dtype must be float32, float64, complex64 or complex128, got {dtype}"
            )
        if dtype == self.dtype:
            return self
        if self.dtype.kind == "c" and dtype.kind != "c":
            raise TypeError(
                f"dtype {dtype} would discard the imaginary part of {self.dtype}"
            )
        return self._with_data(self._data_array().astype(dtype))

    def with_data(self, data: Any) -> SparseFormat:
        """Same sparsity pattern (arrays shared) with new stored values.

        ``data`` must have the shape of the stored values array and one of
        the four floating dtypes; it is validated like the constructor's.
        """
        old = self._data_array()
        data = check_data(data, "data", old.ndim)
        if data.shape != old.shape:
            raise ValueError(f"data must have shape {old.shape}, got {data.shape}")
        return self._with_data(np.ascontiguousarray(data))

    def _data_array(self) -> np.ndarray:
        raise NotImplementedError

    def _with_data(self, data: np.ndarray) -> SparseFormat:
        raise NotImplementedError

    def copy(self) -> SparseFormat:
        """Deep copy (every array copied)."""
        raise NotImplementedError
