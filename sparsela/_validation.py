"""Checks at the public boundary that raise precise ValueError / TypeError.

Each helper names the offending argument, what was expected and what came.
Below the boundary, code trusts its inputs.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse

__all__ = [
    "Problem",
    "check_array",
    "check_callback",
    "check_finite",
    "check_index_array",
    "check_positive_int",
    "check_power_of_two",
    "check_problem",
    "check_scalar",
    "result_dtype",
    "working_dtype",
]

_FLOAT_KINDS = "fc"


def working_dtype(dtype: Any) -> np.dtype:
    """The dtype the kernels compute in for data stored as ``dtype``.

    Native byte order; float16 widens to float32; ``longdouble`` and
    ``clongdouble`` narrow to float64 and complex128 (the Numba kernels and
    BLAS compute in at most double precision: the extra bits of x87 extended
    precision are rounded away). Other dtypes are returned as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._validation import working_dtype
    >>> working_dtype(np.float16), working_dtype(np.dtype(">f8"))
    (dtype('float32'), dtype('float64'))
    >>> working_dtype(np.clongdouble)
    dtype('complex128')
    """
    dt = np.dtype(dtype)
    if not dt.isnative:
        dt = dt.newbyteorder("=")
    if dt.kind == "f":
        if dt.itemsize < 4:
            return np.dtype(np.float32)
        if dt.itemsize > 8:
            return np.dtype(np.float64)
    elif dt.kind == "c" and dt.itemsize > 16:
        return np.dtype(np.complex128)
    return dt


def result_dtype(*dtypes: Any) -> np.dtype:
    """Floating dtype for a computation on inputs of the given dtypes.

    Integers and booleans promote to float64; float32/complex64 are kept when
    all floating inputs are single precision; float16 computes in float32 and
    ``longdouble``/``clongdouble`` in float64/complex128 (see
    :func:`working_dtype`).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._validation import result_dtype
    >>> result_dtype(np.float32, np.complex64)
    dtype('complex64')
    >>> result_dtype(np.int64)
    dtype('float64')
    >>> result_dtype(np.longdouble, np.float32)
    dtype('float64')
    """
    dt = np.result_type(*[working_dtype(d) for d in dtypes])
    if dt.kind not in _FLOAT_KINDS:
        dt = np.result_type(dt, np.float64)
    if dt.kind not in _FLOAT_KINDS:
        dt = np.dtype(np.float64)
    return working_dtype(dt)


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype_kinds: str = "fc",
    allow_int: bool = False,
    finite: bool = True,
    allow_empty: bool = True,
    xp: Any = np,
) -> Any:
    """Convert ``x`` to an array and validate it.

    Parameters
    ----------
    x : array_like
        Input. Read-only and non-contiguous arrays are accepted (and not
        copied); ``x`` itself is never modified.
    name : str
        Argument name used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    dtype_kinds : str, default="fc"
        Allowed dtype kinds (NumPy ``dtype.kind`` letters).
    allow_int : bool, default=False
        Accept integer and boolean input and cast it to float64.
    finite : bool, default=True
        Reject NaN and Inf.
    allow_empty : bool, default=True
        Accept arrays with zero elements.
    xp : module, default=numpy
        Array namespace.

    Returns
    -------
    ndarray
        The validated array: not copied when already conforming, else
        converted to its working dtype (:func:`working_dtype`).

    Raises
    ------
    TypeError
        For object, string or (unless ``allow_int``) integer dtypes.
    ValueError
        For a wrong number of dimensions, NaN/Inf, an empty array, or
        ``longdouble`` values outside the float64 range.

    Notes
    -----
    Valid data in another storage dtype is converted, not refused:
    non-native (big-endian) byte order to native, float16 to float32, and
    ``longdouble``/``clongdouble`` to float64/complex128. The last rounds
    away the extra bits of extended precision (about 3 decimal digits on
    x86): the kernels compute in at most double precision.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._validation import check_array
    >>> check_array([1.0, 2.0], "y", ndim=1)
    array([1., 2.])
    >>> check_array(np.ones(2, dtype=">f8"), "y").dtype  # big-endian in
    dtype('float64')
    """
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        arr = xp.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be converted to an array: {exc}") from exc
    kind = arr.dtype.kind
    if kind not in dtype_kinds:
        if allow_int and kind in "biu":
            arr = arr.astype(np.float64)
        else:
            what = {"f": "floating", "c": "complex", "fc": "floating or complex"}
            raise TypeError(
                f"{name} must have a {what.get(dtype_kinds, 'floating or complex')} "
                f"dtype, got {arr.dtype}"
            )
    work = working_dtype(arr.dtype)
    if work != arr.dtype:
        arr = _convert(arr, work, name, xp)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            exp = " or ".join(str(a) for a in allowed)
            raise ValueError(
                f"{name} must be {exp}-dimensional, got shape {tuple(arr.shape)}"
            )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(arr.shape)}")
    if finite:
        check_finite(arr, name, xp=xp)
    return arr


def _convert(arr: Any, dtype: np.dtype, name: str, xp: Any) -> Any:
    """``arr`` in ``dtype``; narrowing that overflows is an error, not an inf."""
    if dtype.itemsize >= arr.dtype.itemsize:  # byte order, float16: exact
        return arr.astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        out = arr.astype(dtype)
    if out.size and not bool(xp.isfinite(out).all()) and bool(xp.isfinite(arr).all()):
        raise ValueError(
            f"{name} holds {arr.dtype} values beyond the {dtype} range "
            f"(|value| > {np.finfo(dtype).max:.3g}); the kernels compute in {dtype}"
        )
    return out


def check_finite(arr: Any, name: str, *, xp: Any = np) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or Inf.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._validation import check_finite
    >>> check_finite(np.ones(2), "x")
    """
    if arr.dtype.kind in "fc" and arr.size and not bool(xp.isfinite(arr).all()):
        raise ValueError(f"{name} contains NaN or Inf")


def check_scalar(
    value: Any,
    name: str,
    *,
    kind: type | tuple[type, ...] = numbers.Real,
    min_val: float | None = None,
    max_val: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
) -> Any:
    """Validate a scalar parameter's type and range.

    Examples
    --------
    >>> from sparsela._validation import check_scalar
    >>> check_scalar(0.5, "lam", min_val=0)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be a {_kind_name(kind)}, got {value!r}")
    # integers are finite (and math.isfinite would overflow on huge ones)
    real = isinstance(value, numbers.Real)
    if real and not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if min_val is not None:
        bad = value < min_val if include_min else value <= min_val
        if bad:
            op = ">=" if include_min else ">"
            raise ValueError(f"{name} must be {op} {min_val}, got {value!r}")
    if max_val is not None:
        bad = value > max_val if include_max else value >= max_val
        if bad:
            op = "<=" if include_max else "<"
            raise ValueError(f"{name} must be {op} {max_val}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if kind is numbers.Integral:
        return "integer"
    if kind is numbers.Real:
        return "real number"
    if isinstance(kind, tuple):
        return " or ".join(_kind_name(k) for k in kind)
    return kind.__name__


def check_positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    """Validate a positive (or non-negative) integer and return it as ``int``.

    Examples
    --------
    >>> from sparsela._validation import check_positive_int
    >>> check_positive_int(3, "n_nonzero")
    3
    """
    check_scalar(value, name, kind=numbers.Integral, min_val=0 if allow_zero else 1)
    return int(value)


def check_power_of_two(n: Any, name: str) -> int:
    """Return ``log2(n)`` after checking that ``n`` is a positive power of two.

    Examples
    --------
    >>> from sparsela._validation import check_power_of_two
    >>> check_power_of_two(1024, "N")
    10
    """
    n = check_positive_int(n, name)
    if n & (n - 1):
        raise ValueError(f"{name} must be a power of two, got {n}")
    return n.bit_length() - 1


def check_index_array(idx: Any, name: str, upper: int) -> np.ndarray:
    """Validate integer indices in ``[0, upper)`` and return them as int64.

    Examples
    --------
    >>> from sparsela._validation import check_index_array
    >>> check_index_array([0, 2], "idx", 3)
    array([0, 2])
    """
    arr = np.asarray(idx)
    if arr.dtype.kind not in "iu":
        if arr.size == 0:
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi >= upper:
            raise ValueError(
                f"{name} must lie in [0, {upper}), got values in [{lo}, {hi}]"
            )
    return arr.astype(np.int64, copy=False)


class Problem(NamedTuple):
    """A validated ``(A, y)`` pair, as every solver sees it.

    Attributes
    ----------
    A : LinearOperator
        The operator (``aslinearoperator(A)``).
    Y : ndarray of shape (m, n_signals)
        The signals in columns, in the working dtype.
    single : bool
        ``y`` was one 1-D signal.
    dtype : dtype
        Working dtype: ``result_dtype(A.dtype, y.dtype)``.
    """

    A: Any
    Y: Any
    single: bool
    dtype: np.dtype


def check_problem(
    A: Any,
    y: Any,
    *,
    adjoint: bool = True,
    allow_no_signals: bool = False,
    xp: Any = np,
) -> Problem:
    """The one boundary of every solver: validate ``A`` and ``y`` together.

    Parameters
    ----------
    A : array_like, sparse matrix, sparsela format or LinearOperator
        Anything :func:`~sparsela.operators.aslinearoperator` accepts,
        SciPy's ``LinearOperator`` included.
    y : array_like of shape (m,) or (m, n_signals)
        Signal(s), one per column.
    adjoint : bool, default=True
        The solver needs ``A^H``: refuse an operator without one.
    allow_no_signals : bool, default=False
        Accept ``y`` of shape ``(m, 0)``.
    xp : module, default=numpy
        Array namespace of ``y``.

    Returns
    -------
    Problem
        ``(A, Y, single, dtype)`` with ``Y`` 2-D, C-contiguous, in ``dtype``.

    Raises
    ------
    TypeError
        ``A`` is not matrix-like, has a non-numeric dtype or no adjoint;
        ``y`` is not numeric.
    ValueError
        Empty ``A``, NaN or Inf in ``A`` or ``y``, or ``y`` whose rows do not
        match ``A``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._validation import check_problem
    >>> p = check_problem(np.eye(3, 4), np.ones(3))
    >>> p.A.shape, p.Y.shape, p.single, p.dtype
    ((3, 4), (3, 1), True, dtype('float64'))
    """
    # operators build on this module: imported here, not at the top
    from .operators import aslinearoperator

    if A is None:
        raise TypeError("A must be a matrix or a linear operator, got None")
    if scipy.sparse.issparse(A):  # before conversion, which words it otherwise
        data = A.data
        if data.dtype.kind in _FLOAT_KINDS and not bool(np.isfinite(data).all()):
            raise ValueError("A contains NaN or Inf")
    op = aslinearoperator(A)
    if op.dtype.kind not in _FLOAT_KINDS + "biu":
        raise TypeError(f"A must have a floating or complex dtype, got {op.dtype}")
    m, n = op.shape
    if m == 0 or n == 0:
        raise ValueError(
            f"A must have at least one row and one column, got shape {op.shape}"
        )
    if adjoint and not op.has_adjoint:
        raise TypeError(
            "A has no adjoint (rmatvec): this solver needs A^H y; pass an "
            "operator that defines rmatvec or rmatmat"
        )
    Y = check_array(y, "y", ndim=(1, 2), allow_int=True, xp=xp)
    if Y.shape[0] != m:
        raise ValueError(
            f"y must have {m} rows (A has shape {op.shape}), got y of shape "
            f"{tuple(Y.shape)}"
        )
    if Y.ndim == 2 and Y.shape[1] == 0 and not allow_no_signals:
        raise ValueError(
            f"y must hold at least one signal (column), got shape {tuple(Y.shape)}"
        )
    single = Y.ndim == 1
    dtype = result_dtype(op.dtype, Y.dtype)
    Y = xp.ascontiguousarray(Y.reshape(m, -1), dtype=dtype)
    return Problem(op, Y, single, dtype)


def check_callback(callback: Any) -> Any:
    """Return ``callback`` after checking that it is None or callable.

    Examples
    --------
    >>> from sparsela._validation import check_callback
    >>> check_callback(None) is None
    True
    """
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    return callback
