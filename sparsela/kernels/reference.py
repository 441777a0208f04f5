"""Slow, obviously-correct NumPy versions of every kernel: the test oracle.

Nothing here is used on a hot path. Each section mirrors one kernel module.
"""

from __future__ import annotations

import numpy as np

# ---- sparse formats (mirrors kernels/cpu/sparse.py) -------------------------
# [section: sparse]
# Same signatures as the kernels; each accumulates into ``out`` and returns it.
# Entries are expanded to (row, col, value) triplets and summed with np.add.at,
# so duplicates and unsorted indices count exactly once each.


def _csr_rows(indptr):
    indptr = np.asarray(indptr, dtype=np.int64)
    return np.repeat(np.arange(indptr.size - 1), np.diff(indptr))


def csr_matvec(data, indices, indptr, x, out):
    """Reference ``out += A @ x`` for CSR ``A``."""
    rows = _csr_rows(indptr)
    np.add.at(out, rows, data * x[np.asarray(indices, dtype=np.int64)])
    return out


def csr_matmat(data, indices, indptr, X, out):
    """Reference ``out += A @ X`` for CSR ``A``."""
    rows = _csr_rows(indptr)
    np.add.at(out, rows, data[:, None] * X[np.asarray(indices, dtype=np.int64)])
    return out


def csr_tmatvec(data, indices, indptr, y, out, bounds=None):
    """Reference ``out += A.T @ y`` for CSR ``A`` (``bounds`` is ignored)."""
    rows = _csr_rows(indptr)
    np.add.at(out, np.asarray(indices, dtype=np.int64), data * y[rows])
    return out


def csr_tmatmat(data, indices, indptr, Y, out, bounds=None):
    """Reference ``out += A.T @ Y`` for CSR ``A`` (``bounds`` is ignored)."""
    rows = _csr_rows(indptr)
    np.add.at(out, np.asarray(indices, dtype=np.int64), data[:, None] * Y[rows])
    return out


def csr_sddmm(indices, indptr, X, Yt, out):
    """Reference ``out[k] += (X @ Yt.T)[i, j]`` at each stored ``(i, j)``."""
    rows = _csr_rows(indptr)
    out += (X @ Yt.T)[rows, np.asarray(indices, dtype=np.int64)]
    return out


def coo_matvec(data, row, col, x, out):
    """Reference ``out += A @ x`` for COO ``A``."""
    np.add.at(out, np.asarray(row, np.int64), data * x[np.asarray(col, np.int64)])
    return out


def coo_matmat(data, row, col, X, out):
    """Reference ``out += A @ X`` for COO ``A``."""
    col = np.asarray(col, np.int64)
    np.add.at(out, np.asarray(row, np.int64), data[:, None] * X[col])
    return out


def coo_sddmm(row, col, X, Yt, out):
    """Reference ``out[k] += (X @ Yt.T)[row[k], col[k]]``."""
    out += (X @ Yt.T)[np.asarray(row, np.int64), np.asarray(col, np.int64)]
    return out


def _bsr_dense(data, indices, indptr, shape):
    R, C = data.shape[1:]
    dense = np.zeros(shape, dtype=data.dtype)
    for bi, k in zip(_csr_rows(indptr), range(data.shape[0]), strict=True):
        bj = int(indices[k])
        dense[bi * R : (bi + 1) * R, bj * C : (bj + 1) * C] += data[k]
    return dense


def bsr_matvec(data, indices, indptr, x, out):
    """Reference ``out += A @ x`` for BSR ``A`` (via the dense matrix)."""
    shape = ((indptr.size - 1) * data.shape[1], x.shape[0])
    out += _bsr_dense(data, indices, indptr, shape) @ x
    return out


def bsr_matmat(data, indices, indptr, X, out):
    """Reference ``out += A @ X`` for BSR ``A`` (via the dense matrix)."""
    return bsr_matvec(data, indices, indptr, X, out)


def bsr_tmatvec(data, indices, indptr, y, out, bounds=None):
    """Reference ``out += A.T @ y`` for BSR ``A`` (via the dense matrix)."""
    shape = ((indptr.size - 1) * data.shape[1], out.shape[0])
    out += _bsr_dense(data, indices, indptr, shape).T @ y
    return out


def bsr_tmatmat(data, indices, indptr, Y, out, bounds=None):
    """Reference ``out += A.T @ Y`` for BSR ``A`` (via the dense matrix)."""
    return bsr_tmatvec(data, indices, indptr, Y, out)


def bsr_sddmm(indices, indptr, X, Yt, out):
    """Reference block-wise ``out[k] += (X @ Yt.T)[block k]``."""
    R, C = out.shape[1:]
    full = X @ Yt.T
    for bi, k in zip(_csr_rows(indptr), range(out.shape[0]), strict=True):
        bj = int(indices[k])
        out[k] += full[bi * R : (bi + 1) * R, bj * C : (bj + 1) * C]
    return out


def _nm_cols(positions, n, m):
    groups = np.arange(positions.shape[1]) // n
    return groups[None, :] * m + positions.astype(np.int64)


def nm_matvec(values, positions, n, m, x, out):
    """Reference ``out += A @ x`` for N:M ``A``."""
    out += (values * x[_nm_cols(positions, n, m)]).sum(axis=1)
    return out


def nm_matmat(values, positions, n, m, X, out):
    """Reference ``out += A @ X`` for N:M ``A``."""
    out += (values[:, :, None] * X[_nm_cols(positions, n, m)]).sum(axis=1)
    return out


def nm_tmatvec(values, positions, n, m, y, out, nchunks=None):
    """Reference ``out += A.T @ y`` for N:M ``A`` (``nchunks`` is ignored)."""
    np.add.at(out, _nm_cols(positions, n, m), values * y[:, None])
    return out


def nm_tmatmat(values, positions, n, m, Y, out, nchunks=None):
    """Reference ``out += A.T @ Y`` for N:M ``A`` (``nchunks`` is ignored)."""
    np.add.at(out, _nm_cols(positions, n, m), values[:, :, None] * Y[:, None, :])
    return out


def nm_sddmm(positions, n, m, X, Yt, out):
    """Reference ``out[i, q] += (X @ Yt.T)[i, column of (i, q)]``."""
    full = X @ Yt.T
    out += np.take_along_axis(full, _nm_cols(positions, n, m), axis=1)
    return out


def is_canonical_reference(indices, indptr):
    """Whether indices increase strictly within every slice of ``indptr``."""
    indices = np.asarray(indices, dtype=np.int64)
    return all(
        bool(np.all(np.diff(indices[indptr[i] : indptr[i + 1]]) > 0))
        for i in range(len(indptr) - 1)
    )


# ---- Walsh-Hadamard (mirrors kernels/cpu/wht.py) ----------------------------
# [section: wht]


def fwht_reference(x, axis=-1, normalized=False, ordering="natural"):
    """Plain radix-2 butterfly, one vectorised stage per loop turn.

    ``H x`` along ``axis`` (``/ sqrt(N)`` when normalized), rows permuted to
    ``ordering``: sequency row ``s`` is natural row ``bitrev(s ^ (s >> 1))``,
    dyadic row ``s`` is natural row ``bitrev(s)``. Mirrors
    :func:`sparsela.kernels.cpu.wht.fwht_along_axis`.
    """
    x = np.asarray(x)
    dtype = np.result_type(x.dtype, np.float32)
    y = np.moveaxis(x.astype(dtype), axis, -1).copy()
    n = y.shape[-1]
    h = 1
    while h < n:
        v = y.reshape(y.shape[:-1] + (n // (2 * h), 2, h))
        a = v[..., 0, :].copy()
        b = v[..., 1, :].copy()
        v[..., 0, :] = a + b
        v[..., 1, :] = a - b
        h *= 2
    if normalized:
        y = y / np.sqrt(n).astype(y.real.dtype)
    n_bits = n.bit_length() - 1

    def bitrev(v):
        out = np.zeros_like(v)
        for j in range(n_bits):  # bit j of v goes to bit n_bits - 1 - j
            out |= ((v >> j) & 1) << (n_bits - 1 - j)
        return out

    s = np.arange(n)
    if ordering == "sequency":
        y = y[..., bitrev(s ^ (s >> 1))]
    elif ordering == "dyadic":
        y = y[..., bitrev(s)]
    return np.moveaxis(y, -1, axis)


# ---- greedy pursuit (mirrors kernels/cpu/omp.py) ----------------------------
# [section: omp]
def omp_naive(A, y, n_nonzero=None, tol=None):
    """Textbook OMP for one signal: least squares on the support at every step.

    Selects ``argmax_i |a_iᴴ r| / ||a_i||`` among the unselected atoms, refits
    ``x_I = argmin ||y - A_I x_I||`` with :func:`numpy.linalg.lstsq`, and stops
    after ``n_nonzero`` atoms or when ``||r||^2 <= tol`` (whichever first).
    Returns ``(x, support)``.
    """
    A = np.asarray(A)
    y = np.asarray(y)
    m, n = A.shape
    norms = np.linalg.norm(A, axis=0)
    T = min(m, n) if n_nonzero is None else n_nonzero
    x = np.zeros(n, dtype=np.result_type(A, y))
    support = []
    r = y.copy()
    if tol is not None and np.vdot(r, r).real <= tol:
        return x, np.array(support, dtype=np.int64)
    while len(support) < T:
        corr = np.abs(A.conj().T @ r) / norms
        corr[support] = -1.0
        support.append(int(np.argmax(corr)))
        coef = np.linalg.lstsq(A[:, support], y, rcond=None)[0]
        r = y - A[:, support] @ coef
        if tol is not None and np.vdot(r, r).real <= tol:
            break
    if support:
        x[support] = coef
    return x, np.array(support, dtype=np.int64)


def omp_gram(G, alpha0, norms2, n_nonzero, tol=None):
    """Gram-matrix OMP for each row of ``alpha0`` (twin of ``cpu.omp.omp_gram``).

    Per signal: ``alpha = alpha0 - G[:, I] c``, pick ``argmax |alpha|`` outside
    ``I``, solve ``G[I, I] c = alpha0[I]`` with :func:`numpy.linalg.solve`,
    ``||r||^2 = ||y||^2 - Re(cᴴ alpha0[I])``. Returns lists of supports and
    coefficients and the array of ``||r||^2``.
    """
    supports, coefs, res2 = [], [], []
    for a0, nrm2 in zip(alpha0, norms2, strict=True):
        idx, c, res = [], np.zeros(0, dtype=alpha0.dtype), float(nrm2)
        while len(idx) < n_nonzero and not (tol is not None and res <= tol):
            alpha = a0 - G[:, idx] @ c
            score = np.abs(alpha)
            score[idx] = -1.0
            idx.append(int(np.argmax(score)))
            c = np.linalg.solve(G[np.ix_(idx, idx)], a0[idx])
            res = float(nrm2 - np.vdot(c, a0[idx]).real)
        supports.append(np.array(idx, dtype=np.int64))
        coefs.append(c)
        res2.append(max(res, 0.0))
    return supports, coefs, np.array(res2)


def mp_naive(A, y, n_steps, tol=None, positive=False):
    """Plain matching pursuit for one signal, ``n_steps`` steps at most.

    Each step: ``c = Aᴴ r / ||a_i||`` (normalised correlations), pick
    ``k = argmax |c|`` (``argmax c`` if ``positive``), ``x_k += c_k / ||a_k||``,
    ``r -= c_k a_k / ||a_k||``; stop early when ``||r||^2 <= tol``. Atoms may
    be chosen again. Returns ``(x, steps)`` with ``steps`` the atoms chosen.
    """
    A = np.asarray(A)
    norms = np.linalg.norm(A, axis=0)
    U = A / norms
    x = np.zeros(A.shape[1], dtype=np.result_type(A, y))
    r = np.array(y, dtype=x.dtype)
    steps = []
    for _ in range(n_steps):
        if tol is not None and np.vdot(r, r).real <= tol:
            break
        c = U.conj().T @ r
        k = int(np.argmax(c.real if positive else np.abs(c)))
        steps.append(k)
        x[k] += c[k] / norms[k]
        r = r - c[k] * U[:, k]
    return x, np.array(steps, dtype=np.int64)


def mp_gram(G, alpha0, norms2, n_steps, tol=None, positive=False):
    """Gram-matrix matching pursuit (twin of ``cpu.omp.mp_gram``).

    Returns per signal the list of chosen atoms (one per step), the dense
    coefficient vector and ``||r||^2``.
    """
    steps, xs, res2 = [], [], []
    for a0, nrm2 in zip(alpha0, norms2, strict=True):
        alpha = a0.copy()
        x = np.zeros_like(a0)
        res = float(nrm2)
        chosen = []
        for _ in range(n_steps):
            if tol is not None and res <= tol:
                break
            k = int(np.argmax(alpha.real if positive else np.abs(alpha)))
            step = alpha[k] / G[k, k].real
            x[k] += step
            res -= abs(alpha[k]) ** 2 / G[k, k].real
            alpha = alpha - G[:, k] * step
            chosen.append(k)
        steps.append(np.array(chosen, dtype=np.int64))
        xs.append(x)
        res2.append(max(res, 0.0))
    return steps, xs, np.array(res2)


def sparse_residual_norms(At, Yt, support, coef, n_atoms):
    """``||y_s - sum_j coef[s, j] At[support[s, j]]||`` for each row ``s`` of ``Yt``."""
    out = np.empty(Yt.shape[0])
    for s in range(Yt.shape[0]):
        t = n_atoms[s]
        r = Yt[s] - coef[s, :t] @ At[support[s, :t]]
        out[s] = np.linalg.norm(r)
    return out


# ---- thresholds / prox (mirrors kernels/cpu/prox.py) ------------------------
# [section: prox]
def soft_threshold(v, tau, w=None):
    """``v * max(0, 1 - tau_j w_i / |v_ij|)``: shrink the modulus, keep the phase."""
    v = np.asarray(v)
    t = np.asarray(tau)[None, :] * (1.0 if w is None or len(w) == 0 else w[:, None])
    mag = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(mag > t, 1.0 - t / mag, 0.0)
    return np.where(scale > 0, v * scale, 0).astype(v.dtype)  # no -0.0


def nonneg_soft_threshold(v, tau):
    """``max(v - tau_j, 0)`` (prox of ``tau ||x||_1`` plus ``x >= 0``)."""
    return np.maximum(v - np.asarray(tau)[None, :], 0).astype(v.dtype)


def hard_threshold(v, thr):
    """Keep the entries with ``|v_ij| > thr_j``."""
    return np.where(np.abs(v) > np.asarray(thr)[None, :], v, 0).astype(v.dtype)


def group_norms(v, groups):
    """``||v[g, j]||_2`` for each group ``g`` (index arrays) and column ``j``."""
    return np.array([np.linalg.norm(v[g], axis=0) for g in groups])


def group_soft_threshold(v, tau, groups, gw):
    """Scale each group by ``max(0, 1 - tau_j gw_g / ||v_g||)``."""
    out = np.zeros_like(v)
    for g, wg in zip(groups, gw, strict=True):
        nrm = np.linalg.norm(v[g], axis=0)
        t = np.asarray(tau) * wg
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(nrm > t, 1.0 - t / nrm, 0.0)
        out[g] = v[g] * scale
    return out


def support_rows(X):
    """Rows of ``X`` holding at least one non-zero."""
    return np.flatnonzero(np.any(X != 0, axis=1))


def cols_matmat(A, cols, P):
    """``A[:, cols] @ P`` for a dense ndarray or a ``scipy.sparse`` matrix."""
    return np.asarray(A[:, cols] @ P)


def extrapolate_step(X, Xp, G, Gp, beta, step):
    """``V = X + beta (X - Xp)`` and ``W = V - step (G + beta (G - Gp))``."""
    V = X + beta * (X - Xp)
    return V, V - step * (G + beta * (G - Gp))


def pair_stats(Xn, V, X):
    """``[||Xn - V||^2, ||Xn - X||^2, Re <Xn - V, Xn - X>, ||Xn||^2]`` per column."""
    d, e = Xn - V, Xn - X
    return np.array(
        [
            np.sum(np.abs(d) ** 2, axis=0),
            np.sum(np.abs(e) ** 2, axis=0),
            np.sum((np.conj(d) * e).real, axis=0),
            np.sum(np.abs(Xn) ** 2, axis=0),
        ]
    )


def residual_stats(AXn, AV, B):
    """``(R, [||AXn - AV||^2, ||R||^2, Re <B, R>])`` with ``R = AXn - B``."""
    R = AXn - B
    stats = np.array(
        [
            np.sum(np.abs(AXn - AV) ** 2, axis=0),
            np.sum(np.abs(R) ** 2, axis=0),
            np.sum((np.conj(B) * R).real, axis=0),
        ]
    )
    return R, stats


# Per-block prox and subdifferential distance: each returns a new block (or a
# float) where the kernel overwrites ``v``; ``params`` as in kernels/cpu/prox.py.
def _shrink(v, t):
    a = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > t, v * (1 - t / a), 0).astype(v.dtype)


def _l1_dist(x, grad, t, c=0.0):
    g = grad + c * x
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(a > 0, np.abs(g + t * x / a), np.maximum(np.abs(g) - t, 0))
    return float(np.linalg.norm(d))


def l1_prox_block(v, step, params, j):
    return _shrink(v, step * params[0])


def l1_subdiff_distance(x, grad, params, j):
    return _l1_dist(x, grad, params[0])


def weighted_l1_prox_block(v, step, params, j):
    return _shrink(v, step * params[0] * params[1 + j])


def weighted_l1_subdiff_distance(x, grad, params, j):
    return _l1_dist(x, grad, params[0] * params[1 + j])


def l0_prox_block(v, step, params, j):
    return np.where(np.abs(v) > np.sqrt(2 * step * params[0]), v, 0).astype(v.dtype)


def l0_subdiff_distance(x, grad, params, j):
    return float(np.linalg.norm(np.where(x != 0, grad, 0)))


def nonneg_l1_prox_block(v, step, params, j):
    return np.maximum(v - step * params[0], 0).astype(v.dtype)


def nonneg_l1_subdiff_distance(x, grad, params, j):
    if np.any(x < 0):
        return np.inf
    d = np.where(x > 0, np.abs(grad + params[0]), np.maximum(-grad - params[0], 0))
    return float(np.linalg.norm(d))


def elastic_net_prox_block(v, step, params, j):
    lam, a = params[0], params[1]
    return (_shrink(v, step * lam * a) / (1 + step * lam * (1 - a))).astype(v.dtype)


def elastic_net_subdiff_distance(x, grad, params, j):
    lam, a = params[0], params[1]
    return _l1_dist(x, grad, lam * a, lam * (1 - a))


def box_prox_block(v, step, params, j):
    n = params.size // 2
    return np.clip(v, params[j], params[n + j]).astype(v.dtype)


def box_subdiff_distance(x, grad, params, j):
    n = params.size // 2
    lo, hi = x.dtype.type(params[j]), x.dtype.type(params[n + j])
    if np.any((x < lo) | (x > hi)):
        return np.inf
    if lo == hi:
        return 0.0
    inner = np.where(x == hi, np.maximum(grad, 0), np.abs(grad))
    return float(np.linalg.norm(np.where(x == lo, np.maximum(-grad, 0), inner)))


def group_l1_prox_block(v, step, params, j):
    t, nrm = step * params[0] * params[1 + j], np.linalg.norm(v)
    return (v * (1 - t / nrm) if nrm > t else np.zeros_like(v)).astype(v.dtype)


def group_l1_subdiff_distance(x, grad, params, j):
    t, nx = params[0] * params[1 + j], np.linalg.norm(x)
    if nx > 0:
        return float(np.linalg.norm(grad + t * x / nx))
    return max(float(np.linalg.norm(grad)) - t, 0.0)


# ---- sparse WHT peeling (mirrors kernels/cpu/sparse_wht.py) -----------------
# [section: sparse_wht]


def sample_plan_reference(G, b, offsets):
    """NumPy twin of :func:`sparsela.kernels.cpu.sparse_wht.sample_plan` for given
    chain offsets ``offsets`` ``(C, n_chains)`` (the kernel draws them).

    Returns ``dmasks`` ``(C, n_chains * (n - b + 1))`` and ``idx``
    ``(C, P, 2**b)`` with ``idx[c, p, l] = M_c l ^ dmasks[c, p]``, ``M_c l``
    the XOR of the columns ``G[c, t]`` over the set bits ``t`` of ``l``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.reference import sample_plan_reference
    >>> G = np.array([[1, 2, 4]])
    >>> dm, idx = sample_plan_reference(G, 1, np.array([[0]]))
    >>> dm.tolist(), idx.tolist()
    ([[0, 2, 4]], [[[0, 1], [2, 3], [4, 5]]])
    """
    G = np.asarray(G, dtype=np.int64)
    C, n = G.shape
    ell = np.arange(1 << b, dtype=np.int64)
    base = np.zeros((C, 1 << b), dtype=np.int64)
    for t in range(b):
        base ^= ((ell >> t) & 1)[None, :] * G[:, t : t + 1]
    r = np.asarray(offsets, dtype=np.int64)[:, :, None]  # (C, chains, 1)
    d = np.concatenate([r, r ^ G[:, None, b:]], axis=2).reshape(C, -1)
    return d, base[:, None, :] ^ d[:, :, None]


def _parity_ref(v):
    return bin(int(v)).count("1") & 1


def sparse_wht_peel_reference(
    U, kmap, mcols, dmasks, n_chains, b, tau, verify, max_iter, n_refine
):
    """Plain-Python twin of :func:`sparsela.kernels.cpu.sparse_wht.peel`.

    ``U`` (C, B, P) is copied, not modified. Bin classification: energy test,
    soft chain detector (bit ``i`` set when ``Re sum_q U[r_q] conj(U[r_q ^
    delta_i]) < 0``), least-squares amplitude, residual test; rounds over the
    bins changed since their last visit; verification by energy decrease in
    at least ``C // 2`` other stages; least-squares refits once all bins are
    explained. Returns ``(ks, amps, n_rounds, n_left)``.
    """
    U = np.array(U, dtype=np.complex128)
    C, B, P = U.shape
    n = kmap.shape[1]
    D = n - b + 1

    def signature(c, k):
        return np.array([1.0 - 2.0 * _parity_ref(d & k) for d in dmasks[c]])

    def hash_(c, k):
        return sum(_parity_ref(mcols[c, t] & k) << t for t in range(b))

    def classify(c, j):
        u = U[c, j]
        if np.sum(np.abs(u) ** 2) <= tau:
            return "zero", None, None
        v = j
        for i in range(n - b):
            acc = sum(
                (u[q * D] * np.conj(u[q * D + 1 + i])).real for q in range(n_chains)
            )
            if acc < 0:
                v |= 1 << (b + i)
        k = 0
        for t in range(n):
            if (v >> t) & 1:
                k ^= int(kmap[c, t])
        s = signature(c, k)
        a = s @ u / P
        if np.sum(np.abs(u - a * s) ** 2) > tau:
            return "multi", k, a
        if P * abs(a) ** 2 < tau:
            return "zero", None, None
        return "single", k, a

    def subtract(k, a, changed):
        for c in range(C):
            j = hash_(c, k)
            U[c, j] -= a * signature(c, k)
            changed[c, j] = True

    def verified(c0, k, a):
        ok = 0
        for c in range(C):
            if c != c0:
                pr = signature(c, k) @ U[c, hash_(c, k)] / P
                ok += (np.conj(a) * pr).real > 0.5 * abs(a) ** 2
        return ok >= C // 2

    decoded = {}
    changed = np.ones((C, B), dtype=bool)
    n_rounds, progress = 0, True
    while progress and n_rounds < max_iter:
        progress = False
        for c in range(C):
            for j in range(B):
                if not changed[c, j]:
                    continue
                changed[c, j] = False
                kind, k, a = classify(c, j)
                if kind != "single":
                    continue
                if verify and not verified(c, k, a):
                    changed[c, j] = True
                    continue
                decoded[k] = decoded.get(k, 0j) + a
                subtract(k, a, changed)
                progress = True
        n_rounds += 1

    def n_unexplained():
        return sum(classify(c, j)[0] != "zero" for c in range(C) for j in range(B))

    n_left = n_unexplained()
    if n_left == 0 and n_refine:
        for _ in range(n_refine):
            for k in list(decoded):
                d = np.mean([signature(c, k) @ U[c, hash_(c, k)] / P for c in range(C)])
                decoded[k] += d
                subtract(k, d, changed)
        n_left = n_unexplained()
    ks = np.array(list(decoded), dtype=np.int64)
    amps = np.array([decoded[k] for k in decoded], dtype=np.complex128)
    return ks, amps, n_rounds, n_left


# [section: bcd]
def _bcd_partial(A, R, j, loss, aux):
    """Partial derivative of the loss in ``x_j`` from the fit ``R`` (dense ``A``)."""
    if loss == 2:
        return R[j] - aux[j]
    if loss == 3:
        m = A.shape[0]
        return aux[m + j] + A[:, j] @ (aux[:m] * R)
    if loss == 1:
        y = aux.real
        return A[:, j] @ (-y / (1.0 + np.exp(y * R.real)))
    return np.vdot(A[:, j], R)


def _bcd_prox(v, t, pen, w=1.0):
    v = np.asarray(v)
    if pen == 3:
        nrm = np.linalg.norm(v)
        return v * (max(0.0, 1.0 - t * w / nrm) if nrm > 0 else 0.0)
    if pen == 2:
        return np.maximum(v.real - t, 0.0) + 0 * v
    if pen == 1:
        a = np.abs(v)
        return np.where(a > t, v * (1 - t / np.where(a > 0, a, 1)), 0 * v)
    return v


def cd_epochs_dense(A, R, x, lips, ws, n_epochs, loss, pen, lam, aux):
    """Reference: ``x_j <- prox_{lam/L_j}(x_j - grad_j / L_j)`` over ``ws``,
    ``R += (x_j^new - x_j) A_j`` after each coordinate (in place)."""
    A = np.asarray(A)
    for _ in range(n_epochs):
        for j in ws:
            if lips[j] <= 0:
                continue
            g = _bcd_partial(A, R, j, loss, aux)
            new = _bcd_prox(x[j] - g / lips[j], lam / lips[j], pen)[()]
            R += (new - x[j]) * A[:, j]
            x[j] = new


def cd_epochs_csc(data, indices, indptr, R, x, lips, ws, n_epochs, loss, pen, lam, aux):
    """Reference on a dense copy of the CSC matrix."""
    A = _csc_dense(data, indices, indptr, R.shape[0], x.shape[0])
    cd_epochs_dense(A, R, x, lips, ws, n_epochs, loss, pen, lam, aux)


def _csc_dense(data, indices, indptr, m, n):
    A = np.zeros((m, n), dtype=data.dtype)
    for j in range(n):
        for p in range(indptr[j], indptr[j + 1]):
            A[indices[p], j] += data[p]
    return A


def bcd_epochs_dense(
    A, R, x, perm, ptr, lips, ws, n_epochs, loss, pen, lam, weights, aux, buf
):
    """Reference: ``x_b <- prox_{g/L_b}(x_b - grad_b / L_b)`` over the blocks ``ws``."""
    A = np.asarray(A)
    for _ in range(n_epochs):
        for b in ws:
            if lips[b] <= 0:
                continue
            idx = perm[ptr[b] : ptr[b + 1]]
            g = np.array([_bcd_partial(A, R, j, loss, aux) for j in idx])
            w = weights[b] if pen == 3 else 1.0
            new = _bcd_prox(x[idx] - g / lips[b], lam / lips[b], pen, w)
            R += A[:, idx] @ (new - x[idx])
            x[idx] = new


def bcd_epochs_csc(
    data, indices, indptr, R, x, perm, ptr, lips, ws, n_epochs, loss, pen, lam,
    weights, aux, buf,
):  # fmt: skip
    """Reference on a dense copy of the CSC matrix."""
    A = _csc_dense(data, indices, indptr, R.shape[0], x.shape[0])
    bcd_epochs_dense(A, R, x, perm, ptr, lips, ws, n_epochs, loss, pen, lam,
                     weights, aux, buf)  # fmt: skip


def col_dots_dense(A, W, cols, out):
    """Reference ``out[k] = A_{:, cols[k]}^H W``."""
    out[:] = np.asarray(A)[:, cols].conj().T @ W
    return out


def col_dots_csc(data, indices, indptr, W, cols, out):
    """Reference on a dense copy (the row count is that of ``W``)."""
    A = _csc_dense(data, indices, indptr, W.shape[0], int(indptr.shape[0] - 1))
    return col_dots_dense(A, W, cols, out)


# ---- sparse layers (mirrors kernels/cpu/nn.py) ------------------------------
# [section: nn]
# The layer products are the format products of the sparse section on the
# feature-major layout (``Xt = X.T``); csr_sddmm, bsr_sddmm and nm_sddmm
# there are the references of the kernels of the same names.


def csr_forward(data, indices, indptr, Xt, out):
    """Reference ``out += A @ Xt`` for CSR ``A``."""
    return csr_matmat(data, indices, indptr, Xt, out)


def bsr_forward(data, indices, indptr, Xt, out):
    """Reference ``out += A @ Xt`` for BSR ``A``."""
    return bsr_matmat(data, indices, indptr, Xt, out)


def nm_forward(values, positions, n, m, Xt, out):
    """Reference ``out += A @ Xt`` for N:M ``A``."""
    return nm_matmat(values, positions, n, m, Xt, out)


def transpose(X, out):
    """Reference ``out[:] = X.T``."""
    out[:] = np.asarray(X).T
    return out


def col_dots_csc_parallel(data, indices, indptr, W, cols, out):
    """Reference: as :func:`col_dots_csc`."""
    return col_dots_csc(data, indices, indptr, W, cols, out)


# ---- dictionary learning (mirrors kernels/cpu/dictionary.py) ---------------
# [section: dictionary]


def bcd_atoms(D, A, B, floor, dead, work):
    """Reference: Mairal's block-coordinate pass over the atoms, in place."""
    for j in range(D.shape[1]):
        dead[j] = not A[j, j].real > floor
        if dead[j]:
            continue
        u = D[:, j] + (B[:, j] - D @ A[:, j]) / A[j, j].real
        D[:, j] = u / max(np.linalg.norm(u), 1.0)
    return D


def accumulate_codes(ptr, atoms, coef, Y, D, A, B, w, work, r2):
    """Reference: dense ``A += w X Xᴴ``, ``B += w Y Xᴴ``, residual norms."""
    X = np.zeros((D.shape[1], Y.shape[1]), dtype=Y.dtype)
    for s in range(Y.shape[1]):
        X[atoms[ptr[s] : ptr[s + 1]], s] = coef[ptr[s] : ptr[s + 1]]
    A += w * (X @ X.conj().T)
    B += w * (Y @ X.conj().T)
    r2[:] = np.linalg.norm(Y - D @ X, axis=0) ** 2
    return A, B
