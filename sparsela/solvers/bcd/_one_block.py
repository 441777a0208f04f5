"""One block per iteration (the setting of Nutini, Laradji and Schmidt):
select a block of the partition, or a variable block of ``tau`` coordinates,
and update it with a gradient or a matrix step."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ...kernels.cpu import bcd as _k
from ._rules import ORDER_RULES, pass_order

__all__ = ["OneBlock", "solve_block_bound"]

_INNER_SWEEPS = 500  # coordinate sweeps on a block's quadratic bound (matrix update)


def solve_block_bound(H, g, xb, pen, lam, weight=1.0) -> np.ndarray:
    """``argmin_v g^H (v - x_b) + 1/2 (v - x_b)^H H (v - x_b) + g_b(v)``.

    The matrix update: without penalty a Cholesky solve (a least-squares
    solve where ``H`` is singular); with a penalty, coordinate descent on the
    block's quadratic (each step decreases it, so the update never increases
    ``F``; prox-gradient steps for the group penalty).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.bcd._one_block import solve_block_bound
    >>> H = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> v = solve_block_bound(H, np.array([-1.0, 1.0]), np.zeros(2), None, 0.0)
    >>> bool(np.allclose(H @ v, [1.0, -1.0]))
    True
    """
    if pen is None or pen.code == _k.PEN_NONE:
        try:
            d = -scipy.linalg.cho_solve(scipy.linalg.cho_factor(H), g)
        except np.linalg.LinAlgError:
            d = -np.linalg.lstsq(H, g, rcond=None)[0]
        return xb + d
    v = xb.astype(np.result_type(xb, H, g), copy=True)
    q = np.array(g, copy=True)  # gradient of the quadratic at v
    if pen.code == _k.PEN_GROUP:
        L = float(np.linalg.eigvalsh(H)[-1]) if v.size else 0.0
        if L <= 0:
            return v
        for _ in range(_INNER_SWEEPS):
            w = v - q / L
            nrm = np.linalg.norm(w)
            t = lam * weight / L
            new = w * (max(0.0, 1 - t / nrm) if nrm > 0 else 0.0)
            if np.array_equal(new, v):
                break
            q = q + H @ (new - v)
            v = new
        return v
    diag = np.real(np.diag(H))
    for _ in range(_INNER_SWEEPS):
        moved = 0.0
        for i in range(v.size):
            if diag[i] <= 0:
                continue
            z = v[i] - q[i] / diag[i]
            t = lam / diag[i]
            if pen.code == _k.PEN_L1:
                a = abs(z)
                new = z * (1 - t / a) if a > t else 0.0 * z
            else:
                new = max(z.real - t, 0.0)
            d = new - v[i]
            if d != 0:
                q += H[:, i] * d
                v[i] = new
                moved = max(moved, abs(d))
        if moved <= 1e-15 * max(np.abs(v).max(initial=0.0), 1e-300):
            break
    return v


class OneBlock:
    """Selection and update of one block per iteration.

    Parameters
    ----------
    rule : str
        A rule of :mod:`._rules`.
    variable : bool
        Variable blocks: each iteration picks ``tau`` coordinates (greedy:
        the ``tau`` best scores; ``cyclic``/``permutation``: consecutive
        chunks of a (random) order; ``random``: uniform without replacement;
        ``lipschitz``: probability ``L_i / sum L``, without replacement).
        Otherwise one block of the model's partition (or one coordinate).
    tau : int
        Coordinates per variable block.
    update : {"lipschitz", "adaptive", "matrix"}
        Gradient step with the block Lipschitz constant or with an adaptive
        estimate of it, or the exact minimiser of the block's quadratic bound.
    """

    def __init__(self, rule, variable, tau, update, rng) -> None:
        self.rule, self.variable, self.tau = rule, variable, tau
        self.update, self.rng = update, rng
        self.queue: list = []
        self.estimates: dict = {}  # adaptive L_b per block (-1: variable blocks)

    def select(self, sig) -> tuple[np.ndarray, int]:
        """The block of this iteration: its coordinates and its index in the
        partition (-1 for a variable block)."""
        m = sig.model
        if not self.variable:
            if self.rule in ORDER_RULES:
                if not self.queue:
                    self.queue = list(pass_order(self.rule, m.lips, self.rng))[::-1]
                b = int(self.queue.pop())
            else:
                b = int(np.argmax(sig.scores()))
            if m.perm is None:
                return np.array([b], dtype=np.int64), b
            return m.perm[m.ptr[b] : m.ptr[b + 1]], b
        n, tau = m.n, min(self.tau, m.n)
        if self.rule in ("cyclic", "permutation"):
            if not self.queue:
                order = (
                    np.arange(n) if self.rule == "cyclic" else self.rng.permutation(n)
                )
                self.queue = [order[i : i + tau] for i in range(0, n, tau)][::-1]
            return np.sort(np.asarray(self.queue.pop(), dtype=np.int64)), -1
        if self.rule == "random":
            return np.sort(self.rng.choice(n, tau, replace=False)).astype(np.int64), -1
        if self.rule == "lipschitz":
            total = float(m.lips.sum())
            p = m.lips / total if total > 0 else None
            pick = self.rng.choice(n, tau, replace=False, p=p)
            return np.sort(pick).astype(np.int64), -1
        score = sig.scores()
        return np.sort(np.argpartition(-score, tau - 1)[:tau]).astype(np.int64), -1

    def apply(self, sig, coords: np.ndarray, block: int) -> None:
        """Update the block ``coords`` (index ``block``) of ``sig``: its
        ``x`` and ``R``."""
        m, pen = sig.model, sig.pen
        weight = float(pen.weights[block]) if pen.code == _k.PEN_GROUP else 1.0
        if self.update == "adaptive":
            self._adaptive(sig, coords, block, weight)
            return
        C, H = m.block_bound(coords)
        xb = sig.x[coords]
        if self.update == "matrix":
            new = solve_block_bound(H, sig.grad[coords], xb, pen, sig.lam, weight)
        else:
            L = float(np.linalg.eigvalsh(H)[-1]) if coords.size > 1 else float(
                np.real(H[0, 0])
            )  # fmt: skip
            if L <= 0:
                return
            v = xb - sig.grad[coords] / L
            new = _prox(v, sig.lam / L, pen.code, weight)
        d = (new - xb).astype(sig.x.dtype)
        if not np.any(d):
            return
        sig.x[coords] = xb + d
        sig.R += (C @ d).astype(sig.R.dtype)

    def _adaptive(self, sig, coords, block, weight) -> None:
        """Prox-gradient step with an adaptive block constant ``L_b``: from
        the block's stored estimate (1 at first), doubled until
        ``f(x + d) <= f(x) + grad_b^T d + L_b/2 ||d||^2``, then stored."""
        m, pen = sig.model, sig.pen
        C = m.columns(coords)
        xb, g = sig.x[coords], sig.grad[coords]
        f0 = m.value(sig.R, sig.x, sig.aux)
        L = self.estimates.get(block, 1.0)
        x_try = sig.x.copy()
        for _ in range(200):
            new = _prox(xb - g / L, sig.lam / L, pen.code, weight)
            d = (new - xb).astype(sig.x.dtype)
            if not np.any(d):
                return
            x_try[coords] = xb + d
            R_try = sig.R + (C @ d).astype(sig.R.dtype)
            bound = f0 + float(np.real(np.vdot(g, d))) + 0.5 * L * float(
                np.vdot(d, d).real
            )  # fmt: skip
            if m.value(R_try, x_try, sig.aux) <= bound + 1e-12 * abs(f0):
                break
            L *= 2.0
        self.estimates[block] = L
        sig.x[coords] = xb + d
        sig.R = np.ascontiguousarray(R_try)


def _prox(v, t, code, weight):
    if code == _k.PEN_GROUP:
        nrm = np.linalg.norm(v)
        return v * (max(0.0, 1 - t * weight / nrm) if nrm > 0 else 0.0)
    if code == _k.PEN_L1:
        a = np.abs(v)
        return np.where(a > t, v * (1 - t / np.where(a > 0, a, 1)), 0 * v)
    if code == _k.PEN_NONNEG:
        return np.maximum(v.real - t, 0.0) + 0 * v
    return v
