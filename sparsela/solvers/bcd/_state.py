"""The block coordinate descent iteration, one signal at a time, as an
:class:`~sparsela.solvers._base.IterativeState` for the shared driver."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from scipy.special import expit

from ...kernels.cpu import bcd as _k
from .._base import ActiveSet, IterativeState
from ._anderson import Anderson
from ._model import Model, Penalty
from ._one_block import OneBlock
from ._rules import ORDER_RULES, greedy_block, pass_order

__all__ = ["BCDState", "SignalBCD"]

_P0 = 100  # first working-set size (blocks)
_INNER_RATIO = 0.3  # a working set is solved until its violation is 0.3 x the outer
_CHECK_EVERY = 10  # passes between two optimality checks on the working set
_MAX_PASSES = 10_000  # passes on one working set
_ANDERSON_K = 5
_MAX_NEWTON = 50  # proximal Newton steps on one working set (logistic)
_NEWTON_PASSES = 5  # coordinate passes on each Newton model
_STALL = 5  # iterations with frozen iterates: precision limit


class SignalBCD:
    """BCD on one signal: the coefficients ``x``, the fit ``R`` and what the
    rule and the stopping test need (full gradient, objective, gap or KKT).

    Each iteration selects a block by the rule and updates it: an order
    rule makes one pass over all blocks in its order; a greedy rule picks
    the working set (the best-scored blocks, the non-zero ones included,
    ``max(100, 2 |support|)`` of them) and solves the problem restricted to
    it by cyclic passes with Anderson extrapolation (proximal Newton steps
    for the logistic loss), until its optimality violation is below 0.3
    times the violation of the whole problem. With ``one_block``, each
    iteration selects and updates a single block instead.
    """

    def __init__(
        self, model: Model, pen: Penalty, lam: float, x0: np.ndarray, b: np.ndarray,
        aux: np.ndarray, *, rule: str, score_lips: np.ndarray, use_gap: bool,
        tol: float, kkt_scale: float, anderson: bool, rng: np.random.Generator,
        one_block: OneBlock | None = None,
    ) -> None:  # fmt: skip
        self.model, self.pen, self.lam = model, pen, float(lam)
        self.b, self.aux = b, aux
        self.rule, self.rng = rule, rng
        with np.errstate(divide="ignore"):
            # GS-L / GS-D: the distance in the metric of the curvature bound
            self.score_scale = np.where(score_lips > 0, 1 / np.sqrt(score_lips), 0.0)
        self.use_gap, self.tol, self.kkt_scale = use_gap, tol, kkt_scale
        self.anderson = anderson
        self.one_block = one_block
        # order rules with one block per iteration leave most blocks alone:
        # frozen means a whole pass without a move
        n_blocks = model.n_blocks
        if one_block is not None and one_block.variable:
            n_blocks = -(-model.n // one_block.tau)
        per_pass = one_block is not None and rule in ORDER_RULES
        self.stall_limit = _STALL * (n_blocks if per_pass else 1)
        self.x = np.array(x0, copy=True)
        self.R = model.fit(self.x, b)
        self.stall = 0
        self.dual = -np.inf
        # residuals of the last passes, for the dual extrapolation
        square = model.loss == 0 and use_gap
        self.ring = deque(maxlen=_ANDERSON_K + 1) if square else None
        self.eps = float(np.finfo(self.x.dtype).eps)
        self._refresh()

    # -- measures -----------------------------------------------------------------
    def _objective(self, R: np.ndarray, x: np.ndarray) -> float:
        return self.model.value(R, x, self.aux) + self.pen.value(x, self.lam)

    def _refresh(self) -> None:
        m = self.model
        self.grad = m.gradient(self.R, self.aux)
        self.P = self._objective(self.R, self.x)
        self.dist = self.pen.distance(self.x, self.grad, self.lam, m.perm, m.ptr)
        self.kkt = float(self.dist.max(initial=0.0)) / self.kkt_scale
        if self.use_gap:
            gap = m.gap(self.R, self.x, self.grad, self.aux, self.b, self.pen,
                        self.lam, self.P)  # fmt: skip
            # any feasible dual point bounds F* from below: keep the best
            self.dual = max(self.dual, self.P - gap)
            if self.P - self.dual > self.tol * abs(self.P):
                self.dual = max(self.dual, self._extrapolated_dual())
            gap = self.P - self.dual
            self.gap = max(gap, 0.0) / max(abs(self.P), np.finfo(np.float64).tiny)
        else:
            self.gap = None

    def _extrapolated_dual(self) -> float:
        """Dual objective at the extrapolated residual (least squares).

        The residuals of the last passes converge linearly; their Anderson
        extrapolation ``r_acc`` (coefficients from the differences, summing
        to 1) is close to the optimal residual, and ``theta = -s r_acc``,
        rescaled into the dual feasible set, certifies a far smaller gap than
        the current residual does (Massias, Gramfort, Salmon: dual
        extrapolation). Costs one product with ``A^H``.
        """
        ring = self.ring
        if ring is None or len(ring) < ring.maxlen:
            return -np.inf
        Rs = np.array(ring)
        U = np.diff(Rs, axis=0)
        try:
            c = np.linalg.solve((U.conj() @ U.T).real, np.ones(U.shape[0]))
        except np.linalg.LinAlgError:
            return -np.inf
        if not np.all(np.isfinite(c)) or c.sum() == 0:
            return -np.inf
        R_acc = np.ascontiguousarray((c / c.sum()) @ Rs[1:], dtype=self.R.dtype)
        g = self.model.gradient(R_acc, self.aux)
        s, conj = self.pen.dual_scale(-g, self.lam)
        # theta = -s r_acc: D = <y, theta> - 1/2 ||theta||^2 - g^*(A^H theta)
        y_r = float(np.vdot(self.b, R_acc).real)
        D = -s * y_r - 0.5 * s * s * float(np.vdot(R_acc, R_acc).real) - conj
        return D if np.isfinite(D) else -np.inf

    def converged(self) -> bool:
        if self.use_gap:
            return self.gap <= self.tol
        return self.kkt <= self.tol

    def stalled(self) -> bool:
        return self.stall >= self.stall_limit

    # -- one iteration ----------------------------------------------------------
    def step(self) -> bool:
        """One iteration; returns True when the objective became non-finite."""
        m = self.model
        x_old = self.x.copy()
        if self.one_block is not None:
            self.one_block.apply(self, *self.one_block.select(self))
        elif self.rule in ORDER_RULES:
            ws = pass_order(self.rule, m.lips, self.rng)
            m.epochs(self.R, self.x, ws, 1, self.pen, self.lam, self.aux)
        else:
            self._solve_working_set(self._working_set())
        # frozen: x moved by at most 100 rounding units (a fixed point)
        moved = np.abs(self.x - x_old).max(initial=0.0)
        frozen = moved <= 100 * self.eps * np.abs(self.x).max(initial=0.0)
        self.stall = self.stall + 1 if frozen else 0
        self._refresh()
        return not np.isfinite(self.P)

    def scores(self) -> np.ndarray:
        """The greedy rule's score of every block."""
        m, pen = self.model, self.pen
        if self.rule in ("gsq", "gsr"):
            return pen.model_decrease(
                self.x, self.grad, m.lips, self.lam, m.perm, m.ptr, self.rule == "gsr"
            )
        if self.rule == "gs":
            return self.dist
        return self.dist * self.score_scale

    def _working_set(self) -> np.ndarray:
        m = self.model
        nz = self.x != 0
        active = nz if m.perm is None else np.add.reduceat(nz[m.perm], m.ptr[:-1]) > 0
        size = max(_P0, 2 * int(active.sum()))
        return greedy_block(self.scores(), active, size)

    def _solve_working_set(self, ws: np.ndarray) -> None:
        m, pen, lam, aux = self.model, self.pen, self.lam, self.aux
        if m.loss == _k.LOSS_LOGISTIC and m.perm is None:
            self._prox_newton(ws)
            return
        coords = m.block_coords(ws)
        if m.perm is not None:
            sizes = m.ptr[ws + 1] - m.ptr[ws]
            lptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            lperm, lw = np.arange(coords.size), pen.weights[ws]
        target = _INNER_RATIO * float(self.dist.max(initial=0.0))
        acc = Anderson(_ANDERSON_K, coords.size, self.R.size, self.R.dtype)
        for it in range(1, _MAX_PASSES + 1):
            m.epochs(self.R, self.x, ws, 1, pen, lam, aux)
            if self.ring is not None:
                self.ring.append(self.R.copy())
            if self.anderson:
                out = acc.push(self.x[coords], self.R)
                if out is not None:
                    x_try = self.x.copy()
                    x_try[coords] = out[0]
                    if self._objective(out[1], x_try) < self._objective(self.R, self.x):
                        self.x, self.R = x_try, np.ascontiguousarray(out[1])
            if it % _CHECK_EVERY:
                continue
            g = m.gradient(self.R, aux, coords)
            if m.perm is None or pen.code != 3:
                d = pen.distance(self.x[coords], g, lam, None, None)
            else:
                d = pen.distance(self.x[coords], g, lam, lperm, lptr, lw)
            viol = float(d.max(initial=0.0))
            if viol <= target or viol <= 1e-3 * self.tol * self.kkt_scale:
                break

    def _prox_newton(self, ws: np.ndarray) -> None:
        """Proximal Newton steps on the working set (logistic loss).

        Each step solves the second-order model ``g^T d + 1/2 d^T A_W^T
        diag(h) A_W d + g(x + d)`` (``h = sigma (1 - sigma)``) by coordinate
        passes, which cost no exponential, then backtracks along ``d`` until
        the Armijo condition holds: ``F`` decreases at every step.
        """
        m, pen, lam, y = self.model, self.pen, self.lam, self.aux
        target = _INNER_RATIO * float(self.dist.max(initial=0.0))
        A0 = m.arrays[0]
        for _ in range(_MAX_NEWTON):
            p = expit(-y * self.R.astype(np.float64))
            g = m.gradient(self.R, y, ws)
            viol = float(pen.distance(self.x[ws], g, lam, None, None).max(initial=0.0))
            if viol <= target or viol <= 1e-3 * self.tol * self.kkt_scale:
                break
            h = p * (1.0 - p)
            if m.dense:
                hl = np.einsum("ij,ij,i->j", A0[:, ws], A0[:, ws], h)
            else:
                data, indices, indptr = m.arrays
                sq = np.abs(data) ** 2
                spans = [slice(indptr[j], indptr[j + 1]) for j in ws]
                hl = np.array([h[indices[c]] @ sq[c] for c in spans])
            lips = np.zeros(m.n)
            lips[ws] = hl
            goff = np.zeros(m.n)
            goff[ws] = g
            maux = np.concatenate([h, goff])
            xd = self.x.copy()
            Ad = np.zeros(m.m, dtype=self.R.dtype)
            m.epochs_with(_k.LOSS_NEWTON, Ad, xd, ws, _NEWTON_PASSES, pen, lam, maux,
                          lips)  # fmt: skip
            d = xd[ws] - self.x[ws]
            if not np.any(d):
                break
            F0 = self._objective(self.R, self.x)
            delta = float(g @ d) + pen.value(xd, lam) - pen.value(self.x, lam)
            t = 1.0
            for _ in range(30):  # Armijo backtracking along d
                x_try = self.x.copy()
                x_try[ws] += t * d
                R_try = self.R + t * Ad
                if self._objective(R_try, x_try) <= F0 + 1e-4 * t * min(delta, 0.0):
                    self.x, self.R = x_try, np.ascontiguousarray(R_try)
                    break
                t *= 0.5
            else:
                break

    def residual_norm(self) -> float:
        from ...kernels.cpu.bcd import LOSS_LOGISTIC, LOSS_QUADRATIC

        if self.model.loss == LOSS_LOGISTIC:
            from scipy.special import expit

            return float(np.linalg.norm((self.aux + 1) / 2 - expit(self.R)))
        if self.model.loss == LOSS_QUADRATIC:
            return float(np.linalg.norm(self.R - self.aux))
        return float(np.linalg.norm(self.R))


class BCDState(IterativeState):
    """The signals of one call; each runs its own :class:`SignalBCD`."""

    def __init__(self, signals: list[SignalBCD], single: bool) -> None:
        self.signals = signals
        self.single = single
        self.active = ActiveSet(len(signals))

    def _running(self) -> list[SignalBCD]:
        return [self.signals[j] for j in self.active.index]

    def step(self) -> np.ndarray:
        return np.array([s.step() for s in self._running()], dtype=bool)

    def converged(self) -> np.ndarray:
        return np.array([s.converged() for s in self._running()], dtype=bool)

    def stalled(self) -> np.ndarray:
        return np.array([s.stalled() for s in self._running()], dtype=bool)

    def retire(self, done: np.ndarray) -> None:
        pass  # every signal keeps its own arrays

    def solution(self) -> np.ndarray:
        return np.column_stack([s.x for s in self.signals])

    def record(self) -> dict[str, Any]:
        sig = self.signals
        out: dict[str, Any] = {"objective": np.array([s.P for s in sig])}
        if sig[0].use_gap:
            out["gap"] = np.array([s.gap for s in sig])
        out["kkt"] = np.array([s.kkt for s in sig])
        if self.single:
            out = {k: float(v[0]) for k, v in out.items()}
        return out
