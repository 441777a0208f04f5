"""The Gram path: OMP and MP on a precomputed Gram matrix.

Every signal runs in one Numba kernel call (:mod:`sparsela.kernels.cpu.omp`),
in parallel over signals, touching only ``K``-length vectors. Two entry
points share the chunked kernel calls below:

* :func:`omp_gram` and :func:`mp_gram`, public, take ``G = Aᴴ A`` and
  ``Aᴴ Y`` as scikit-learn's ``orthogonal_mp_gram`` does: for callers that
  code many batches against one dictionary (dictionary learning, a
  matching-pursuit encoder), with light validation and no recomputation
  of ``G``;
* :func:`omp_on_gram` and :func:`mp_on_gram`, used by :func:`~sparsela.omp`
  and :func:`~sparsela.mp`, which form ``G`` and the correlations from ``A``
  and report exact residual norms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._result import OMPResult
from ..._scaling import ldexp, max_abs, shifts, square_range
from ..._validation import check_array, result_dtype
from ...kernels.cpu import omp as _k
from ._assemble import Picks, assemble, settle_tol
from ._atoms import Atoms, abs2, chunks, eps, n_blocks, real_dtype
from ._options import check_tol, default_n_nonzero, mp_budget, omp_n_nonzero
from ._signals import scaled_tol, tol_groups

__all__ = ["mp_gram", "mp_on_gram", "omp_gram", "omp_on_gram"]


# ---------------------------------------------------------------------------
# Kernel calls on one chunk of signals
# ---------------------------------------------------------------------------
def _omp_kernel(G, alpha0, norms2, T, tol, return_path, out: Picks, sl, nb):
    rdt = norms2.dtype
    eps_corr2, eps_dep = eps(rdt)
    s = sl.stop - sl.start
    path = np.zeros((s, T, T) if return_path else (1, 1, 1), alpha0.dtype)
    _k.omp_gram(
        G, alpha0, norms2, T, rdt.type(tol if tol is not None else 0.0),
        tol is not None, rdt.type(eps_corr2), rdt.type(eps_dep),
        out.support[sl], out.coef[sl], out.n_atoms[sl], out.res2[sl],
        out.stop[sl], path, return_path, nb,
    )  # fmt: skip
    out.n_iter[sl] = out.n_atoms[sl]
    if return_path:
        out.path[sl] = list(path)


def _mp_kernel(G, alpha0, norms2, max_steps, cap, tol, positive, return_path,
               out: Picks, sl, nb):  # fmt: skip
    rdt = norms2.dtype
    eps_corr2, _ = eps(rdt)
    s = sl.stop - sl.start
    shape = (s, max_steps) if return_path else (1, 1)
    steps_k = np.zeros(shape, dtype=np.int64)
    steps_v = np.zeros(shape, dtype=alpha0.dtype)
    _k.mp_gram(
        G, alpha0, norms2, max_steps, cap,
        rdt.type(tol if tol is not None else 0.0), tol is not None, positive,
        rdt.type(eps_corr2), out.support[sl], out.coef[sl], out.n_iter[sl],
        out.n_atoms[sl], out.res2[sl], out.stop[sl], steps_k, steps_v,
        return_path, nb,
    )  # fmt: skip
    if return_path:
        K = G.shape[0]
        n = out.n_iter[sl]
        out.path[sl] = [mp_path(steps_k[i], steps_v[i], int(n[i]), K) for i in range(s)]


def mp_path(steps_k: np.ndarray, steps_v: np.ndarray, n: int, K: int) -> np.ndarray:
    """Unit-atom coefficient path ``(K, n)`` from the per-step records."""
    P = np.zeros((K, n), dtype=steps_v.dtype)
    P[steps_k[:n], np.arange(n)] = steps_v[:n]
    return np.cumsum(P, axis=1)


# ---------------------------------------------------------------------------
# The Gram path of omp and mp (A known)
# ---------------------------------------------------------------------------
def _split_by_tol(tol, S: int, width: int, dt, rdt, return_path: bool, part):
    """Run ``part(rows, tol_rows)`` once per distinct ``tol`` (the kernels take
    one) and gather the results; None when one run does it all."""
    groups = list(tol_groups(tol, S))
    if len(groups) == 1:
        return None
    out = Picks.empty(S, width, dt, rdt, path=return_path)
    for value, rows in groups:
        out.put(rows, part(rows, np.full(rows.size, value)))
    return out


def omp_on_gram(atoms: Atoms, Y: np.ndarray, norms2: np.ndarray, T: int, tol,
                return_path: bool, G: np.ndarray | None = None) -> Picks:  # fmt: skip
    """Batch-OMP of every column of ``Y`` (squared norms ``norms2``, one ``tol``
    per signal or None), with exact residual norms."""
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    G = atoms.gram() if G is None else G

    def part(rows, t):
        return omp_on_gram(atoms, Y[:, rows], norms2[rows], T, t, return_path, G)

    split = _split_by_tol(tol, S, T, dt, rdt, return_path, part)
    if split is not None:
        return split
    tol = None if tol is None else float(tol[0]) if len(tol) else 0.0
    out = Picks.empty(S, T, dt, rdt, path=return_path)
    per_signal = dt.itemsize * (K + m + (T * T if return_path else 0))
    nb = n_blocks(dt.itemsize * T * K)
    for sl in chunks(S, per_signal):
        Yc = Y[:, sl]
        alpha0 = atoms.correlations(Yc)
        _omp_kernel(G, alpha0, norms2[sl], T, tol, return_path, out, sl, nb)
        out.res_norm[sl] = atoms.residual_norms(
            Yc, out.support[sl], out.coef[sl], out.n_atoms[sl]
        )
    return out


def mp_on_gram(atoms: Atoms, Y: np.ndarray, norms2: np.ndarray, max_steps: int,
               cap: int, tol, positive: bool, return_path: bool,
               G: np.ndarray | None = None) -> Picks:  # fmt: skip
    """Matching pursuit of every column of ``Y`` on the Gram matrix
    (``norms2``, ``tol``: as :func:`omp_on_gram`)."""
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    G = atoms.gram() if G is None else G

    def part(rows, t):
        return mp_on_gram(atoms, Y[:, rows], norms2[rows], max_steps, cap, t,
                          positive, return_path, G)  # fmt: skip

    split = _split_by_tol(tol, S, cap, dt, rdt, return_path, part)
    if split is not None:
        return split
    tol = None if tol is None else float(tol[0]) if len(tol) else 0.0
    out = Picks.empty(S, cap, dt, rdt, path=return_path)
    per_signal = dt.itemsize * (K + m + (2 * max_steps if return_path else 0))
    nb = n_blocks(dt.itemsize * K)
    for sl in chunks(S, per_signal):
        Yc = Y[:, sl]
        alpha0 = atoms.correlations(Yc)
        _mp_kernel(G, alpha0, norms2[sl], max_steps, cap, tol, positive,
                   return_path, out, sl, nb)  # fmt: skip
        out.res_norm[sl] = atoms.residual_norms(
            Yc, out.support[sl], out.coef[sl], out.n_atoms[sl]
        )
    return out


# ---------------------------------------------------------------------------
# Public Gram cores
# ---------------------------------------------------------------------------
def _check_gram(G: Any, AhY: Any, norms_squared: Any, tol: float | None):
    """Light validation of ``(G, AhY, norms_squared)``; unit-norm atoms.

    Returns ``(G, alpha0, norms2, norms, single, dtype)``: ``G`` and the rows
    ``alpha0`` ``(S, K)`` of the unit-norm atoms, C-contiguous in ``dtype``;
    ``norms2`` ``||y||^2`` or None; ``norms`` the atom norms ``sqrt(diag G)``
    (ones when the atoms have unit norm already).
    """
    G = check_array(G, "G", ndim=2, allow_int=True)
    if G.shape[0] != G.shape[1] or G.shape[0] == 0:
        raise ValueError(
            f"G must be a non-empty square Gram matrix A^H A, got shape {G.shape}"
        )
    K = G.shape[0]
    AhY = check_array(AhY, "AhY", ndim=(1, 2), allow_int=True)
    if AhY.shape[0] != K:
        raise ValueError(
            f"AhY must have {K} rows (G has shape {G.shape}), got AhY of shape "
            f"{AhY.shape}"
        )
    single = AhY.ndim == 1
    dt = result_dtype(G.dtype, AhY.dtype)
    rdt = real_dtype(dt)
    d2 = np.diagonal(G).real
    bad = np.flatnonzero(~(d2 > 0))
    if bad.size:
        raise ValueError(
            "G must have a positive diagonal (the squared norms of the atoms), "
            f"got G[{bad[0]}, {bad[0]}] = {G[bad[0], bad[0]]!r}"
        )
    norms = np.sqrt(d2).astype(rdt)
    # (K, S) -> (S, K) rows: free for an F-contiguous AhY (e.g. (Y^T A)^T)
    alpha0 = AhY.reshape(K, -1).T
    if np.all(np.abs(norms - 1) <= 4 * np.finfo(rdt).eps):
        norms = np.ones(K, dtype=rdt)  # unit-norm atoms: G used as it is
        G = np.ascontiguousarray(G, dtype=dt)
        alpha0 = np.ascontiguousarray(alpha0, dtype=dt)
    else:
        # one norm at a time: norms_i norms_j itself may over- or underflow
        G = np.ascontiguousarray(G / norms[:, None] / norms[None, :], dtype=dt)
        alpha0 = np.ascontiguousarray(alpha0 / norms, dtype=dt)
    S = alpha0.shape[0]
    norms2 = None
    if norms_squared is not None:
        norms2 = check_array(norms_squared, "norms_squared", ndim=(0, 1),
                             allow_int=True)  # fmt: skip
        norms2 = norms2.reshape(-1)
        if norms2.shape[0] != S or norms2.dtype.kind == "c":
            raise ValueError(
                f"norms_squared must hold {S} real values (one per signal), got "
                f"shape {norms2.shape} and dtype {norms2.dtype}"
            )
        if (norms2 < 0).any():
            raise ValueError("norms_squared must be >= 0")
        norms2 = np.ascontiguousarray(norms2, dtype=rdt)
    elif tol is not None:
        raise ValueError(
            "norms_squared (||y||^2 of each signal) is needed when tol is given"
        )
    return G, alpha0, norms2, norms, single, dt


def _scaled_rows(alpha0: np.ndarray, norms2, tol):
    """Signals (rows of ``alpha0``) whose squared size over- or underflows,
    scaled by powers of two: ``(shift, alpha0, kn2, tol per signal)``.

    ``kn2`` is ``||y||^2`` (``norms2``) or, without it, the largest
    ``|a_iᴴ y|^2`` (a lower bound for unit atoms), which stands in for it in
    the relative "orthogonal residual" test.
    """
    rdt = real_dtype(alpha0.dtype)
    given = norms2 is not None
    with np.errstate(over="ignore", under="ignore"):  # detected below
        kn2 = norms2 if given else abs2(alpha0).max(axis=1).astype(rdt)
    lo, hi = square_range(rdt)
    bad = np.flatnonzero(~((kn2 >= lo) & (kn2 <= hi)))
    shift = None
    if bad.size:
        size = max_abs(alpha0[bad], axis=1)
        if given:
            size = np.maximum(size, np.sqrt(kn2[bad]))
        e = shifts(size)
        keep = e != 0
        bad, e = bad[keep], e[keep]
    if bad.size:
        shift = np.zeros(alpha0.shape[0], dtype=np.int32)
        shift[bad] = e
        alpha0 = alpha0.copy()
        alpha0[bad] = ldexp(alpha0[bad], e[:, None])
        kn2 = kn2.copy()
        if given:
            kn2[bad] = ldexp(kn2[bad], 2 * e)
        else:
            kn2[bad] = abs2(alpha0[bad]).max(axis=1)
    return shift, alpha0, kn2, scaled_tol(tol, shift, alpha0.shape[0])


def _finish_norms(out: Picks, norms2, tol, kn2) -> None:
    # ||r||^2 of the kernels' recursion; unknown without ||y||^2
    if norms2 is None:
        out.res_norm[:] = np.nan
        return
    out.res_norm[:] = np.sqrt(out.res2)
    # the recursion ||y||^2 - ||z||^2 is accurate to about eps ||y||^2 (with a
    # margin): below that a residual is zero to working precision
    settle_tol(out, tol, np.sqrt(eps(kn2.dtype)[0]) * kn2.astype(np.float64))


def omp_gram(
    G: Any,
    AhY: Any,
    *,
    n_nonzero: int | None = None,
    tol: float | None = None,
    norms_squared: Any = None,
    return_path: bool = False,
) -> OMPResult:
    r"""Orthogonal matching pursuit from a precomputed Gram matrix.

    The Gram path of :func:`~sparsela.omp` (Batch-OMP) on ``G = Aᴴ A`` and
    ``Aᴴ Y`` given by the caller, as scikit-learn's ``orthogonal_mp_gram``:
    for coding many batches of signals against one dictionary, ``G`` is
    formed once and not recomputed, and the validation is light (shapes,
    dtypes, finite values, a positive diagonal).

    Parameters
    ----------
    G : array_like of shape (n, n)
        Gram matrix ``Aᴴ A`` of the dictionary, Hermitian (not checked). With
        unit-norm atoms (``diag(G) = 1`` to rounding) it is used as it is;
        otherwise a normalised copy is made.
    AhY : array_like of shape (n,) or (n, n_signals)
        Correlations ``Aᴴ y`` of the signal(s). An F-contiguous array (such
        as ``(Yᵀ A).T``) avoids a copy.
    n_nonzero : int, optional
        Largest number of atoms per signal, ``1 <= n_nonzero <= n``. Default
        ``max(int(0.1 * n), 1)`` when neither ``n_nonzero`` nor ``tol`` is
        given; ``n`` with ``tol`` alone.
    tol : float, optional
        Stop a signal once ``||y - A x||_2^2 <= tol``; needs
        ``norms_squared``.
    norms_squared : array_like of shape (n_signals,), optional
        ``||y||_2^2`` of each signal. Without it ``residual_norm`` is NaN and
        the "residual orthogonal to every atom" test is relative to
        ``max_i |a_iᴴ y|^2 / ||a_i||^2`` instead of ``||y||^2``.
    return_path : bool, default=False
        Also return the coefficients after each atom in ``path``.

    Returns
    -------
    OMPResult
        As :func:`~sparsela.omp`. ``residual_norm`` comes from the Cholesky
        recursion ``||r||^2 = ||y||^2 - ||z||^2``, not from ``y - A x``
        (``A`` is not known here): its square is accurate to rounding
        relative to ``||y||^2``, so a small norm is known to about
        ``sqrt(eps) ||y||``.

    Raises
    ------
    ValueError
        ``G`` not square or with a non-positive diagonal, ``AhY`` rows not
        matching ``G``, NaN or Inf, ``n_nonzero`` outside ``[1, n]``,
        negative ``tol``, ``tol`` without ``norms_squared``.
    TypeError
        Non-numeric input or a wrongly typed option.

    See Also
    --------
    sparsela.omp : the same from ``A`` and ``y`` (exact residual norms,
        operator path, callback).

    Notes
    -----
    Selection rule, stopping rules and status codes are those of
    :func:`~sparsela.omp`. The rank of ``A`` is not known from ``G``: with
    ``tol`` alone up to ``n`` atoms are tried, and a signal whose next atom
    depends on the selected ones stops with ``Status.NUMERICAL``. The
    residual is known only from the recursion, to about ``eps ||y||^2``: a
    residual below ``100 eps ||y||^2`` meets any smaller ``tol`` (``tol=0``)
    to that precision, as the message says. Signals whose correlations (or
    ``norms_squared``) over- or underflow when squared are scaled by a power
    of two first, and the answer scaled back.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.pursuit import omp_gram
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20, 50))
    >>> A /= np.linalg.norm(A, axis=0)
    >>> x_true = np.zeros(50)
    >>> x_true[[3, 17, 41]] = [1.0, -2.0, 0.5]
    >>> y = A @ x_true
    >>> res = omp_gram(A.T @ A, A.T @ y, n_nonzero=3, norms_squared=[y @ y])
    >>> res.support
    array([ 3, 17, 41])
    >>> bool(np.allclose(res.x, x_true)), res.residual_norm < 1e-6
    (True, True)
    """
    tol = check_tol(tol)
    G, alpha0, norms2, norms, single, dt = _check_gram(G, AhY, norms_squared, tol)
    S, K = alpha0.shape
    if n_nonzero is None and tol is None:
        n_nonzero = default_n_nonzero(K)
    n_nonzero = omp_n_nonzero(n_nonzero, K, f"the number of atoms {K}")
    T = n_nonzero if n_nonzero is not None else K
    shift, alpha0, kn2, tols = _scaled_rows(alpha0, norms2, tol)
    out = _omp_gram_run(G, alpha0, kn2, T, tols, return_path)
    _finish_norms(out, norms2, tols, kn2)
    return assemble(out, norms, single=single, name="omp",
                    tol_given=tol is not None,
                    budget_is_rule=n_nonzero is not None, shift=shift)  # fmt: skip


def _omp_gram_run(G, alpha0, kn2, T, tol, return_path) -> Picks:
    S, K = alpha0.shape
    dt = alpha0.dtype
    rdt = real_dtype(dt)
    split = _split_by_tol(tol, S, T, dt, rdt, return_path, lambda rows, t: (
        _omp_gram_run(G, alpha0[rows], kn2[rows], T, t, return_path)))  # fmt: skip
    if split is not None:
        return split
    tol = None if tol is None else float(tol[0]) if len(tol) else 0.0
    out = Picks.empty(S, T, dt, rdt, path=return_path)
    per_signal = dt.itemsize * (K + (T * T if return_path else 0))
    nb = n_blocks(dt.itemsize * T * K)
    for sl in chunks(S, per_signal):
        _omp_kernel(G, alpha0[sl], kn2[sl], T, tol, return_path, out, sl, nb)
    return out


def mp_gram(
    G: Any,
    AhY: Any,
    *,
    n_nonzero: int | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    positive: bool = False,
    norms_squared: Any = None,
    return_path: bool = False,
) -> OMPResult:
    r"""Matching pursuit from a precomputed Gram matrix.

    The Gram path of :func:`~sparsela.mp` on ``G = Aᴴ A`` and ``Aᴴ Y`` given
    by the caller: one ``O(n)`` update of the correlations per step, ``G``
    never recomputed, light validation (as :func:`omp_gram`).

    Parameters
    ----------
    G : array_like of shape (n, n)
        Gram matrix ``Aᴴ A``, Hermitian (not checked), positive diagonal.
    AhY : array_like of shape (n,) or (n, n_signals)
        Correlations ``Aᴴ y`` of the signal(s).
    n_nonzero : int, optional
        Largest number of distinct atoms per signal (``1 <= n_nonzero <=
        n``). Default ``max(int(0.1 * n), 1)`` when ``n_nonzero``, ``tol``
        and ``max_iter`` are all omitted.
    tol : float, optional
        Stop a signal once ``||y - A x||_2^2 <= tol``; needs
        ``norms_squared``.
    max_iter : int, optional
        Largest number of steps per signal. Default: ``n_nonzero`` when no
        ``tol`` is given, otherwise ``10 * n``.
    positive : bool, default=False
        Non-negative coefficients (real data only), as in :func:`~sparsela.mp`.
    norms_squared : array_like of shape (n_signals,), optional
        ``||y||_2^2`` of each signal; without it ``residual_norm`` is NaN.
    return_path : bool, default=False
        Also return ``x`` after each step in ``path``.

    Returns
    -------
    OMPResult
        As :func:`~sparsela.mp`; ``residual_norm`` from the recursion
        ``||r||^2 -= |u_kᴴ r|^2``.

    Raises
    ------
    ValueError
        As :func:`omp_gram`, ``max_iter < 1``, ``positive`` with complex
        data.
    TypeError
        Non-numeric input or a wrongly typed option.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.pursuit import mp_gram
    >>> A = np.eye(4)
    >>> y = np.array([0.0, 3.0, 0.0, -1.0])
    >>> res = mp_gram(A.T @ A, A.T @ y, n_nonzero=2, norms_squared=[y @ y])
    >>> res.x, res.support, res.residual_norm
    (array([ 0.,  3.,  0., -1.]), array([1, 3]), 0.0)
    """
    tol = check_tol(tol)
    G, alpha0, norms2, norms, single, dt = _check_gram(G, AhY, norms_squared, tol)
    S, K = alpha0.shape
    if positive and dt.kind == "c":
        raise ValueError("positive=True needs real G and AhY, got complex data")
    n_nonzero, max_iter, cap = mp_budget(n_nonzero, tol, max_iter, K, 10 * K)
    shift, alpha0, kn2, tols = _scaled_rows(alpha0, norms2, tol)
    out = _mp_gram_run(G, alpha0, kn2, max_iter, cap, tols, bool(positive),
                       bool(return_path))  # fmt: skip
    _finish_norms(out, norms2, tols, kn2)
    return assemble(out, norms, single=single, name="mp",
                    tol_given=tol is not None, budget_is_rule=tol is None,
                    shift=shift)  # fmt: skip


def _mp_gram_run(G, alpha0, kn2, max_iter, cap, tol, positive, return_path):
    S, K = alpha0.shape
    dt = alpha0.dtype
    rdt = real_dtype(dt)
    split = _split_by_tol(tol, S, cap, dt, rdt, return_path, lambda rows, t: (
        _mp_gram_run(G, alpha0[rows], kn2[rows], max_iter, cap, t, positive,
                     return_path)))  # fmt: skip
    if split is not None:
        return split
    tol = None if tol is None else float(tol[0]) if len(tol) else 0.0
    out = Picks.empty(S, cap, dt, rdt, path=return_path)
    per_signal = dt.itemsize * (K + (2 * max_iter if return_path else 0))
    nb = n_blocks(dt.itemsize * K)
    for sl in chunks(S, per_signal):
        _mp_kernel(G, alpha0[sl], kn2[sl], max_iter, cap, tol, positive,
                   return_path, out, sl, nb)  # fmt: skip
    return out
