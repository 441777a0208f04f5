"""Fast Walsh-Hadamard transform kernels (private; no input validation).

Public entry points for the rest of the package:

* :func:`fwht_along_axis` ``(x, axis, normalized, ordering)`` returns a **new
  array** holding the Walsh-Hadamard transform of ``x`` along ``axis``
  (``x`` is modified only with ``overwrite=True``, see :func:`can_overwrite`).
  It is what :func:`sparsela.fwht` and the
  :class:`~sparsela.operators.WalshHadamard` operator call.
* :func:`ordering_permutation` ``(n_bits, ordering)``: ``perm`` such that row
  ``s`` of the ordered transform is row ``perm[s]`` of the natural one.
* :func:`can_overwrite` ``(x)``: whether ``overwrite=True`` transforms ``x`` in
  its own memory.
* :func:`fwht_rows_inplace`: the transform of the rows of a C-contiguous
  2-D float array in place, for other kernel modules (the sparse WHT bins
  run through it, so that they compile nothing of their own).

Callers guarantee: the length along ``axis`` is a power of two, the dtype is
float32/float64/complex64/complex128 (anything else is cast to float64),
``ordering`` is one of :data:`ORDERINGS`.

Algorithm (cache-blocked, radix-8)
----------------------------------
The array is viewed as ``(P, N, Q)`` (``P`` = product of the axes before
``axis``, ``Q`` = product of those after it, doubled for complex data which is
processed as interleaved real/imaginary floats). One butterfly stage of span
``h`` rows is then a stage of span ``h*Q`` on the flat row of length ``N*Q``,
so every case reduces to "apply the stages of spans ``Q, 2Q, ..., N Q/2`` to
flat rows".

1. *Block pass.* The low stages whose span fits a block of
   :data:`BLOCK_BYTES` are all done on one cache-resident contiguous block
   before moving on. The copy from the input, when out of place, is fused into
   the first sweep, and each block prefetches the next one while it is being
   transformed, so memory traffic overlaps the arithmetic.
2. *Tile passes.* The remaining high stages are grouped :data:`TILE_STAGES`
   at a time: a tile of ``2**r`` rows ``s`` apart (``s`` the group's lowest
   span) and :data:`TILE_BYTES` contiguous columns is loaded once and all
   ``r`` stages are applied to it while it sits in cache.

Inside blocks and tiles three stages are fused per sweep (radix-8 in
registers; the loop over columns is SIMD-vectorised by LLVM), so a length
``2**24`` float64 vector costs 3 passes over main memory instead of 24.
The normalisation ``1/sqrt(N)`` is applied in the last pass.

Compilation
-----------
A transform compiles only what it runs, once per float precision (complex
data is transformed as its float view): the block pass for the layout at
hand (real rows, ``(re, im)`` pairs or other column counts; the others are
pruned at compile time), the tile pass only when some stage does not fit a
block, and the parallel driver :func:`_fwht_par` only from
:data:`PARALLEL_MIN_SIZE` elements on. The plan of the passes is computed in
Python and the passes are called from there (a few microseconds).
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from numba import njit, prange

from ..._backend import get_namespace, is_cupy_array
from ._llvm import prefetch

__all__ = [
    "BLOCK_BYTES",
    "ORDERINGS",
    "TILE_BYTES",
    "TILE_STAGES",
    "can_overwrite",
    "fwht_along_axis",
    "fwht_rows_inplace",
    "fwht_xp",
    "ordering_permutation",
]

ORDERINGS = ("natural", "sequency", "dyadic")

#: bytes of one contiguous block transformed in cache (all stages that fit)
BLOCK_BYTES = 1 << 15
#: bytes of the contiguous column segment of one tile row
TILE_BYTES = 1 << 12
#: maximal number of high stages fused in one tile pass (tile rows = 2**r)
TILE_STAGES = 6
#: below this many elements per call, the serial driver is used (thread start-up
#: costs more than the transform)
PARALLEL_MIN_SIZE = 1 << 18


# ---------------------------------------------------------------------------
# orderings
# ---------------------------------------------------------------------------


def _bit_reverse(values: np.ndarray, n_bits: int) -> np.ndarray:
    out = np.zeros_like(values)
    v = values.copy()
    for _ in range(n_bits):
        out = (out << 1) | (v & 1)
        v >>= 1
    return out


def ordering_permutation(n_bits: int, ordering: str) -> np.ndarray:
    """Row permutation taking natural (Hadamard) order to ``ordering``.

    Parameters
    ----------
    n_bits : int
        ``log2`` of the transform length ``N``.
    ordering : {"natural", "sequency", "dyadic"}
        Target ordering.

    Returns
    -------
    perm : ndarray of int64, shape (N,)
        Row ``s`` of the ordered transform is row ``perm[s]`` of the natural
        transform, i.e. ``X_ordered = X_natural[perm]``. Sequency (Walsh):
        ``perm[s] = bitrev(s ^ (s >> 1))`` (row ``s`` has ``s`` sign changes);
        dyadic (Paley): ``perm[s] = bitrev(s)``; natural: identity.

    Examples
    --------
    >>> from sparsela.kernels.cpu.wht import ordering_permutation
    >>> ordering_permutation(2, "sequency")
    array([0, 2, 3, 1])
    """
    s = np.arange(1 << n_bits, dtype=np.int64)
    if ordering == "natural":
        return s
    if ordering == "sequency":
        return _bit_reverse(s ^ (s >> 1), n_bits)
    if ordering == "dyadic":
        return _bit_reverse(s, n_bits)
    raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}")


# ---------------------------------------------------------------------------
# butterflies
# ---------------------------------------------------------------------------
# The radix kernels act on the rows a[base + k*h : base + k*h + width],
# k = 0 .. 2**r - 1. Taking slices first gives LLVM non-negative indices on
# distinct views, so the column loop is vectorised (with a runtime alias check).


@njit(cache=True, inline="always")
def _radix2(a, base, h, width):
    r0 = a[base : base + width]
    r1 = a[base + h : base + h + width]
    for c in range(width):
        x0 = r0[c]
        x1 = r1[c]
        r0[c] = x0 + x1
        r1[c] = x0 - x1


@njit(cache=True, inline="always")
def _radix4(a, base, h, width):
    r0 = a[base : base + width]
    r1 = a[base + h : base + h + width]
    r2 = a[base + 2 * h : base + 2 * h + width]
    r3 = a[base + 3 * h : base + 3 * h + width]
    for c in range(width):
        x0 = r0[c]
        x1 = r1[c]
        x2 = r2[c]
        x3 = r3[c]
        y0 = x0 + x1
        y1 = x0 - x1
        y2 = x2 + x3
        y3 = x2 - x3
        r0[c] = y0 + y2
        r1[c] = y1 + y3
        r2[c] = y0 - y2
        r3[c] = y1 - y3


@njit(cache=True, inline="always")
def _h8(x0, x1, x2, x3, x4, x5, x6, x7):
    """Three butterfly stages on 8 values held in registers (radix-8)."""
    y0 = x0 + x1
    y1 = x0 - x1
    y2 = x2 + x3
    y3 = x2 - x3
    y4 = x4 + x5
    y5 = x4 - x5
    y6 = x6 + x7
    y7 = x6 - x7
    z0 = y0 + y2
    z1 = y1 + y3
    z2 = y0 - y2
    z3 = y1 - y3
    z4 = y4 + y6
    z5 = y5 + y7
    z6 = y4 - y6
    z7 = y5 - y7
    return (z0 + z4, z1 + z5, z2 + z6, z3 + z7, z0 - z4, z1 - z5, z2 - z6, z3 - z7)


@njit(cache=True, inline="always")
def _radix8(a, base, h, width):
    r0 = a[base : base + width]
    r1 = a[base + h : base + h + width]
    r2 = a[base + 2 * h : base + 2 * h + width]
    r3 = a[base + 3 * h : base + 3 * h + width]
    r4 = a[base + 4 * h : base + 4 * h + width]
    r5 = a[base + 5 * h : base + 5 * h + width]
    r6 = a[base + 6 * h : base + 6 * h + width]
    r7 = a[base + 7 * h : base + 7 * h + width]
    for c in range(width):
        r0[c], r1[c], r2[c], r3[c], r4[c], r5[c], r6[c], r7[c] = _h8(
            r0[c], r1[c], r2[c], r3[c], r4[c], r5[c], r6[c], r7[c]
        )


@njit(cache=True, inline="always")
def _sweep3(src, b, s, pf, pf_start, do_pf):
    """Stages of span ``s, 2s, 4s`` on a contiguous view ``b`` whose length is a
    multiple of ``8 s`` (radix-8 on ``b[i], b[i + s], ..., b[i + 7 s]``),
    reading from ``src``: ``b`` itself, or the input when out of place (the
    copy is fused into the first sweep). Called with a literal ``s``: one
    compiled variant per stride, in which LLVM sees the strides. With
    ``do_pf``, each group of ``8 s`` values also prefetches its counterpart
    ``pf[pf_start + i]`` in the next block, so that block streams in from main
    memory while this one is being transformed in cache."""
    for g in range(b.size // (8 * s)):
        for c in range(s):
            i = 8 * s * g + c
            if do_pf and c == 0:
                prefetch(pf, pf_start + i)
                prefetch(pf, pf_start + i + 8 * s - 1)
            (
                b[i], b[i + s], b[i + 2 * s], b[i + 3 * s],
                b[i + 4 * s], b[i + 5 * s], b[i + 6 * s], b[i + 7 * s],
            ) = _h8(
                src[i], src[i + s], src[i + 2 * s], src[i + 3 * s],
                src[i + 4 * s], src[i + 5 * s], src[i + 6 * s], src[i + 7 * s],
            )  # fmt: skip


@njit(cache=True)
def _stage_rounds(a, base0, stride, n_stages, width):
    """All ``n_stages`` butterfly stages across the ``2**n_stages`` rows
    ``a[base0 + k*stride : ... + width]`` (spans ``stride, 2*stride, ...``),
    three stages per sweep."""
    contiguous = width == stride
    k = 0
    while k < n_stages:
        left = min(3, n_stages - k)
        span = stride << k
        n_hi = 1 << (n_stages - k - left)
        # contiguous rows: the 2**k row groups of a sweep are adjacent, so
        # one call of width ``span`` covers them all
        n_lo = 1 if contiguous else 1 << k
        w = span if contiguous else width
        for mhi in range(n_hi):
            for mlo in range(n_lo):
                base = base0 + ((mhi << (k + left)) + mlo) * stride
                if left == 3:
                    _radix8(a, base, span, w)
                elif left == 2:
                    _radix4(a, base, span, w)
                else:
                    _radix2(a, base, span, w)
        k += left


def _plan(n_bits, q, block_elems, max_group=TILE_STAGES):
    """Number of stages of the block pass and the sizes of the tile passes
    (at most ``max_group`` stages each, as even as possible)."""
    m = 0
    while m < n_bits and (q << (m + 1)) <= block_elems:
        m += 1
    rest = n_bits - m
    n_groups = (rest + max_group - 1) // max_group if rest > 0 else 0
    groups = np.zeros(n_groups, dtype=np.int64)
    for g in range(n_groups):
        groups[g] = rest // n_groups + (1 if g < rest % n_groups else 0)
    return m, groups


# Each pass is one serial loop over a range of work items. ``_run`` walks the
# passes in Python, so that a small transform compiles only the passes it runs
# (no tile pass when every stage fits a block); a large one runs them all in
# ``_fwht_par``, compiled only when first needed. The loop over items lives in
# the pass function itself: Numba re-optimises every function it links into
# another, so each level of calls costs compile time.
@njit(cache=True)
def _blocks(src, dst, bs, q, unit, pair, m, copy_in, scale, do_scale, t0, t1):
    """Block pass items ``t0:t1``: item ``t`` applies the low ``m`` stages to
    the contiguous block ``dst[t * bs : (t + 1) * bs]`` of the flat rows
    (every row holds a whole number of blocks).

    ``unit`` (real rows, ``q == 1``) and ``pair`` (interleaved complex rows,
    ``q == 2``) are True or None, at most one of them True: Numba prunes the
    branch of a None argument at compile time, so that a call compiles only
    the fused radix-8 sweeps (stride variants) that its data needs."""
    for t in range(t0, t1):
        start = t * bs
        d = dst[start : start + bs]
        s = src[start : start + bs] if copy_in else d
        # the next item (this thread's next block: threads get contiguous
        # ranges of items) starts at flat offset (t + 1) * bs
        pf_start = start + bs
        do_pf = pf_start + bs <= src.size
        done = 0
        width = q
        if unit is not None:
            if m >= 3:  # spans 1, 2, 4 (the copy in fused), then 8, 16, 32
                _sweep3(s, d, 1, src, pf_start, do_pf)
                done = 3
                width = 8
                if m >= 6:
                    _sweep3(d, d, 8, d, 0, False)
                    done = 6
                    width = 64
        if pair is not None:
            if m >= 3:  # the same on (re, im) pairs: spans 2, 4, 8, 16, 32, 64
                _sweep3(s, d, 2, src, pf_start, do_pf)
                done = 3
                width = 16
                if m >= 6:
                    _sweep3(d, d, 16, d, 0, False)
                    done = 6
                    width = 128
        if copy_in and done == 0:
            for i in range(bs):
                d[i] = s[i]
        # np.int64: a literal 0 would compile a second specialisation
        _stage_rounds(d, np.int64(0), width, m - done, width)
        if do_scale:
            for i in range(bs):
                d[i] *= scale


@njit(cache=True)
def _tiles(src, dst, L, nsb, ncol, span, r, tile_w, copy_in, scale, do_scale, t0, t1):
    """Tile pass items ``t0:t1``: item ``t`` applies ``r`` stages to ``2**r``
    rows ``span`` apart and ``tile_w`` wide, in the flat rows of length ``L``."""
    per_row = nsb * ncol
    for t in range(t0, t1):
        p = t // per_row
        rest = t - p * per_row
        sbi = rest // ncol
        o = (rest - sbi * ncol) * tile_w
        w = min(tile_w, span - o)
        base0 = p * L + sbi * (span << r) + o
        if copy_in:
            for k in range(1 << r):
                off = base0 + k * span
                for c in range(w):
                    dst[off + c] = src[off + c]
        _stage_rounds(dst, base0, span, r, w)
        if do_scale:
            for k in range(1 << r):
                off = base0 + k * span
                for c in range(w):
                    dst[off + c] *= scale


@njit(cache=True, parallel=True)
def _fwht_par(src, dst, L, q, unit, pair, m, groups, tile_w, copy_in, scale,
              do_scale, parts):  # fmt: skip
    """Every pass of :func:`_run` with its items in ``parts`` contiguous ranges
    in parallel (one per thread, as the prefetch of the next block assumes);
    compiled only when a transform first needs it."""
    if m > 0 or groups.size == 0:
        bs = q << m
        n = dst.size // bs
        last = do_scale and groups.size == 0
        for p in prange(parts):
            _blocks(src, dst, bs, q, unit, pair, m, copy_in, scale, last,
                    p * n // parts, (p + 1) * n // parts)  # fmt: skip
        copy_in = False
    span = q << m
    for g in range(groups.size):
        r = groups[g]
        nsb = L // (span << r)
        ncol = (span + tile_w - 1) // tile_w
        n = (dst.size // L) * nsb * ncol
        last = do_scale and g == groups.size - 1
        for p in prange(parts):
            _tiles(src, dst, L, nsb, ncol, span, r, tile_w, copy_in, scale, last,
                   p * n // parts, (p + 1) * n // parts)  # fmt: skip
        copy_in = False
        span = span << r


def _driver_sizes(itemsize):
    """``(block_elems, tile_w, max_group)`` of the row drivers for items of
    ``itemsize`` bytes (read from the module constants at call time)."""
    return max(BLOCK_BYTES // itemsize, 8), max(TILE_BYTES // itemsize, 8), TILE_STAGES


@functools.lru_cache(maxsize=512)
def _passes(n_bits, q, itemsize, *constants):
    """``(m, groups, tile_w)`` of :func:`_plan` for the module constants, as
    plain ints, computed once per shape: a small transform takes a few
    microseconds, so the Python side of a call must stay cheap.
    ``constants`` (the module's block and tile sizes) only key the cache."""
    block_elems, tile_w, max_group = _driver_sizes(itemsize)
    m, groups = _plan(n_bits, q, block_elems, max_group)
    return m, tuple(groups.tolist()), tile_w


def _run(src, dst, q, n_bits, scale, copy_in, parallel=None):
    """The passes of :func:`_plan` on the C-contiguous 2-D float ``dst``
    ``(P, N q)`` (read from ``src`` first when ``copy_in``), each in parallel
    when ``parallel`` (default: from :data:`PARALLEL_MIN_SIZE` elements on)."""
    scale = dst.dtype.type(scale)
    if parallel is None:
        parallel = dst.size >= PARALLEL_MIN_SIZE
    key = (BLOCK_BYTES, TILE_BYTES, TILE_STAGES)  # tests may change them
    m, groups, tile_w = _passes(n_bits, q, dst.itemsize, *key)
    L = dst.shape[1]
    src, dst = src.reshape(-1), dst.reshape(-1)
    copy_in = bool(copy_in)
    do_scale = bool(scale != 1.0)
    # None for the sweeps a call does not need: not compiled (see _blocks)
    unit = True if q == 1 else None
    pair = True if q == 2 else None
    if parallel:  # on one thread too: see the notes of kernels.cpu.sparse
        parts = numba.get_num_threads()
        _fwht_par(src, dst, L, q, unit, pair, m, np.array(groups, dtype=np.int64),
                  tile_w, copy_in, scale, do_scale, parts)  # fmt: skip
        return
    if m > 0 or not groups:
        bs = q << m
        last = do_scale and not groups
        _blocks(src, dst, bs, q, unit, pair, m, copy_in, scale, last, 0, dst.size // bs)
        copy_in = False
    span = q << m
    for g, r in enumerate(groups):
        nsb = L // (span << r)
        ncol = (span + tile_w - 1) // tile_w
        last = do_scale and g == len(groups) - 1
        n_items = (dst.size // L) * nsb * ncol
        _tiles(
            src, dst, L, nsb, ncol, span, r, tile_w, copy_in, scale, last, 0, n_items
        )
        copy_in = False
        span = span << r


def fwht_rows_inplace(a, q=1, scale=1.0, parallel=None):
    """In-place transform of the C-contiguous real 2-D array ``a`` of shape
    ``(P, N*q)``: each row is viewed as ``(N, q)`` and transformed along its
    first axis, then multiplied by ``scale``. Returns ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.wht import fwht_rows_inplace
    >>> fwht_rows_inplace(np.array([[1.0, 0.0, 0.0, 0.0]]))
    array([[1., 1., 1., 1.]])
    """
    n = a.shape[1] // q
    n_bits = n.bit_length() - 1
    if a.size:
        _run(a, a, q, n_bits, scale, False, parallel)
    return a


def _work_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64, np.complex64, np.complex128):
        return dtype
    if dtype.kind == "c":
        return np.dtype(np.complex128)
    if dtype.kind == "f" and dtype.itemsize < 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def can_overwrite(x) -> bool:
    """Whether ``fwht_along_axis(x, overwrite=True)`` computes in the memory of
    ``x``: a C-contiguous, writeable NumPy array of a working dtype
    (float32/float64/complex64/complex128, native byte order).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.wht import can_overwrite
    >>> can_overwrite(np.zeros(4)), can_overwrite(np.zeros(4, dtype=np.int64))
    (True, False)
    """
    return (
        isinstance(x, np.ndarray)
        and x.dtype == _work_dtype(x.dtype)
        and x.flags.c_contiguous
        and x.flags.writeable
    )


def fwht_along_axis(x, axis=-1, normalized=False, ordering="natural", overwrite=False):
    """Walsh-Hadamard transform of ``x`` along ``axis``; returns a new array.

    No validation: the caller guarantees that ``x.shape[axis]`` is a power of
    two and ``ordering`` is valid. Float32/complex64 stay single precision,
    other non-float dtypes are computed in float64. With ``overwrite`` a
    C-contiguous, writeable ``x`` of a working dtype is transformed in place
    (and returned for the natural ordering).

    Parameters
    ----------
    x : ndarray
        Input (never modified unless ``overwrite``).
    axis : int
        Axis to transform.
    normalized : bool
        Multiply by ``1/sqrt(N)`` (orthonormal transform).
    ordering : {"natural", "sequency", "dyadic"}
        Row order of the output.
    overwrite : bool
        Allow the transform to be computed in the memory of ``x``.

    Returns
    -------
    ndarray
        ``H @ x`` along ``axis`` (divided by ``sqrt(N)`` when normalized, rows
        permuted for non-natural orderings), a new C-contiguous array.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.wht import fwht_along_axis
    >>> fwht_along_axis(np.array([1.0, 2.0, 3.0, 4.0]), -1, False, "natural")
    array([10., -2., -4.,  0.])
    """
    if is_cupy_array(x):
        return fwht_xp(x, axis, normalized, ordering)
    x = np.asarray(x)
    dtype = _work_dtype(x.dtype)
    axis = axis % x.ndim if x.ndim else 0
    if x.ndim == 0:
        x = x.reshape(1)
    shape = x.shape
    n = shape[axis]
    n_bits = n.bit_length() - 1
    in_place = overwrite and can_overwrite(x)
    work = x if in_place else np.ascontiguousarray(x, dtype=dtype)
    if in_place:
        out = work  # no allocation, no first-touch page faults
    elif np.may_share_memory(work, x):
        out = np.empty(shape, dtype=dtype)
    else:
        out = work
    if work.size:
        P = int(np.prod(shape[:axis], dtype=np.int64))
        Q = int(np.prod(shape[axis + 1 :], dtype=np.int64))
        copy_in = work is not out
        src, dst = work, out
        if dtype.kind == "c":
            src = src.view(src.real.dtype)
            dst = dst.view(dst.real.dtype)
            Q *= 2
        src = src.reshape(P, n * Q)
        dst = dst.reshape(P, n * Q)
        scale = 1.0 / np.sqrt(n) if normalized else 1.0
        _run(src, dst, Q, n_bits, scale, copy_in)
    if ordering != "natural":
        out = np.take(out, ordering_permutation(n_bits, ordering), axis=axis)
    return out


def fwht_xp(x, axis=-1, normalized=False, ordering="natural"):
    """Array-API version of :func:`fwht_along_axis` (used for CuPy arrays).

    ``log2 N`` vectorised butterfly stages on the array's own namespace, each a
    reshape to ``(..., N / 2h, 2, h, ...)``. Slower than the Numba kernel on
    the CPU but device-agnostic.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.wht import fwht_xp
    >>> fwht_xp(np.array([1.0, 2.0, 3.0, 4.0]))
    array([10., -2., -4.,  0.])
    """
    xp = get_namespace(x)
    dtype = _work_dtype(x.dtype)
    y = xp.moveaxis(xp.asarray(x, dtype=dtype), axis, -1)
    lead = y.shape[:-1]
    n = y.shape[-1]
    y = xp.ascontiguousarray(y).reshape(-1, n).copy()
    h = 1
    while h < n:
        v = y.reshape(y.shape[0], n // (2 * h), 2, h)
        a = v[:, :, 0, :].copy()
        v[:, :, 0, :] += v[:, :, 1, :]
        v[:, :, 1, :] *= -1
        v[:, :, 1, :] += a
        h *= 2
    if normalized:
        y *= y.real.dtype.type(1.0 / np.sqrt(n))
    y = y.reshape(*lead, n)
    if ordering != "natural":
        perm = xp.asarray(ordering_permutation(n.bit_length() - 1, ordering))
        y = y[..., perm]
    return xp.moveaxis(y, -1, axis)
