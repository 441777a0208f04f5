"""The operator path: OMP and MP for any linear operator, on the skeleton driver.

Per iteration one ``Aᴴ R`` for all running signals (``rmatmat``) and the
chosen atoms ``A e_k`` (``columns``); nothing of size ``n x n`` is formed, so
``Kronecker``, ``Restriction @ WalshHadamard`` or a SciPy
``LinearOperator`` work without being formed. Each state does one atom (OMP)
or step (MP) per iteration for every running signal and runs on
:func:`sparsela.solvers._base.run`, which stops signals through the
:class:`~sparsela.solvers._base.ActiveSet` and calls the callback.

Both states *look ahead*: at the end of a step (and at the start) they pick
the next atom of each signal and check whether it can be taken, so that
``converged()`` and ``stalled()`` stop a signal before an iteration that
would add nothing, and every iteration adds exactly one atom or step to
every running signal (``n_iter`` counts them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...kernels.cpu import omp as _k
from .._base import ActiveSet, IterativeState, run
from ._assemble import CONTINUE, Picks
from ._atoms import Atoms, abs2, chunks, eps, scatter
from ._gram import mp_path

__all__ = ["MPState", "OMPState", "mp_operator", "omp_operator"]

_DONE_OMP = (_k.STOP_TOL, _k.STOP_ORTHOGONAL, _k.STOP_BUDGET)
_DONE_MP = (_k.STOP_TOL, _k.STOP_ORTHOGONAL, _k.STOP_BUDGET, _k.STOP_SUPPORT_FULL)


def _upper_solve(Rt: np.ndarray, z: np.ndarray, t: int) -> np.ndarray:
    """Solve ``Rt[:, :t, :t] c = z[:, :t]`` for each row, upper triangular."""
    S = Rt.shape[0]
    c = np.zeros((S, t), dtype=z.dtype)
    for j in range(t - 1, -1, -1):
        acc = z[:, j] - np.einsum("sl,sl->s", Rt[:, j, j + 1 : t], c[:, j + 1 : t])
        c[:, j] = acc / Rt[:, j, j]
    return c


# ---------------------------------------------------------------------------
# OMP
# ---------------------------------------------------------------------------
class OMPState(IterativeState):
    """OMP by a batched Gram-Schmidt (QR) update on the selected atoms.

    Working arrays hold the running signals, in the order of
    ``active.index``: residuals ``R`` ``(m, s)``, orthonormal bases ``Q``
    ``(s, T, m)`` of their supports with ``A_n[:, I] = Qᵀ Rt`` (``Rt`` upper
    triangular) and ``z = Qᴴ y``; all running signals hold ``t`` atoms. The
    next atom ``k`` of each signal, orthogonalised (``q``, ``h``, ``d``), is
    prepared by :meth:`_look_ahead`, with the signal's stop code (``code``).
    Finished signals are written into ``out`` at ``offset + index``.
    """

    def __init__(self, atoms: Atoms, Y: np.ndarray, norms2: np.ndarray, T: int,
                 tol: np.ndarray | None, return_path: bool, out: Picks,
                 offset: int = 0) -> None:  # fmt: skip
        m, K = atoms.shape
        s = Y.shape[1]
        dt = atoms.dtype
        self.atoms, self.T, self.tol = atoms, T, tol  # tol: one per signal
        self.out, self.offset = out, offset
        self.eps_corr2, self.eps_dep = eps(atoms.rdtype)
        self.active = ActiveSet(s)
        self.R = np.array(Y, dtype=dt, order="C")  # residuals
        self.norms2 = np.array(norms2, dtype=atoms.rdtype)
        self.res2 = self.norms2.copy()
        self.Q = np.zeros((s, T, m), dtype=dt)
        self.Rt = np.zeros((s, T, T), dtype=dt)
        self.z = np.zeros((s, T), dtype=dt)
        self.sup = np.zeros((s, T), dtype=np.int64)
        self.path = np.zeros((s, T, T), dtype=dt) if return_path else None
        self.t = 0
        self._look_ahead()

    def _look_ahead(self) -> None:
        """Next atom of each running signal, or why there is none (``code``)."""
        atoms, t, s = self.atoms, self.t, self.active.size
        m = atoms.shape[0]
        code = np.full(s, CONTINUE, dtype=np.int64)
        if self.tol is not None:
            code[self.res2 <= self.tol] = _k.STOP_TOL
        if t == self.T:
            code[code == CONTINUE] = _k.STOP_BUDGET
        self.k = np.zeros(s, dtype=np.int64)
        self.q = np.zeros((s, m), dtype=atoms.dtype)
        self.h = np.zeros((s, t), dtype=atoms.dtype)
        self.d = np.zeros(s, dtype=atoms.rdtype)
        go = np.flatnonzero(code == CONTINUE)
        if go.size:
            cols = np.arange(go.size)
            score = abs2(atoms.rmatmat(self.R[:, go]))
            if t:
                score[self.sup[go, :t].T, cols] = -1.0
            k = np.argmax(score, axis=0)
            orth = score[k, cols] <= self.eps_corr2 * self.norms2[go]
            code[go[orth]] = _k.STOP_ORTHOGONAL
            go, k = go[~orth], k[~orth]
        if go.size:
            U = atoms.columns(k).T  # (g, m) unit-norm atoms
            Qa = self.Q[go, :t]
            h = np.zeros((go.size, t), dtype=atoms.dtype)
            V = U.copy()
            for _ in range(2):  # classical Gram-Schmidt, twice (CGS2)
                if t:
                    h2 = np.einsum("stm,sm->st", Qa.conj(), V)
                    V -= np.einsum("stm,st->sm", Qa, h2)
                    h += h2
            d2 = abs2(V).sum(axis=1)
            dep = d2 <= self.eps_dep * abs2(U).sum(axis=1)
            code[go[dep]] = _k.STOP_DEPENDENT
            keep = ~dep
            go, d = go[keep], np.sqrt(d2[keep])
            self.k[go] = k[keep]
            self.q[go] = V[keep] / d[:, None]
            self.h[go] = h[keep]
            self.d[go] = d
        self.code = code

    def step(self) -> None:
        t = self.t
        q = self.q
        self.Q[:, t] = q
        self.Rt[:, :t, t] = self.h
        self.Rt[:, t, t] = self.d
        self.sup[:, t] = self.k
        zt = np.einsum("sm,ms->s", q.conj(), self.R)
        self.z[:, t] = zt
        self.R -= q.T * zt
        self.res2 = abs2(self.R).sum(axis=0)
        self.t = t + 1
        if self.path is not None:
            self.path[:, t, : t + 1] = _upper_solve(self.Rt, self.z, t + 1)
        self._look_ahead()

    def converged(self) -> np.ndarray:
        return np.isin(self.code, _DONE_OMP)

    def stalled(self) -> np.ndarray:
        # the next atom depends on the selected ones (Status.NUMERICAL)
        return self.code == _k.STOP_DEPENDENT

    def retire(self, done: np.ndarray) -> None:
        out, t = self.out, self.t
        rows = self.offset + self.active.index[done]
        out.support[rows, :t] = self.sup[done, :t]
        out.coef[rows, :t] = _upper_solve(self.Rt[done], self.z[done], t)
        out.n_atoms[rows] = t
        out.res_norm[rows] = np.sqrt(self.res2[done])
        out.stop[rows] = self.code[done]
        if self.path is not None:
            for r, P in zip(rows.tolist(), self.path[done], strict=True):
                out.path[r] = P
        keep = ~done
        self.R = self.R[:, keep]
        self.norms2, self.res2 = self.norms2[keep], self.res2[keep]
        if self.tol is not None:
            self.tol = self.tol[keep]
        self.Q, self.Rt, self.z = self.Q[keep], self.Rt[keep], self.z[keep]
        self.sup, self.code = self.sup[keep], self.code[keep]
        self.k, self.q, self.h, self.d = (
            self.k[keep],
            self.q[keep],
            self.h[keep],
            self.d[keep],
        )
        if self.path is not None:
            self.path = self.path[keep]

    def solution(self) -> np.ndarray:
        out, t = self.out, self.t
        support, coef, n = out.support.copy(), out.coef.copy(), out.n_atoms.copy()
        rows = self.offset + self.active.index
        support[rows, :t] = self.sup[:, :t]
        coef[rows, :t] = _upper_solve(self.Rt, self.z, t)
        n[rows] = t
        norms = self.atoms.norms
        return scatter(support, coef / norms[support], n, self.atoms.shape[1])


def omp_operator(atoms: Atoms, Y: np.ndarray, norms2: np.ndarray, T: int,
                 tol: np.ndarray | None, return_path: bool, callback: Any = None,
                 single: bool = False) -> Picks:  # fmt: skip
    """OMP of every column of ``Y`` on the operator path.

    ``norms2`` are the squared norms of the signals and ``tol`` one tolerance
    per signal (or None). Without a callback the signals run in chunks that
    bound the working memory; with one they run as one batch, so that the
    callback sees (and can stop) every signal.
    """
    m, K = atoms.shape
    S = Y.shape[1]
    out = Picks.empty(S, T, atoms.dtype, atoms.rdtype, path=return_path)
    out.status = np.zeros(S, dtype=np.int64)
    per_signal = atoms.dtype.itemsize * (T * m + 2 * K + 3 * m + T * T)
    parts = [slice(0, S)] if callback is not None else chunks(S, per_signal)
    for sl in parts:
        tl = None if tol is None else tol[sl]
        state = OMPState(atoms, Y[:, sl], norms2[sl], T, tl, return_path, out,
                         sl.start)  # fmt: skip
        run(state, max_iter=T, callback=callback, single=single)
        out.status[sl] = state.active.status
        out.n_iter[sl] = state.active.n_iter
    return out


# ---------------------------------------------------------------------------
# MP
# ---------------------------------------------------------------------------
class MPState(IterativeState):
    """Matching pursuit, one step per iteration for every running signal.

    Working arrays (running signals, order of ``active.index``): residuals
    ``R`` ``(m, s)``, the distinct atoms ``sup`` ``(s, cap)`` in order of
    first selection (-1 in free slots), their unit-atom coefficients
    ``coef``, and the prepared next step (atom ``k``, correlation ``ck``,
    slot or -1 for a new atom) with the stop code ``code``.
    """

    def __init__(self, atoms: Atoms, Y: np.ndarray, norms2: np.ndarray,
                 max_steps: int, cap: int, tol: np.ndarray | None, positive: bool,
                 return_path: bool, out: Picks) -> None:  # fmt: skip
        s = Y.shape[1]
        dt = atoms.dtype
        self.atoms, self.tol, self.positive = atoms, tol, positive
        self.max_steps, self.cap, self.out = max_steps, cap, out
        self.eps_corr2, _ = eps(atoms.rdtype)
        self.active = ActiveSet(s)
        self.R = np.array(Y, dtype=dt, order="C")
        self.norms2 = np.array(norms2, dtype=atoms.rdtype)
        self.res2 = self.norms2.copy()
        self.sup = np.full((s, cap), -1, dtype=np.int64)
        self.coef = np.zeros((s, cap), dtype=dt)
        self.n_at = np.zeros(s, dtype=np.int64)
        self.n_steps = 0
        shape = (s, max_steps) if return_path else (s, 0)
        self.steps_k = np.zeros(shape, dtype=np.int64)
        self.steps_v = np.zeros(shape, dtype=dt)
        self.return_path = return_path
        self._look_ahead()

    def _look_ahead(self) -> None:
        atoms, s = self.atoms, self.active.size
        code = np.full(s, CONTINUE, dtype=np.int64)
        if self.tol is not None:
            code[self.res2 <= self.tol] = _k.STOP_TOL
        if self.n_steps == self.max_steps:
            code[code == CONTINUE] = _k.STOP_BUDGET
        self.k = np.zeros(s, dtype=np.int64)
        self.ck = np.zeros(s, dtype=atoms.dtype)
        self.slot = np.full(s, -1, dtype=np.int64)
        go = np.flatnonzero(code == CONTINUE)
        if go.size:
            cols = np.arange(go.size)
            C = atoms.rmatmat(self.R[:, go])
            score = C.real if self.positive else abs2(C)
            k = np.argmax(score, axis=0)
            best = score[k, cols]
            floor = self.eps_corr2 * self.norms2[go]
            ok = (best > 0) & (best * best > floor) if self.positive else best > floor
            code[go[~ok]] = _k.STOP_ORTHOGONAL
            go, k, ck = go[ok], k[ok], C[k[ok], cols[ok]]
            hit = self.sup[go] == k[:, None]
            known = hit.any(axis=1)
            full = ~known & (self.n_at[go] >= self.cap)
            code[go[full]] = _k.STOP_SUPPORT_FULL
            keep = ~full
            go = go[keep]
            self.k[go] = k[keep]
            self.ck[go] = ck[keep]
            self.slot[go] = np.where(known, hit.argmax(axis=1), -1)[keep]
        self.code = code

    def step(self) -> None:
        rows = np.arange(self.active.size)
        new = np.flatnonzero(self.slot < 0)
        self.slot[new] = self.n_at[new]
        self.sup[new, self.n_at[new]] = self.k[new]
        self.n_at[new] += 1
        U = self.atoms.columns(self.k)  # (m, s) unit-norm atoms
        stepv = self.ck / abs2(U).sum(axis=0)
        self.coef[rows, self.slot] += stepv
        if self.return_path:
            self.steps_k[:, self.n_steps] = self.k
            self.steps_v[:, self.n_steps] = stepv
        self.R -= U * stepv
        self.res2 = abs2(self.R).sum(axis=0)
        self.n_steps += 1
        self._look_ahead()

    def converged(self) -> np.ndarray:
        return np.isin(self.code, _DONE_MP)

    def retire(self, done: np.ndarray) -> None:
        out = self.out
        rows = self.active.index[done]
        n_at = self.n_at[done]
        kept = np.arange(self.cap)[None, :] < n_at[:, None]
        out.support[rows] = np.where(kept, self.sup[done], 0)
        out.coef[rows] = self.coef[done]
        out.n_atoms[rows] = n_at
        out.res_norm[rows] = np.sqrt(self.res2[done])
        out.stop[rows] = self.code[done]
        if self.return_path:
            K = self.atoms.shape[1]
            for r, sk, sv in zip(rows.tolist(), self.steps_k[done],
                                 self.steps_v[done], strict=True):  # fmt: skip
                out.path[r] = mp_path(sk, sv, self.n_steps, K)
        keep = ~done
        self.R = self.R[:, keep]
        self.norms2, self.res2 = self.norms2[keep], self.res2[keep]
        if self.tol is not None:
            self.tol = self.tol[keep]
        self.sup, self.coef, self.n_at = (
            self.sup[keep],
            self.coef[keep],
            self.n_at[keep],
        )
        self.steps_k, self.steps_v = self.steps_k[keep], self.steps_v[keep]
        self.code, self.k = self.code[keep], self.k[keep]
        self.ck, self.slot = self.ck[keep], self.slot[keep]

    def solution(self) -> np.ndarray:
        out = self.out
        support, coef, n = out.support.copy(), out.coef.copy(), out.n_atoms.copy()
        rows = self.active.index
        support[rows] = np.maximum(self.sup, 0)
        coef[rows] = self.coef
        n[rows] = self.n_at
        norms = self.atoms.norms
        return scatter(support, coef / norms[support], n, self.atoms.shape[1])


def mp_operator(atoms: Atoms, Y: np.ndarray, norms2: np.ndarray, max_steps: int,
                cap: int, tol: np.ndarray | None, positive: bool,
                return_path: bool, callback: Any = None,
                single: bool = False) -> Picks:  # fmt: skip
    """Matching pursuit of every column of ``Y`` on the operator path
    (``norms2``, ``tol``: as :func:`omp_operator`)."""
    S = Y.shape[1]
    out = Picks.empty(S, cap, atoms.dtype, atoms.rdtype, path=return_path)
    state = MPState(atoms, Y, norms2, max_steps, cap, tol, positive, return_path,
                    out)  # fmt: skip
    run(state, max_iter=max_steps, callback=callback, single=single)
    out.status = state.active.status
    out.n_iter = state.active.n_iter
    return out
