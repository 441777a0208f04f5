"""Dense fast Walsh-Hadamard transform (public wrapper of ``kernels.cpu.wht``)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._backend import get_namespace
from .._validation import check_array, check_finite, check_scalar
from ..kernels.cpu.wht import ORDERINGS, can_overwrite, fwht_along_axis

__all__ = ["fwht"]


def _check_x(x: Any) -> Any:
    xp = get_namespace(x)
    # finiteness is checked on the result (see fwht): one pass less over x
    arr = check_array(x, "x", allow_int=True, finite=False, xp=xp)
    if arr.ndim == 0:
        raise ValueError("x must be at least 1-dimensional, got a scalar")
    return arr


def _check_axis(axis: Any, ndim: int) -> int:
    check_scalar(axis, "axis", kind=numbers.Integral)
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis must lie in [{-ndim}, {ndim}) for x with {ndim} dimensions, "
            f"got {axis}"
        )
    return axis % ndim


def _check_length(n: int, axis: int) -> None:
    if n < 1 or n & (n - 1):
        raise ValueError(
            f"x must have a power-of-two length along axis {axis}, got {n} "
            "(zero-padding would change the transform; pad explicitly if meant)"
        )


def _check_ordering(ordering: Any) -> str:
    if not isinstance(ordering, str) or ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}")
    return ordering


def fwht(
    x: Any,
    *,
    axis: int = -1,
    normalized: bool = False,
    ordering: str = "natural",
    overwrite_x: bool = False,
) -> Any:
    """Fast Walsh-Hadamard transform along one axis.

    Parameters
    ----------
    x : array_like
        Input of any shape; real or complex, float32 or float64 (integers and
        booleans are computed in float64). ``x.shape[axis]`` must be a power of
        two. Every other axis is a batch axis (for a matrix of signals in
        columns, use ``axis=0``). ``x`` is never modified.
    axis : int, default=-1
        Axis along which to transform.
    normalized : bool, default=False
        If False compute ``X = H x`` with the ``±1`` Hadamard matrix ``H``
        (as :func:`scipy.linalg.hadamard`), so applying it twice gives
        ``N x``. If True compute ``X = H x / sqrt(N)`` (orthonormal; the
        transform is then its own inverse).
    ordering : {"natural", "sequency", "dyadic"}, default="natural"
        Row order of ``H``: natural (Sylvester/Hadamard), sequency (Walsh:
        output ``s`` is the row with ``s`` sign changes) or dyadic (Paley).
    overwrite_x : bool, default=False
        If True, the contents of ``x`` may be destroyed (as in
        :func:`scipy.fft.fft`): a C-contiguous, writeable NumPy ``x`` of dtype
        float32, float64, complex64 or complex128 is transformed in place and,
        for the natural ordering, returned itself. This saves the allocation
        of the result and the first touch of its pages, about a quarter of the
        time for a large vector.

    Returns
    -------
    X : ndarray
        The transform, of the shape of ``x`` (a new array unless
        ``overwrite_x``); float32/complex64 in gives float32/complex64 out,
        complex in gives complex out.

    Raises
    ------
    ValueError
        If the length along ``axis`` is not a power of two, ``axis`` is out
        of range, ``x`` is a scalar, contains NaN or Inf, or ``ordering`` is
        unknown. (With ``overwrite_x``, ``x`` is then already overwritten.)
    TypeError
        For object, string or other non-numeric dtypes.

    Notes
    -----
    With ``N = 2**n`` and indices viewed as bit vectors,
    ``H[m, k] = (-1)**popcount(m & k)`` and ``H H = N I``. The sequency row
    ``s`` is the natural row ``bitrev(s ^ (s >> 1))`` and the dyadic row ``s``
    is ``bitrev(s)``.

    The transform costs ``N log2 N`` additions. The kernel is cache-blocked:
    the low stages run on cache-sized blocks, the high stages six at a time
    on strided tiles, three stages per register sweep, so a large vector is
    read and written about three times instead of ``log2 N`` times. Batches
    run in parallel over Numba threads (``numba.set_num_threads``). CuPy
    arrays are transformed on their device with vectorised stages.

    NaN and Inf are detected on the result, not by a separate pass over
    ``x``: output row 0 is the sum of the inputs, which is finite if and only
    if no input is NaN or Inf (or the sum overflows, which the input check
    that follows tells apart).

    References
    ----------
    .. [1] K. G. Beauchamp, "Applications of Walsh and Related Functions",
       Academic Press, 1984.
    .. [2] J. L. Shanks, "Computation of the fast Walsh-Fourier transform",
       IEEE Trans. Computers C-18(5), 457-459, 1969.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import hadamard
    >>> from sparsela.transforms.fwht import fwht
    >>> x = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    >>> fwht(x)
    array([4., 0., 0., 0., 0., 4., 0., 0.])
    >>> np.allclose(fwht(x), hadamard(8) @ x)
    True
    >>> np.allclose(fwht(fwht(x, normalized=True), normalized=True), x)
    True
    >>> fwht(np.eye(4), axis=0, ordering="sequency")  # row s: s sign changes
    array([[ 1.,  1.,  1.,  1.],
           [ 1.,  1., -1., -1.],
           [ 1., -1., -1.,  1.],
           [ 1., -1.,  1., -1.]])

    Signals in the columns of a matrix:

    >>> Y = np.arange(8.0).reshape(4, 2)
    >>> fwht(Y, axis=0)
    array([[12., 16.],
           [-4., -4.],
           [-8., -8.],
           [ 0.,  0.]])
    """
    x = _check_x(x)
    axis = _check_axis(axis, x.ndim)
    _check_length(int(x.shape[axis]), axis)
    ordering = _check_ordering(ordering)
    if not isinstance(normalized, (bool, np.bool_)):
        raise TypeError(f"normalized must be a bool, got {normalized!r}")
    if not isinstance(overwrite_x, (bool, np.bool_)):
        raise TypeError(f"overwrite_x must be a bool, got {overwrite_x!r}")
    xp = get_namespace(x)
    in_place = bool(overwrite_x) and can_overwrite(x)
    out = fwht_along_axis(x, axis, bool(normalized), ordering, in_place)
    # row 0 of every ordering is the all-ones row: sum(x), finite iff x is
    # (unless the sum overflows)
    row0 = xp.take(out, xp.asarray([0]), axis=axis)
    if out.size and not bool(xp.isfinite(row0).all()):
        if in_place:
            raise ValueError("x contains NaN or Inf, or its transform overflows")
        check_finite(x, "x", xp=xp)
    return out
