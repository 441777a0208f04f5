"""The (F)ISTA iteration on a batch of signals, an :class:`IterativeState` for
:func:`sparsela.solvers._base.run`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ..._result import Status, status_message
from ...datafits import Quadratic, _dot_cols64, _sq_cols
from ...kernels.cpu import prox as _k
from .._base import ActiveSet, IterativeState

__all__ = ["ProtocolPenalty", "ProxGradient"]

# Power-method budget of the constant-step mode (warm-started at the first
# gradient): the estimate approaches ||A|| from below, and the descent condition
# is checked at every step at no cost (A x is carried along), so a rough
# estimate is enough and an underestimate is corrected.
_POWER_ITER = 10
_POWER_TOL = 1e-2
_ETA = 2.0  # backtracking factor (Beck & Teboulle)
_RHO = 0.9  # adaptive backtracking: each iteration first tries L * _RHO
_MAX_TRIALS = 60  # every failed trial raises L by at least 10 %
# precision limit: 200 iterations without a 0.1 % better gap, the gap being
# within 1e4 rounding units (reachable in float32 with the default tol)
_STALL_ITER = 200
_STALL_GAP = 1e4
# rounding floor of the gap: 50 iterations without a 0.1 % better gap while
# the iterates move by at most 100 rounding units: x is a fixed point of the
# iteration in the working precision, and the gap cannot certify less
_FLOOR_ITER = 50
_QUIET = 100.0
# why a signal stopped, beyond its status (for the message)
_GAP_FLOOR, _NONFINITE, _STUCK, _FROZEN = 1, 2, 3, 4


class ProtocolPenalty:
    """The trusted penalty methods on top of the public prox protocol.

    For penalties without a fast path (user objects, subclasses that override
    ``prox``): one signal goes in 1-D as the caller's ``y`` was, the output is
    checked once per call, and the penalty keeps its own weight (``lam`` of
    the trusted calls is ignored).
    """

    def __init__(self, g: Any, single: bool) -> None:
        self.g = g
        self.single = single
        self.convex = bool(getattr(g, "convex", True))

    def _has_dual(self, lam: np.ndarray) -> bool:
        return bool(getattr(self.g, "has_dual", False))

    def _prox(self, V, steps, lam):
        if self.single:
            out = self.g.prox(V[:, 0], float(steps[0]))
            out = np.asarray(out).reshape(-1, 1)
        else:
            out = np.asarray(self.g.prox(V, steps))
        if out.shape != V.shape:
            raise ValueError(
                f"the penalty's prox returned shape {out.shape}, expected {V.shape}"
            )
        return np.ascontiguousarray(out, dtype=V.dtype)

    def _value(self, X, lam):
        val = self.g.value(X[:, 0]) if self.single else self.g.value(X)
        return np.atleast_1d(np.asarray(val, dtype=np.float64))

    def _dual_scale(self, Z, lam):
        s, conj = self.g.dual_scale(Z[:, 0] if self.single else Z)
        s = np.atleast_1d(np.asarray(s, dtype=np.float64))
        return s, np.atleast_1d(np.asarray(conj, dtype=np.float64))


def _take(a: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a[:, keep]) if a.ndim == 2 else a[keep]


@dataclass
class _Working:
    """Per-signal working arrays of the running signals, in ``active.index`` order.

    Columns of ``x``, ``A x`` and the gradient ``A^H (A x - y)`` at the
    current and the previous iterate, and one entry per signal of the rest.
    """

    B: np.ndarray  # the signals y
    X: np.ndarray
    AX: np.ndarray
    GX: np.ndarray
    Xp: np.ndarray
    AXp: np.ndarray
    GXp: np.ndarray
    lam: np.ndarray  # weight of the penalty
    t: np.ndarray  # momentum
    L: np.ndarray  # local Lipschitz estimate: the step is 1 / L
    P: np.ndarray  # objective F(x)
    pen: np.ndarray  # penalty value g(x)
    D: np.ndarray  # dual objective at the current dual point
    bnorm: np.ndarray  # ||y||
    change: np.ndarray  # ||x_k - x_{k-1}|| / ||x_k||
    gap: np.ndarray  # relative duality gap
    best_gap: np.ndarray
    no_progress: np.ndarray  # iterations since the gap last improved by 0.1 %
    quiet: np.ndarray  # iterations since x last moved by more than rounding

    def take(self, keep: np.ndarray) -> _Working:
        """The working arrays of the signals flagged ``keep``."""
        return _Working(
            **{f.name: _take(getattr(self, f.name), keep) for f in fields(self)}
        )


@dataclass
class _Trial:
    """A trial prox step of some running signals: the new point ``X``, its
    image ``AX``, the residual ``R = AX - y``, the momentum ``t``, and the
    statistics of :func:`~sparsela.kernels.cpu.prox.pair_stats` (``pair``)
    and ``residual_stats`` (``resid``)."""

    X: np.ndarray
    AX: np.ndarray
    R: np.ndarray
    t: np.ndarray
    pair: np.ndarray
    resid: np.ndarray

    def put(self, cols: np.ndarray, other: _Trial) -> None:
        """Replace the signals ``cols`` by those of ``other`` (a retrial)."""
        self.X[:, cols], self.AX[:, cols], self.R[:, cols] = other.X, other.AX, other.R
        self.t[cols], self.pair[:, cols] = other.t, other.pair
        self.resid[:, cols] = other.resid


class ProxGradient(IterativeState):
    """State of (F)ISTA on a batch of signals; only running signals cost work.

    The working arrays hold the running signals only; a finished signal is
    written out and dropped (:meth:`retire`). Keeping ``x``, ``A x`` and the
    gradient at the current and the previous iterate makes the extrapolated
    point, its image and its gradient linear combinations: one product with
    ``A^H`` per iteration and one with ``A`` per trial step.

    Parameters
    ----------
    f : Quadratic
        The datafit, with the solver's fast products.
    g : Penalty or ProtocolPenalty
        The penalty's trusted methods.
    lam : ndarray of shape (n_signals,)
        Per-signal weight of ``g`` (for the trusted methods).
    X0 : ndarray of shape (n, n_signals)
        Start.
    L0 : ndarray, "norm" or "rayleigh"
        Initial Lipschitz estimates, or how to get them from the first
        gradient.
    accelerated, restart, mode, tol : see ``_solvers._solve``.
    units : Units, optional
        The scaling of ``y`` and ``A`` (``x`` is reported to the callback in
        the caller's units; the norm estimate of ``A`` is rescaled).
    G0 : ndarray, optional
        ``A^H y`` of the (scaled) problem, reused as the first gradient when
        ``X0`` is 0.
    """

    def __init__(
        self, f: Quadratic, g: Any, lam: np.ndarray, X0: np.ndarray, L0: Any, *,
        accelerated: bool, restart: str | None, mode: str, tol: float,
        units: Any = None, G0: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        self.f = f
        self.g = g
        self.accelerated = accelerated
        self.restart = restart
        self.mode = mode
        self.rho = _RHO if mode == "adaptive" else 1.0
        self.tol = tol
        self.units = units
        self.use_gap = g._has_dual(lam) and g.convex
        Y = f.Y
        n, k = X0.shape
        self.active = ActiveSet(k)
        self.eps = float(np.finfo(Y.dtype).eps)
        self.tiny = np.finfo(np.float64).tiny
        start_at_zero = not np.any(X0)
        AX = np.zeros_like(Y) if start_at_zero else f._matmat(X0)
        R = AX - Y
        # the gradient at x = 0 is -A^H y, computed already by the caller
        GX = -G0 if start_at_zero and G0 is not None else f._gradient(R)
        if isinstance(L0, str) and L0 == "norm":
            est = self._lipschitz_estimate(GX[:, 0])
            if est is None:  # no usable estimate: fall back on backtracking
                self.mode, L0 = "monotone", "rayleigh"
            else:
                L0 = np.full(k, est)
        if isinstance(L0, str):
            L0 = f._rayleigh(GX)
        nR, _ = f._residual_stats(R)
        pen = g._value(X0, lam)
        self.w = _Working(
            B=Y, X=X0, AX=AX, GX=GX, Xp=X0, AXp=AX, GXp=GX, lam=lam,
            t=np.ones(k),
            L=np.maximum(np.asarray(L0, dtype=np.float64), self.tiny),
            P=0.5 * nR + pen, pen=pen,
            D=np.full(k, -np.inf),
            bnorm=np.sqrt(_sq_cols(Y) if units is None else units.sq),
            change=np.full(k, np.inf),
            gap=np.full(k, np.inf),
            best_gap=np.full(k, np.inf),
            no_progress=np.zeros(k, dtype=np.int64),
            quiet=np.zeros(k, dtype=np.int64),
        )  # fmt: skip
        # outputs for every signal
        self.x_out = np.empty_like(X0)
        self.ax_out = np.empty_like(Y)
        self.F_all = self.w.P.copy()
        self.gap_all = np.full(k, np.inf) if self.use_gap else None
        self.change_all = np.full(k, np.inf)
        self.L_all = self.w.L.copy()
        self.reason = np.zeros(k, dtype=np.int64)
        if self.use_gap:
            self._update_gap(nR)

    def _lipschitz_estimate(self, g0: np.ndarray) -> float | None:
        """Short power method on ``A^H A``, warm-started at the first gradient."""
        A = self.f.A
        if g0.dtype.kind == "c" and A.dtype.kind != "c":
            g0 = g0.real  # a real operator's top singular vectors are real
        x0 = g0 if np.any(g0) else None
        try:
            est = float(A.norm_est(max_iter=_POWER_ITER, tol=_POWER_TOL, x0=x0))
        except NotImplementedError:
            return None
        if self.units is not None:  # the norm of the scaled operator
            est = math.ldexp(est, -self.units.a)
        L = est * est
        if not math.isfinite(L) or L <= 0:
            return None
        return L

    def _update_gap(self, nR: np.ndarray) -> None:
        """Relative duality gap at ``X``: dual point from the rescaled residual.

        ``nR = ||A x - y||^2`` per signal. With ``z = A^H (y - A x)`` and
        ``theta = s (y - A x)`` the gap is, term by term non-negative,
        ``1/2 (1 - s)^2 ||r||^2 + (g(x) + g^*(s z) - s Re <z, x>)``: no term
        of the size of ``||y||^2`` cancels (``P - D`` formed from ``<y, r>``
        loses everything below ``eps ||y||^2``, the whole gap in float32).
        """
        w = self.w
        s, conj = self.g._dual_scale(-w.GX, w.lam)
        with np.errstate(invalid="ignore"):  # a non-finite P is caught by step()
            # s Re <z, x> = -s Re <x, A^H (A x - y)>, accumulated in float64
            fy = w.pen + conj + s * _dot_cols64(w.X, w.GX)
            gap_abs = 0.5 * (1.0 - s) ** 2 * nR + fy
            # the current dual point only: in float32 a maximum over noisy
            # dual values is biased upwards (below the true suboptimality)
            w.D = w.P - gap_abs
            gap = gap_abs / np.maximum(w.P, self.tiny)
        w.gap = np.where(np.isfinite(gap), np.maximum(gap, 0.0), np.inf)
        self.gap_all[self.active.index] = w.gap
        better = w.gap < w.best_gap * (1.0 - 1e-3)
        w.no_progress = np.where(better, 0, w.no_progress + 1)
        w.best_gap = np.minimum(w.best_gap, w.gap)

    # -- one iteration ---------------------------------------------------------------
    def _trial(self, cols: np.ndarray | None, L_try: np.ndarray) -> _Trial:
        """Extrapolate with the momentum that ``L_try`` implies, take the prox step.

        ``cols`` selects a subset of the running signals (``None``: all).
        """
        w = self.w
        pick = (
            (lambda a: a)
            if cols is None
            else (lambda a: np.ascontiguousarray(a[:, cols]))
        )
        X, Xp, GX, GXp = pick(w.X), pick(w.Xp), pick(w.GX), pick(w.GXp)
        AX, AXp, B = pick(w.AX), pick(w.AXp), pick(w.B)
        t = w.t if cols is None else w.t[cols]
        L = w.L if cols is None else w.L[cols]
        lam = w.lam if cols is None else w.lam[cols]
        if self.accelerated:  # Calatroni & Chambolle: t_k reflects L_k / L_{k-1}
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * (L_try / L) * t**2))
            beta = (t - 1.0) / t_new
        else:
            t_new, beta = t, np.zeros_like(t)
        steps = 1.0 / L_try
        V, W = np.empty_like(X), np.empty_like(X)
        _k.extrapolate_step(X, Xp, GX, GXp, beta, steps, V, W)
        AV = np.empty_like(AX)
        _k.extrapolate(AX, AXp, beta, AV)
        Xn = self.g._prox(W, steps, lam)
        AXn = self.f._matmat(Xn)
        R = np.empty(AXn.shape, dtype=np.result_type(AXn, B))
        ps, rs = np.empty((4, X.shape[1])), np.empty((3, X.shape[1]))
        _k.pair_stats(Xn, V, X, ps)
        _k.residual_stats(AXn, AV, B, R, rs)
        return _Trial(Xn, AXn, R, t_new, ps, rs)

    def step(self) -> np.ndarray:
        """One accepted proximal-gradient step for every running signal.

        Returns the signals whose objective became non-finite; they keep
        their last finite iterate.
        """
        w = self.w
        prev = (w.X, w.AX, w.P)
        L_try = w.L * self.rho
        trial = self._trial(None, L_try)
        ps, rs = trial.pair, trial.resid
        slack = (32.0 * self.eps * w.bnorm) ** 2
        for _ in range(_MAX_TRIALS):
            # descent condition ||A (x_k - y_k)||^2 <= L ||x_k - y_k||^2
            viol = rs[0] > L_try * ps[0] * (1.0 + 1e-6) + slack
            if not np.any(viol):
                break
            if self.mode == "monotone":
                L_try[viol] *= _ETA
            else:  # the Rayleigh quotient along the failed step bounds L from below
                rq = rs[0, viol] / ps[0, viol]
                L_try[viol] = np.maximum(1.1 * L_try[viol], 1.05 * rq)
            sub = np.flatnonzero(viol)
            trial.put(sub, self._trial(sub, L_try[sub]))
        Xn, AXn, t_new = trial.X, trial.AX, trial.t
        change = np.sqrt(ps[1]) / np.maximum(np.sqrt(ps[3]), self.tiny)
        change[ps[1] == 0] = 0.0
        pen = self.g._value(Xn, w.lam)
        Fn = 0.5 * rs[1] + pen
        if self.accelerated and self.restart == "gradient":
            t_new[ps[2] < 0] = 1.0  # <y_k - x_k, x_k - x_{k-1}> > 0
        elif self.accelerated and self.restart == "function":
            t_new[Fn > w.P] = 1.0
        w.Xp, w.AXp, w.GXp = w.X, w.AX, w.GX
        w.X, w.AX, w.P, w.pen = Xn, AXn, Fn, pen
        w.GX = self.f._gradient(trial.R)
        w.t, w.L = t_new, L_try
        w.change = change
        w.quiet = np.where(change <= _QUIET * self.eps, w.quiet + 1, 0)
        index = self.active.index
        self.F_all[index] = Fn
        self.change_all[index] = change
        if self.use_gap:
            self._update_gap(rs[1])
        bad = ~np.isfinite(w.P)
        if np.any(bad):  # keep the last finite iterate of those signals
            w.X[:, bad], w.AX[:, bad] = prev[0][:, bad], prev[1][:, bad]
            self.F_all[index[bad]] = prev[2][bad]
            self.reason[index[bad]] = _NONFINITE
        return bad

    def converged(self) -> np.ndarray:
        """Flags of the running signals that meet the stopping rule.

        With a gap: ``gap <= tol``, or the gap at its rounding floor above a
        ``tol`` the working precision cannot certify (it stopped improving
        while ``x`` stays put to rounding: a fixed point of the iteration).
        """
        w = self.w
        if not self.use_gap:
            return w.change <= self.tol
        met = w.gap <= self.tol
        near = w.gap <= _STALL_GAP * self.eps
        # frozen iterates cannot improve the gap; quiet ones, for a while, did not
        still = (w.quiet >= _FLOOR_ITER) & (w.no_progress >= _FLOOR_ITER)
        floor = ~met & near & ((w.change == 0) | still)
        self.reason[self.active.index[floor]] = _GAP_FLOOR
        return met | floor

    def stalled(self) -> np.ndarray | None:
        """Frozen iterates, or a gap stuck near rounding level while the
        iterates still move: precision limit."""
        if not self.use_gap:
            return None
        w = self.w
        stuck = (w.no_progress >= _STALL_ITER) & (w.gap <= _STALL_GAP * self.eps)
        frozen = w.change == 0
        index = self.active.index
        self.reason[index[stuck]] = _STUCK
        self.reason[index[frozen]] = _FROZEN
        return frozen | stuck

    def retire(self, done: np.ndarray) -> None:
        cols = self.active.index[done]
        w = self.w
        self.x_out[:, cols] = w.X[:, done]
        self.ax_out[:, cols] = w.AX[:, done]
        self.L_all[cols] = w.L[done]
        self.w = w.take(~done)

    def solution(self) -> np.ndarray:
        X = self.x_out.copy()
        X[:, self.active.index] = self.w.X
        return X if self.units is None else self.units.coef(X)

    def record(self) -> dict[str, Any]:
        pick = (lambda a: float(a[0])) if self.f.single else (lambda a: a.copy())
        F = self.F_all if self.units is None else self.units.energy(self.F_all)
        out = {"objective": pick(F), "rel_change": pick(self.change_all)}
        if self.use_gap:
            out["gap"] = pick(self.gap_all)
        return out

    def message(self, details: dict[int, str]) -> str:
        """The result's message: the status, and why where it is not plain."""
        status, reason = self.active.status, self.reason
        floor = (status == Status.CONVERGED) & (reason == _GAP_FLOOR)
        prec = np.finfo(self.f.Y.dtype).dtype
        words = {
            _GAP_FLOOR: f"the relative duality gap reached its rounding floor in "
            f"{prec}{{gap}}, above tol={self.tol:g}: it stopped decreasing while x "
            "stayed put to rounding, so x is optimal to working precision and "
            "the gap cannot certify less",
            _NONFINITE: "the objective became non-finite (the last finite "
            "iterate is returned)",
            _STUCK: "the duality gap stopped decreasing within 1e4 rounding "
            f"units of zero, above tol={self.tol:g}, while x still moved "
            "(precision limit)",
            _FROZEN: "the iterates froze (no change in the working precision) "
            f"with the duality gap above tol={self.tol:g}",
        }
        if self.f.single:
            code = int(reason[0])
            if floor[0]:
                gap = f" ({float(self.gap_all[0]):.2g})"
                return f"converged: {words[code].format(gap=gap)}"
            if status[0] == Status.NUMERICAL and code in words:
                return f"stopped (status 2, NUMERICAL): {words[code]}"
            return status_message(status[0], details)
        parts = []
        for code, text in words.items():
            flags = (reason == code) & ((status != Status.CONVERGED) | floor)
            if flags.any():
                text = text.format(gap="")
                parts.append(f"{int(flags.sum())} of {flags.size} signals: {text}")
        if floor.any():
            details = {**details, 0: details[0] + " or at its rounding floor"}
        return status_message(status, details, extra="; ".join(parts))
