"""Numba kernels for the sparse-format products.

Every kernel works on raw arrays and *accumulates* into a caller-allocated
``out`` (``out += op(A) @ x``); callers pass zeros to get the plain product.
Inputs are trusted: the format classes in :mod:`sparsela.formats` validate
them first. The NumPy twins live in :mod:`sparsela.kernels.reference`.

Index arrays (``indices``, ``indptr``, ``row``, ``col``) should be passed
through :func:`unsigned_view`: Numba then knows an index cannot be negative
and drops the wrap-around branch from every gather, which measured about 1.8x
faster for CSR SpMV on a 1e6 x 1e6 matrix with 10 entries per row (int32
indices). Signed arrays give the same results, only slower.

Serial and parallel paths
-------------------------
Each product has a serial kernel (a plain loop over a range of rows,
``_*_rows(..., lo, hi)``) and a parallel one (the same loop under
``prange``, on ``numba.get_num_threads()`` threads). The public functions
take ``parallel``: ``None`` (the default) runs the parallel kernel only from
:data:`PARALLEL_MIN_WORK` stored-entry updates on (:func:`use_parallel`).
Below that, waking the threads costs more than the product, and when other
processes keep the cores busy every parallel call waits for a descheduled
thread (a 50 x 100 CSC FISTA ran 80x slower with both cores loaded). A small
product thus compiles and runs only the serial kernel. The loop body is
written twice, not shared through a call: inside ``prange`` Numba marks the
arrays of the loop body as not aliasing each other, which keeps the
accumulators of ``A @ X`` in registers (1.5x faster with 8 columns), while a
call from the loop would not inherit it.

Products with the transpose scatter into the output; they take a row
partition ``bounds`` (length ``nchunks + 1``, see :func:`row_partition`).
With one chunk they run serially straight into ``out``; with more, each chunk
scatters into its own buffer in parallel and the buffers are summed.

Duplicate entries and unsorted indices are fine everywhere: every stored entry
contributes once.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

__all__ = [
    "PARALLEL_MIN_WORK",
    "is_canonical",
    "bsr_matmat",
    "bsr_matvec",
    "bsr_sddmm",
    "bsr_tmatmat",
    "bsr_tmatvec",
    "coo_matmat",
    "coo_matvec",
    "coo_sddmm",
    "csr_matmat",
    "csr_matvec",
    "csr_sddmm",
    "csr_tmatmat",
    "csr_tmatvec",
    "nm_matmat",
    "nm_matvec",
    "nm_sddmm",
    "nm_tmatmat",
    "nm_tmatvec",
    "n_scatter_chunks",
    "row_partition",
    "unsigned_view",
    "use_parallel",
]

# Per-thread scatter buffers never exceed this many bytes in total.
_SCATTER_BUFFER_BYTES = 256 * 2**20

#: Stored-entry updates (``nnz`` times the number of right-hand columns) from
#: which a product runs on the Numba threads. Measured on 2 cores (CSR SpMV,
#: 10 entries a row, see ``benchmarks/bench_small_under_load.py``): 2 threads
#: break even with 1 at about 2**14 updates on an idle machine and only past
#: 2**17 while another process keeps both cores busy.
PARALLEL_MIN_WORK = 1 << 17


# ---------------------------------------------------------------------------
# Python-side helpers (no Numba)
# ---------------------------------------------------------------------------
def unsigned_view(a: np.ndarray) -> np.ndarray:
    """View a signed integer index array as the unsigned type of the same width.

    Only valid for arrays whose values are known to be non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> unsigned_view(np.array([0, 3], dtype=np.int32)).dtype
    dtype('uint32')
    """
    if a.dtype.kind == "i":
        return a.view(np.dtype(f"u{a.dtype.itemsize}"))
    return a


def use_parallel(work: int) -> bool:
    """Whether a product of ``work`` stored-entry updates runs the parallel
    kernel (from :data:`PARALLEL_MIN_WORK` updates on).

    The parallel kernel runs on ``numba.get_num_threads()`` threads; with
    one, on the calling thread alone (and still at its speed, see the module
    notes).

    Examples
    --------
    >>> use_parallel(100)
    False
    """
    return work >= PARALLEL_MIN_WORK


@njit(cache=True)
def is_canonical(indices, indptr):  # pragma: no cover - numba
    """Whether indices increase strictly within every slice (sorted, no
    duplicates); stops at the first slice that does not."""
    for i in range(indptr.shape[0] - 1):
        for k in range(indptr[i] + 1, indptr[i + 1]):
            if indices[k] <= indices[k - 1]:
                return False
    return True


def _par(parallel: bool | None, work: int) -> bool:
    return use_parallel(work) if parallel is None else bool(parallel)


def n_scatter_chunks(work: int, out_size: int, itemsize: int) -> int:
    """Number of per-thread buffers worth using for a scatter product.

    Each buffer costs ``out_size`` zeroing and summing, so more chunks are
    used only while the scattered work (``work`` updates) dominates, and the
    buffers together stay under 256 MiB. Below :data:`PARALLEL_MIN_WORK`
    updates the scatter is serial (one chunk).

    Examples
    --------
    >>> n_scatter_chunks(work=10, out_size=10**6, itemsize=8)
    1
    """
    threads = numba.get_num_threads()
    if threads <= 1 or out_size == 0 or work < PARALLEL_MIN_WORK:
        return 1
    by_work = work // (2 * out_size)
    by_memory = _SCATTER_BUFFER_BYTES // (out_size * itemsize)
    return int(max(1, min(threads, by_work, by_memory)))


def row_partition(indptr: np.ndarray, nchunks: int) -> np.ndarray:
    """Split rows ``0..len(indptr)-1`` into ``nchunks`` runs of similar nnz.

    Returns a non-decreasing ``int64`` array of length ``nchunks + 1`` from 0
    to the number of rows.

    Examples
    --------
    >>> import numpy as np
    >>> row_partition(np.array([0, 1, 2, 3, 4]), 2)
    array([0, 2, 4])
    """
    m = indptr.shape[0] - 1
    if nchunks <= 1 or m == 0:
        return np.array([0, m], dtype=np.int64)
    indptr = np.asarray(indptr).astype(np.int64, copy=False)
    targets = (np.arange(nchunks + 1) * int(indptr[-1])) // nchunks
    bounds = np.searchsorted(indptr, targets, side="left")
    bounds[0], bounds[-1] = 0, m
    return np.maximum.accumulate(np.minimum(bounds, m)).astype(np.int64)


# ---------------------------------------------------------------------------
# CSR (CSC arrays are the CSR arrays of the transpose)
# ---------------------------------------------------------------------------
@njit(cache=True)
def _csr_rows(data, indices, indptr, x, out, lo, hi):  # pragma: no cover - numba
    for i in range(lo, hi):
        acc = out[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * x[indices[k]]
        out[i] = acc


@njit(cache=True, parallel=True)
def _csr_rows_par(data, indices, indptr, x, out):  # pragma: no cover - numba
    for i in prange(indptr.shape[0] - 1):
        acc = out[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * x[indices[k]]
        out[i] = acc


@njit(cache=True)
def _csr_rows2(data, indices, indptr, X, out, lo, hi):  # pragma: no cover - numba
    ncol = X.shape[1]
    for i in range(lo, hi):
        for k in range(indptr[i], indptr[i + 1]):
            v = data[k]
            j = indices[k]
            for c in range(ncol):
                out[i, c] += v * X[j, c]


@njit(cache=True, parallel=True)
def _csr_rows2_par(data, indices, indptr, X, out):  # pragma: no cover - numba
    ncol = X.shape[1]
    for i in prange(indptr.shape[0] - 1):
        for k in range(indptr[i], indptr[i + 1]):
            v = data[k]
            j = indices[k]
            for c in range(ncol):
                out[i, c] += v * X[j, c]


@njit(cache=True)
def _csr_sddmm_rows(indices, indptr, X, Yt, out, lo, hi):  # pragma: no cover
    r = X.shape[1]
    for i in range(lo, hi):
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            acc = out[k]
            for t in range(r):
                acc += X[i, t] * Yt[j, t]
            out[k] = acc


@njit(cache=True, parallel=True)
def _csr_sddmm_par(indices, indptr, X, Yt, out):  # pragma: no cover - numba
    r = X.shape[1]
    for i in prange(indptr.shape[0] - 1):
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            acc = out[k]
            for t in range(r):
                acc += X[i, t] * Yt[j, t]
            out[k] = acc


def csr_matvec(data, indices, indptr, x, out, parallel=None):
    """``out += A @ x`` for CSR ``A``; rows in parallel from
    :data:`PARALLEL_MIN_WORK` stored entries on (or as ``parallel`` says).
    ``out`` must not overlap the inputs (true of every kernel here)."""
    if _par(parallel, data.shape[0]):
        _csr_rows_par(data, indices, indptr, x, out)
    else:
        _csr_rows(data, indices, indptr, x, out, 0, indptr.shape[0] - 1)
    return out


def csr_matmat(data, indices, indptr, X, out, parallel=None):
    """``out += A @ X`` for CSR ``A`` and C-contiguous ``X`` (n, k)."""
    if _par(parallel, data.shape[0] * X.shape[1]):
        _csr_rows2_par(data, indices, indptr, X, out)
    else:
        _csr_rows2(data, indices, indptr, X, out, 0, indptr.shape[0] - 1)
    return out


@njit(cache=True, parallel=True)
def _sum_chunks(buf, out):  # pragma: no cover - numba
    """``out += buf.sum(axis=0)`` for C-contiguous ``buf`` (nchunks, size)."""
    nchunks = buf.shape[0]
    for j in prange(out.shape[0]):
        acc = out[j]
        for t in range(nchunks):
            acc += buf[t, j]
        out[j] = acc


def _scatter(rows_kernel, chunks_kernel, arrays, y, out, bounds):
    """Run a scatter serially into ``out`` or in chunks into summed buffers.

    The buffers are allocated here rather than inside the parallel kernel:
    that keeps each compiled kernel to a single parallel loop (Numba turns
    an ``np.zeros`` inside a parallel function into one more), which halves
    the first-call compile time.
    """
    nchunks = bounds.shape[0] - 1
    if nchunks <= 1:
        rows_kernel(*arrays, y, out, 0, arrays[2].shape[0] - 1)
        return out
    buf = np.zeros((nchunks, *out.shape), dtype=out.dtype)
    chunks_kernel(*arrays, y, buf, bounds)
    _sum_chunks(buf.reshape(nchunks, -1), out.reshape(-1))
    return out


@njit(cache=True)
def _csr_scatter_rows(data, indices, indptr, y, out, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        yi = y[i]
        for k in range(indptr[i], indptr[i + 1]):
            out[indices[k]] += data[k] * yi


@njit(cache=True)
def _csr_scatter_rows2(data, indices, indptr, Y, out, lo, hi):  # pragma: no cover
    ncol = Y.shape[1]
    for i in range(lo, hi):
        for k in range(indptr[i], indptr[i + 1]):
            v = data[k]
            j = indices[k]
            for c in range(ncol):
                out[j, c] += v * Y[i, c]


@njit(cache=True, parallel=True)
def _csr_scatter_chunks(data, indices, indptr, y, buf, bounds):  # pragma: no cover
    for t in prange(buf.shape[0]):
        _csr_scatter_rows(data, indices, indptr, y, buf[t], bounds[t], bounds[t + 1])


@njit(cache=True, parallel=True)
def _csr_scatter_chunks2(data, indices, indptr, Y, buf, bounds):  # pragma: no cover
    for t in prange(buf.shape[0]):
        _csr_scatter_rows2(data, indices, indptr, Y, buf[t], bounds[t], bounds[t + 1])


def csr_tmatvec(data, indices, indptr, y, out, bounds):
    """``out += A.T @ y`` (no conjugation) for CSR ``A``; scatter.

    ``bounds`` partitions the rows (:func:`row_partition`): one chunk runs
    serially into ``out``; more chunks scatter in parallel into per-chunk
    buffers that are then summed.
    """
    arrays = (data, indices, indptr)
    return _scatter(_csr_scatter_rows, _csr_scatter_chunks, arrays, y, out, bounds)


def csr_tmatmat(data, indices, indptr, Y, out, bounds):
    """``out += A.T @ Y`` (no conjugation) for CSR ``A``; see csr_tmatvec."""
    arrays = (data, indices, indptr)
    return _scatter(_csr_scatter_rows2, _csr_scatter_chunks2, arrays, Y, out, bounds)


def csr_sddmm(indices, indptr, X, Yt, out, parallel=None):
    """``out[k] += X[i] @ Yt[j]`` for every stored entry ``k`` at ``(i, j)``.

    ``Yt`` is the transpose of the right factor, C-contiguous (n, r), so both
    operands are read along contiguous rows.
    """
    if _par(parallel, indices.shape[0] * X.shape[1]):
        _csr_sddmm_par(indices, indptr, X, Yt, out)
    else:
        _csr_sddmm_rows(indices, indptr, X, Yt, out, 0, indptr.shape[0] - 1)
    return out


# ---------------------------------------------------------------------------
# COO (serial scatter; duplicates simply add up)
# ---------------------------------------------------------------------------
@njit(cache=True)
def coo_matvec(data, row, col, x, out):  # pragma: no cover - numba
    """``out += A @ x`` for COO ``A`` (swap ``row``/``col`` for ``A.T``)."""
    for k in range(data.shape[0]):
        out[row[k]] += data[k] * x[col[k]]


@njit(cache=True)
def coo_matmat(data, row, col, X, out):  # pragma: no cover - numba
    """``out += A @ X`` for COO ``A`` (swap ``row``/``col`` for ``A.T``)."""
    ncol = X.shape[1]
    for k in range(data.shape[0]):
        v = data[k]
        i = row[k]
        j = col[k]
        for c in range(ncol):
            out[i, c] += v * X[j, c]


@njit(cache=True)
def coo_sddmm(row, col, X, Yt, out):  # pragma: no cover - numba
    """``out[k] += X[row[k]] @ Yt[col[k]]`` (serial, like the COO products)."""
    r = X.shape[1]
    for k in range(row.shape[0]):
        i = row[k]
        j = col[k]
        acc = out[k]
        for t in range(r):
            acc += X[i, t] * Yt[j, t]
        out[k] = acc


# ---------------------------------------------------------------------------
# BSR: data (nblocks, R, C); indices/indptr over block rows and columns
# ---------------------------------------------------------------------------
@njit(cache=True)
def _bsr_rows(data, indices, indptr, x, out, lo, hi):  # pragma: no cover - numba
    R = data.shape[1]
    C = data.shape[2]
    for bi in range(lo, hi):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                acc = out[r0 + r]
                for c in range(C):
                    acc += data[k, r, c] * x[c0 + c]
                out[r0 + r] = acc


@njit(cache=True, parallel=True)
def _bsr_rows_par(data, indices, indptr, x, out):  # pragma: no cover - numba
    R = data.shape[1]
    C = data.shape[2]
    for bi in prange(indptr.shape[0] - 1):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                acc = out[r0 + r]
                for c in range(C):
                    acc += data[k, r, c] * x[c0 + c]
                out[r0 + r] = acc


@njit(cache=True)
def _bsr_rows2(data, indices, indptr, X, out, lo, hi):  # pragma: no cover - numba
    R = data.shape[1]
    C = data.shape[2]
    ncol = X.shape[1]
    for bi in range(lo, hi):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    v = data[k, r, c]
                    for q in range(ncol):
                        out[r0 + r, q] += v * X[c0 + c, q]


@njit(cache=True, parallel=True)
def _bsr_rows2_par(data, indices, indptr, X, out):  # pragma: no cover - numba
    R = data.shape[1]
    C = data.shape[2]
    ncol = X.shape[1]
    for bi in prange(indptr.shape[0] - 1):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    v = data[k, r, c]
                    for q in range(ncol):
                        out[r0 + r, q] += v * X[c0 + c, q]


@njit(cache=True)
def _bsr_sddmm_rows(indices, indptr, X, Yt, out, lo, hi):  # pragma: no cover
    R = out.shape[1]
    C = out.shape[2]
    rk = X.shape[1]
    for bi in range(lo, hi):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    acc = out[k, r, c]
                    for t in range(rk):
                        acc += X[r0 + r, t] * Yt[c0 + c, t]
                    out[k, r, c] = acc


@njit(cache=True, parallel=True)
def _bsr_sddmm_par(indices, indptr, X, Yt, out):  # pragma: no cover - numba
    R = out.shape[1]
    C = out.shape[2]
    rk = X.shape[1]
    for bi in prange(indptr.shape[0] - 1):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    acc = out[k, r, c]
                    for t in range(rk):
                        acc += X[r0 + r, t] * Yt[c0 + c, t]
                    out[k, r, c] = acc


def bsr_matvec(data, indices, indptr, x, out, parallel=None):
    """``out += A @ x`` for BSR ``A``; block rows in parallel from
    :data:`PARALLEL_MIN_WORK` stored values on (or as ``parallel`` says)."""
    if _par(parallel, data.size):
        _bsr_rows_par(data, indices, indptr, x, out)
    else:
        _bsr_rows(data, indices, indptr, x, out, 0, indptr.shape[0] - 1)
    return out


def bsr_matmat(data, indices, indptr, X, out, parallel=None):
    """``out += A @ X`` for BSR ``A`` and C-contiguous ``X`` (n, k)."""
    if _par(parallel, data.size * X.shape[1]):
        _bsr_rows2_par(data, indices, indptr, X, out)
    else:
        _bsr_rows2(data, indices, indptr, X, out, 0, indptr.shape[0] - 1)
    return out


@njit(cache=True)
def _bsr_scatter_rows(data, indices, indptr, y, out, lo, hi):  # pragma: no cover
    R = data.shape[1]
    C = data.shape[2]
    for bi in range(lo, hi):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                yr = y[r0 + r]
                for c in range(C):
                    out[c0 + c] += data[k, r, c] * yr


@njit(cache=True)
def _bsr_scatter_rows2(data, indices, indptr, Y, out, lo, hi):  # pragma: no cover
    R = data.shape[1]
    C = data.shape[2]
    ncol = Y.shape[1]
    for bi in range(lo, hi):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    v = data[k, r, c]
                    for q in range(ncol):
                        out[c0 + c, q] += v * Y[r0 + r, q]


@njit(cache=True, parallel=True)
def _bsr_scatter_chunks(data, indices, indptr, y, buf, bounds):  # pragma: no cover
    for t in prange(buf.shape[0]):
        _bsr_scatter_rows(data, indices, indptr, y, buf[t], bounds[t], bounds[t + 1])


@njit(cache=True, parallel=True)
def _bsr_scatter_chunks2(data, indices, indptr, Y, buf, bounds):  # pragma: no cover
    for t in prange(buf.shape[0]):
        _bsr_scatter_rows2(data, indices, indptr, Y, buf[t], bounds[t], bounds[t + 1])


def bsr_tmatvec(data, indices, indptr, y, out, bounds):
    """``out += A.T @ y`` (no conjugation) for BSR ``A``; scatter.

    ``bounds`` partitions the block rows; see :func:`csr_tmatvec`.
    """
    arrays = (data, indices, indptr)
    return _scatter(_bsr_scatter_rows, _bsr_scatter_chunks, arrays, y, out, bounds)


def bsr_tmatmat(data, indices, indptr, Y, out, bounds):
    """``out += A.T @ Y`` (no conjugation) for BSR ``A``; see csr_tmatvec."""
    arrays = (data, indices, indptr)
    return _scatter(_bsr_scatter_rows2, _bsr_scatter_chunks2, arrays, Y, out, bounds)


def bsr_sddmm(indices, indptr, X, Yt, out, parallel=None):
    """``out[k] += X[rows of block k] @ Yt[cols of block k].T``.

    ``out`` has shape (nblocks, R, C); ``Yt`` is the (n, r) transpose of the
    right factor.
    """
    if _par(parallel, out.size * X.shape[1]):
        _bsr_sddmm_par(indices, indptr, X, Yt, out)
    else:
        _bsr_sddmm_rows(indices, indptr, X, Yt, out, 0, indptr.shape[0] - 1)
    return out


# ---------------------------------------------------------------------------
# N:M: values/positions (rows, G*n), G = cols // m column groups per row
# ---------------------------------------------------------------------------
@njit(cache=True)
def _nm_rows(values, positions, n, m, x, out, lo, hi):  # pragma: no cover
    # n == 2 (2:4, 2:8, ...) adds each group's two products before
    # accumulating: about 20% faster than the generic loop, whose single
    # chain of dependent additions is the bottleneck
    groups = values.shape[1] // n if n > 0 else 0
    for i in range(lo, hi):
        acc = out[i]
        if n == 2:
            for g in range(groups):
                base = g * m
                q = 2 * g
                acc += (
                    values[i, q] * x[base + positions[i, q]]
                    + values[i, q + 1] * x[base + positions[i, q + 1]]
                )
        else:
            for g in range(groups):
                base = g * m
                for t in range(n):
                    q = g * n + t
                    acc += values[i, q] * x[base + positions[i, q]]
        out[i] = acc


@njit(cache=True, parallel=True)
def _nm_rows_par(values, positions, n, m, x, out):  # pragma: no cover - numba
    groups = values.shape[1] // n if n > 0 else 0
    for i in prange(values.shape[0]):
        acc = out[i]
        if n == 2:
            for g in range(groups):
                base = g * m
                q = 2 * g
                acc += (
                    values[i, q] * x[base + positions[i, q]]
                    + values[i, q + 1] * x[base + positions[i, q + 1]]
                )
        else:
            for g in range(groups):
                base = g * m
                for t in range(n):
                    q = g * n + t
                    acc += values[i, q] * x[base + positions[i, q]]
        out[i] = acc


@njit(cache=True)
def _nm_rows2(values, positions, n, m, X, out, lo, hi):  # pragma: no cover
    groups = values.shape[1] // n if n > 0 else 0
    ncol = X.shape[1]
    for i in range(lo, hi):
        for g in range(groups):
            base = g * m
            for t in range(n):
                q = g * n + t
                v = values[i, q]
                j = base + positions[i, q]
                for c in range(ncol):
                    out[i, c] += v * X[j, c]


@njit(cache=True, parallel=True)
def _nm_rows2_par(values, positions, n, m, X, out):  # pragma: no cover - numba
    groups = values.shape[1] // n if n > 0 else 0
    ncol = X.shape[1]
    for i in prange(values.shape[0]):
        for g in range(groups):
            base = g * m
            for t in range(n):
                q = g * n + t
                v = values[i, q]
                j = base + positions[i, q]
                for c in range(ncol):
                    out[i, c] += v * X[j, c]


@njit(cache=True)
def _nm_sddmm_rows(positions, n, m, X, Yt, out, lo, hi):  # pragma: no cover
    groups = positions.shape[1] // n if n > 0 else 0
    rk = X.shape[1]
    for i in range(lo, hi):
        for g in range(groups):
            base = g * m
            for s in range(n):
                q = g * n + s
                j = base + positions[i, q]
                acc = out[i, q]
                for t in range(rk):
                    acc += X[i, t] * Yt[j, t]
                out[i, q] = acc


@njit(cache=True, parallel=True)
def _nm_sddmm_par(positions, n, m, X, Yt, out):  # pragma: no cover - numba
    groups = positions.shape[1] // n if n > 0 else 0
    rk = X.shape[1]
    for i in prange(positions.shape[0]):
        for g in range(groups):
            base = g * m
            for s in range(n):
                q = g * n + s
                j = base + positions[i, q]
                acc = out[i, q]
                for t in range(rk):
                    acc += X[i, t] * Yt[j, t]
                out[i, q] = acc


@njit(cache=True)
def _nm_tgroups(values, positions, n, m, y, out, g0, g1):  # pragma: no cover
    for i in range(values.shape[0]):
        yi = y[i]
        for g in range(g0, g1):
            base = g * m
            for s in range(n):
                q = g * n + s
                out[base + positions[i, q]] += values[i, q] * yi


@njit(cache=True, parallel=True)
def _nm_tgroups_par(values, positions, n, m, y, out, nchunks):  # pragma: no cover
    groups = values.shape[1] // n if n > 0 else 0
    for t in prange(nchunks):
        g0 = t * groups // nchunks
        g1 = (t + 1) * groups // nchunks
        for i in range(values.shape[0]):
            yi = y[i]
            for g in range(g0, g1):
                base = g * m
                for s in range(n):
                    q = g * n + s
                    out[base + positions[i, q]] += values[i, q] * yi


@njit(cache=True)
def _nm_tgroups2(values, positions, n, m, Y, out, g0, g1):  # pragma: no cover
    ncol = Y.shape[1]
    for i in range(values.shape[0]):
        for g in range(g0, g1):
            base = g * m
            for s in range(n):
                q = g * n + s
                v = values[i, q]
                j = base + positions[i, q]
                for c in range(ncol):
                    out[j, c] += v * Y[i, c]


@njit(cache=True, parallel=True)
def _nm_tgroups2_par(values, positions, n, m, Y, out, nchunks):  # pragma: no cover
    groups = values.shape[1] // n if n > 0 else 0
    ncol = Y.shape[1]
    for t in prange(nchunks):
        g0 = t * groups // nchunks
        g1 = (t + 1) * groups // nchunks
        for i in range(values.shape[0]):
            for g in range(g0, g1):
                base = g * m
                for s in range(n):
                    q = g * n + s
                    v = values[i, q]
                    j = base + positions[i, q]
                    for c in range(ncol):
                        out[j, c] += v * Y[i, c]


def nm_matvec(values, positions, n, m, x, out, parallel=None):
    """``out += A @ x`` for N:M ``A``; rows in parallel from
    :data:`PARALLEL_MIN_WORK` kept values on (or as ``parallel`` says)."""
    if _par(parallel, values.size):
        _nm_rows_par(values, positions, n, m, x, out)
    else:
        _nm_rows(values, positions, n, m, x, out, 0, values.shape[0])
    return out


def nm_matmat(values, positions, n, m, X, out, parallel=None):
    """``out += A @ X`` for N:M ``A`` and C-contiguous ``X`` (cols, k)."""
    if _par(parallel, values.size * X.shape[1]):
        _nm_rows2_par(values, positions, n, m, X, out)
    else:
        _nm_rows2(values, positions, n, m, X, out, 0, values.shape[0])
    return out


def nm_tmatvec(values, positions, n, m, y, out, nchunks, parallel=None):
    """``out += A.T @ y`` (no conjugation) for N:M ``A``.

    Column groups are split into ``nchunks`` runs; groups own disjoint output
    ranges, so the runs go in parallel without buffers. ``parallel`` (default:
    ``nchunks > 1``) runs the parallel kernel, else the serial one.
    """
    if nchunks > 1 if parallel is None else parallel:
        _nm_tgroups_par(values, positions, n, m, y, out, nchunks)
    else:
        groups = values.shape[1] // n if n > 0 else 0
        _nm_tgroups(values, positions, n, m, y, out, 0, groups)
    return out


def nm_tmatmat(values, positions, n, m, Y, out, nchunks, parallel=None):
    """``out += A.T @ Y`` (no conjugation) for N:M ``A``; see nm_tmatvec."""
    if nchunks > 1 if parallel is None else parallel:
        _nm_tgroups2_par(values, positions, n, m, Y, out, nchunks)
    else:
        groups = values.shape[1] // n if n > 0 else 0
        _nm_tgroups2(values, positions, n, m, Y, out, 0, groups)
    return out


def nm_sddmm(positions, n, m, X, Yt, out, parallel=None):
    """``out[i, q] += X[i] @ Yt[column of (i, q)]`` for N:M patterns."""
    if _par(parallel, positions.size * X.shape[1]):
        _nm_sddmm_par(positions, n, m, X, Yt, out)
    else:
        _nm_sddmm_rows(positions, n, m, X, Yt, out, 0, positions.shape[0])
    return out
