"""KroSBL M-steps: Kronecker fits of the posterior second moments.

Both minimise ``Σ_j log γ_j + d_j / γ_j`` over Kronecker vectors
``γ = γ_1 ⊗ ... ⊗ γ_I``; in coupled (PC-KroSBL) modes the fit of a mode is
replaced by its pattern-coupled version.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.optimize

from ._common import norm
from ._kron_estep import eigh, outer

__all__ = ["am_mstep", "coupling_matrix", "normalise", "svd_mstep"]

# floor added to a coupled mode's variances (PC-KroSBL code: 1e-5 on unit-norm
# vectors); relative here so that the algorithm is scale-equivariant
_PC_FLOOR = 1e-5


def _contract_except(D: np.ndarray, vecs: Sequence[np.ndarray], i: int) -> np.ndarray:
    """``sum over all axes but i of D * prod_{j != i} vecs[j][index_j]``."""
    T = D
    for j in range(D.ndim - 1, -1, -1):  # from the back: axis numbers stay valid
        if j != i:
            T = np.tensordot(T, vecs[j], axes=([j], [0]))
    return T


def _couple(t, C):
    """PC step: ``γ̃ = C NNLS(C, t) + floor`` (``C = None``: uncoupled)."""
    if C is None:
        return t
    g, _ = scipy.optimize.nnls(C, t)
    gt = C @ g
    return gt + _PC_FLOOR * max(float(np.linalg.norm(gt)), np.finfo(float).tiny)


def normalise(gams):
    """Unit norm for modes 1..I-1, the product of the norms on mode I."""
    scale = 1.0
    out = []
    for g in gams[:-1]:
        c = norm(g)
        out.append(g / c)
        scale *= c
    out.append(gams[-1] * scale)
    return out


def _top_singular(M: np.ndarray):
    """Leading singular triple of a non-negative matrix via its smaller Gram."""
    p, q = M.shape
    if p <= q:
        w, V = eigh(M @ M.T)
        s = math.sqrt(max(w[-1], 0.0))
        u = V[:, -1]
        v = (M.T @ u) / s if s > 0 else np.zeros(q)
    else:
        w, V = eigh(M.T @ M)
        s = math.sqrt(max(w[-1], 0.0))
        v = V[:, -1]
        u = (M @ v) / s if s > 0 else np.zeros(p)
    return np.abs(u), s, np.abs(v)


def svd_mstep(D, couplings):
    """Sequential rank-1 (TT-SVD-like) Kronecker approximation of ``D``."""
    dims = D.shape
    gams = []
    rest = D.reshape(-1)
    for i in range(len(dims) - 1):
        u, s, v = _top_singular(rest.reshape(dims[i], -1))
        gams.append(u)
        rest = s * v
    gams.append(rest)
    gams = [_couple(g, C) for g, C in zip(gams, couplings, strict=True)]
    if any(not (g > 0).any() for g in gams):
        return gams
    return normalise(gams)


def am_mstep(D, gams, couplings, max_sweeps, tol):
    """Alternating closed-form minimisation of ``Σ log γ + d / γ``."""
    I = D.ndim
    N = D.size
    gams = list(gams)
    for _ in range(max_sweeps):
        old = outer(gams)
        for i in range(I):
            inv = [1.0 / np.maximum(g, np.finfo(float).tiny) for g in gams]
            t = _contract_except(D, inv, i) * (D.shape[i] / N)
            gams[i] = _couple(t, couplings[i])
        gams = normalise(gams)
        new = outer(gams)
        nrm = float(np.linalg.norm(old))
        if float(np.linalg.norm(new - old)) <= tol * nrm:
            break
    return gams


def coupling_matrix(n: int, beta: float) -> np.ndarray:
    """``C_β = I + β (S + S^T)``, ``S`` the shift: neighbours share variance."""
    C = np.eye(n)
    idx = np.arange(n - 1)
    C[idx, idx + 1] = beta
    C[idx + 1, idx] = beta
    return C
