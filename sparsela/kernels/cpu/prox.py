"""Numba kernels of the proximal operators and the proximal-gradient solvers.

Every kernel works on 2-D arrays ``(n, k)`` (one column per signal; a single
signal is a ``(n, 1)`` view) with a per-column threshold ``tau`` of shape
``(k,)``, so that a batch of signals with different step sizes is one call.
Real and complex inputs in single and double precision are accepted; complex
entries are shrunk in modulus and keep their phase. ``out`` may be ``v``
itself (the kernels are element- or group-wise).

The kernels are serial on purpose: each call is O(n) memory-bound work, a
fraction of one operator product, for which waking threads costs more than it
saves. The NumPy twins live in :mod:`sparsela.kernels.reference` (section ``prox``).
Inputs are validated by the public functions; these kernels trust them.

The per-block kernels at the end serve coordinate and block solvers: for each
penalty ``<name>_prox_block(v, step, params, j)`` overwrites the 1-D block
``v`` (block ``j``: one coefficient for a separable penalty, a group for the
group lasso) with its prox, and ``<name>_subdiff_distance(x, grad, params, j)``
returns the distance of ``-grad`` to the penalty's subdifferential on block
``j`` at ``x``. ``params`` is the penalty's float64 parameter array
(:meth:`~sparsela.penalties.Penalty.block_params`): ``[lam]``, ``[lam, w_0,
..., w_{n-1}]`` (weighted l1), ``[lam, l1_ratio]`` (elastic net), ``[lam,
w_0, ..., w_{G-1}]`` (group weights) or ``[lower_0..., upper_0...]`` (box).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "box_prox_block",
    "box_subdiff_distance",
    "csc_cols_matmat",
    "elastic_net_prox_block",
    "elastic_net_subdiff_distance",
    "extrapolate",
    "extrapolate_step",
    "group_l1_prox_block",
    "group_l1_subdiff_distance",
    "group_norms",
    "group_soft_threshold",
    "hard_threshold",
    "l0_prox_block",
    "l0_subdiff_distance",
    "l1_prox_block",
    "l1_subdiff_distance",
    "nonneg_l1_prox_block",
    "nonneg_l1_subdiff_distance",
    "nonneg_soft_threshold",
    "pair_stats",
    "residual_stats",
    "rows_tmatmat",
    "soft_threshold",
    "soft_threshold_complex",
    "support_rows",
    "weighted_l1_prox_block",
    "weighted_l1_subdiff_distance",
]


@njit(cache=True)
def soft_threshold(v, tau, w, out):  # pragma: no cover - numba
    """Real soft threshold ``out = sign(v) max(|v| - tau_j w_i, 0)`` (no ``w``: 1)."""
    n, k = v.shape
    weighted = w.shape[0] > 0
    if k == 1 and not weighted:  # the common case, vectorised by LLVM
        t = tau[0]
        for i in range(n):
            x = v[i, 0]
            d = abs(x) - t
            # testing d <= 0 keeps NaN as NaN (d > 0 would zero it silently)
            out[i, 0] = 0.0 if d <= 0.0 else math.copysign(d, x)
        return
    for i in range(n):
        wi = w[i] if weighted else 1.0
        for j in range(k):
            x = v[i, j]
            d = abs(x) - tau[j] * wi
            out[i, j] = 0.0 if d <= 0.0 else math.copysign(d, x)


@njit(cache=True)
def soft_threshold_complex(v, tau, w, out):  # pragma: no cover - numba
    """Complex soft threshold ``out = v max(0, 1 - tau_j w_i / |v|)`` (keeps phase)."""
    n, k = v.shape
    weighted = w.shape[0] > 0
    for i in range(n):
        wi = w[i] if weighted else 1.0
        for j in range(k):
            x = v[i, j]
            a = abs(x)
            d = a - tau[j] * wi
            out[i, j] = 0.0 if d <= 0.0 else x * (d / a)


@njit(cache=True)
def nonneg_soft_threshold(v, tau, out):  # pragma: no cover - numba
    """``out = max(v - tau_j, 0)`` for real ``v``."""
    n, k = v.shape
    for i in range(n):
        for j in range(k):
            d = v[i, j] - tau[j]
            out[i, j] = 0.0 if d <= 0.0 else d


@njit(cache=True)
def hard_threshold(v, thr, out):  # pragma: no cover - numba
    """``out = v`` where ``|v| > thr_j``, else 0 (real or complex)."""
    n, k = v.shape
    for i in range(n):
        for j in range(k):
            x = v[i, j]
            out[i, j] = 0.0 if abs(x) <= thr[j] else x


# sums of squares in this range are accurate; outside it the squares of the
# entries overflowed (entries beyond ~1e154) or lost bits to underflow
# (entries below ~1e-135), and the norm is recomputed on rescaled entries
_SUMSQ_LO = 2.0**-900
_SUMSQ_HI = np.finfo(np.float64).max


@njit(cache=True)
def _group_norm(v, perm, lo, hi, j):  # pragma: no cover - numba
    """``||v[perm[lo:hi], j]||_2`` in float64, safe from overflow and underflow."""
    s = 0.0
    for p in range(lo, hi):
        a = float(abs(v[perm[p], j]))
        s += a * a
    if _SUMSQ_LO <= s <= _SUMSQ_HI or s != s:  # the common case, or NaN
        return np.sqrt(s)
    amax = 0.0
    for p in range(lo, hi):
        amax = max(amax, float(abs(v[perm[p], j])))
    if amax == 0.0 or amax == np.inf:
        return amax
    s = 0.0
    for p in range(lo, hi):
        a = float(abs(v[perm[p], j])) / amax
        s += a * a
    return amax * np.sqrt(s)


@njit(cache=True)
def _norm1d(v):  # pragma: no cover - numba
    """``||v||_2`` of a 1-D block, as :func:`_group_norm`."""
    s = 0.0
    for i in range(v.shape[0]):
        a = float(abs(v[i]))
        s += a * a
    if _SUMSQ_LO <= s <= _SUMSQ_HI or s != s:
        return np.sqrt(s)
    amax = 0.0
    for i in range(v.shape[0]):
        amax = max(amax, float(abs(v[i])))
    if amax == 0.0 or amax == np.inf:
        return amax
    s = 0.0
    for i in range(v.shape[0]):
        a = float(abs(v[i])) / amax
        s += a * a
    return amax * np.sqrt(s)


@njit(cache=True)
def group_norms(v, perm, gptr, out):  # pragma: no cover - numba
    """``out[g, j] = ||v[perm[gptr[g]:gptr[g+1]], j]||_2`` (``out`` real)."""
    n_groups = gptr.shape[0] - 1
    k = v.shape[1]
    for g in range(n_groups):
        for j in range(k):
            out[g, j] = _group_norm(v, perm, gptr[g], gptr[g + 1], j)


@njit(cache=True)
def group_soft_threshold(v, tau, perm, gptr, gw, out):  # pragma: no cover
    """Group soft threshold: ``v_g`` times ``max(0, 1 - tau_j gw_g / ||v_g||)``."""
    n_groups = gptr.shape[0] - 1
    k = v.shape[1]
    for g in range(n_groups):
        for j in range(k):
            nrm = _group_norm(v, perm, gptr[g], gptr[g + 1], j)
            t = tau[j] * gw[g]
            scale = 1.0 - t / nrm if nrm > t else 0.0
            for p in range(gptr[g], gptr[g + 1]):
                out[perm[p], j] = v[perm[p], j] * scale


@njit(cache=True)
def support_rows(X):  # pragma: no cover - numba
    """Indices of the rows of ``X`` with at least one non-zero entry."""
    n, k = X.shape
    idx = np.empty(n, dtype=np.int64)
    cnt = 0
    for i in range(n):
        for j in range(k):
            if X[i, j] != 0:
                idx[cnt] = i
                cnt += 1
                break
    return idx[:cnt]


@njit(cache=True)
def rows_tmatmat(AT, rows, P, outT):  # pragma: no cover - numba
    """``outT = (AT[rows].T @ P).T``: ``A[:, rows] @ P`` from the rows of ``AT = A.T``.

    ``AT`` is C-ordered ``(n, m)`` and ``outT`` is ``(k, m)``, so every access
    is contiguous and only the rows in ``rows`` are read.
    """
    k, m = outT.shape
    outT[:] = 0.0
    for c in range(rows.shape[0]):
        r = rows[c]
        for j in range(k):
            p = P[c, j]
            if p != 0:
                for i in range(m):
                    outT[j, i] += AT[r, i] * p


@njit(cache=True)
def csc_cols_matmat(data, indices, indptr, cols, P, out):  # pragma: no cover
    """``out = A[:, cols] @ P`` for ``A`` in CSC (``data, indices, indptr``)."""
    k = P.shape[1]
    out[:] = 0.0
    for c in range(cols.shape[0]):
        col = cols[c]
        for p in range(indptr[col], indptr[col + 1]):
            r = indices[p]
            a = data[p]
            for j in range(k):
                out[r, j] += a * P[c, j]


# ---- fused vector updates of the proximal-gradient iteration ------------------------
@njit(cache=True)
def extrapolate(X, Xp, beta, out):  # pragma: no cover - numba
    """``out = X + beta_j (X - Xp)`` column-wise."""
    n, k = X.shape
    if k == 1:  # contiguous single column: a loop LLVM vectorises
        b = beta[0]
        for i in range(n):
            out[i, 0] = X[i, 0] + b * (X[i, 0] - Xp[i, 0])
        return
    for i in range(n):
        for j in range(k):
            out[i, j] = X[i, j] + beta[j] * (X[i, j] - Xp[i, j])


@njit(cache=True)
def extrapolate_step(X, Xp, G, Gp, beta, step, V, W):  # pragma: no cover - numba
    """``V = X + beta_j (X - Xp)`` and ``W = V - step_j (G + beta_j (G - Gp))``.

    The extrapolated point and its gradient step in one pass (the gradient is
    affine in the point, so it extrapolates the same way).
    """
    n, k = X.shape
    if k == 1:
        b, s = beta[0], step[0]
        for i in range(n):
            v = X[i, 0] + b * (X[i, 0] - Xp[i, 0])
            V[i, 0] = v
            W[i, 0] = v - s * (G[i, 0] + b * (G[i, 0] - Gp[i, 0]))
        return
    for i in range(n):
        for j in range(k):
            b = beta[j]
            v = X[i, j] + b * (X[i, j] - Xp[i, j])
            V[i, j] = v
            W[i, j] = v - step[j] * (G[i, j] + b * (G[i, j] - Gp[i, j]))


@njit(cache=True)
def pair_stats(Xn, V, X, out):  # pragma: no cover - numba
    """Per column, in float64: ``out[0] = ||Xn - V||^2``, ``out[1] = ||Xn - X||^2``,
    ``out[2] = Re <Xn - V, Xn - X>``, ``out[3] = ||Xn||^2``."""
    n, k = Xn.shape
    if k == 1:
        s0 = s1 = s2 = s3 = 0.0
        for i in range(n):
            d = Xn[i, 0] - V[i, 0]
            e = Xn[i, 0] - X[i, 0]
            x = Xn[i, 0]
            s0 += d.real * d.real + d.imag * d.imag
            s1 += e.real * e.real + e.imag * e.imag
            s2 += d.real * e.real + d.imag * e.imag
            s3 += x.real * x.real + x.imag * x.imag
        out[0, 0], out[1, 0], out[2, 0], out[3, 0] = s0, s1, s2, s3
        return
    out[:] = 0.0
    for i in range(n):
        for j in range(k):
            d = Xn[i, j] - V[i, j]
            e = Xn[i, j] - X[i, j]
            x = Xn[i, j]
            out[0, j] += d.real * d.real + d.imag * d.imag
            out[1, j] += e.real * e.real + e.imag * e.imag
            out[2, j] += d.real * e.real + d.imag * e.imag
            out[3, j] += x.real * x.real + x.imag * x.imag


@njit(cache=True)
def residual_stats(AXn, AV, B, R, out):  # pragma: no cover - numba
    """``R = AXn - B`` and per column, in float64: ``out[0] = ||AXn - AV||^2``,
    ``out[1] = ||R||^2``, ``out[2] = Re <B, R>``."""
    m, k = AXn.shape
    if k == 1:
        s0 = s1 = s2 = 0.0
        for i in range(m):
            d = AXn[i, 0] - AV[i, 0]
            r = AXn[i, 0] - B[i, 0]
            R[i, 0] = r
            b = B[i, 0]
            s0 += d.real * d.real + d.imag * d.imag
            s1 += r.real * r.real + r.imag * r.imag
            s2 += b.real * r.real + b.imag * r.imag
        out[0, 0], out[1, 0], out[2, 0] = s0, s1, s2
        return
    out[:] = 0.0
    for i in range(m):
        for j in range(k):
            d = AXn[i, j] - AV[i, j]
            r = AXn[i, j] - B[i, j]
            R[i, j] = r
            b = B[i, j]
            out[0, j] += d.real * d.real + d.imag * d.imag
            out[1, j] += r.real * r.real + r.imag * r.imag
            out[2, j] += b.real * r.real + b.imag * r.imag


# ---- per-block prox and optimality (coordinate and block solvers) -------------------
@njit(cache=True)
def _shrink_block(v, t):  # pragma: no cover - numba
    """``v <- v max(0, 1 - t / |v_i|)`` entry-wise (real or complex)."""
    for i in range(v.shape[0]):
        x = v[i]
        a = abs(x)
        d = a - t
        v[i] = 0.0 if d <= 0.0 else x * (d / a)


@njit(cache=True)
def _l1_distance(v, grad, t, c):  # pragma: no cover - numba
    """Distance of ``-(grad + c v)`` to ``t`` times the subdifferential of
    ``|.|`` at ``v`` (``c``: the ridge part of the elastic net)."""
    s = 0.0
    for i in range(v.shape[0]):
        x = v[i]
        g = grad[i] + c * x
        a = abs(x)
        if a > 0.0:
            d = abs(g + t * (x / a))
        else:
            d = max(abs(g) - t, 0.0)
        s += d * d
    return np.sqrt(s)


@njit(cache=True)
def l1_prox_block(v, step, params, j):  # pragma: no cover - numba
    """Soft threshold of ``v`` at ``step * lam``; ``params = [lam]``."""
    _shrink_block(v, step * params[0])


@njit(cache=True)
def l1_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """``|grad + lam sign(x)|`` at ``x != 0``, ``max(|grad| - lam, 0)`` at 0."""
    return _l1_distance(x, grad, params[0], 0.0)


@njit(cache=True)
def weighted_l1_prox_block(v, step, params, j):  # pragma: no cover - numba
    """Soft threshold at ``step * lam * w_j``; ``params = [lam, w_0, ...]``."""
    _shrink_block(v, step * params[0] * params[1 + j])


@njit(cache=True)
def weighted_l1_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """As :func:`l1_subdiff_distance` with the weight ``lam * w_j``."""
    return _l1_distance(x, grad, params[0] * params[1 + j], 0.0)


@njit(cache=True)
def l0_prox_block(v, step, params, j):  # pragma: no cover - numba
    """Hard threshold: keep ``v_i`` where ``|v_i| > sqrt(2 step lam)``."""
    thr = np.sqrt(2.0 * step * params[0])
    for i in range(v.shape[0]):
        if abs(v[i]) <= thr:  # NaN stays NaN
            v[i] = 0.0


@njit(cache=True)
def l0_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """``|grad|`` at ``x != 0``; 0 at ``x = 0`` (limiting subdifferential)."""
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] != 0:
            a = abs(grad[i])
            s += a * a
    return np.sqrt(s)


@njit(cache=True)
def nonneg_l1_prox_block(v, step, params, j):  # pragma: no cover - numba
    """``max(v - step lam, 0)`` (real)."""
    t = step * params[0]
    for i in range(v.shape[0]):
        d = v[i] - t
        v[i] = 0.0 if d <= 0.0 else d


@njit(cache=True)
def nonneg_l1_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """``|grad + lam|`` at ``x > 0``, ``max(-grad - lam, 0)`` at 0, inf below."""
    lam = params[0]
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            d = abs(grad[i] + lam)
        elif x[i] == 0.0:
            d = max(-grad[i] - lam, 0.0)
        else:
            return np.inf
        s += d * d
    return np.sqrt(s)


@njit(cache=True)
def elastic_net_prox_block(v, step, params, j):  # pragma: no cover - numba
    """Soft threshold at ``step lam a``, divided by ``1 + step lam (1 - a)``."""
    lam, a = params[0], params[1]
    _shrink_block(v, step * lam * a)
    c = 1.0 / (1.0 + step * lam * (1.0 - a))
    for i in range(v.shape[0]):
        v[i] = v[i] * c


@njit(cache=True)
def elastic_net_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """The l1 distance of ``grad + lam (1 - a) x`` with weight ``lam a``."""
    lam, a = params[0], params[1]
    return _l1_distance(x, grad, lam * a, lam * (1.0 - a))


@njit(cache=True)
def box_prox_block(v, step, params, j):  # pragma: no cover - numba
    """Clip to ``[lower_j, upper_j]``; ``params = [lower (n), upper (n)]``."""
    n = params.shape[0] // 2
    lo, hi = v.dtype.type(params[j]), v.dtype.type(params[n + j])
    for i in range(v.shape[0]):
        v[i] = min(max(v[i], lo), hi)


@njit(cache=True)
def box_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """Distance of ``-grad`` to the normal cone of the box at ``x`` (inf outside).

    The bounds are rounded to the precision of ``x``, as the projection stores
    them."""
    n = params.shape[0] // 2
    lo, hi = x.dtype.type(params[j]), x.dtype.type(params[n + j])
    s = 0.0
    for i in range(x.shape[0]):
        xi, g = x[i], grad[i]
        if xi < lo or xi > hi:
            return np.inf
        if lo == hi:
            d = 0.0
        elif xi == lo:
            d = max(-g, 0.0)
        elif xi == hi:
            d = max(g, 0.0)
        else:
            d = abs(g)
        s += d * d
    return np.sqrt(s)


@njit(cache=True)
def group_l1_prox_block(v, step, params, j):  # pragma: no cover - numba
    """Scale the group ``v`` by ``max(0, 1 - step lam w_j / ||v||)``."""
    nrm = _norm1d(v)
    t = step * params[0] * params[1 + j]
    scale = 1.0 - t / nrm if nrm > t else 0.0
    for i in range(v.shape[0]):
        v[i] = v[i] * scale


@njit(cache=True)
def group_l1_subdiff_distance(x, grad, params, j):  # pragma: no cover - numba
    """``||grad + t x / ||x||||`` at ``x != 0``, ``max(||grad|| - t, 0)`` at 0,
    with ``t = lam w_j``."""
    t = params[0] * params[1 + j]
    nx = _norm1d(x)
    s = 0.0
    if nx > 0.0:
        for i in range(x.shape[0]):
            a = abs(grad[i] + t * (x[i] / nx))
            s += a * a
        return np.sqrt(s)
    for i in range(x.shape[0]):
        a = abs(grad[i])
        s += a * a
    return max(np.sqrt(s) - t, 0.0)
