"""Block coordinate descent epochs on raw arrays (dense and CSC pairs).

Every epoch updates the coefficients ``x`` in place and keeps a *fit* vector
``R`` up to date, so that one coordinate costs the non-zeros of its column:

* ``loss = 0`` (least squares ``1/2 ||A x - y||^2``): ``R = A x - y``, the
  partial gradient is ``A_j^H R``; real or complex;
* ``loss = 1`` (logistic ``sum_i log(1 + exp(-y_i (A x)_i))``): ``R = A x``,
  ``aux`` holds the labels in ``{-1, +1}``; the partial gradient is
  ``sum_i A_ij (-y_i sigma(-y_i R_i))``; real;
* ``loss = 2`` (quadratic form ``1/2 x^T Q x - b^T x``, ``A = Q`` symmetric):
  ``R = Q x``, ``aux = b``, the partial gradient is ``R_j - b_j``; real;
* ``loss = 3`` (the second-order model ``g^T d + 1/2 d^T A^T diag(h) A d``
  of a proximal Newton step, ``x`` standing for ``x + d``): ``R = A d``,
  ``aux = [h (m values), g (n values)]``, the partial derivative is
  ``g_j + sum_i A_ij h_i R_i``; real.

After a step ``d`` on coordinate ``j``, ``R += d A_{:, j}`` in all three
cases. Penalty codes: ``pen = 0`` none, ``1`` ``lam |x_j|`` (modulus for
complex), ``2`` ``lam x_j`` with ``x_j >= 0``, ``3`` (block epochs only)
``lam w_b ||x_b||_2``.

Callers guarantee: ``A`` dense is column-major (Fortran) for speed (any
layout is correct); CSC ``indices``/``indptr`` are canonical; ``lips`` are
positive where a coordinate may move (0 skips it); ``ws`` lists distinct
coordinates (blocks); ``buf`` has room for the largest block. Nothing here
validates or allocates.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "LOSS_LOGISTIC",
    "LOSS_NEWTON",
    "LOSS_QUADRATIC",
    "LOSS_SQUARED",
    "PEN_GROUP",
    "PEN_L1",
    "PEN_NONE",
    "PEN_NONNEG",
    "bcd_epochs_csc",
    "bcd_epochs_dense",
    "cd_epochs_csc",
    "cd_epochs_dense",
    "col_dots_csc",
    "col_dots_csc_parallel",
    "col_dots_dense",
]

#: non-zeros above which a full gradient of a CSC matrix takes the threads:
#: on a shared 2-core machine a 5e5-non-zero gradient (about 1 ms) lost more
#: to waking and spinning threads than it gained (benchmarks/bench_bcd.py)
PARALLEL_MIN_WORK = 1 << 23

LOSS_SQUARED, LOSS_LOGISTIC, LOSS_QUADRATIC, LOSS_NEWTON = 0, 1, 2, 3
# reassociation lets LLVM vectorise the column dot products (a reduction);
# no flag that assumes finite values: NaN must still propagate
_FAST = {"reassoc", "contract", "nsz"}
PEN_NONE, PEN_L1, PEN_NONNEG, PEN_GROUP = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _prox_scalar(v, t, pen):  # pragma: no cover - numba
    """Prox of ``t |.|`` (pen 1), of ``t (.) + x >= 0`` (pen 2), identity (0)."""
    if pen == 1:
        a = abs(v)
        if a <= t:
            return v * 0.0
        return v * (1.0 - t / a)
    if pen == 2:
        d = v.real - t
        return v * 0.0 + (d if d > 0.0 else 0.0)
    return v


@njit(cache=True, inline="always")
def _logistic_weight(yi, zi):  # pragma: no cover - numba
    """``d/dz log(1 + exp(-y z)) = -y sigma(-y z)``, stable for large ``|z|``."""
    y = yi.real  # the labels are real (a complex aux only in unused branches)
    t = y * zi
    if t >= 0.0:
        e = np.exp(-t)
        return -y * e / (1.0 + e)
    return -y / (1.0 + np.exp(t))


@njit(cache=True, inline="always")
def _grad_dense(A, R, j, loss, aux):  # pragma: no cover - numba
    if loss == 2:
        return R[j] - aux[j]
    if loss == 3:  # weighted quadratic model: aux = [h (m), g (n)]
        m = A.shape[0]
        s = aux[m + j] + 0.0 * R[0]
        for i in range(m):
            s += A[i, j] * aux[i] * R[i]
        return s
    s = 0.0 * R[0]
    if loss == 1:
        for i in range(A.shape[0]):
            s += A[i, j] * _logistic_weight(aux[i], R[i].real)
        return s
    for i in range(A.shape[0]):
        s += A[i, j].conjugate() * R[i]
    return s


@njit(cache=True, inline="always")
def _grad_csc(data, indices, indptr, R, j, loss, aux):  # pragma: no cover - numba
    if loss == 2:
        return R[j] - aux[j]
    if loss == 3:
        m = R.shape[0]
        s = aux[m + j] + 0.0 * R[0]
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            s += data[p] * aux[i] * R[i]
        return s
    s = 0.0 * R[0]
    if loss == 1:
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            s += data[p] * _logistic_weight(aux[i], R[i].real)
        return s
    for p in range(indptr[j], indptr[j + 1]):
        s += data[p].conjugate() * R[indices[p]]
    return s


@njit(cache=True, fastmath=_FAST)
def cd_epochs_dense(
    A, R, x, lips, ws, n_epochs, loss, pen, lam, aux
):  # pragma: no cover - numba
    """``n_epochs`` proximal coordinate passes over ``ws`` in order (dense ``A``).

    Coordinate ``j`` takes ``x_j <- prox_{lam / L_j}(x_j - grad_j / L_j)``,
    the exact minimiser along ``j`` for least squares and the quadratic form
    (``L_j = ||A_j||^2`` or ``Q_jj``), a majorisation step for the logistic
    loss (``L_j = ||A_j||^2 / 4``). Overwrites ``x`` and ``R`` (see the
    module docstring for ``loss``, ``pen`` and ``aux``).
    """
    m = A.shape[0]
    for _ in range(n_epochs):
        for jj in range(ws.shape[0]):
            j = ws[jj]
            L = lips[j]
            if L <= 0.0:
                continue
            g = _grad_dense(A, R, j, loss, aux)
            old = x[j]
            new = _prox_scalar(old - g / L, lam / L, pen)
            d = new - old
            if d != 0.0:
                x[j] = new
                for i in range(m):
                    R[i] += d * A[i, j]


@njit(cache=True, fastmath=_FAST)
def cd_epochs_csc(
    data, indices, indptr, R, x, lips, ws, n_epochs, loss, pen, lam, aux
):  # pragma: no cover - numba
    """:func:`cd_epochs_dense` for ``A`` in CSC arrays ``(data, indices, indptr)``."""
    for _ in range(n_epochs):
        for jj in range(ws.shape[0]):
            j = ws[jj]
            L = lips[j]
            if L <= 0.0:
                continue
            g = _grad_csc(data, indices, indptr, R, j, loss, aux)
            old = x[j]
            new = _prox_scalar(old - g / L, lam / L, pen)
            d = new - old
            if d != 0.0:
                x[j] = new
                for p in range(indptr[j], indptr[j + 1]):
                    R[indices[p]] += d * data[p]


@njit(cache=True, inline="always")
def _block_prox(buf, nb, t, pen):  # pragma: no cover - numba
    if pen == 3:
        s = 0.0
        for k in range(nb):
            a = abs(buf[k])
            s += a * a
        nrm = np.sqrt(s)
        scale = 1.0 - t / nrm if nrm > t else 0.0
        for k in range(nb):
            buf[k] = buf[k] * scale
    else:
        for k in range(nb):
            buf[k] = _prox_scalar(buf[k], t, pen)


@njit(cache=True, fastmath=_FAST)
def bcd_epochs_dense(
    A, R, x, perm, ptr, lips, ws, n_epochs, loss, pen, lam, weights, aux, buf
):  # pragma: no cover - numba
    """Proximal block passes over the blocks ``ws`` (dense ``A``).

    Block ``b`` (coordinates ``perm[ptr[b]:ptr[b + 1]]``) takes
    ``x_b <- prox_{g / L_b}(x_b - grad_b f / L_b)`` with the block Lipschitz
    constant ``L_b = lips[b]``; the group weight of pen 3 is
    ``lam * weights[b]``. Every block gradient is taken before the block
    moves, so the step is a majorisation step (``f + g`` does not increase).
    Overwrites ``x``, ``R`` and ``buf``.
    """
    m = A.shape[0]
    for _ in range(n_epochs):
        for bb in range(ws.shape[0]):
            b = ws[bb]
            L = lips[b]
            if L <= 0.0:
                continue
            lo, hi = ptr[b], ptr[b + 1]
            for k in range(lo, hi):
                j = perm[k]
                buf[k - lo] = x[j] - _grad_dense(A, R, j, loss, aux) / L
            t = lam * weights[b] / L if pen == 3 else lam / L
            _block_prox(buf, hi - lo, t, pen)
            for k in range(lo, hi):
                j = perm[k]
                d = buf[k - lo] - x[j]
                if d != 0.0:
                    x[j] = buf[k - lo]
                    for i in range(m):
                        R[i] += d * A[i, j]


@njit(cache=True, fastmath=_FAST)
def bcd_epochs_csc(
    data, indices, indptr, R, x, perm, ptr, lips, ws, n_epochs, loss, pen, lam,
    weights, aux, buf,
):  # fmt: skip  # pragma: no cover - numba
    """:func:`bcd_epochs_dense` for ``A`` in CSC arrays."""
    for _ in range(n_epochs):
        for bb in range(ws.shape[0]):
            b = ws[bb]
            L = lips[b]
            if L <= 0.0:
                continue
            lo, hi = ptr[b], ptr[b + 1]
            for k in range(lo, hi):
                j = perm[k]
                g = _grad_csc(data, indices, indptr, R, j, loss, aux)
                buf[k - lo] = x[j] - g / L
            t = lam * weights[b] / L if pen == 3 else lam / L
            _block_prox(buf, hi - lo, t, pen)
            for k in range(lo, hi):
                j = perm[k]
                d = buf[k - lo] - x[j]
                if d != 0.0:
                    x[j] = buf[k - lo]
                    for p in range(indptr[j], indptr[j + 1]):
                        R[indices[p]] += d * data[p]


@njit(cache=True, fastmath=_FAST)
def col_dots_dense(A, W, cols, out):  # pragma: no cover - numba
    """``out[k] = A_{:, cols[k]}^H W`` (overwrites ``out``)."""
    for k in range(cols.shape[0]):
        j = cols[k]
        s = 0.0 * W[0]
        for i in range(A.shape[0]):
            s += A[i, j].conjugate() * W[i]
        out[k] = s


@njit(cache=True, fastmath=_FAST)
def col_dots_csc(data, indices, indptr, W, cols, out):  # pragma: no cover - numba
    """``out[k] = A_{:, cols[k]}^H W`` for CSC arrays (overwrites ``out``)."""
    for k in range(cols.shape[0]):
        j = cols[k]
        s = 0.0 * W[0]
        for p in range(indptr[j], indptr[j + 1]):
            s += data[p].conjugate() * W[indices[p]]
        out[k] = s


# no fastmath on a parallel kernel: Numba carries a parfor's fastmath flags over
# to prange kernels compiled after it in the process (serial and parallel
# products then differ in the last bit)
@njit(cache=True, parallel=True)
def col_dots_csc_parallel(data, indices, indptr, W, cols, out):  # pragma: no cover
    """:func:`col_dots_csc` with the columns shared out over the threads."""
    for k in prange(cols.shape[0]):
        j = cols[k]
        s = 0.0 * W[0]
        for p in range(indptr[j], indptr[j + 1]):
            s += data[p].conjugate() * W[indices[p]]
        out[k] = s
