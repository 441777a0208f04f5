"""Dense fast Walsh-Hadamard transform (public wrapper of ``kernels.cpu.wht``)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._backend import get_namespace
from .._dask import is_dask_array
from .._validation import check_array, check_finite, check_scalar, result_dtype
from ..kernels.cpu.wht import ORDERINGS, can_overwrite, fwht_along_axis, fwht_checked

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


def _fwht_dask(x: Any, axis: Any, normalized: Any, ordering: Any) -> Any:
    """``fwht`` of a Dask array: the transformed axis made whole, every chunk
    transformed where it lives (lazy)."""
    if x.ndim == 0:
        raise ValueError("x must be at least 1-dimensional, got a scalar")
    if x.dtype.kind not in "biufc":
        raise TypeError(f"x must hold numbers, got dtype {x.dtype}")
    axis = _check_axis(axis, x.ndim)
    _check_length(int(x.shape[axis]), axis)
    ordering = _check_ordering(ordering)
    if not isinstance(normalized, (bool, np.bool_)):
        raise TypeError(f"normalized must be a bool, got {normalized!r}")
    if len(x.chunks[axis]) > 1:
        x = x.rechunk({axis: -1})
    return x.map_blocks(
        fwht,
        axis=axis,
        normalized=bool(normalized),
        ordering=ordering,
        dtype=result_dtype(x.dtype),
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
        columns, use ``axis=0``). A Dask array is transformed lazily, chunk
        by chunk (the transformed axis made whole). ``x`` is never modified.
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
        of range, ``x`` is a scalar, contains NaN or Inf, ``ordering`` is
        unknown, or the transform has entries beyond the floating range.
        (With ``overwrite_x``, ``x`` is then already overwritten.)
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
    ``x``: the last pass of the kernel tests the entries it writes while they
    are in cache (CuPy arrays: one reduction over the output). If the result
    is not all finite and ``x`` is, the transform overflowed somewhere
    (possibly only in an intermediate stage): it is computed again on ``x``
    scaled down by a power of two (exact) and scaled back, so a result within
    the floating range is returned whatever the units of ``x``, and a result
    beyond it raises ``ValueError``.

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
    if is_dask_array(x):
        return _fwht_dask(x, axis, normalized, ordering)
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
    out, bad = fwht_checked(x, axis, bool(normalized), ordering, in_place, True)
    if bad is None:  # no kernel check (CuPy): one reduction over the result
        bad = bool(out.size) and not _all_finite(out, xp)
    if bad:
        if in_place:
            raise ValueError(
                "x contains NaN or Inf, or its transform overflows (x has been "
                "overwritten: call without overwrite_x to tell which)"
            )
        check_finite(x, "x", xp=xp)
        out = _transform_rescaled(x, axis, bool(normalized), ordering, xp)
    return out


# below this size the exact mask test is the cheaper one (no errstate)
_MASK_TEST_MAX = 1 << 16


def _all_finite(out: Any, xp: Any) -> bool:
    """Whether every entry of ``out`` is finite.

    A large output is summed, one reduction without a mask: a finite sum
    means no entry is NaN or Inf (either would propagate); a non-finite sum
    may also be an overflow of the sum alone, which the exact test then
    tells apart.
    """
    if out.size > _MASK_TEST_MAX:
        with np.errstate(over="ignore", invalid="ignore"):
            total = xp.sum(out)
        if bool(xp.isfinite(total)):
            return True
    return bool(xp.isfinite(out).all())


def _transform_rescaled(
    x: Any, axis: int, normalized: bool, ordering: str, xp: Any
) -> Any:
    """The transform of a finite ``x`` whose direct transform overflowed.

    Every butterfly stage at most doubles the largest magnitude, so the
    transform of ``x / 2**(n + 2)`` (``N = 2**n``) cannot overflow; scaling by
    a power of two is exact, and multiplying back overflows only where the
    result itself is beyond the range, which is then an error.
    """
    n_bits = int(x.shape[axis]).bit_length() - 1
    # x is in its working dtype already (check_array): the scaled copy too
    down = x * x.real.dtype.type(2.0 ** -(n_bits + 2))
    out = fwht_along_axis(down, axis, normalized, ordering, True)
    with np.errstate(over="ignore"):
        out *= out.real.dtype.type(2.0 ** (n_bits + 2))
    if not bool(xp.isfinite(out).all()):
        real = np.finfo(out.real.dtype)
        raise ValueError(
            f"the transform of x overflows: some of its entries exceed the "
            f"{real.dtype} range ({real.max:.3g}); scale x down"
        )
    return out
