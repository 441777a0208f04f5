"""The KroSBL E-step: posterior under a Kronecker prior, by per-mode eigh.

Tensors are in C order: the first factor acts on the slowest axis, as
``np.kron`` and :class:`~sparsela.operators.Kronecker`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg.lapack

from ...operators.kronecker import mode_products

__all__ = ["eigh", "kron_estep", "outer"]

_EPS = np.finfo(float).eps


def outer(vectors: Sequence[np.ndarray]) -> np.ndarray:
    """Tensor ``v_1 ∘ ... ∘ v_I`` (its C-order ravel is ``kron(v_1, ..., v_I)``)."""
    out = vectors[0]
    for v in vectors[1:]:
        out = np.multiply.outer(out, v)
    return out


def eigh(C: np.ndarray):
    """Eigenvalues (ascending) and eigenvectors of a small Hermitian matrix.

    Calls LAPACK ``syevd``/``heevd`` directly: for the 8-20 row matrices of
    KroSBL the wrapper of :func:`numpy.linalg.eigh` costs more than the
    decomposition.
    """
    (fn,) = scipy.linalg.lapack.get_lapack_funcs(
        ("heevd" if np.iscomplexobj(C) else "syevd",), (C,)
    )
    w, V, info = fn(C, compute_v=1, lower=1)
    if info != 0:
        return np.linalg.eigh(C)
    return w, V


def kron_estep(mats, gams, Y, sigma2):
    """Posterior mean and variances of ``x`` for a Kronecker prior.

    Parameters
    ----------
    mats : list of ndarray
        Factors ``A_i`` of shape ``(m_i, l_i)``.
    gams : list of ndarray
        Per-mode prior variances ``γ_i > 0`` of length ``l_i``.
    Y : ndarray of shape (m_1, ..., m_I, L)
        Measurements as a tensor, signals on the last axis.
    sigma2 : float
        Noise variance (> 0).

    Returns
    -------
    mu : ndarray of shape (l_1, ..., l_I, L)
    dsig : ndarray of shape (l_1, ..., l_I)
        ``diag(Σ)``, clipped at 0.
    logdet : float
        ``log |Σ_y|``.
    quad : float
        ``tr(Y^H Σ_y^{-1} Y) / L``.
    res2 : float
        ``||Y - H mu||_F^2 / L`` (``= σ^4 ||Σ_y^{-1} Y||^2 / L``).

    Never forms ``Σ`` nor the Kronecker product: per-mode eigendecompositions
    of ``C_i = A_i Γ_i A_i^H`` and mode products only.
    """
    Us, ps, Bs = [], [], []
    cplx = Y.dtype.kind == "c" or any(A.dtype.kind == "c" for A in mats)
    for A, g in zip(mats, gams, strict=True):
        AH = A.conj().T if cplx else A.T
        # LAPACK reads the lower triangle only: no symmetrisation needed
        p, U = eigh((A * g) @ AH)
        # eigenvalues at round-off level belong to the null space of A_i^H:
        # there A_i^H u = 0 exactly, so zero them (and B's columns) outright;
        # p is ascending, so they are its first entries
        n_small = int(np.searchsorted(p, p[-1] * A.shape[0] * _EPS * 8, "right"))
        B = (g[:, None] * AH) @ U
        if n_small:
            p[:n_small] = 0.0
            B[:, :n_small] = 0.0
        Us.append(U)
        ps.append(p)
        Bs.append(B)
    SP = sigma2 + outer(ps)  # eigenvalues of Σ_y
    Dinv = 1.0 / SP
    Yt = mode_products(Y, [U.conj().T if cplx else U.T for U in Us])
    L = Y.shape[-1]
    absY2 = ((Yt * Yt.conj()).real if cplx else Yt * Yt).sum(axis=-1)
    quad = float((Dinv * absY2).sum()) / L
    res2 = float(sigma2**2 * (Dinv**2 * absY2).sum()) / L
    logdet = float(np.log(SP).sum())
    Z = Yt * Dinv[..., None]
    mu = mode_products(Z, Bs)
    red = mode_products(
        Dinv[..., None], [(B * B.conj()).real if cplx else B * B for B in Bs]
    )[..., 0]
    dsig = np.maximum(outer(gams) - red, 0.0)
    return mu, dsig, logdet, quad, res2
