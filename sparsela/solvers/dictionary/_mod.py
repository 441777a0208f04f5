"""MOD, the method of optimal directions: a least-squares dictionary step."""

from __future__ import annotations

import numpy as np

from ._atoms import replace_atoms, second_directions
from ._encode import Coder

__all__ = ["MOD"]


class MOD:
    """One MOD iteration per :meth:`step`: code, then solve for ``D``.

    Notes
    -----
    With the codes ``X`` fixed, ``D = Y Xᴴ (X Xᴴ + e I)^{-1}`` minimises
    ``||Y - D X||_F^2`` (``e = 1e-10 tr(X Xᴴ) / K`` keeps the system regular
    when an atom is unused); the atoms are then normalised (the next coding
    step absorbs their norms). Cost ``O(n K p + K^3)`` per iteration.
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
        Y = self.Y
        X = self.coder(Y, self.D)
        A = X @ X.conj().T
        K = A.shape[0]
        e = 1e-10 * float(np.trace(A).real) / K or 1.0
        A[np.diag_indices(K)] += e
        B = Y @ X.conj().T
        # A is Hermitian: D = B A^{-1} is (A^{-1} Bᴴ)ᴴ
        D = np.linalg.solve(A, B.conj().T).conj().T
        R = Y - D @ X
        r2 = np.einsum("ij,ij->j", R.conj(), R).real
        norms = np.linalg.norm(D, axis=0)
        usage = np.where(norms > 0, (X != 0).sum(axis=1), 0)
        D = D / np.where(norms > 0, norms, 1).astype(D.real.dtype)
        self.D[...] = D
        self.k += 1
        if self.k < self.max_iter:  # the last dictionary keeps its atoms
            # split directions of the new atoms (codes rescaled to them)
            Xs = X * norms[:, None].astype(X.real.dtype)
            self.replaced = replace_atoms(
                self.D,
                usage,
                Y,
                r2,
                self.rng,
                splits=lambda: second_directions(R, self.D, Xs),
            )
        err2 = float(r2.sum())
        return {
            "objective": 0.5 * err2,
            "representation_error": np.sqrt(err2 / self.y2) if self.y2 else 0.0,
        }
