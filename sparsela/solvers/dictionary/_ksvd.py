"""K-SVD: atom-by-atom rank-one updates of dictionary and codes."""

from __future__ import annotations

import numpy as np

from ._atoms import replace_atoms
from ._encode import Coder

__all__ = ["KSVD"]


def _aligned(u: np.ndarray, d_old: np.ndarray) -> complex:
    """Unit factor ``w`` with ``d_oldᴴ (w u)`` real and >= 0 (fixes the sign
    or phase of a singular vector, so that converged atoms stop moving)."""
    c = np.vdot(u, d_old)
    return c / abs(c) if abs(c) > 0 else 1.0


def _top_two(E: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(u_1, u_2, s_2^2)``: the top two left singular vectors of ``E`` and
    the second squared singular value, from the eigen-decomposition of the
    smaller Gram matrix (``E Eᴴ`` or ``Eᴴ E``), about three times cheaper
    than the SVD for the ``n x |w|`` blocks of K-SVD."""
    n, m = E.shape
    if m >= n:
        lam, U = np.linalg.eigh(E @ E.conj().T)
        u2 = U[:, -2] if n > 1 else np.zeros(n, E.dtype)
        return U[:, -1], u2, float(lam[-2]) if n > 1 else 0.0
    lam, V = np.linalg.eigh(E.conj().T @ E)
    U = E @ V[:, -2:] if m > 1 else E @ V
    norms = np.linalg.norm(U, axis=0)
    U /= np.where(norms > 0, norms, 1).astype(norms.dtype)
    if m == 1:
        return U[:, -1], np.zeros(n, E.dtype), 0.0
    return U[:, -1], U[:, -2], float(lam[-2])


class KSVD:
    """One K-SVD iteration per :meth:`step`: code, then sweep the atoms.

    Notes
    -----
    With the residual ``R = Y - D X`` kept up to date, atom ``k`` sees
    ``E = R[:, w] + d_k x_k[w]`` on the signals ``w`` that use it; its best
    rank-one approximation ``s u vᴴ`` (top singular triple) gives
    ``d_k = u`` and ``x_k[w] = s vᴴ = uᴴ E``, and ``R[:, w] = E - d_k x_k[w]``.
    ``u`` comes from the eigenvectors of the smaller Gram matrix of ``E``.
    Each atom costs ``O(n |w| min(n, |w|))``; the full ``E`` is never formed.
    """

    def __init__(
        self,
        Y: np.ndarray,
        D: np.ndarray,
        coder: Coder,
        rng: np.random.Generator,
        max_iter: int,
    ) -> None:
        self.Y, self.D, self.coder, self.rng = Y, D, coder, rng
        self.max_iter, self.k, self.replaced = max_iter, 0, 0
        self.y2 = float(np.linalg.norm(Y) ** 2)

    def step(self) -> dict[str, float]:
        Y, D = self.Y, self.D
        X = self.coder(Y, D)
        R = Y - D @ X
        usage = np.zeros(D.shape[1], dtype=np.int64)
        energy = np.zeros(D.shape[1], dtype=np.float64)
        U2 = np.zeros_like(D)
        for k in range(D.shape[1]):
            w = np.flatnonzero(X[k])
            usage[k] = w.size
            if w.size == 0:
                continue
            E = R[:, w] + np.outer(D[:, k], X[k, w])
            u, u2, s2 = _top_two(E)
            u *= _aligned(u, D[:, k])
            D[:, k] = u
            X[k, w] = u.conj() @ E  # s vᴴ of the top triple
            R[:, w] = E - np.outer(u, X[k, w])
            energy[k], U2[:, k] = s2, u2
        r2 = np.einsum("ij,ij->j", R.conj(), R).real
        self.k += 1
        if self.k < self.max_iter:  # the last dictionary keeps its atoms
            self.replaced = replace_atoms(
                D, usage, Y, r2, self.rng, splits=(energy, U2)
            )
        err2 = float(r2.sum())
        return {
            "objective": 0.5 * err2,
            "representation_error": np.sqrt(err2 / self.y2) if self.y2 else 0.0,
        }
