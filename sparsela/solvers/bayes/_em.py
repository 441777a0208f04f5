"""EM sparse Bayesian learning (SBL, M-SBL) as a state of the solver skeleton."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from ..._result import Status
from ._common import GroupState, chi2_threshold, chol, norm, significant

__all__ = ["EMState", "EStep"]

_TINY = np.finfo(float).tiny
_MAX_ROUNDS = 25  # re-admission rounds per group (each one costs an E-step)


class EStep:
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

    def forget(self) -> None:
        """Drop the cached Gram matrix (the active set grew)."""
        self._gram_idx = self._gram = self._phy = None

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
            C = chol(S)
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
            C = chol(B)
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


class _Group:
    """Working values of one group of signals."""

    __slots__ = (
        "active",
        "change",
        "estep",
        "floor",
        "gamma",
        "rounds",
        "sigma2",
        "weak",
    )

    def __init__(self, estep, gamma, active, sigma2, floor):
        self.estep = estep
        self.gamma = gamma
        self.active = active
        self.sigma2 = sigma2
        self.floor = floor
        self.change = math.inf
        self.rounds = 0  # re-admission rounds so far
        self.weak = None  # columns that failed the significance test last E-step


class EMState(GroupState):
    """EM on all hyperparameters at once, one group of signals per entry.

    Every group keeps its own ``γ``, active set and noise variance; the
    groups share the explicit matrix ``Phi`` and its squared column norms
    ``col2``. A group stops
    (``converged``) when ``||γ_new - γ|| / ||γ|| <= tol``, numerically when
    every coefficient is pruned or ``γ`` becomes non-finite.
    """

    def __init__(
        self,
        Phi: np.ndarray,
        col2: np.ndarray,
        Y: np.ndarray,
        groups: list[np.ndarray],
        *,
        noise_var: np.ndarray | None,
        gamma0: list | None,
        prune: float,
        tol: float,
        significance: float | None,
        per_signal_history: bool,
    ) -> None:
        m, n = Phi.shape
        super().__init__(n, Y.shape[1], groups, Y.dtype, per_signal_history)
        self.Phi, self.Y = Phi, Y
        self.prune, self.tol, self.significance = prune, tol, significance
        self.learn_noise = noise_var is None
        self.cplx = Phi.dtype.kind == "c"
        self.col2 = norms2 = col2
        usable = norms2 > 0  # zero columns never enter
        self.work: list[_Group] = []
        for gi, cols in enumerate(groups):
            Yg = Y if cols.size == Y.shape[1] else Y[:, cols]
            L = Yg.shape[1]
            y2 = float(np.vdot(Yg, Yg).real)
            floor = 1e-12 * y2 / (m * L)
            if self.learn_noise:
                sigma2 = max(0.1 * float(np.var(Yg)), floor)
            else:
                sigma2 = float(noise_var[gi])
            g0 = None if gamma0 is None else gamma0[gi]
            if g0 is None:
                # flat start on the data's scale, E||y||^2 = sum_j γ_j ||a_j||^2:
                # the iterates are then equivariant to a rescaling of y
                g0 = y2 / (L * float(norms2.sum()))
            self.work.append(
                _Group(
                    EStep(Phi, Yg),
                    np.where(usable, g0, 0.0),
                    np.flatnonzero(usable),
                    sigma2,
                    floor,
                )
            )
            self.zero[gi] = self.conv[gi] = y2 == 0.0

    def _pruned(self, w: _Group) -> np.ndarray:
        g = w.gamma[w.active]
        thr = self.prune * g.max(initial=0.0)
        if g.size and g.min() >= thr and g.min() > 0:  # the common case
            return w.active
        small = g < thr
        if w.weak is not None:  # a significant coefficient stays, however small
            small &= np.isin(w.active, w.weak, assume_unique=True)
        keep = ~small & (g > 0)
        return w.active if keep.all() else w.active[keep]

    def step(self) -> np.ndarray:
        index = self.active.index
        numerical = np.zeros(index.size, dtype=bool)
        self.new_rows()
        m, n = self.Phi.shape
        for p, gi in enumerate(index):
            w = self.work[gi]
            w.active = self._pruned(w)
            if w.active.size == 0:
                numerical[p] = True
                self.rows[gi] = (np.nan, np.nan, np.nan, w.sigma2, 0)
                continue
            g = w.gamma[w.active]
            mu, dsig, logdet, quad, res2 = w.estep(w.active, g, w.sigma2)
            L = mu.shape[1]
            if self.cplx:
                g_new = np.mean(np.abs(mu) ** 2, axis=1) + dsig
            else:  # the same values as the line above, without a pass
                g_new = (
                    mu[:, 0] * mu[:, 0] if L == 1 else np.sum(mu * mu, axis=1) / L
                ) + dsig
            s2_old = w.sigma2
            if self.learn_noise:
                ratio = np.minimum(dsig / g, 1.0)
                w.sigma2 = max(
                    (res2 + w.sigma2 * float(np.sum(1.0 - ratio))) / m, w.floor
                )
            if self.significance is not None:
                w.weak = w.active[
                    ~significant(mu, dsig, self.significance, n, self.cplx)
                ]
            new = np.zeros(n)
            new[w.active] = g_new
            w.change = norm(new - w.gamma) / max(norm(w.gamma), _TINY)
            w.gamma = new
            self.rows[gi] = (
                logdet + quad,
                math.sqrt(res2 * L),
                w.change,
                w.sigma2,
                w.active.size,
            )
            self.current[gi] = (w.active, mu)
            if not np.all(np.isfinite(g_new)):
                numerical[p] = True
            self.conv[gi] = (
                w.change <= self.tol
                # a learned noise variance still moving moves x with it
                and abs(w.sigma2 - s2_old) <= self.tol * s2_old
                and not self._readmit(w)
            )
        if not numerical.any():
            return None
        self.failed[index[numerical]] = True
        return numerical

    def _readmit(self, w: _Group) -> bool:
        """Bring back pruned columns that the score test says belong (in place).

        Called when ``w`` meets the stopping rule; True when columns came
        back (the group then iterates on).

        Pruning is irreversible within EM, and it happens while the noise
        variance may still be far above its final value: a small true
        coefficient is then pruned as noise. At convergence the score
        statistic of each pruned column ``j``, ``d ||a_j^H Σ_y^{-1} Y||^2 /
        (a_j^H Σ_y^{-1} a_j)``, is chi-square with ``d L`` degrees of freedom
        when ``j`` does not belong; the columns above the level of the final
        significance test re-enter at the evidence-optimal variance
        ``γ_j = (c_j - s_j) / s_j^2`` (Tipping & Faul's re-estimate).
        """
        if self.significance is None or w.rounds >= _MAX_ROUNDS:
            return False
        out = np.flatnonzero((w.gamma == 0) & (self.col2 > 0))
        if out.size == 0:
            return False
        w.rounds += 1
        m, n = self.Phi.shape
        P = self.Phi[:, w.active]
        S = (P * w.gamma[w.active]) @ P.conj().T
        S[np.diag_indices(m)] += w.sigma2
        C = chol(S)
        Yg = w.estep.Y
        W = scipy.linalg.solve_triangular(C, Yg, lower=True, check_finite=False)
        V = scipy.linalg.solve_triangular(
            C, self.Phi[:, out], lower=True, check_finite=False
        )
        s = np.sum(np.abs(V) ** 2, axis=0)
        L = Yg.shape[1]
        c = np.sum(np.abs(V.conj().T @ W) ** 2, axis=1) / L
        d = 2 if self.cplx else 1
        thr = chi2_threshold(self.significance / n, d * L)
        with np.errstate(divide="ignore", invalid="ignore"):
            add = (s > 0) & (d * L * c >= thr * s)
        if not add.any():
            return False
        j = out[add]
        w.gamma[j] = (c[add] - s[add]) / s[add] ** 2
        w.active = np.union1d(w.active, j)
        w.estep.forget()
        return True

    def _finish(self, gi: int) -> None:
        w = self.work[gi]
        cols = self.groups[gi]
        self.noise_var[gi] = w.sigma2
        if self.zero[gi] or self.failed[gi]:
            self.res[cols] = np.linalg.norm(self.Y[:, cols], axis=0)
            return
        # final E-step with the final hyperparameters (pruned as before every one)
        active = self._pruned(w)
        if active.size == 0:
            self.end_status[gi] = Status.NUMERICAL
            self.res[cols] = np.linalg.norm(self.Y[:, cols], axis=0)
            return
        mu, dsig, *_ = w.estep(active, w.gamma[active], w.sigma2)
        if self.significance is not None:
            keep = significant(
                mu, dsig, self.significance, self.Phi.shape[1], np.iscomplexobj(self.Y)
            )
            if not keep.all() and keep.any():
                active = active[keep]
                mu, *_ = w.estep(active, w.gamma[active], w.sigma2)
        x = np.zeros((self.Phi.shape[1], cols.size), dtype=self.X.dtype)
        x[active] = mu
        self.X[:, cols] = x
        self.gamma[active, gi] = w.gamma[active]
        self.support[gi] = active.astype(np.int64)
        Yg = w.estep.Y
        self.res[cols] = np.linalg.norm(Yg - self.Phi @ x, axis=0)
