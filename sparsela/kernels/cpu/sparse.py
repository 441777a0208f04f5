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
]

# Per-thread scatter buffers never exceed this many bytes in total.
_SCATTER_BUFFER_BYTES = 256 * 2**20


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


def n_scatter_chunks(work: int, out_size: int, itemsize: int) -> int:
    """Number of per-thread buffers worth using for a scatter product.

    Each buffer costs ``out_size`` zeroing and summing, so more chunks are
    used only while the scattered work (``work`` updates) dominates, and the
    buffers together stay under 256 MiB.

    Examples
    --------
    >>> n_scatter_chunks(work=10, out_size=10**6, itemsize=8)
    1
    """
    threads = numba.get_num_threads()
    if threads <= 1 or out_size == 0:
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
@njit(cache=True, parallel=True)
def csr_matvec(data, indices, indptr, x, out):  # pragma: no cover - numba
    """``out += A @ x`` for CSR ``A``; rows in parallel."""
    m = indptr.shape[0] - 1
    for i in prange(m):
        acc = out[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * x[indices[k]]
        out[i] = acc


@njit(cache=True, parallel=True)
def csr_matmat(data, indices, indptr, X, out):  # pragma: no cover - numba
    """``out += A @ X`` for CSR ``A`` and C-contiguous ``X`` (n, k)."""
    m = indptr.shape[0] - 1
    ncol = X.shape[1]
    for i in prange(m):
        for k in range(indptr[i], indptr[i + 1]):
            v = data[k]
            j = indices[k]
            for c in range(ncol):
                out[i, c] += v * X[j, c]


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


@njit(cache=True, parallel=True)
def csr_sddmm(indices, indptr, X, Yt, out):  # pragma: no cover - numba
    """``out[k] += X[i] @ Yt[j]`` for every stored entry ``k`` at ``(i, j)``.

    ``Yt`` is the transpose of the right factor, C-contiguous (n, r), so both
    operands are read along contiguous rows.
    """
    m = indptr.shape[0] - 1
    r = X.shape[1]
    for i in prange(m):
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            acc = out[k]
            for t in range(r):
                acc += X[i, t] * Yt[j, t]
            out[k] = acc


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
@njit(cache=True, parallel=True)
def bsr_matvec(data, indices, indptr, x, out):  # pragma: no cover - numba
    """``out += A @ x`` for BSR ``A``; block rows in parallel."""
    mb = indptr.shape[0] - 1
    R = data.shape[1]
    C = data.shape[2]
    for bi in prange(mb):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                acc = out[r0 + r]
                for c in range(C):
                    acc += data[k, r, c] * x[c0 + c]
                out[r0 + r] = acc


@njit(cache=True, parallel=True)
def bsr_matmat(data, indices, indptr, X, out):  # pragma: no cover - numba
    """``out += A @ X`` for BSR ``A`` and C-contiguous ``X`` (n, k)."""
    mb = indptr.shape[0] - 1
    R = data.shape[1]
    C = data.shape[2]
    ncol = X.shape[1]
    for bi in prange(mb):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    v = data[k, r, c]
                    for q in range(ncol):
                        out[r0 + r, q] += v * X[c0 + c, q]


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


@njit(cache=True, parallel=True)
def bsr_sddmm(indices, indptr, X, Yt, out):  # pragma: no cover - numba
    """``out[k] += X[rows of block k] @ Yt[cols of block k].T``.

    ``out`` has shape (nblocks, R, C); ``Yt`` is the (n, r) transpose of the
    right factor.
    """
    mb = indptr.shape[0] - 1
    R = out.shape[1]
    C = out.shape[2]
    rk = X.shape[1]
    for bi in prange(mb):
        r0 = bi * R
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                for c in range(C):
                    acc = out[k, r, c]
                    for t in range(rk):
                        acc += X[r0 + r, t] * Yt[c0 + c, t]
                    out[k, r, c] = acc


# ---------------------------------------------------------------------------
# N:M: values/positions (rows, G*n), G = cols // m column groups per row
# ---------------------------------------------------------------------------
@njit(cache=True, parallel=True)
def nm_matvec(values, positions, n, m, x, out):  # pragma: no cover - numba
    """``out += A @ x`` for N:M ``A``; rows in parallel.

    ``n == 2`` (2:4, 2:8, ...) takes an unrolled path that adds each group's
    two products before accumulating: about 20% faster than the generic loop,
    whose single chain of dependent additions is the bottleneck.
    """
    rows = values.shape[0]
    groups = values.shape[1] // n if n > 0 else 0
    for i in prange(rows):
        acc = out[i]
        if n == 2:
            for g in range(groups):
                base = g * m
                q = 2 * g
                # one add into acc per group: halves the dependency chain
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
def nm_matmat(values, positions, n, m, X, out):  # pragma: no cover - numba
    """``out += A @ X`` for N:M ``A`` and C-contiguous ``X`` (cols, k)."""
    rows = values.shape[0]
    groups = values.shape[1] // n if n > 0 else 0
    ncol = X.shape[1]
    for i in prange(rows):
        for g in range(groups):
            base = g * m
            for t in range(n):
                q = g * n + t
                v = values[i, q]
                j = base + positions[i, q]
                for c in range(ncol):
                    out[i, c] += v * X[j, c]


@njit(cache=True, parallel=True)
def nm_tmatvec(values, positions, n, m, y, out, nchunks):  # pragma: no cover
    """``out += A.T @ y`` (no conjugation) for N:M ``A``.

    Column groups are split into ``nchunks`` runs; groups own disjoint output
    ranges, so the runs go in parallel without buffers.
    """
    rows = values.shape[0]
    groups = values.shape[1] // n if n > 0 else 0
    for t in prange(nchunks):
        g0 = t * groups // nchunks
        g1 = (t + 1) * groups // nchunks
        for i in range(rows):
            yi = y[i]
            for g in range(g0, g1):
                base = g * m
                for s in range(n):
                    q = g * n + s
                    out[base + positions[i, q]] += values[i, q] * yi


@njit(cache=True, parallel=True)
def nm_tmatmat(values, positions, n, m, Y, out, nchunks):  # pragma: no cover
    """``out += A.T @ Y`` (no conjugation) for N:M ``A``; see nm_tmatvec."""
    rows = values.shape[0]
    groups = values.shape[1] // n if n > 0 else 0
    ncol = Y.shape[1]
    for t in prange(nchunks):
        g0 = t * groups // nchunks
        g1 = (t + 1) * groups // nchunks
        for i in range(rows):
            for g in range(g0, g1):
                base = g * m
                for s in range(n):
                    q = g * n + s
                    v = values[i, q]
                    j = base + positions[i, q]
                    for c in range(ncol):
                        out[j, c] += v * Y[i, c]


@njit(cache=True, parallel=True)
def nm_sddmm(positions, n, m, X, Yt, out):  # pragma: no cover - numba
    """``out[i, q] += X[i] @ Yt[column of (i, q)]`` for N:M patterns."""
    rows = positions.shape[0]
    groups = positions.shape[1] // n if n > 0 else 0
    rk = X.shape[1]
    for i in prange(rows):
        for g in range(groups):
            base = g * m
            for s in range(n):
                q = g * n + s
                j = base + positions[i, q]
                acc = out[i, q]
                for t in range(rk):
                    acc += X[i, t] * Yt[j, t]
                out[i, q] = acc
