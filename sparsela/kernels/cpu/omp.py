"""Greedy-pursuit kernels: Batch-OMP and matching pursuit on a Gram matrix.

Numba kernels over raw arrays implementing Batch-OMP [1]_ (the recursion is in
the Notes of :func:`omp_gram`). The dictionary enters only through its Gram
matrix ``G = Aᴴ A`` of *unit-norm* atoms and the correlations
``alpha0 = Aᴴ y`` of every signal, so one ``O(K)`` to ``O(K t)`` update per
iteration replaces the ``O(m K)`` product ``Aᴴ r`` of plain OMP. Signals are
independent: each kernel is one compiled serial loop over a range of signals,
which the Python wrapper runs on the calling thread below
:data:`PARALLEL_MIN_WORK` updates, and above on blocks of signals in
parallel (one workspace per block, allocated 64-byte aligned by the
wrapper): a short ``prange`` loop that calls the serial kernel by its
address, so that the parallel path compiles only that loop, and only when a
batch first needs it (see :func:`_run_blocks`).
Real and complex, float32 and float64: Numba compiles one specialisation per
dtype and the arithmetic stays in the input precision.

Layouts: ``G`` is ``(K, K)`` C-contiguous and Hermitian; ``alpha0`` is
``(n_signals, K)`` C-contiguous (one row per signal, so that a signal's
correlations are contiguous). Outputs are written into arrays the caller
allocates. NumPy twins live in :mod:`sparsela.kernels.reference`.

Stop codes written to ``stop`` (the public functions translate them into
``status``/``converged``):

====  =====================================================================
0     the atom (OMP) or step (MP) budget was used up
1     ``||r||^2 <= tol``
2     the best atom is numerically a linear combination of the selected
      ones (the Cholesky pivot ``d_kk <= eps_dep * G[k, k]``); not selected
3     every correlation is negligible (``max |a_iᴴ r|^2 <= eps_corr2 *
      ||y||^2``): the residual is orthogonal to all atoms
4     (MP) the best atom is new and the support already holds
      ``max_atoms`` atoms
====  =====================================================================

References
----------
.. [1] R. Rubinstein, M. Zibulevsky, M. Elad, "Efficient Implementation of the
   K-SVD Algorithm using Batch Orthogonal Matching Pursuit", Technical Report
   CS-2008-08, Computer Science Department, Technion, 2008.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
from numba import njit, prange

from ..._threads import _executor
from .wht import call_kernel, kernel_address

__all__ = [
    "PARALLEL_MIN_WORK",
    "STOP_BUDGET",
    "STOP_DEPENDENT",
    "STOP_ORTHOGONAL",
    "STOP_SUPPORT_FULL",
    "STOP_TOL",
    "mp_gram",
    "omp_gram",
    "sparse_residual_norms",
]

STOP_BUDGET = 0
STOP_TOL = 1
STOP_DEPENDENT = 2
STOP_ORTHOGONAL = 3
STOP_SUPPORT_FULL = 4

#: Updates (signals x atoms x iterations) from which the pursuits run their
#: signals on the Numba threads; smaller batches run on the calling thread,
#: which is faster there and never waits for a thread that another process
#: keeps off its core (see ``benchmarks/bench_small_under_load.py``).
PARALLEL_MIN_WORK = 1 << 17


def _workspaces(*specs):
    """C-contiguous work arrays ``(shape, dtype, fill)`` carved from one
    buffer, each starting on a 64-byte boundary.

    The update loops are SIMD-vectorised; on arrays that NumPy aligns to 16
    bytes only (its default for small ones), they ran 15-20% slower than on
    the 64-byte aligned arrays Numba allocates itself, and allocating in the
    kernel would compile the allocation code on every first use.
    """
    dtypes = [np.dtype(dt) for _, dt, _ in specs]
    sizes = [
        math.prod(shape) * dt.itemsize
        for (shape, _, _), dt in zip(specs, dtypes, strict=True)
    ]
    buf = np.empty(sum(-(-n // 64) * 64 for n in sizes) + 64, dtype=np.uint8)
    off = -buf.__array_interface__["data"][0] % 64
    out = []
    for (shape, _, fill), dt, n in zip(specs, dtypes, sizes, strict=True):
        a = buf[off : off + n].view(dt).reshape(shape)
        if fill is not None:
            a.fill(fill)
        out.append(a)
        off += -(-n // 64) * 64
    return out


def _parallel(parallel: bool | None, work: int) -> bool:
    """``parallel`` if given, else whether ``work`` reaches the threshold (the
    parallel kernel, on however many Numba threads there are: with one it
    runs the blocks in turn, as fast as before issue 13)."""
    return work >= PARALLEL_MIN_WORK if parallel is None else bool(parallel)


@njit(cache=True)
def _abs2(z):
    # |z|^2 without the square root; for real z the imaginary part is 0
    return z.real * z.real + z.imag * z.imag


_ARGMAX_BLOCK = 32


@njit(cache=True, fastmath={"nnan", "nsz"})
def _argmax(score):
    """First index of the largest entry of ``score`` (no NaN by contract).

    Block maxima vectorise where a running ``if v > best`` does not; the
    winning block is then scanned for the first index holding the maximum.
    """
    K = score.shape[0]
    B = _ARGMAX_BLOCK
    nb = K // B
    best = score[0]
    bb = 0
    for b in range(nb):
        o = b * B
        m = score[o]
        for i in range(o + 1, o + B):
            m = max(m, score[i])
        if m > best:
            best = m
            bb = b
    k = -1
    for i in range(nb * B, K):
        if score[i] > best:
            best = score[i]
            k = i
    if k >= 0:
        return k
    for i in range(bb * B, min(bb * B + B, K)):
        if score[i] == best:
            return i
    return 0


@njit(cache=True)
def _back_substitute(L, z, c, t):
    # solve L^H c = z for the leading t x t block of the lower-triangular L
    for i in range(t - 1, -1, -1):
        acc = z[i]
        for j in range(i + 1, t):
            acc -= np.conj(L[j, i]) * c[j]
        c[i] = acc / L[i, i]


_UPDATE_BLOCK = 256


@njit(cache=True)
def _update_block(g, U, tn, k, inv, zt, alpha, score, w):
    """``U[tn] = (conj(g) - U[:tn].T conj(U[:tn, k])) * inv``; ``alpha -= U[tn] zt``;
    ``score = |alpha|^2``. ``w`` is workspace of length ``>= tn``."""
    K = g.shape[0]
    ut = U[tn]
    for l in range(tn):
        w[l] = np.conj(U[l, k])
    for i0 in range(0, K, _UPDATE_BLOCK):
        # block views keep loop indices at 0..n, which Numba/LLVM vectorise
        # (offset indices would carry negative-index wraparound checks)
        i1 = min(i0 + _UPDATE_BLOCK, K)
        n = i1 - i0
        ub = ut[i0:i1]
        gb = g[i0:i1]
        for i in range(n):
            ub[i] = np.conj(gb[i])
        l = 0
        while l + 4 <= tn:
            u0 = U[l, i0:i1]
            u1 = U[l + 1, i0:i1]
            u2 = U[l + 2, i0:i1]
            u3 = U[l + 3, i0:i1]
            w0 = w[l]
            w1 = w[l + 1]
            w2 = w[l + 2]
            w3 = w[l + 3]
            for i in range(n):
                ub[i] -= u0[i] * w0 + u1[i] * w1 + u2[i] * w2 + u3[i] * w3
            l += 4
        while l < tn:
            u0 = U[l, i0:i1]
            w0 = w[l]
            for i in range(n):
                ub[i] -= u0[i] * w0
            l += 1
        ab = alpha[i0:i1]
        sb = score[i0:i1]
        for i in range(n):
            v = ub[i] * inv
            ub[i] = v
            a = ab[i] - v * zt
            ab[i] = a
            sb[i] = _abs2(a)


@njit(cache=True)
def _omp_signals(
    G, alpha0, norms2, T, tol, use_tol, eps_corr2, eps_dep, one, support, coef,
    n_atoms, res2, stop, path, store_path, alphas, scores, Us, Ls, zs, cs, ws, b,
    nb,
):  # fmt: skip
    """Batch-OMP for block ``b`` of ``nb`` of the signals (``b * S // nb`` to
    ``(b + 1) * S // nb``), serially on workspace ``b`` (row ``b`` of the work
    arrays ``alphas`` to ``ws``); writes ``n_atoms``, ``res2``
    (``||r||^2``) and ``stop`` of each.

    The Cholesky factor ``L`` of ``G[I, I]`` grows one row per atom. Rather
    than re-forming ``alpha = alpha0 - G[:, I] c`` (``t`` rows of ``G`` per
    iteration, which makes the kernel memory-bound), it keeps
    ``U[l] = Aᴴ q_l`` for the orthonormalised atoms ``q_l`` (the columns of
    ``A_I L^{-H}``), so that

    * the new row of ``L`` is ``U[:t, k]`` (the forward substitution
      ``L w = G[I, k]`` done for all ``k`` at once, ``w = conj(U[:t, k])``),
    * ``z_t = (alpha0[k] - L[t, :t] z) / L[t, t]`` (``L z = alpha0[I]``),
    * ``u_t = (G[:, k] - U[:t].T w) / L[t, t]`` and ``alpha -= u_t z_t``,
    * ``||r||^2 = ||y||^2 - ||z||^2``,

    one row of ``G`` per iteration; the flop count ``O(K t)`` is unchanged.
    ``one`` is 1 in the real dtype, so float32 arithmetic stays float32.
    The loop over signals lives in this function rather than in a caller:
    Numba re-optimises each function it links into another, so one level
    less is about 0.4 s less on first use.
    """
    S, K = alpha0.shape
    alpha, score, U, L = alphas[b], scores[b], Us[b], Ls[b]
    z, c, w = zs[b], cs[b], ws[b]
    for s in range(b * S // nb, (b + 1) * S // nb):
        a0 = alpha0[s]
        idx = support[s]
        cf = coef[s]
        ps = path[s] if store_path else path[0]
        norm2 = norms2[s]
        res = norm2
        if use_tol and res <= tol:
            n_atoms[s] = 0
            res2[s] = max(res, 0.0)
            stop[s] = STOP_TOL
            continue
        floor = eps_corr2 * norm2
        for i in range(K):
            alpha[i] = a0[i]
            score[i] = _abs2(a0[i])
        t = np.int64(0)  # a literal 0 would compile _update_block twice
        code = STOP_BUDGET
        while t < T:
            k = _argmax(score)
            if score[k] <= floor:
                code = STOP_ORTHOGONAL
                break
            gkk = G[k, k].real
            ww = one - one
            for l in range(t):
                ww += _abs2(U[l, k])
            d = gkk - ww
            if d <= eps_dep * gkk:
                code = STOP_DEPENDENT
                break
            dk = np.sqrt(d)
            acc = a0[k]
            for l in range(t):
                L[t, l] = U[l, k]
                acc -= U[l, k] * z[l]
            L[t, t] = dk
            zt = acc / dk
            z[t] = zt
            res -= _abs2(zt)
            idx[t] = k
            tn = t
            t += 1
            if store_path:
                _back_substitute(L, z, c, t)
                for j in range(t):
                    ps[t - 1, j] = c[j]
            if use_tol and res <= tol:
                code = STOP_TOL
                break
            if t == T:
                break
            # u_t = (G[:, k] - sum_l U[l] w_l) / d with w_l = conj(U[l, k]),
            # then alpha -= u_t z_t; blocked over i so that the block of u_t
            # stays in L1 while the rows U[l] stream past it, and alpha, the
            # scores and u_t are written once
            _update_block(G[k], U, tn, k, one / dk, zt, alpha, score, w)
            for j in range(t):
                score[idx[j]] = -1.0
        _back_substitute(L, z, c, t)
        for j in range(t):
            cf[j] = c[j]
        n_atoms[s] = t
        res2[s] = max(res, 0.0)
        stop[s] = code
    return np.int64(0)  # the int64 that call_kernel expects


def omp_gram(
    G,
    alpha0,
    norms2,
    n_nonzero,
    tol,
    use_tol,
    eps_corr2,
    eps_dep,
    support,
    coef,
    n_atoms,
    res2,
    stop,
    path,
    store_path,
    n_blocks,
    parallel=None,
):
    """Batch-OMP with progressive Cholesky for every signal (rows of ``alpha0``).

    Parameters
    ----------
    G : (K, K) array
        Gram matrix of unit-norm atoms, Hermitian, C-contiguous.
    alpha0 : (S, K) array
        ``Aᴴ y`` of each signal, one row per signal.
    norms2 : (S,) real array
        ``||y||^2`` of each signal.
    n_nonzero : int
        Largest number of atoms ``T`` (``<= min(m, K)``).
    tol : float
        Squared residual norm at which a signal stops (used if ``use_tol``).
    use_tol : bool
    eps_corr2, eps_dep : float
        Relative thresholds of stop codes 3 and 2.
    support, coef : (S, T) int64 / (S, T) arrays, written
        Selected atoms in order and their coefficients (first ``n_atoms``).
    n_atoms : (S,) int64, written
    res2 : (S,) real, written
        ``||r||^2`` from the Cholesky recursion.
    stop : (S,) int64, written
        Stop codes (module docstring).
    path : (S, T, T) array or (1, 1, 1) dummy, written if ``store_path``
        ``path[s, t, :t + 1]``: coefficients after ``t + 1`` atoms.
    store_path : bool
    n_blocks : int
        Signals are split into this many contiguous blocks, run in parallel,
        each with its own workspace (a few per thread balances the load).
        Batches of fewer than :data:`PARALLEL_MIN_WORK` updates
        (``n_signals * K * n_nonzero``) run serially on the calling thread.
    parallel : bool, optional
        Force the parallel (True) or serial (False) path; by default chosen
        from the size as above.

    Notes
    -----
    Batch-OMP [1]_ never forms the residual ``r = y - A_I c`` of the selected
    atoms ``I``. Its correlations ``alpha = Aᴴ r = alpha0 - G[:, I] c`` give
    the next atom ``k = argmax_i |alpha_i|``; the Cholesky factor ``L`` of
    ``G[I, I]`` grows by the row ``[wᴴ, sqrt(d)]`` with ``L w = G[I, k]`` and
    ``d = G[k, k] - ||w||^2`` (``d <= eps_dep G[k, k]`` means ``k`` depends
    on the selected atoms: stop code 2); then ``L z = alpha0[I]``,
    ``Lᴴ c = z`` and ``||r||^2 = ||y||^2 - ||z||^2``. The kernel updates
    ``alpha`` by one rank-one step per atom instead of recomputing
    ``G[:, I] c``, so an iteration costs ``O(K t)``, not the ``O(m K)`` of
    ``Aᴴ r``.

    References
    ----------
    .. [1] R. Rubinstein, M. Zibulevsky, M. Elad, "Efficient Implementation of
       the K-SVD Algorithm using Batch Orthogonal Matching Pursuit", Technical
       Report CS-2008-08, Computer Science Department, Technion, 2008.
    """
    S, K = alpha0.shape
    T = n_nonzero
    nb = max(1, min(S, n_blocks)) if _parallel(parallel, S * K * T) else 1
    # one workspace per block, allocated here: the compiled kernels allocate
    # nothing (less to compile on first use)
    dt = alpha0.dtype
    alpha, score, U, L, z, c, w = _workspaces(
        ((nb, K), dt, None),
        ((nb, K), norms2.dtype, None),
        ((nb, max(T - 1, 1), K), dt, None),
        ((nb, T, T), dt, 0),
        ((nb, T), dt, 0),
        ((nb, T), dt, 0),
        ((nb, T), dt, 0),
    )
    args = (G, alpha0, norms2, T, tol, use_tol, eps_corr2, eps_dep,
            norms2.dtype.type(1), support, coef, n_atoms, res2, stop, path,
            store_path, alpha, score, U, L, z, c, w)  # fmt: skip
    _run_blocks(_omp_signals, args, nb)


@njit(cache=True)
def _mp_one(
    G,
    a0,
    norm2,
    max_steps,
    max_atoms,
    tol,
    use_tol,
    positive,
    eps_corr2,
    alpha,
    score,
    pos,
    idx,
    coef,
    steps_k,
    steps_v,
    store_steps,
):
    """Matching pursuit for one signal; returns (n_steps, n_atoms, ||r||^2, code)."""
    K = a0.shape[0]
    res = norm2
    if use_tol and res <= tol:
        return 0, 0, max(res, 0.0), STOP_TOL
    floor = eps_corr2 * norm2
    for i in range(K):
        alpha[i] = a0[i]
        score[i] = alpha[i].real if positive else _abs2(alpha[i])
    n_steps = 0
    n_at = 0
    stop = STOP_BUDGET
    while n_steps < max_steps:
        k = _argmax(score)
        best = score[k]
        ok = (best > 0.0 and best * best > floor) if positive else best > floor
        if not ok:
            stop = STOP_ORTHOGONAL
            break
        p = pos[k]
        if p < 0:
            if n_at == max_atoms:
                stop = STOP_SUPPORT_FULL
                break
            p = n_at
            pos[k] = p
            idx[p] = k
            coef[p] = 0.0
            n_at += 1
        gkk = G[k, k].real
        ck = alpha[k]
        step = ck / gkk  # exact line search along a_k (G[k, k] = 1 up to rounding)
        coef[p] += step
        if store_steps:
            steps_k[n_steps] = k
            steps_v[n_steps] = step
        n_steps += 1
        res -= _abs2(ck) / gkk
        if use_tol and res <= tol:
            stop = STOP_TOL
            break
        if n_steps == max_steps:
            break
        row = G[k]
        for i in range(K):
            a = alpha[i] - np.conj(row[i]) * step
            alpha[i] = a
            score[i] = a.real if positive else _abs2(a)
    for j in range(n_at):
        pos[idx[j]] = -1
    return n_steps, n_at, max(res, 0.0), stop


@njit(cache=True)
def _mp_signals(
    G, alpha0, norms2, max_steps, max_atoms, tol, use_tol, positive, eps_corr2,
    support, coef, n_steps, n_atoms, res2, stop, steps_k, steps_v, store_steps,
    alphas, scores, poss, b, nb,
):  # fmt: skip
    """Matching pursuit for block ``b`` of ``nb`` of the signals on workspace
    ``b`` (as :func:`_omp_signals`)."""
    S = alpha0.shape[0]
    alpha, score, pos = alphas[b], scores[b], poss[b]
    for s in range(b * S // nb, (b + 1) * S // nb):
        sk = steps_k[s] if store_steps else steps_k[0]
        sv = steps_v[s] if store_steps else steps_v[0]
        ns, na, r, code = _mp_one(
            G, alpha0[s], norms2[s], max_steps, max_atoms, tol, use_tol, positive,
            eps_corr2, alpha, score, pos, support[s], coef[s], sk, sv, store_steps,
        )  # fmt: skip
        n_steps[s] = ns
        n_atoms[s] = na
        res2[s] = r
        stop[s] = code
    return np.int64(0)  # the int64 that call_kernel expects


def mp_gram(
    G,
    alpha0,
    norms2,
    max_steps,
    max_atoms,
    tol,
    use_tol,
    positive,
    eps_corr2,
    support,
    coef,
    n_steps,
    n_atoms,
    res2,
    stop,
    steps_k,
    steps_v,
    store_steps,
    n_blocks,
    parallel=None,
):
    """Matching pursuit for every signal (rows of ``alpha0``) on a Gram matrix.

    Each step picks ``k = argmax_i |alpha_i|`` (or ``argmax_i Re alpha_i`` if
    ``positive``), adds ``alpha_k / G[k, k]`` to atom ``k`` (which may be
    selected again) and updates ``alpha -= G[:, k] * step`` in ``O(K)``.

    ``support``/``coef`` are ``(S, max_atoms)``: distinct atoms in order of
    first selection and their accumulated coefficients. ``steps_k``/``steps_v``
    ``(S, max_steps)`` (or ``(1, 1)`` dummies) record every step when
    ``store_steps``. Other arguments as in :func:`omp_gram`.
    """
    S, K = alpha0.shape
    nb = max(1, min(S, n_blocks)) if _parallel(parallel, S * K * max_steps) else 1
    alpha, score, pos = _workspaces(
        ((nb, K), alpha0.dtype, None),
        ((nb, K), norms2.dtype, None),
        ((nb, K), np.int64, -1),
    )
    args = (G, alpha0, norms2, max_steps, max_atoms, tol, use_tol, positive,
            eps_corr2, support, coef, n_steps, n_atoms, res2, stop, steps_k,
            steps_v, store_steps, alpha, score, pos)  # fmt: skip
    _run_blocks(_mp_signals, args, nb)


@njit(cache=True, nogil=True)
def _residual_norms(At, Yt, support, coef, n_atoms, out, rs, b, nb):
    """``out[s]`` for block ``b`` of ``nb`` of the signals; ``rs[b]`` is its
    workspace (m,)."""
    S, m = Yt.shape
    r = rs[b]
    for s in range(b * S // nb, (b + 1) * S // nb):
        y = Yt[s]
        for i in range(m):
            r[i] = y[i]
        for j in range(n_atoms[s]):
            a = At[support[s, j]]
            cj = coef[s, j]
            for i in range(m):
                r[i] -= a[i] * cj
        acc = 0.0
        for i in range(m):
            acc += _abs2(r[i])
        out[s] = np.sqrt(acc)


def sparse_residual_norms(At, Yt, support, coef, n_atoms, out, n_blocks, parallel=None):
    """``out[s] = ||y_s - sum_j coef[s, j] * At[support[s, j]]||_2``.

    ``At`` is ``(K, m)`` with atoms in rows, ``Yt`` is ``(S, m)`` with signals
    in rows; only the first ``n_atoms[s]`` entries of a row of ``support`` and
    ``coef`` are read. ``O(m t)`` per signal instead of a dense ``A @ X``; in
    ``n_blocks`` parallel blocks from :data:`PARALLEL_MIN_WORK` updates on.
    """
    S, m = Yt.shape
    work = S * m * max(support.shape[1], 1)
    nb = max(1, min(S, n_blocks)) if _parallel(parallel, work) else 1
    (r,) = _workspaces(((nb, m), Yt.dtype, None))
    _run_blocks(_residual_norms, (At, Yt, support, coef, n_atoms, out, r), nb)


def _run_blocks(kernel, args, nb):
    """``kernel(*args, b, nb)`` for the blocks ``b < nb``: on the calling
    thread for one block or one Numba thread, else in parallel.

    The pursuits (``_omp_signals``, ``_mp_signals``) run in :func:`_in_blocks`,
    a ``prange`` loop that calls the serial kernel by its address: it
    compiles only that loop (0.4-0.7 s on first use), not a second,
    re-optimised copy of the kernel (2.5-3 s). The residual norms, a few
    percent of a pursuit's time, run on Python threads (the kernel releases
    the GIL), which compile nothing: about 20 us more per call than a
    ``prange`` loop, but 0.3 s less on first use. (The pursuits on Python
    threads measured 10% slower than in ``prange``: 52 against 47 ms for
    2000 signals of 256 x 1024, 2 threads.)
    """
    parts = min(nb, numba.get_num_threads())
    if parts <= 1:
        for b in range(nb):
            kernel(*args, b, nb)
        return
    if kernel is not _residual_norms:
        addr = kernel_address(kernel, *args, 0, 1)  # the serial specialisation
        _in_blocks(addr, args, np.empty(nb, dtype=np.int64))
        return
    blocks = itertools.count()  # next() is atomic under the GIL

    def work():
        for b in blocks:
            if b >= nb:
                return
            kernel(*args, b, nb)

    futures = [_executor().submit(work) for _ in range(parts - 1)]
    try:
        work()
    finally:
        for f in futures:
            f.result()


@njit(cache=True, parallel=True)
def _in_blocks(addr, args, done):
    """``kernel(*args, b, nb)`` for the kernel at ``addr`` (see
    :func:`~sparsela.kernels.cpu.wht.call_kernel`) and the blocks ``b < nb``
    in parallel; ``nb = done.size``, ``done[b]`` receives the return value.
    Compiled once per kernel and dtype."""
    nb = done.size
    for b in prange(nb):
        done[b] = call_kernel(addr, args + (np.int64(b), np.int64(nb)))
