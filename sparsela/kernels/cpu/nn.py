"""Numba kernels for the sparse layers of :mod:`sparsela.nn`.

A layer computes ``Y = X @ W.T`` with samples in the rows of ``X``. The
kernels run it feature-major, ``Y.T = W @ X.T``: ``Xt = X.T`` is C-contiguous
``(in_features, batch)``, so each stored weight ``W[i, j]`` updates the whole
contiguous row ``out[i, :]`` from the contiguous row ``Xt[j, :]``, a loop
over the batch that vectorises. The same product on the pattern of ``W.T``
gives the input gradient ``dX.T = W.T @ dY.T``, and the weight gradient is
the sampled dense-dense product ``dW[i, j] = dY.T[i, :] @ Xt[j, :]`` on the
stored positions only.

Like :mod:`sparsela.kernels.cpu.sparse`, every kernel *accumulates* into a
caller-allocated ``out``, trusts its inputs (the layer validates), takes
index arrays through :func:`~sparsela.kernels.cpu.sparse.unsigned_view`,
and has a serial body and a ``prange`` twin picked by ``parallel`` (default:
from :data:`~sparsela.kernels.cpu.sparse.PARALLEL_MIN_WORK` updates on).
The bodies are written twice rather than shared through a call: inside
``prange`` Numba marks the arrays as not aliasing each other, which is what
lets the row updates stay vectorised.

What differs from the format kernels, and why:

- the products can run one slab of input features at a time
  (:func:`slab_pointers`): when ``Xt`` is larger than the L2 cache every
  stored entry would fetch its input row from L3, while a slab of rows
  stays in L2 and is read by every output row before the next one
  (measured about 2x on 3072 inputs and 256 samples);
- the products take four stored entries per pass over ``out[i, :]``
  (``out[i] += a*x_a + b*x_b + c*x_c + d*x_d``), a quarter of the loads and
  stores of the output row, which is the bottleneck once the batch is wider
  than a few vectors;
- BSR blocks of width 4 (1x4, 2x4, ...) update a row from two blocks
  (eight values on eight contiguous input rows) per pass, other widths four
  columns at a time; N:M values are walked as a flat list of kept
  columns, four at a time;
- :func:`transpose` writes ``X.T`` eight rows of ``X`` at a time: NumPy's
  copy of the transpose walks a column with a row-length stride, which for
  a power-of-two multiple of 4 KiB maps every line to the same L1 set;
- the sampled products are dot products over the batch and are compiled with
  ``fastmath`` so that the reduction vectorises (the format kernels keep a
  strict left-to-right sum); the result differs from the reference only by
  rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .sparse import use_parallel

__all__ = [
    "bsr_forward",
    "bsr_sddmm",
    "csr_forward",
    "csr_sddmm",
    "nm_forward",
    "nm_sddmm",
    "slab_pointers",
    "transpose",
]

_FM = {"contract"}  # fused multiply-add, same summation order


def _par(parallel, work):
    return use_parallel(work) if parallel is None else bool(parallel)


def _one_slab(indptr):
    # int64 like slab_pointers: one compiled specialisation
    return np.stack([indptr[:-1], indptr[1:]]).astype(np.int64)


def slab_pointers(indices, indptr, width):
    """Row pointers of the column slabs ``[s * width, (s + 1) * width)``.

    Returns an int64 array ``ptrs`` of shape (nslabs + 1, rows): row ``i``
    holds its entries of slab ``s`` at ``ptrs[s, i]:ptrs[s + 1, i]``. Valid
    for indices sorted within each row (canonical CSR or BSR arrays).

    Examples
    --------
    >>> import numpy as np
    >>> slab_pointers(np.array([0, 3, 1]), np.array([0, 2, 3]), 2)
    array([[0, 2],
           [1, 3],
           [2, 3]])
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    rows = indptr.shape[0] - 1
    ids = np.asarray(indices, dtype=np.int64) // width
    nslabs = int(ids.max()) + 1 if ids.size else 1
    row = np.repeat(np.arange(rows), np.diff(indptr))
    counts = np.bincount(ids * rows + row, minlength=nslabs * rows)
    ptrs = np.empty((nslabs + 1, rows), dtype=np.int64)
    ptrs[0] = indptr[:-1]
    np.cumsum(counts.reshape(nslabs, rows), axis=0, out=ptrs[1:])
    ptrs[1:] += indptr[:-1]
    return ptrs


# ---------------------------------------------------------------------------
# CSR: out (rows, batch) += A @ Xt, four stored entries per pass
# ---------------------------------------------------------------------------
@njit(cache=True, fastmath=_FM)
def _csr_fwd(data, indices, ptrs, Xt, out):  # pragma: no cover - numba
    nb = Xt.shape[1]
    for sl in range(ptrs.shape[0] - 1):
        for i in range(ptrs.shape[1]):
            k = ptrs[sl, i]
            k1 = ptrs[sl + 1, i]
            while k + 3 < k1:
                a, b, c, d = data[k], data[k + 1], data[k + 2], data[k + 3]
                ja, jb = indices[k], indices[k + 1]
                jc, jd = indices[k + 2], indices[k + 3]
                for t in range(nb):
                    out[i, t] += (a * Xt[ja, t] + b * Xt[jb, t]) + (
                        c * Xt[jc, t] + d * Xt[jd, t]
                    )
                k += 4
            while k < k1:
                a = data[k]
                ja = indices[k]
                for t in range(nb):
                    out[i, t] += a * Xt[ja, t]
                k += 1


@njit(cache=True, parallel=True, fastmath=_FM)
def _csr_fwd_par(data, indices, ptrs, Xt, out):  # pragma: no cover - numba
    nb = Xt.shape[1]
    for sl in range(ptrs.shape[0] - 1):
        for i in prange(ptrs.shape[1]):
            k = ptrs[sl, i]
            k1 = ptrs[sl + 1, i]
            while k + 3 < k1:
                a, b, c, d = data[k], data[k + 1], data[k + 2], data[k + 3]
                ja, jb = indices[k], indices[k + 1]
                jc, jd = indices[k + 2], indices[k + 3]
                for t in range(nb):
                    out[i, t] += (a * Xt[ja, t] + b * Xt[jb, t]) + (
                        c * Xt[jc, t] + d * Xt[jd, t]
                    )
                k += 4
            while k < k1:
                a = data[k]
                ja = indices[k]
                for t in range(nb):
                    out[i, t] += a * Xt[ja, t]
                k += 1


def csr_forward(data, indices, indptr, Xt, out, parallel=None, slabs=None):
    """``out += A @ Xt`` for CSR ``A`` (rows, cols) and C-contiguous ``Xt``
    (cols, batch); rows in parallel from the work threshold on.

    ``slabs`` (from :func:`slab_pointers`, for sorted indices) runs the
    product one slab of input rows at a time; default: one slab.
    """
    ptrs = _one_slab(indptr) if slabs is None else slabs
    if _par(parallel, data.shape[0] * Xt.shape[1]):
        _csr_fwd_par(data, indices, ptrs, Xt, out)
    else:
        _csr_fwd(data, indices, ptrs, Xt, out)
    return out


# ---------------------------------------------------------------------------
# N:M: kept values of row i sit at columns g*m + positions[i, g*n + s]
# ---------------------------------------------------------------------------
@njit(cache=True, fastmath=_FM)
def _nm_fwd(values, positions, n, m, Xt, out):  # pragma: no cover - numba
    nb = Xt.shape[1]
    width = values.shape[1]
    for i in range(values.shape[0]):
        q = 0
        while q + 3 < width:
            a, b = values[i, q], values[i, q + 1]
            c, d = values[i, q + 2], values[i, q + 3]
            ja = (q // n) * m + positions[i, q]
            jb = ((q + 1) // n) * m + positions[i, q + 1]
            jc = ((q + 2) // n) * m + positions[i, q + 2]
            jd = ((q + 3) // n) * m + positions[i, q + 3]
            for t in range(nb):
                out[i, t] += (a * Xt[ja, t] + b * Xt[jb, t]) + (
                    c * Xt[jc, t] + d * Xt[jd, t]
                )
            q += 4
        while q < width:
            a = values[i, q]
            ja = (q // n) * m + positions[i, q]
            for t in range(nb):
                out[i, t] += a * Xt[ja, t]
            q += 1


@njit(cache=True, parallel=True, fastmath=_FM)
def _nm_fwd_par(values, positions, n, m, Xt, out):  # pragma: no cover - numba
    nb = Xt.shape[1]
    width = values.shape[1]
    for i in prange(values.shape[0]):
        q = 0
        while q + 3 < width:
            a, b = values[i, q], values[i, q + 1]
            c, d = values[i, q + 2], values[i, q + 3]
            ja = (q // n) * m + positions[i, q]
            jb = ((q + 1) // n) * m + positions[i, q + 1]
            jc = ((q + 2) // n) * m + positions[i, q + 2]
            jd = ((q + 3) // n) * m + positions[i, q + 3]
            for t in range(nb):
                out[i, t] += (a * Xt[ja, t] + b * Xt[jb, t]) + (
                    c * Xt[jc, t] + d * Xt[jd, t]
                )
            q += 4
        while q < width:
            a = values[i, q]
            ja = (q // n) * m + positions[i, q]
            for t in range(nb):
                out[i, t] += a * Xt[ja, t]
            q += 1


def nm_forward(values, positions, n, m, Xt, out, parallel=None):
    """``out += A @ Xt`` for N:M ``A`` (``values``/``positions`` of shape
    (rows, cols // m * n)) and C-contiguous ``Xt`` (cols, batch)."""
    if _par(parallel, values.size * Xt.shape[1]):
        _nm_fwd_par(values, positions, np.intp(n), np.intp(m), Xt, out)
    else:
        _nm_fwd(values, positions, np.intp(n), np.intp(m), Xt, out)
    return out


# ---------------------------------------------------------------------------
# BSR: data (nblocks, R, C); block columns fused four at a time
# ---------------------------------------------------------------------------
@njit(cache=True, fastmath=_FM)
def _bsr_fwd(data, indices, ptrs, Xt, out):  # pragma: no cover - numba
    R = data.shape[1]
    C = data.shape[2]
    nb = Xt.shape[1]
    for sl in range(ptrs.shape[0] - 1):
        for i in range(out.shape[0]):
            bi = i // R
            r = i - bi * R
            k = ptrs[sl, bi]
            k1 = ptrs[sl + 1, bi]
            if C == 4:  # 1x4, 2x4, ...: two blocks (eight values) per pass
                while k + 1 < k1:
                    c0 = np.intp(indices[k]) * 4
                    e0 = np.intp(indices[k + 1]) * 4
                    a0, a1 = data[k, r, 0], data[k, r, 1]
                    a2, a3 = data[k, r, 2], data[k, r, 3]
                    b0, b1 = data[k + 1, r, 0], data[k + 1, r, 1]
                    b2, b3 = data[k + 1, r, 2], data[k + 1, r, 3]
                    for t in range(nb):
                        out[i, t] += (
                            (a0 * Xt[c0, t] + a1 * Xt[c0 + 1, t])
                            + (a2 * Xt[c0 + 2, t] + a3 * Xt[c0 + 3, t])
                        ) + (
                            (b0 * Xt[e0, t] + b1 * Xt[e0 + 1, t])
                            + (b2 * Xt[e0 + 2, t] + b3 * Xt[e0 + 3, t])
                        )
                    k += 2
            for kk in range(k, k1):
                c0 = np.intp(indices[kk]) * C
                c = 0
                while c + 3 < C:
                    a, b = data[kk, r, c], data[kk, r, c + 1]
                    e, f = data[kk, r, c + 2], data[kk, r, c + 3]
                    for t in range(nb):
                        out[i, t] += (a * Xt[c0 + c, t] + b * Xt[c0 + c + 1, t]) + (
                            e * Xt[c0 + c + 2, t] + f * Xt[c0 + c + 3, t]
                        )
                    c += 4
                while c < C:
                    a = data[kk, r, c]
                    for t in range(nb):
                        out[i, t] += a * Xt[c0 + c, t]
                    c += 1


@njit(cache=True, parallel=True, fastmath=_FM)
def _bsr_fwd_par(data, indices, ptrs, Xt, out):  # pragma: no cover - numba
    R = data.shape[1]
    C = data.shape[2]
    nb = Xt.shape[1]
    for sl in range(ptrs.shape[0] - 1):
        for i in prange(out.shape[0]):
            bi = i // R
            r = i - bi * R
            k = ptrs[sl, bi]
            k1 = ptrs[sl + 1, bi]
            if C == 4:  # 1x4, 2x4, ...: two blocks (eight values) per pass
                while k + 1 < k1:
                    c0 = np.intp(indices[k]) * 4
                    e0 = np.intp(indices[k + 1]) * 4
                    a0, a1 = data[k, r, 0], data[k, r, 1]
                    a2, a3 = data[k, r, 2], data[k, r, 3]
                    b0, b1 = data[k + 1, r, 0], data[k + 1, r, 1]
                    b2, b3 = data[k + 1, r, 2], data[k + 1, r, 3]
                    for t in range(nb):
                        out[i, t] += (
                            (a0 * Xt[c0, t] + a1 * Xt[c0 + 1, t])
                            + (a2 * Xt[c0 + 2, t] + a3 * Xt[c0 + 3, t])
                        ) + (
                            (b0 * Xt[e0, t] + b1 * Xt[e0 + 1, t])
                            + (b2 * Xt[e0 + 2, t] + b3 * Xt[e0 + 3, t])
                        )
                    k += 2
            for kk in range(k, k1):
                c0 = np.intp(indices[kk]) * C
                c = 0
                while c + 3 < C:
                    a, b = data[kk, r, c], data[kk, r, c + 1]
                    e, f = data[kk, r, c + 2], data[kk, r, c + 3]
                    for t in range(nb):
                        out[i, t] += (a * Xt[c0 + c, t] + b * Xt[c0 + c + 1, t]) + (
                            e * Xt[c0 + c + 2, t] + f * Xt[c0 + c + 3, t]
                        )
                    c += 4
                while c < C:
                    a = data[kk, r, c]
                    for t in range(nb):
                        out[i, t] += a * Xt[c0 + c, t]
                    c += 1


def bsr_forward(data, indices, indptr, Xt, out, parallel=None, slabs=None):
    """``out += A @ Xt`` for BSR ``A`` and C-contiguous ``Xt`` (cols, batch);
    rows (not block rows) in parallel from the work threshold on. ``slabs``
    as in :func:`csr_forward`, over block columns."""
    ptrs = _one_slab(indptr) if slabs is None else slabs
    if _par(parallel, data.size * Xt.shape[1]):
        _bsr_fwd_par(data, indices, ptrs, Xt, out)
    else:
        _bsr_fwd(data, indices, ptrs, Xt, out)
    return out


# ---------------------------------------------------------------------------
# sampled dense-dense products: out[entry (i, j)] += Gt[i, :] @ Xt[j, :]
# ---------------------------------------------------------------------------
@njit(cache=True, fastmath=True, inline="always")
def _dot(a, b):  # pragma: no cover - numba
    acc = a.dtype.type(0)
    for t in range(a.shape[0]):
        acc += a[t] * b[t]
    return acc


@njit(cache=True, fastmath=True)
def _csr_sddmm(indices, indptr, Gt, Xt, out):  # pragma: no cover - numba
    for i in range(indptr.shape[0] - 1):
        g = Gt[i]
        for k in range(indptr[i], indptr[i + 1]):
            out[k] += _dot(g, Xt[indices[k]])


@njit(cache=True, parallel=True, fastmath=True)
def _csr_sddmm_par(indices, indptr, Gt, Xt, out):  # pragma: no cover - numba
    for i in prange(indptr.shape[0] - 1):
        g = Gt[i]
        for k in range(indptr[i], indptr[i + 1]):
            out[k] += _dot(g, Xt[indices[k]])


def csr_sddmm(indices, indptr, Gt, Xt, out, parallel=None):
    """``out[k] += Gt[i] @ Xt[j]`` for every stored entry ``k`` at ``(i, j)``.

    ``Gt`` (rows, batch) and ``Xt`` (cols, batch) are C-contiguous: the
    gradient of the kept weights of ``Y = X @ W.T`` for ``Gt = dY.T``.
    """
    if _par(parallel, indices.shape[0] * Gt.shape[1]):
        _csr_sddmm_par(indices, indptr, Gt, Xt, out)
    else:
        _csr_sddmm(indices, indptr, Gt, Xt, out)
    return out


@njit(cache=True, fastmath=True)
def _nm_sddmm(positions, n, m, Gt, Xt, out):  # pragma: no cover - numba
    for i in range(positions.shape[0]):
        g = Gt[i]
        for q in range(positions.shape[1]):
            out[i, q] += _dot(g, Xt[(q // n) * m + positions[i, q]])


@njit(cache=True, parallel=True, fastmath=True)
def _nm_sddmm_par(positions, n, m, Gt, Xt, out):  # pragma: no cover - numba
    for i in prange(positions.shape[0]):
        g = Gt[i]
        for q in range(positions.shape[1]):
            out[i, q] += _dot(g, Xt[(q // n) * m + positions[i, q]])


def nm_sddmm(positions, n, m, Gt, Xt, out, parallel=None):
    """``out[i, q] += Gt[i] @ Xt[column of (i, q)]`` for an N:M pattern."""
    if _par(parallel, positions.size * Gt.shape[1]):
        _nm_sddmm_par(positions, np.intp(n), np.intp(m), Gt, Xt, out)
    else:
        _nm_sddmm(positions, np.intp(n), np.intp(m), Gt, Xt, out)
    return out


@njit(cache=True, fastmath=True)
def _bsr_sddmm(indices, indptr, Gt, Xt, out):  # pragma: no cover - numba
    R = out.shape[1]
    C = out.shape[2]
    for bi in range(indptr.shape[0] - 1):
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                g = Gt[bi * R + r]
                for c in range(C):
                    out[k, r, c] += _dot(g, Xt[c0 + c])


@njit(cache=True, parallel=True, fastmath=True)
def _bsr_sddmm_par(indices, indptr, Gt, Xt, out):  # pragma: no cover - numba
    R = out.shape[1]
    C = out.shape[2]
    for bi in prange(indptr.shape[0] - 1):
        for k in range(indptr[bi], indptr[bi + 1]):
            c0 = np.intp(indices[k]) * C
            for r in range(R):
                g = Gt[bi * R + r]
                for c in range(C):
                    out[k, r, c] += _dot(g, Xt[c0 + c])


def bsr_sddmm(indices, indptr, Gt, Xt, out, parallel=None):
    """``out[k, r, c] += Gt[row] @ Xt[col]`` over the entries of each block;
    ``out`` has shape (nblocks, R, C)."""
    if _par(parallel, out.size * Gt.shape[1]):
        _bsr_sddmm_par(indices, indptr, Gt, Xt, out)
    else:
        _bsr_sddmm(indices, indptr, Gt, Xt, out)
    return out


# ---------------------------------------------------------------------------
# layout change
# ---------------------------------------------------------------------------
@njit(cache=True)
def transpose(X, out):  # pragma: no cover - numba
    """``out[:] = X.T`` for 2-D ``X`` (rows, cols) and C-contiguous ``out``
    (cols, rows); overwrites ``out``.

    Reads eight rows of ``X`` per pass, so that the eight lines read for one
    output row stay in L1 even when the row length of ``X`` is a multiple of
    the cache's set stride.
    """
    n0, n1 = X.shape
    for i0 in range(0, n0, 8):
        i1 = min(n0, i0 + 8)
        for j in range(n1):
            for i in range(i0, i1):
                out[j, i] = X[i, j]
    return out
