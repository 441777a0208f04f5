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
block, and the parallel driver :func:`_par_passes` only from
:data:`PARALLEL_MIN_SIZE` elements on; that driver calls the serial passes
by address (:func:`call_kernel`), so it adds only its own ``prange`` loop.
The plan of the passes is computed in Python and the passes are called from
there (a few microseconds). The last pass also tells whether it wrote a NaN
or an Inf (the overflow check of :func:`sparsela.fwht`, see :func:`_run`).
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from ..._backend import get_namespace, is_cupy_array
from ._llvm import prefetch

try:  # Numba's own fast type key of a call argument (what its dispatch uses)
    from numba._dispatcher import compute_fingerprint as _fingerprint
except ImportError:  # pragma: no cover - other Numba versions
    _fingerprint = numba.typeof

__all__ = [
    "BLOCK_BYTES",
    "ORDERINGS",
    "TILE_BYTES",
    "TILE_STAGES",
    "call_kernel",
    "can_overwrite",
    "fwht_along_axis",
    "fwht_checked",
    "fwht_rows_inplace",
    "fwht_xp",
    "kernel_address",
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
# serial kernels called from parallel drivers by address
# ---------------------------------------------------------------------------
# A ``prange`` driver that calls a serial kernel links the kernel's code, and
# Numba re-optimises the whole linked body for the parallel function, its
# gufunc and its wrapper: 2.5-3 s on first use for the FWHT passes or the OMP
# loop, on top of the serial kernel itself. Called through its address, the
# kernel is compiled once (the specialisation the serial path uses too, from
# the same cache entry) and the driver compiles only its own loop.

_ADDRESSES: dict = {}


def kernel_address(kernel, *args) -> int:
    """Address of the C entry point of the ``@njit`` kernel ``kernel``
    specialised for the types of ``args`` (compiled, or loaded from the
    cache, on first use), for :func:`call_kernel`.

    The kernel must return an int64 and must not raise (an exception in a
    call by address is printed, not raised). The driver must pass arguments
    of exactly these types.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.wht import kernel_address
    >>> from numba import njit
    >>> @njit
    ... def twice(x):
    ...     return 2 * x
    >>> kernel_address(twice, 21) > 0
    True
    """
    key = (kernel, *map(_fingerprint, args))
    addr = _ADDRESSES.get(key)
    if addr is None:
        argtypes = tuple(numba.typeof(a) for a in args)
        kernel.compile(argtypes)
        cres = kernel.overloads[argtypes]
        if cres.signature.return_type != types.int64:
            raise TypeError(f"{kernel} must return int64, not {cres.signature}")
        name = cres.fndesc.llvm_cfunc_wrapper_name
        addr = _ADDRESSES[key] = cres.library.get_pointer_to_function(name)
    return addr


@intrinsic
def call_kernel(typingctx, address, args):
    """``kernel(*args)`` (an int64) for the ``address`` that
    :func:`kernel_address` gave for arguments of the types of the tuple
    ``args``; only callable from jitted code. One indirect call: nothing of
    the kernel is compiled into the caller."""
    if not isinstance(address, types.Integer):
        return None
    if not isinstance(args, types.BaseTuple):
        return None
    sig = types.int64(address, args)

    def codegen(context, builder, signature, llargs):
        vals = cgutils.unpack_tuple(builder, llargs[1])
        fnty = ir.FunctionType(
            ir.IntType(64), [context.get_value_type(t) for t in args.types]
        )
        fn = builder.inttoptr(llargs[0], fnty.as_pointer())
        return builder.call(fn, vals)

    return sig, codegen


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


# Each pass is one serial loop over a range of work items, with one signature
# for both passes: ``(src, dst, unit, pair, ip, scale, t0, t1) -> int64``, the
# integer parameters of the pass in the read-only array ``ip`` (see
# :func:`_passes`). ``_run`` walks the passes in Python, so that a small
# transform compiles only the passes it runs (no tile pass when every stage
# fits a block). A large one runs each pass through ``_par_passes``, which
# calls the serial pass by its address (:func:`call_kernel`): the parallel
# driver does not link and re-optimise the pass bodies, and compiles once per
# layout and precision for both passes. The loop over items lives in the pass
# function itself: Numba re-optimises every function it links into another,
# so each level of calls costs compile time.
#
# A pass whose ``check`` entry is 1 (the last one, for :func:`sparsela.fwht`)
# also reports whether an entry it wrote is NaN or Inf (returns 1, else 0):
# ``v - v != 0`` on the block or tile while it is still in cache, an integer
# OR that LLVM vectorises. A finite input whose transform overflows in any
# stage ends with an Inf or a NaN (Inf + finite is Inf, Inf - Inf is NaN), so
# this is the whole overflow test, at no extra pass over memory.

#: entries of the parameter array ``ip`` of a block pass
_B_BS, _B_Q, _B_M, _B_COPY, _B_SCALE, _B_CHECK = range(6)
#: entries of the parameter array ``ip`` of a tile pass
_T_L, _T_NSB, _T_NCOL, _T_SPAN, _T_R, _T_W, _T_COPY, _T_SCALE, _T_CHECK = range(9)


@njit(cache=True)
def _blocks(src, dst, unit, pair, ip, scale, t0, t1):
    """Block pass items ``t0:t1``: item ``t`` applies the low ``m`` stages to
    the contiguous block ``dst[t * bs : (t + 1) * bs]`` of the flat rows
    (every row holds a whole number of blocks). Returns 1 if ``ip`` asks for
    the check and a value written is not finite, else 0.

    ``unit`` (real rows, ``q == 1``) and ``pair`` (interleaved complex rows,
    ``q == 2``) are True or None, at most one of them True: Numba prunes the
    branch of a None argument at compile time, so that a call compiles only
    the fused radix-8 sweeps (stride variants) that its data needs."""
    bs = ip[_B_BS]
    q = ip[_B_Q]
    m = ip[_B_M]
    copy_in = ip[_B_COPY] != 0
    do_scale = ip[_B_SCALE] != 0
    check = ip[_B_CHECK] != 0
    bad = np.int64(0)
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
        if check:
            for i in range(bs):
                v = d[i]
                bad |= np.int64(v - v != 0.0)
    return bad


@njit(cache=True)
def _tiles(src, dst, unit, pair, ip, scale, t0, t1):
    """Tile pass items ``t0:t1``: item ``t`` applies ``r`` stages to ``2**r``
    rows ``span`` apart and ``tile_w`` wide, in the flat rows of length ``L``;
    returns like :func:`_blocks` (``unit`` and ``pair`` are not used: they
    give both passes one signature)."""
    L = ip[_T_L]
    nsb = ip[_T_NSB]
    ncol = ip[_T_NCOL]
    span = ip[_T_SPAN]
    r = ip[_T_R]
    tile_w = ip[_T_W]
    copy_in = ip[_T_COPY] != 0
    do_scale = ip[_T_SCALE] != 0
    check = ip[_T_CHECK] != 0
    bad = np.int64(0)
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
        if check:
            for k in range(1 << r):
                row = dst[base0 + k * span : base0 + k * span + w]
                for c in range(w):
                    v = row[c]
                    bad |= np.int64(v - v != 0.0)
    return bad


@njit(cache=True, parallel=True)
def _par_passes(addrs, n_items, src, dst, unit, pair, ips, scale, flags):
    """The passes of :func:`_run` in turn, each with its items in
    ``flags.size`` contiguous ranges in parallel (one per thread, as the
    prefetch of the next block assumes): pass ``g`` is the serial pass at
    address ``addrs[g]`` with parameters ``ips[g]``. ``flags[p]`` is the
    check result of range ``p`` of the last pass."""
    parts = flags.size
    for g in range(addrs.size):
        addr = addrs[g]
        n = n_items[g]
        ip = ips[g]
        for p in prange(parts):
            flags[p] = call_kernel(
                addr, (src, dst, unit, pair, ip, scale, p * n // parts,
                       (p + 1) * n // parts)
            )  # fmt: skip


def _driver_sizes(itemsize):
    """``(block_elems, tile_w, max_group)`` of the row drivers for items of
    ``itemsize`` bytes (read from the module constants at call time)."""
    return max(BLOCK_BYTES // itemsize, 8), max(TILE_BYTES // itemsize, 8), TILE_STAGES


def _frozen(values):
    a = np.array(values, dtype=np.int64)
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=512)
def _passes(n_bits, q, itemsize, L, copy_in, do_scale, check, *constants):
    """The passes of :func:`_plan` for the module constants, computed once
    per shape (a small transform takes a few microseconds, so the Python side
    of a call must stay cheap): a tuple of ``(is_tile, ip, n_items_per_row)``
    with the read-only parameter array ``ip`` of each pass; the copy from the
    input goes with the first pass, the scale and the check with the last.
    ``constants`` (the module's block and tile sizes) only key the cache."""
    block_elems, tile_w, max_group = _driver_sizes(itemsize)
    m, groups = _plan(n_bits, q, block_elems, max_group)
    groups = groups.tolist()
    out = []
    if m > 0 or not groups:
        bs = q << m
        last = not groups
        ip = (bs, q, m, copy_in, do_scale and last, check and last)
        out.append((False, _frozen(ip), L // bs))
        copy_in = False
    span = q << m
    for g, r in enumerate(groups):
        nsb = L // (span << r)
        ncol = (span + tile_w - 1) // tile_w
        last = g == len(groups) - 1
        ip = (L, nsb, ncol, span, r, tile_w, copy_in, do_scale and last,
              check and last)  # fmt: skip
        out.append((True, _frozen(ip), nsb * ncol))
        copy_in = False
        span = span << r
    return tuple(out)


def _run(src, dst, q, n_bits, scale, copy_in, parallel=None, check=False):
    """The passes of :func:`_plan` on the C-contiguous 2-D float ``dst``
    ``(P, N q)`` (read from ``src`` first when ``copy_in``), each in parallel
    when ``parallel`` (default: from :data:`PARALLEL_MIN_SIZE` elements on).
    Returns True when ``check`` and some entry of the result is NaN or Inf,
    else False."""
    scale = dst.dtype.type(scale)
    if parallel is None:
        parallel = dst.size >= PARALLEL_MIN_SIZE
    P, L = dst.shape
    key = (BLOCK_BYTES, TILE_BYTES, TILE_STAGES)  # tests may change them
    passes = _passes(n_bits, q, dst.itemsize, L, bool(copy_in),
                     bool(scale != 1.0), bool(check), *key)  # fmt: skip
    src, dst = src.reshape(-1), dst.reshape(-1)
    # None for the sweeps a call does not need: not compiled (see _blocks)
    unit = True if q == 1 else None
    pair = True if q == 2 else None
    if parallel:  # on one thread too: see the notes of kernels.cpu.sparse
        ip0 = passes[0][1]
        addrs = np.empty(len(passes), dtype=np.int64)
        n_items = np.empty(len(passes), dtype=np.int64)
        ips = np.zeros((len(passes), _T_CHECK + 1), dtype=np.int64)
        for g, (is_tile, ip, n) in enumerate(passes):
            kernel = _tiles if is_tile else _blocks
            addrs[g] = kernel_address(kernel, src, dst, unit, pair, ip0, scale, 0, 0)
            n_items[g] = P * n
            ips[g, : ip.size] = ip
        ips.flags.writeable = False  # its rows: the type of ip0, as compiled
        flags = np.zeros(numba.get_num_threads(), dtype=np.int64)
        _par_passes(addrs, n_items, src, dst, unit, pair, ips, scale, flags)
        return bool(flags.any())
    bad = 0
    for is_tile, ip, n in passes:
        bad = (_tiles if is_tile else _blocks)(
            src, dst, unit, pair, ip, scale, 0, P * n
        )
    return bool(bad)


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
    return fwht_checked(x, axis, normalized, ordering, overwrite, False)[0]


def fwht_checked(x, axis, normalized, ordering, overwrite, check):
    """:func:`fwht_along_axis`, returning ``(out, bad)``: with ``check`` (NumPy
    input only), ``bad`` tells whether some entry of ``out`` is NaN or Inf,
    found by the last pass of the kernel on the data in cache (no pass over
    the result); otherwise ``bad`` is None.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.wht import fwht_checked
    >>> fwht_checked(np.array([1e308, 1e308]), -1, False, "natural", False, True)
    (array([inf,  0.]), True)
    """
    if is_cupy_array(x):
        return fwht_xp(x, axis, normalized, ordering), None
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
        bad = _run(src, dst, Q, n_bits, scale, copy_in, check=check)
    else:
        bad = False
    if ordering != "natural":
        out = np.take(out, ordering_permutation(n_bits, ordering), axis=axis)
    return out, (bad if check else None)


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
