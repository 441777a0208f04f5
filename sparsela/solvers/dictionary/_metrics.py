"""How well a learnt dictionary matches a planted one."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["atom_recovery", "orthogonal_recovery"]


def _unit(D: Any, name: str) -> np.ndarray:
    D = np.asarray(D)
    if D.ndim != 2:
        raise ValueError(f"{name} must be 2-D (atoms in columns), got {D.shape}")
    norms = np.linalg.norm(D, axis=0)
    if not (norms > 0).all():
        raise ValueError(f"{name} has a zero column")
    return D / norms


def atom_recovery(D_true: Any, D: Any, *, threshold: float = 0.99) -> float:
    """Fraction of the planted atoms found in ``D``.

    Atoms are matched one to one (Hungarian assignment on ``|d_iᴴ d̂_j|``,
    :func:`scipy.optimize.linear_sum_assignment`); a planted atom counts as
    recovered when ``|d_iᴴ d̂_j| > threshold`` for its match (the K-SVD
    criterion ``1 - |d_iᴴ d̂_j| < 0.01`` for the default).

    Parameters
    ----------
    D_true : array_like of shape (n_features, n_true)
        Planted dictionary, atoms in columns.
    D : array_like of shape (n_features, n_atoms)
        Learnt dictionary; atoms are normalised here.
    threshold : float, default=0.99
        Smallest ``|cos|`` of a recovered atom.

    Returns
    -------
    float
        In ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.dictionary import atom_recovery
    >>> D = np.linalg.qr(np.random.default_rng(0).standard_normal((8, 8)))[0]
    >>> atom_recovery(D, -D[:, ::-1])
    1.0
    """
    C = np.abs(_unit(D_true, "D_true").conj().T @ _unit(D, "D"))
    from scipy.optimize import linear_sum_assignment  # lazy: ~20 MB

    rows, cols = linear_sum_assignment(-C)
    return float((C[rows, cols] > threshold).sum() / C.shape[0])


def orthogonal_recovery(D_true: Any, D: Any) -> float:
    """``||Dᴴ D_true||_4^4 / n`` for orthogonal ``n x n`` dictionaries.

    In ``[1/n, 1]`` and equal to 1 exactly when ``D`` is ``D_true`` up to a
    permutation and signs (phases) of its columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.dictionary import orthogonal_recovery
    >>> Q = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    >>> round(orthogonal_recovery(Q, Q[:, [2, 0, 1, 3, 5, 4]] * -1), 12)
    1.0
    """
    D_true, D = np.asarray(D_true), np.asarray(D)
    if D_true.shape != D.shape or D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(
            f"D_true and D must be square of the same shape, got {D_true.shape} "
            f"and {D.shape}"
        )
    return float((np.abs(D.conj().T @ D_true) ** 4).sum() / D.shape[0])
