"""Orthogonal (complete) dictionaries: Procrustes alternation and the
Frank-Wolfe step of online l4 maximisation."""

from __future__ import annotations

import numpy as np

from ._encode import threshold

__all__ = ["Procrustes", "averaging_weight", "fw_step", "l4_gradient", "polar"]


def polar(G: np.ndarray) -> np.ndarray:
    """Orthogonal (unitary) polar factor ``U Vᴴ`` of ``G = U S Vᴴ``: the
    closest orthogonal matrix to ``G``, and ``argmax_{||S||_2 <= 1} Re <G, S>``."""
    U, _, Vh = np.linalg.svd(G)
    return U @ Vh


class Procrustes:
    """One alternation of offline orthogonal dictionary learning per :meth:`step`.

    Notes
    -----
    For an orthogonal ``D``, ``||Y - D X||_F = ||Dᴴ Y - X||_F``: the codes are
    the thresholded ``Dᴴ Y`` (the ``n_nonzero`` largest per signal, or soft
    thresholding by ``lam``, each the exact minimiser), and the dictionary
    step is the orthogonal Procrustes problem ``max Re tr(Dᴴ Y Xᴴ)``, solved
    by ``D = U Vᴴ`` from the SVD ``Y Xᴴ = U S Vᴴ``. Then
    ``||Y - D X||^2 = ||Y||^2 - 2 sum(S) + ||X||^2`` at no extra cost. The
    objective never increases; each step costs ``O(n^2 p + n^3)``.
    """

    def __init__(
        self, Y: np.ndarray, D: np.ndarray, n_nonzero: int | None, lam: float | None
    ) -> None:
        self.Y, self.D, self.n_nonzero, self.lam = Y, D, n_nonzero, lam
        self.y2 = float(np.linalg.norm(Y) ** 2)

    def step(self) -> dict[str, float]:
        Y = self.Y
        X = threshold(self.D.conj().T @ Y, self.n_nonzero, self.lam)
        U, s, Vh = np.linalg.svd(Y @ X.conj().T)
        self.D[...] = U @ Vh
        x2 = float(np.linalg.norm(X) ** 2)
        err2 = max(self.y2 - 2 * float(s.sum()) + x2, 0.0)
        pen = 0.0 if self.n_nonzero is not None else self.lam * float(np.abs(X).sum())
        return {
            "objective": 0.5 * err2 + pen,
            "representation_error": np.sqrt(err2 / self.y2) if self.y2 else 0.0,
        }


def l4_gradient(A: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, float]:
    """Gradient ``4 (|AY|^2 ∘ AY) Yᴴ / b`` of ``f(A) = ||A Y||_4^4 / b`` and
    ``f(A)`` itself, for a batch ``Y`` of ``b`` signals (real or complex)."""
    Z = A @ Y
    Z2 = (Z.conj() * Z).real
    b = Y.shape[1]
    return (4.0 / b) * ((Z2 * Z) @ Y.conj().T), float((Z2 * Z2).sum()) / b


def averaging_weight(t: int) -> float:
    """Weight ``rho_t = min(1, 2 / sqrt(t + 1))`` of batch ``t``'s gradient in
    the running average: the first batches replace it (their iterates move
    fast, older gradients are stale), later ones average out the noise."""
    return min(1.0, 2.0 / np.sqrt(t + 1.0))


def fw_step(A: np.ndarray, G: np.ndarray, Y: np.ndarray, t: int) -> dict[str, float]:
    """One online Frank-Wolfe step on batch ``Y`` (``t`` counts from 1), in place.

    Averages the stochastic gradient into ``G`` (weight
    :func:`averaging_weight`), takes the linear maximisation oracle
    ``S = polar(G)`` over the spectral-norm ball (the convex hull of the
    orthogonal group) and moves ``A`` to it (a full step: the objective is
    convex, so a full step lands on an extreme point, an orthogonal matrix).
    Returns the batch's l4 value ``||A Y||_4^4 / b`` and the Frank-Wolfe gap
    ``||G||_* - Re <G, A>`` (zero at a stationary point).
    """
    grad, value = l4_gradient(A, Y)
    rho = averaging_weight(t)
    G *= 1 - rho
    G += rho * grad
    U, s, Vh = np.linalg.svd(G)
    gap = float(s.sum()) - float(np.vdot(A, G).real)
    A[...] = U @ Vh
    return {"l4": value, "fw_gap": gap}
