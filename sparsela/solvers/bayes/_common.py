"""What the SBL solvers share: signal groups, the group state and the result.

A *group* is a set of columns of ``Y`` that share their hyperparameters: one
group per column for independent signals, one group of every column for
joint sparsity (M-SBL). Each solver's state runs its groups on the solver
skeleton (:func:`sparsela.solvers._base.run`), one :class:`ActiveSet` entry
per group, and :func:`sbl_result` turns the finished state into an
:class:`~sparsela.SBLResult`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import scipy.linalg

from ..._result import SBLResult, Status, make_result
from ..._scaling import pow2_scale
from .._base import ActiveSet, History, IterativeState, run

__all__ = [
    "HISTORY_KEYS",
    "STATUS_WORDS",
    "GroupState",
    "Scaling",
    "chi2_threshold",
    "chol",
    "column_energy",
    "norm",
    "sbl_result",
    "signal_groups",
    "significant",
    "solve",
]

# per-iteration history of every SBL solver (``time`` is added by History)
HISTORY_KEYS = ("objective", "residual", "gamma_change", "noise_var", "n_active")

# the SBL wording of the shared numerical status, for the result's message
STATUS_WORDS = {
    int(Status.NUMERICAL): "every coefficient was pruned (x = 0) or the "
    "hyperparameters became non-finite",
}


def signal_groups(n_signals: int, joint: bool) -> list[np.ndarray]:
    """Columns solved together: all of them (joint) or one at a time."""
    if joint:
        return [np.arange(n_signals)]
    return [np.array([j]) for j in range(n_signals)]


class Scaling:
    """Internal units of an SBL solve, and how to undo them.

    The solvers work on ``c_A A`` and ``c_g y`` (powers of two; ``c_g`` per
    group of signals), whose entries are of order one, so that squared norms
    neither overflow nor underflow at any scale of the data (SBL is
    equivariant: ``x -> x c_g / c_A``, ``γ -> γ (c_g / c_A)^2``,
    ``σ² -> σ² c_g^2``). ``undo`` maps the finished state back.
    """

    def __init__(self, c_A: float, Y: np.ndarray, groups: list[np.ndarray]) -> None:
        self.c_A = c_A
        peak = np.max(np.abs(Y), axis=0) if Y.size else np.zeros(Y.shape[1])
        self.c_g = np.array([pow2_scale(float(peak[c].max())) for c in groups])
        self.col = np.ones(Y.shape[1])
        for gi, c in enumerate(groups):
            self.col[c] = self.c_g[gi]
        self.groups = groups
        # x = x_internal * x_fac (per column); γ = γ_internal * x_fac^2
        self.x_col = c_A / self.col
        self.x_grp = c_A / self.c_g

    def scale_y(self, Y: np.ndarray) -> np.ndarray:
        return Y if np.all(self.col == 1.0) else Y * self.col

    def unscale_x(self, X: np.ndarray) -> np.ndarray:
        return X * self.x_col

    def undo(self, state: GroupState, history: dict, per_signal: bool, m: int) -> None:
        """Back to the user's units: the outputs of ``state`` and ``history``."""
        with np.errstate(over="ignore", under="ignore"):
            state.X *= self.x_col
            state.gamma *= self.x_grp  # twice: the square may overflow
            state.gamma *= self.x_grp
            state.noise_var /= self.c_g
            state.noise_var /= self.c_g
            state.res /= self.col
            gammas = getattr(state, "gammas", None)
            if gammas is not None:
                for gi, g in enumerate(gammas):
                    if g is not None and len(g):
                        g[-1] = g[-1] * self.x_grp[gi] * self.x_grp[gi]
            c = self.c_g if per_signal else self.c_g[0]
            log_c = np.log(c)
            for key, f in (
                ("residual", lambda v: v / c),
                ("noise_var", lambda v: v / c / c),
                ("objective", lambda v: v - 2.0 * m * log_c),
            ):
                if key in history:
                    history[key] = [f(v) for v in history[key]]


def column_energy(Phi: np.ndarray) -> np.ndarray:
    """``sum_i |Phi_ij|^2`` per column (for real data ``Phi * Phi``: the same
    values in one pass over the matrix fewer)."""
    if Phi.dtype.kind == "c":
        return np.sum(np.abs(Phi) ** 2, axis=0)
    return np.sum(Phi * Phi, axis=0)


def norm(v: np.ndarray) -> float:
    """``np.linalg.norm`` of a real vector (the same value), without its overhead."""
    return math.sqrt(float(v.dot(v)))


def chol(S: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor; adds a tiny diagonal shift if round-off broke PD."""
    try:
        return scipy.linalg.cholesky(S, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        shift = 1e-12 * max(float(np.abs(np.diag(S)).max()), np.finfo(float).tiny)
        return scipy.linalg.cholesky(
            S + shift * np.eye(S.shape[0]), lower=True, check_finite=False
        )


@functools.lru_cache(maxsize=64)
def chi2_threshold(alpha: float, dof: int) -> float:
    """``chi2_dof.isf(alpha)``, computed once per level and degrees of freedom."""
    import scipy.stats  # 0.4 s to import: only when a test is asked for

    return float(scipy.stats.chi2.isf(alpha, dof))


def significant(
    mu: np.ndarray, dsig: np.ndarray, significance: float, n: int, is_complex: bool
) -> np.ndarray:
    """Mask of the active coefficients whose posterior mean stands out.

    ``d ||mu_j||^2 / Σ_jj >= chi2_{dL}.isf(α / n)`` (``d = 2`` for complex
    data): a one-sided test at family-wise false-alarm rate ``α`` over the
    ``n`` columns (Bonferroni).
    """
    d = 2 if is_complex else 1
    L = mu.shape[1]
    power = d * np.sum(np.abs(mu) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(dsig > 0, power / dsig, np.inf)
    return stat >= chi2_threshold(significance / n, d * L)


class GroupState(IterativeState):
    """Bookkeeping common to the SBL states: one running entry per group.

    Subclasses fill, per group ``gi``: ``self.zero[gi]`` (``y = 0``, set
    with ``conv[gi]`` before the first iteration), ``self.failed[gi]``
    (stopped numerically), ``self.conv[gi]`` (met the stopping rule this
    iteration), ``self.current[gi] = (rows, mu)`` (posterior mean
    on ``rows``, for the callback), the history row ``self.rows[gi]`` (the
    values of ``HISTORY_KEYS``; reset by ``new_rows`` each step), and
    in ``retire`` the outputs ``X``, ``gamma``, ``support``, ``noise_var``,
    ``res`` (per column) of the group. ``end_status[gi]`` overrides the
    status the skeleton gives (a final pruning that leaves nothing: the
    skeleton has already stopped the group when the final E-step finds it).
    """

    def __init__(
        self,
        n: int,
        n_cols: int,
        groups: list[np.ndarray],
        dtype: Any,
        per_signal_history: bool,
    ) -> None:
        G = len(groups)
        self.groups = groups
        self.active = ActiveSet(G)
        self.X = np.zeros((n, n_cols), dtype=dtype)
        self.gamma = np.zeros((n, G))
        self.support: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * G
        self.noise_var = np.zeros(G)
        self.res = np.zeros(n_cols)
        self.conv = np.zeros(G, dtype=bool)
        self.current: list[Any] = [None] * G
        self.end_status = np.full(G, -1, dtype=np.int64)
        self.zero = np.zeros(G, dtype=bool)  # y = 0: x = 0, no iteration
        self.failed = np.zeros(G, dtype=bool)  # stopped for a numerical reason
        self.rows: list[tuple | None] = [None] * G
        self.per_signal_history = per_signal_history

    def converged(self) -> np.ndarray | None:
        done = self.conv[self.active.index]
        return done if done.any() else None  # None: nothing to stop

    def retire(self, done: np.ndarray) -> None:
        for gi in self.active.index[done]:
            self._finish(gi)
            self.current[gi] = None

    def _finish(self, gi: int) -> None:  # pragma: no cover - interface
        """Write the outputs of group ``gi`` (its last state, final refit)."""
        raise NotImplementedError

    def new_rows(self) -> None:
        """Forget the history rows of the previous iteration."""
        if len(self.rows) == 1:
            self.rows[0] = None
        else:
            self.rows = [None] * len(self.rows)

    def solution(self) -> np.ndarray:
        X = self.X.copy()
        for gi in self.active.index:
            cur = self.current[gi]
            if cur is not None:
                rows, mu = cur
                X[np.ix_(rows, self.groups[gi])] = mu
        return X

    def record(self) -> dict[str, Any]:
        if self.per_signal_history:
            table = np.full((len(HISTORY_KEYS), len(self.rows)), np.nan)
            for gi, row in enumerate(self.rows):
                if row is not None:
                    table[:, gi] = row
            return dict(zip(HISTORY_KEYS, table, strict=True))
        row = self.rows[0]
        if row is None:
            row = (np.nan,) * len(HISTORY_KEYS)
        return dict(zip(HISTORY_KEYS, row, strict=True))

    def statuses(self) -> np.ndarray:
        """Final status of every group (the skeleton's, with overrides)."""
        status = self.active.status.copy()
        over = self.end_status >= 0
        status[over] = self.end_status[over]
        return status


def solve(
    state: GroupState,
    *,
    max_iter: int,
    callback: Any,
    single: bool,
    joint: bool,
    dtype: Any,
    details: dict[int, str],
    gammas_of: Any = None,
    scaling: Scaling | None = None,
) -> SBLResult:
    """Drive ``state`` with the skeleton's loop and assemble its result.

    With ``scaling``, ``state`` works in internal units: the callback sees
    and the result holds the user's.
    """
    history = History()
    if scaling is not None and callback is not None:
        user_callback = callback

        def callback(xk):
            return user_callback(scaling.unscale_x(xk))

    run(state, max_iter=max_iter, callback=callback, single=single, history=history)
    if scaling is not None:
        m = state.Y.shape[0]
        scaling.undo(state, history.values, not (single or joint), m)
    return sbl_result(
        state,
        single=single,
        joint=joint,
        dtype=dtype,
        history=history.as_dict(),
        details=details,
        gammas=None if gammas_of is None else gammas_of(state),
    )


def sbl_result(
    state: GroupState,
    *,
    single: bool,
    joint: bool,
    dtype: Any,
    history: dict,
    details: dict[int, str],
    gammas: list | None = None,
) -> SBLResult:
    """The result of an SBL state: per signal, or one for a joint group.

    Independent signals: per-signal ``status``, ``n_iter``,
    ``residual_norm``, ``noise_var``, ``support`` (list), ``gamma`` of shape
    ``(n, n_signals)``. Joint: one ``status``, ``n_iter``, ``noise_var``,
    ``support``, ``gamma`` (``(n,)``), and ``residual_norm`` per signal.
    """
    x = state.X.astype(dtype, copy=False)
    one = single or joint
    # every key, even when no iteration ran (y = 0)
    history = {k: [] for k in (*HISTORY_KEYS, "time")} | history
    per_signal: dict[str, Any] = {
        "support": state.support,
        "noise_var": state.noise_var,
    }
    if gammas is not None:
        per_signal["gammas"] = gammas
    res = make_result(
        SBLResult,
        x=x,
        status=state.statuses(),
        n_iter=state.active.n_iter,
        residual_norm=state.res[:1] if one else state.res,
        single=one,
        details=details,
        per_signal=per_signal,
        history=history,
        gamma=state.gamma[:, 0] if one else state.gamma,
    )
    if joint and not single:  # one status, but x and residuals per signal
        res.x = x
        res.residual_norm = state.res.copy()
    if state.zero.any():
        res.message += (
            "; y is zero: x = 0"
            if one
            else f"; {int(state.zero.sum())} of {state.zero.size} signals are zero: "
            "x = 0 there"
        )
    return res
