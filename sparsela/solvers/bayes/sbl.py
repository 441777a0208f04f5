"""Sparse Bayesian learning: EM-SBL, M-SBL and the fast marginal-likelihood method.

Tipping (2001); Wipf & Rao (2004, 2007); Tipping & Faul (2003).
Specification: ALGORITHMS.md §5.3.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg
import scipy.stats

from ..._backend import to_numpy
from ..._result import SBLResult
from ..._validation import (
    check_array,
    check_finite,
    check_positive_int,
    check_scalar,
    result_dtype,
)
from ...operators import Dense, LinearOperator, aslinearoperator

__all__ = ["sbl"]

_METHODS = ("em", "fast")


def _as_matrix(A: Any) -> np.ndarray:
    if isinstance(A, LinearOperator):
        M = A.A if isinstance(A, Dense) else A.todense()
        M = np.asarray(to_numpy(M))
        check_finite(M, "A")
        return M if M.dtype.kind in "fc" else M.astype(np.float64)
    if hasattr(A, "toarray") or hasattr(A, "__cuda_array_interface__"):
        return _as_matrix(aslinearoperator(A))
    if hasattr(A, "todense") and not isinstance(A, np.ndarray):  # sparsela formats
        return _as_matrix(aslinearoperator(A))
    return check_array(to_numpy(A), "A", ndim=2, allow_int=True)


def _chol(S: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor; adds a tiny diagonal shift if round-off broke PD."""
    try:
        return scipy.linalg.cholesky(S, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        shift = 1e-12 * max(float(np.abs(np.diag(S)).max()), np.finfo(float).tiny)
        return scipy.linalg.cholesky(
            S + shift * np.eye(S.shape[0]), lower=True, check_finite=False
        )


class _EStep:
    """Posterior of the active coefficients for ``x ~ N(0, diag(g))``.

    Two exact forms: the Woodbury (measurement-space, ``O(m^2 k)``) form while
    more coefficients than measurements are active, the coefficient-space
    form (``O(k^3)``, on a cached Gram matrix) afterwards.
    """

    def __init__(self, Phi: np.ndarray, Y: np.ndarray) -> None:
        self.Phi = Phi
        self.Y = Y
        self.m = Phi.shape[0]
        self.y2 = float(np.vdot(Y, Y).real)
        self._gram_idx: np.ndarray | None = None
        self._gram: np.ndarray | None = None
        self._phy: np.ndarray | None = None

    def _gram_for(self, active):
        if self._gram_idx is None:
            P = self.Phi[:, active]
            self._gram_idx = active.copy()
            self._gram = P.conj().T @ P
            self._phy = P.conj().T @ self.Y
        pos = np.searchsorted(self._gram_idx, active)
        return self._gram[np.ix_(pos, pos)], self._phy[pos]

    def __call__(self, active, g, sigma2):
        """Return ``mu (k, L)``, ``diag Σ (k)``, ``log|Σ_y|``,
        ``tr(Y^H Σ_y^{-1} Y) / L`` and ``||Y - Φ mu||_F^2 / L``."""
        L = self.Y.shape[1]
        m = self.m
        k = active.size
        if k > m:  # Woodbury: Σ_y = σ² I + Φ G Φ^H
            P = self.Phi[:, active]
            S = (P * g) @ P.conj().T
            S[np.diag_indices(m)] += sigma2
            C = _chol(S)
            V = scipy.linalg.solve_triangular(C, P, lower=True, check_finite=False)
            W = scipy.linalg.solve_triangular(C, self.Y, lower=True, check_finite=False)
            mu = g[:, None] * (V.conj().T @ W)
            dsig = g - g**2 * np.sum(np.abs(V) ** 2, axis=0)
            logdet = 2.0 * float(np.sum(np.log(np.diag(C).real)))
            quad = float(np.vdot(W, W).real) / L
            # Y - Φ mu = σ² Σ_y^{-1} Y
            Z = scipy.linalg.solve_triangular(
                C, W, lower=True, trans="C", check_finite=False
            )
            res2 = sigma2**2 * float(np.vdot(Z, Z).real) / L
        else:  # Σ = G^{1/2} (I + σ^{-2} G^{1/2} Φ^H Φ G^{1/2})^{-1} G^{1/2}
            G, PhY = self._gram_for(active)
            sg = np.sqrt(g)
            B = (sg[:, None] * G * sg[None, :]) / sigma2
            B[np.diag_indices(k)] += 1.0
            C = _chol(B)
            b = sg[:, None] * PhY / sigma2
            u = scipy.linalg.cho_solve((C, True), b, check_finite=False)
            mu = sg[:, None] * u
            Ci = scipy.linalg.solve_triangular(
                C, np.eye(k), lower=True, check_finite=False
            )
            dsig = g * np.sum(np.abs(Ci) ** 2, axis=0)
            logdet = m * math.log(sigma2) + 2.0 * float(np.sum(np.log(np.diag(C).real)))
            quad = (self.y2 / sigma2 - float(np.vdot(b, u).real)) / L
            R = self.Y - self.Phi[:, active] @ mu
            res2 = float(np.vdot(R, R).real) / L
        return mu, np.maximum(dsig, 0.0), logdet, quad, res2


def _significant(mu, dsig, significance, n, is_complex):
    """Mask of the active coefficients whose posterior mean stands out of
    their posterior spread: ``d ||mu_j||^2 / Σ_jj >= chi2_{dL}.isf(α / n)``
    (``d = 2`` for complex data), a one-sided test at family-wise
    false-alarm rate ``α`` over the ``n`` columns (Bonferroni)."""
    d = 2 if is_complex else 1
    L = mu.shape[1]
    power = d * np.sum(np.abs(mu) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(dsig > 0, power / dsig, np.inf)
    return stat >= scipy.stats.chi2.isf(significance / n, d * L)


def _history():
    return {
        "objective": [],
        "residual": [],
        "gamma_change": [],
        "noise_var": [],
        "n_active": [],
        "time": [],
    }


def _sbl_em(
    Phi, Y, sigma2, learn_noise, floor, max_iter, tol, prune, callback, gamma0,
    significance,
):  # fmt: skip
    m, n = Phi.shape
    L = Y.shape[1]
    estep = _EStep(Phi, Y)
    history = _history()
    norms2 = np.sum(np.abs(Phi) ** 2, axis=0)
    if gamma0 is None:
        # flat start on the data's scale, E||y||^2 = sum_j γ_j ||a_j||^2: the
        # iterates are then equivariant to a rescaling of y
        gamma0 = float(np.vdot(Y, Y).real) / (L * float(norms2.sum()))
    gamma = np.where(norms2 > 0, gamma0, 0.0)  # zero columns never enter
    active = np.flatnonzero(norms2 > 0)
    t0 = time.perf_counter()
    status, message, n_iter = 1, f"reached max_iter={max_iter}", 0
    for it in range(1, max_iter + 1):
        n_iter = it
        g = gamma[active]
        keep = (g >= prune * g.max(initial=0.0)) & (g > 0)
        if not keep.all():
            active = active[keep]
        if active.size == 0:
            status, message = 2, "every coefficient was pruned: x = 0"
            break
        g = gamma[active]
        mu, dsig, logdet, quad, res2 = estep(active, g, sigma2)
        g_new = np.mean(np.abs(mu) ** 2, axis=1) + dsig
        if learn_noise:
            ratio = np.minimum(dsig / g, 1.0)
            sigma2 = max((res2 + sigma2 * float(np.sum(1.0 - ratio))) / m, floor)
        new = np.zeros(n)
        new[active] = g_new
        change = float(np.linalg.norm(new - gamma)) / max(
            float(np.linalg.norm(gamma)), np.finfo(float).tiny
        )
        gamma = new
        history["objective"].append(logdet + quad)
        history["residual"].append(math.sqrt(res2 * L))
        history["gamma_change"].append(change)
        history["noise_var"].append(sigma2)
        history["n_active"].append(int(active.size))
        history["time"].append(time.perf_counter() - t0)
        if not np.all(np.isfinite(g_new)):
            status, message = 2, "non-finite hyperparameters; stopped"
            break
        if callback is not None:
            x_cb = np.zeros((n, L), dtype=mu.dtype)
            x_cb[active] = mu
            if callback(x_cb) is True:
                status, message = 3, "stopped by the callback"
                break
        if change <= tol:
            status, message = 0, f"converged: relative change of gamma <= {tol:g}"
            break
    if status == 2:
        return (
            np.zeros((n, L), dtype=Y.dtype),
            gamma * 0,
            sigma2,
            np.zeros(0, int),
            (
                status,
                message,
                n_iter,
                history,
            ),
        )
    # final E-step with the final hyperparameters (pruned as before every E-step)
    g = gamma[active]
    keep = (g >= prune * g.max(initial=0.0)) & (g > 0)
    active = active[keep]
    mu, dsig, *_ = estep(active, gamma[active], sigma2)
    if significance is not None:
        keep = _significant(mu, dsig, significance, n, np.iscomplexobj(Y))
        if not keep.all() and keep.any():
            active = active[keep]
            mu, *_ = estep(active, gamma[active], sigma2)
    x = np.zeros((n, L), dtype=mu.dtype)
    x[active] = mu
    gamma_out = np.zeros(n)
    gamma_out[active] = gamma[active]
    return x, gamma_out, sigma2, active, (status, message, n_iter, history)


def _fast_posterior(P, idx, a, PhY, sigma2):
    """Posterior mean and ``diag Σ`` of the active set ``idx`` (``P = Φ^H Φ_a``)."""
    Sinv = P[idx] / sigma2
    Sinv[np.diag_indices(idx.size)] += a
    C = _chol(Sinv)
    mu = scipy.linalg.cho_solve((C, True), PhY[idx] / sigma2, check_finite=False)
    Ci = scipy.linalg.solve_triangular(
        C, np.eye(idx.size), lower=True, check_finite=False
    )
    return mu, np.sum(np.abs(Ci) ** 2, axis=0)


def _sbl_fast(
    Phi, Y, sigma2, learn_noise, floor, max_iter, tol, callback, significance
):
    """Tipping & Faul's sequential marginal-likelihood maximisation.

    Works with ``α = 1/γ``. ``S_i, Q_i`` are the sparsity and quality
    factors; one basis function is added, re-estimated or deleted per
    iteration (the largest gain in the log evidence); adding one costs one
    product with ``Φ^H``.
    """
    m, n = Phi.shape
    L = Y.shape[1]
    history = _history()
    col2 = np.sum(np.abs(Phi) ** 2, axis=0)
    PhY = Phi.conj().T @ Y  # (n, L)
    usable = col2 > 0
    y2 = float(np.vdot(Y, Y).real)
    var_y = float(np.var(Y))

    # start from the single best-aligned column
    proj = np.where(
        usable, np.sum(np.abs(PhY) ** 2, axis=1) / np.where(usable, col2, 1), 0
    )
    j0 = int(np.argmax(proj))
    active = [j0]
    cproj = proj[j0] / L  # |φ^H y|^2 / (L ||φ||^2)
    excess = cproj - sigma2
    alpha = [
        col2[j0] / excess
        if excess > 0
        else col2[j0] ** 2
        / max(float(np.sum(np.abs(PhY[j0]) ** 2)) / L, np.finfo(float).tiny)
    ]
    Pcols = [Phi.conj().T @ Phi[:, j0]]  # Φ^H φ_j for active j
    t0 = time.perf_counter()
    status, message, n_iter = 1, f"reached max_iter={max_iter}", 0
    a = np.array(alpha)
    mu = None
    for it in range(1, max_iter + 1):
        n_iter = it
        idx = np.array(active)
        a = np.array(alpha)
        P = np.stack(Pcols, axis=1)  # (n, k)
        Gk = P[idx]  # Φ_a^H Φ_a
        Sinv = Gk / sigma2
        Sinv[np.diag_indices(idx.size)] += a
        C = _chol(Sinv)
        Ci = scipy.linalg.solve_triangular(
            C, np.eye(idx.size), lower=True, check_finite=False
        )
        Sig = Ci.conj().T @ Ci
        mu = Sig @ PhY[idx] / sigma2  # (k, L)
        # sparsity / quality factors for every column
        T = P @ Sig
        S = col2 / sigma2 - np.sum(T * P.conj(), axis=1).real / sigma2**2
        Q = (PhY - P @ mu) / sigma2
        # leave-one-out factors; for active j through Σ (no cancellation):
        # Σ_jj = 1 / (α_j + s_j) and μ_j = Σ_jj q_j
        s = S.copy()
        q = Q.copy()
        dS = np.real(np.diag(Sig))
        s[idx] = np.maximum(1.0 / dS - a, 0.0)
        q[idx] = mu / dS[:, None]
        c = np.sum(np.abs(q) ** 2, axis=1) / L
        theta = c - s
        is_act = np.zeros(n, dtype=bool)
        is_act[idx] = True

        gain = np.full(n, -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            add = (~is_act) & usable & (theta > 0)
            gain[add] = np.log(s[add] / c[add]) + theta[add] / s[add]
            sa, ca = s[idx], c[idx]
            ell_old = np.log(a / (a + sa)) + ca / (a + sa)
            re = theta[idx] > 0
            a_new = np.where(re, sa**2 / np.where(re, theta[idx], 1.0), np.inf)
            ell_new = np.where(
                re, np.log(a_new / (a_new + sa)) + ca / (a_new + sa), 0.0
            )
            g_act = ell_new - ell_old
            if idx.size == 1:  # never delete the last basis function
                g_act = np.where(re, g_act, -np.inf)
            gain[idx] = g_act
        dlog = np.where(re, np.abs(np.log(np.where(re, a_new, 1.0) / a)), np.inf)
        any_add = bool(add.any())
        any_del = bool((~re).any()) and idx.size > 1

        # noise re-estimation (before the convergence test, as SparseBayes)
        R = Y - Phi[:, idx] @ mu
        R2 = float(np.vdot(R, R).real)
        dnoise = 0.0
        if learn_noise:
            gam_eff = float(np.sum(1.0 - a * np.real(np.diag(Sig))))
            new_s2 = R2 / (L * max(m - gam_eff, 1e-12))
            new_s2 = max(new_s2, floor, 1e-6 * var_y)
            dnoise = abs(math.log(new_s2 / sigma2))
        logdet = (
            m * math.log(sigma2)
            + 2.0 * float(np.sum(np.log(np.diag(C).real)))
            - float(np.sum(np.log(a)))
        )
        quad = (y2 / sigma2 - float(np.vdot(PhY[idx], mu).real) / sigma2) / L
        history["objective"].append(logdet + quad)
        history["residual"].append(math.sqrt(R2))
        history["gamma_change"].append(
            float(np.max(dlog[np.isfinite(dlog)], initial=0.0))
        )
        history["noise_var"].append(sigma2)
        history["n_active"].append(int(idx.size))
        history["time"].append(time.perf_counter() - t0)
        if callback is not None:
            x_cb = np.zeros((n, L), dtype=mu.dtype)
            x_cb[idx] = mu
            if callback(x_cb) is True:
                status, message = 3, "stopped by the callback"
                break

        if (
            not any_add
            and not any_del
            and float(np.max(dlog, initial=0.0)) <= tol
            and dnoise <= tol
        ):
            status, message = 0, "converged: no basis function to add or delete"
            break
        if learn_noise and dnoise > 0:
            sigma2 = new_s2
        j = int(np.argmax(gain))
        if not np.isfinite(gain[j]) or gain[j] <= 0:
            if learn_noise and dnoise > tol:
                continue  # the noise moved: recompute the factors
            status, message = 0, "converged: no action increases the evidence"
            break
        if is_act[j]:
            pos = active.index(j)
            if theta[j] > 0:
                alpha[pos] = float(a_new[pos])
            else:
                del active[pos]
                del alpha[pos]
                del Pcols[pos]
        else:
            active.append(j)
            alpha.append(float(s[j] ** 2 / theta[j]))
            Pcols.append(Phi.conj().T @ Phi[:, j])

    # final posterior with the final hyperparameters
    idx = np.array(active)
    a = np.array(alpha)
    P = np.stack(Pcols, axis=1)
    mu, dsig = _fast_posterior(P, idx, a, PhY, sigma2)
    if significance is not None:
        keep = _significant(mu, dsig, significance, n, np.iscomplexobj(Y))
        if not keep.all() and keep.any():
            idx, a, P = idx[keep], a[keep], P[:, keep]
            mu, _ = _fast_posterior(P, idx, a, PhY, sigma2)
    order = np.argsort(idx)
    idx, a, mu = idx[order], a[order], mu[order]
    x = np.zeros((n, L), dtype=mu.dtype)
    x[idx] = mu
    gamma = np.zeros(n)
    gamma[idx] = 1.0 / a
    return x, gamma, sigma2, idx, (status, message, n_iter, history)


def sbl(
    A: Any,
    y: Any,
    *,
    noise_var: float | None = None,
    method: str = "em",
    max_iter: int | None = None,
    tol: float = 1e-4,
    prune: float = 1e-3,
    gamma0: Any = None,
    significance: float | None = 0.05,
    callback: Callable[[np.ndarray], Any] | None = None,
) -> SBLResult:
    """Sparse Bayesian learning (SBL / relevance vector machine, and M-SBL).

    Recovers a sparse ``x`` from ``y = A x + noise`` by type-II maximum
    likelihood under ``x ~ N(0, diag(γ))``: the hyperparameters ``γ`` (and
    the noise variance, when not given) maximise the evidence ``p(y | γ)``;
    ``x`` is the posterior mean. With several columns in ``y`` the signals
    share ``γ``, hence their support (M-SBL).

    Parameters
    ----------
    A : array_like or LinearOperator of shape (m, n)
        Dictionary, real or complex. Operators and sparse matrices are
        turned into a dense matrix (SBL needs its columns).
    y : array_like of shape (m,) or (m, n_signals)
        Measurements, signals in columns.
    noise_var : float, optional
        Noise variance ``σ² > 0``. Learned when omitted (started at
        ``0.1 var(y)`` and floored at ``1e-12 ||y||^2 / m``; see Notes for the
        fast method).
    method : {"em", "fast"}, default="em"
        ``"em"``: expectation-maximisation on all ``γ`` at once (monotone;
        Woodbury form while more than ``m`` coefficients are active).
        ``"fast"``: Tipping & Faul's sequential method, which adds, re-estimates
        or deletes one basis function per iteration; a very sparse problem
        finishes in a few products with ``A^H``.
    max_iter : int, optional
        Iteration limit (default 1000).
    tol : float, default=1e-4
        ``"em"``: stop when ``||γ_new - γ|| / ||γ|| <= tol``. ``"fast"``: stop
        when no basis function would be added or deleted and every
        ``|Δ log γ|`` (and ``|Δ log σ²|``) is below ``tol``.
    prune : float, default=1e-3
        ``"em"`` only: coefficient ``j`` is deleted (irreversibly) when
        ``γ_j < prune * max γ``.
    gamma0 : float or array_like of shape (n,), optional
        ``"em"`` only: starting variances. Default: the flat value
        ``||y||^2 / ||A||_F^2``, which makes the result equivariant to a
        rescaling of ``y``. A start far below the coefficients' variance
        prunes faster (and more greedily).
    significance : float or None, default=0.05
        Final significance test: an active coefficient is kept only if its
        posterior mean stands out of its posterior spread,
        ``d ||μ_j||² / Σ_jj >= χ²_{d L}.isf(significance / n)`` (``d = 2``
        for complex data, ``L`` signals), a one-sided test whose family-wise
        false-alarm rate over the ``n`` columns is ``significance``
        (Bonferroni); the survivors are refitted. The evidence itself keeps
        columns that fit the noise (see Notes); this removes most of them.
        ``None`` keeps every coefficient that survived ``prune``.
    callback : callable, optional
        ``callback(x)`` after each iteration with the current posterior mean
        (shape ``(n, n_signals)``); returning ``True`` stops the solver.

    Returns
    -------
    SBLResult
        ``x`` (``(n,)`` or ``(n, n_signals)``, input precision), ``gamma``
        (zero where pruned), ``noise_var``, ``support`` (active indices),
        ``n_iter``, ``converged``, ``status`` (0 converged, 1 iteration limit,
        2 everything pruned or numerical trouble, 3 stopped by the callback),
        ``residual_norm`` (per signal for several), ``history``
        (``objective`` = ``log|Σ_y| + y^H Σ_y^{-1} y`` averaged over signals,
        ``residual``, ``gamma_change``, ``noise_var``, ``n_active``, ``time``).

    Raises
    ------
    ValueError
        Mismatched shapes, NaN or Inf, a non-positive ``noise_var``, an
        unknown ``method``, an empty ``A``.

    Notes
    -----
    E-step: ``Σ = (σ^{-2} A^H A + Γ^{-1})^{-1}``, ``μ = σ^{-2} Σ A^H y``,
    computed as ``μ = Γ A^H Σ_y^{-1} y`` and
    ``diag Σ = γ - γ² colsum(|R^{-1} A|²)`` with ``Σ_y = σ² I + A Γ A^H =
    R R^H`` (cost ``O(m² k)`` for ``k > m`` active coefficients), or in
    coefficient space (``O(k³)``) once ``k <= m``. M-step (EM):
    ``γ_j ← |μ_j|² + Σ_jj`` (mean of ``|μ_j|²`` over signals for M-SBL),
    ``σ² ← (||y - A μ||² + σ² Σ_j (1 - Σ_jj / γ_j)) / m``.

    Fast method: with ``s_j, q_j`` the sparsity and quality of column ``j``
    with respect to the model without it, the evidence is maximised in
    ``α_j = 1/γ_j`` by ``α_j = s_j² / (c_j - s_j)`` when ``c_j = ||q_j||²/L >
    s_j`` and ``α_j = ∞`` (column out) otherwise; each iteration takes the
    action with the largest gain. The noise variance is re-estimated as
    ``||y - A μ||² / (m - Σ_j (1 - α_j Σ_jj))`` (floored at ``1e-6 var(y)``
    as in SparseBayes). The fast method maximises the evidence more
    thoroughly than EM, and with noise the evidence also rewards columns that
    fit the noise (a noise-only column passes ``c_j > s_j`` with probability
    about 1/3): on noisy problems with many more columns than rows it keeps
    more spurious small coefficients than EM, and with a learned noise
    variance the two can feed each other. It is the method of choice for
    very sparse, noiseless or high-SNR problems (a ``k``-sparse noiseless
    problem takes about ``k`` iterations); use ``"em"`` otherwise.
    Computation is in double precision.

    References
    ----------
    .. [1] M. E. Tipping, "Sparse Bayesian learning and the relevance vector
       machine", J. Mach. Learn. Res. 1, 211-244, 2001.
    .. [2] D. P. Wipf and B. D. Rao, "Sparse Bayesian learning for basis
       selection", IEEE Trans. Signal Process. 52(8), 2004.
    .. [3] D. P. Wipf and B. D. Rao, "An empirical Bayesian strategy for
       solving the simultaneous sparse approximation problem", IEEE Trans.
       Signal Process. 55(7), 2007.
    .. [4] M. E. Tipping and A. C. Faul, "Fast marginal likelihood maximisation
       for sparse Bayesian models", AISTATS 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datasets import make_sparse_problem
    >>> from sparsela.solvers.bayes.sbl import sbl
    >>> A, y, x, _ = make_sparse_problem(100, 400, 10, snr_db=20, random_state=0)
    >>> res = sbl(A, y)
    >>> bool(np.linalg.norm(res.x - x) ** 2 < 1e-2 * np.linalg.norm(x) ** 2)
    True

    A very sparse noiseless problem: the fast method adds one column per
    iteration.

    >>> A, y, x, _ = make_sparse_problem(100, 1000, 4, snr_db=None, random_state=0)
    >>> fast = sbl(A, y, method="fast")
    >>> fast.support.tolist() == np.flatnonzero(x).tolist(), fast.n_iter <= 10
    (True, True)
    """
    Phi = _as_matrix(A)
    m, n = Phi.shape
    if m == 0 or n == 0:
        raise ValueError(
            f"A must have at least one row and one column, got {Phi.shape}"
        )
    if not np.any(Phi):
        raise ValueError("A must have at least one non-zero entry")
    y = check_array(to_numpy(y), "y", ndim=(1, 2), allow_int=True, allow_empty=False)
    if y.shape[0] != m:
        raise ValueError(f"y must have {m} rows to match A {Phi.shape}, got {y.shape}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if noise_var is not None:
        check_scalar(noise_var, "noise_var", min_val=0.0, include_min=False)
    if max_iter is None:
        max_iter = 1000
    check_positive_int(max_iter, "max_iter")
    check_scalar(tol, "tol", min_val=0.0)
    check_scalar(prune, "prune", min_val=0.0, max_val=1.0, include_max=False)
    if significance is not None:
        check_scalar(
            significance, "significance", min_val=0.0, max_val=1.0,
            include_min=False, include_max=False,
        )  # fmt: skip
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable")
    g0 = None
    if gamma0 is not None:
        g0 = check_array(gamma0, "gamma0", ndim=(0, 1), allow_int=True, dtype_kinds="f")
        if g0.ndim == 1 and g0.shape != (n,):
            raise ValueError(
                f"gamma0 must be a scalar or have shape ({n},), got {g0.shape}"
            )
        if np.any(g0 <= 0):
            raise ValueError("gamma0 must be positive")
        g0 = g0.astype(np.float64)

    out_dtype = result_dtype(Phi.dtype, y.dtype)
    work = np.complex128 if out_dtype.kind == "c" else np.float64
    Phi = Phi.astype(work, copy=False)
    single = y.ndim == 1
    Y = y.reshape(m, -1).astype(work, copy=False)
    L = Y.shape[1]
    y2 = float(np.vdot(Y, Y).real)
    floor = 1e-12 * y2 / (m * L)
    learn_noise = noise_var is None
    sigma2 = max(0.1 * float(np.var(Y)), floor) if learn_noise else float(noise_var)

    if y2 == 0.0:
        x = np.zeros((n, L), dtype=work)
        gamma = np.zeros(n)
        support = np.zeros(0, dtype=np.int64)
        info = (0, "y is zero: x = 0", 0, _history())
    elif method == "em":
        x, gamma, sigma2, support, info = _sbl_em(
            Phi, Y, sigma2, learn_noise, floor, max_iter, tol, prune, callback, g0,
            significance,
        )  # fmt: skip
    else:
        x, gamma, sigma2, support, info = _sbl_fast(
            Phi, Y, sigma2, learn_noise, floor, max_iter, tol, callback, significance
        )
    status, message, n_iter, history = info
    res = np.linalg.norm(Y - Phi @ x, axis=0)
    return SBLResult(
        x=(x[:, 0] if single else x).astype(out_dtype, copy=False),
        converged=status == 0,
        status=status,
        message=message,
        n_iter=n_iter,
        residual_norm=float(res[0]) if single else res,
        history=history,
        gamma=gamma,
        gammas=None,
        noise_var=float(sigma2),
        support=np.asarray(support, dtype=np.int64),
    )
