"""Tipping & Faul's fast marginal-likelihood SBL as a state of the skeleton."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from ._common import GroupState, chol, significant

__all__ = ["FastState"]


def _posterior(P, idx, a, PhY, sigma2):
    """Posterior mean and ``diag Σ`` of the active set ``idx`` (``P = Φ^H Φ_a``)."""
    Sinv = P[idx] / sigma2
    Sinv[np.diag_indices(idx.size)] += a
    C = chol(Sinv)
    mu = scipy.linalg.cho_solve((C, True), PhY[idx] / sigma2, check_finite=False)
    Ci = scipy.linalg.solve_triangular(
        C, np.eye(idx.size), lower=True, check_finite=False
    )
    return mu, np.sum(np.abs(Ci) ** 2, axis=0)


class _Group:
    """Working values of one group: active list, ``α``, Gram columns, ``σ²``."""

    __slots__ = (
        "PhY",
        "Y",
        "active",
        "alpha",
        "floor",
        "pcols",
        "sigma2",
        "var_y",
        "y2",
    )

    def __init__(self, Y, PhY, y2, var_y, sigma2, floor):
        self.Y = Y
        self.PhY = PhY
        self.y2 = y2
        self.var_y = var_y
        self.sigma2 = sigma2
        self.floor = floor
        self.active: list[int] = []
        self.alpha: list[float] = []
        self.pcols: list[np.ndarray] = []


class FastState(GroupState):
    """Sequential marginal-likelihood maximisation, one group per entry.

    Works with ``α = 1/γ``. ``S_i, Q_i`` are the sparsity and quality
    factors; one basis function is added, re-estimated or deleted per
    iteration (the largest gain in the log evidence). The groups share the
    explicit matrix ``Phi``, its squared column norms ``col2``, ``Φ^H Y``
    (one product for every signal) and the Gram columns ``Φ^H φ_j`` (each
    formed once, for whichever group adds ``j``).
    """

    def __init__(
        self,
        Phi: np.ndarray,
        col2: np.ndarray,
        Y: np.ndarray,
        groups: list[np.ndarray],
        *,
        noise_var: np.ndarray | None,
        tol: float,
        significance: float | None,
        per_signal_history: bool,
    ) -> None:
        m, n = Phi.shape
        super().__init__(n, Y.shape[1], groups, Y.dtype, per_signal_history)
        self.Phi, self.Y = Phi, Y
        self.tol, self.significance = tol, significance
        self.learn_noise = noise_var is None
        self.col2 = col2
        self.cplx = Phi.dtype.kind == "c"
        self.usable = self.col2 > 0
        PhY = Phi.conj().T @ Y  # (n, n_signals)
        self._gram_cols: dict[int, np.ndarray] = {}
        self.work: list[_Group] = []
        for gi, cols in enumerate(groups):
            whole = cols.size == Y.shape[1]
            Yg = Y if whole else Y[:, cols]
            L = Yg.shape[1]
            y2 = float(np.vdot(Yg, Yg).real)
            var_y = float(np.var(Yg))
            floor = 1e-12 * y2 / (m * L)
            if self.learn_noise:
                sigma2 = max(0.1 * var_y, floor)
            else:
                sigma2 = float(noise_var[gi])
            w = _Group(Yg, PhY if whole else PhY[:, cols], y2, var_y, sigma2, floor)
            self.work.append(w)
            self.zero[gi] = self.conv[gi] = y2 == 0.0
            if not self.zero[gi]:
                self._start(w)

    def _gram_col(self, j: int) -> np.ndarray:
        col = self._gram_cols.get(j)
        if col is None:
            col = self._gram_cols[j] = self.Phi.conj().T @ self.Phi[:, j]
        return col

    def _start(self, w: _Group) -> None:
        """Start from the single best-aligned column."""
        col2, usable, L = self.col2, self.usable, w.Y.shape[1]
        proj = np.where(
            usable, np.sum(np.abs(w.PhY) ** 2, axis=1) / np.where(usable, col2, 1), 0
        )
        j0 = int(np.argmax(proj))
        excess = proj[j0] / L - w.sigma2  # |φ^H y|^2 / (L ||φ||^2) - σ²
        w.active = [j0]
        w.alpha = [
            col2[j0] / excess
            if excess > 0
            else col2[j0] ** 2
            / max(float(np.sum(np.abs(w.PhY[j0]) ** 2)) / L, np.finfo(float).tiny)
        ]
        w.pcols = [self._gram_col(j0)]

    def step(self) -> np.ndarray:
        index = self.active.index
        numerical = np.zeros(index.size, dtype=bool)
        self.new_rows()
        for p, gi in enumerate(index):
            numerical[p] = not self._step_group(gi)
        return numerical if numerical.any() else None

    def _step_group(self, gi: int) -> bool:
        w = self.work[gi]
        m, n = self.Phi.shape
        col2, tol = self.col2, self.tol
        Y, PhY, sigma2 = w.Y, w.PhY, w.sigma2
        L = Y.shape[1]
        idx = np.array(w.active)
        a = np.array(w.alpha)
        P = np.stack(w.pcols, axis=1)  # (n, k)
        Sinv = P[idx] / sigma2  # Φ_a^H Φ_a / σ²
        Sinv[np.diag_indices(idx.size)] += a
        C = chol(Sinv)
        Ci = scipy.linalg.solve_triangular(
            C, np.eye(idx.size), lower=True, check_finite=False
        )
        Sig = Ci.conj().T @ Ci
        mu = Sig @ PhY[idx] / sigma2  # (k, L)
        if not np.isfinite(mu).all():
            self.failed[gi] = True
            return False
        # sparsity / quality factors for every column
        T = P @ Sig
        s = col2 / sigma2 - np.sum(T * P.conj(), axis=1).real / sigma2**2
        q = (PhY - P @ mu) / sigma2
        # leave-one-out factors; for active j through Σ (no cancellation):
        # Σ_jj = 1 / (α_j + s_j) and μ_j = Σ_jj q_j
        dS = np.real(np.diag(Sig))
        s[idx] = np.maximum(1.0 / dS - a, 0.0)
        q[idx] = mu / dS[:, None]
        # ||q_j||^2 / L (for real data q * q: the same values, one pass fewer)
        q2 = np.abs(q) ** 2 if self.cplx else q * q
        c = (q2[:, 0] if L == 1 else np.sum(q2, axis=1)) / L
        theta = c - s
        is_act = np.zeros(n, dtype=bool)
        is_act[idx] = True

        gain = np.full(n, -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            add = (~is_act) & self.usable & (theta > 0)
            ia = np.flatnonzero(add)
            s_add = s[ia]
            gain[ia] = np.log(s_add / c[ia]) + theta[ia] / s_add
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
        any_add = ia.size > 0
        any_del = bool((~re).any()) and idx.size > 1

        # noise re-estimation (before the convergence test, as SparseBayes)
        R = Y - self.Phi[:, idx] @ mu
        R2 = float(np.vdot(R, R).real)
        dnoise = 0.0
        if self.learn_noise:
            gam_eff = float(np.sum(1.0 - a * np.real(np.diag(Sig))))
            new_s2 = R2 / (L * max(m - gam_eff, 1e-12))
            new_s2 = max(new_s2, w.floor, 1e-6 * w.var_y)
            dnoise = abs(math.log(new_s2 / sigma2))
        logdet = (
            m * math.log(sigma2)
            + 2.0 * float(np.sum(np.log(np.diag(C).real)))
            - float(np.sum(np.log(a)))
        )
        quad = (w.y2 / sigma2 - float(np.vdot(PhY[idx], mu).real) / sigma2) / L
        self.rows[gi] = (
            logdet + quad,
            math.sqrt(R2),
            float(np.max(dlog[np.isfinite(dlog)], initial=0.0)),
            sigma2,
            idx.size,
        )
        self.current[gi] = (idx, mu)

        if (
            not any_add
            and not any_del
            and float(np.max(dlog, initial=0.0)) <= tol
            and dnoise <= tol
        ):
            self.conv[gi] = True  # no basis function to add or delete
            return True
        if self.learn_noise and dnoise > 0:
            w.sigma2 = new_s2
        j = int(np.argmax(gain))
        if not np.isfinite(gain[j]) or gain[j] <= 0:
            # the noise moved: recompute the factors; else nothing increases
            # the evidence any more
            self.conv[gi] = not (self.learn_noise and dnoise > tol)
            return True
        if is_act[j]:
            pos = w.active.index(j)
            if theta[j] > 0:
                w.alpha[pos] = float(a_new[pos])
            else:
                del w.active[pos]
                del w.alpha[pos]
                del w.pcols[pos]
        else:
            w.active.append(j)
            w.alpha.append(float(s[j] ** 2 / theta[j]))
            w.pcols.append(self._gram_col(j))
        return True

    def _finish(self, gi: int) -> None:
        w = self.work[gi]
        cols = self.groups[gi]
        self.noise_var[gi] = w.sigma2
        if self.zero[gi] or self.failed[gi]:
            self.res[cols] = np.linalg.norm(w.Y, axis=0)
            return
        # final posterior with the final hyperparameters
        n = self.Phi.shape[1]
        idx = np.array(w.active)
        a = np.array(w.alpha)
        P = np.stack(w.pcols, axis=1)
        mu, dsig = _posterior(P, idx, a, w.PhY, w.sigma2)
        if self.significance is not None:
            keep = significant(mu, dsig, self.significance, n, np.iscomplexobj(w.Y))
            if not keep.all() and keep.any():
                idx, a, P = idx[keep], a[keep], P[:, keep]
                mu, _ = _posterior(P, idx, a, w.PhY, w.sigma2)
        order = np.argsort(idx)
        idx, a, mu = idx[order], a[order], mu[order]
        x = np.zeros((n, cols.size), dtype=self.X.dtype)
        x[idx] = mu
        self.X[:, cols] = x
        self.gamma[idx, gi] = 1.0 / a
        self.support[gi] = idx.astype(np.int64)
        self.res[cols] = np.linalg.norm(w.Y - self.Phi @ x, axis=0)
