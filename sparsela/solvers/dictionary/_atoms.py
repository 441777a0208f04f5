"""Atoms: initial dictionaries and the replacement of dead or duplicate atoms."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "data_atoms",
    "random_unitary",
    "replace_atoms",
    "second_directions",
    "unit_columns",
]

# atoms closer than this (|d_iᴴ d_j|) are duplicates; one of them is replaced
DUPLICATE = 0.99
# atoms used by fewer signals than this fraction of the mean usage are
# replaced: on planted dictionaries they are mixtures of true atoms stuck in
# a local minimum (at 20 dB, 1500 signals, it lifts K-SVD's recovery from
# about 94 % to 97 % on average over seeds)
RARE = 0.25


def unit_columns(D: np.ndarray) -> np.ndarray:
    """``D`` with unit-norm columns, in place (zero columns left as they are)."""
    norms = np.linalg.norm(D, axis=0)
    D /= np.where(norms > 0, norms, 1).astype(D.real.dtype)
    return D


def _gauss(rng: np.random.Generator, shape, dtype: np.dtype) -> np.ndarray:
    G = rng.standard_normal(shape)
    if dtype.kind == "c":
        G = G + 1j * rng.standard_normal(shape)
    return G.astype(dtype)


def data_atoms(Y: np.ndarray, n_atoms: int, rng: np.random.Generator) -> np.ndarray:
    """``n_atoms`` distinct non-zero columns of ``Y``, normalised, drawn at
    random; Gaussian atoms fill in when ``Y`` has too few."""
    n = Y.shape[0]
    nonzero = np.flatnonzero(np.linalg.norm(Y, axis=0) > 0)
    take = rng.permutation(nonzero)[:n_atoms]
    D = np.empty((n, n_atoms), dtype=Y.dtype, order="F")
    D[:, : take.size] = Y[:, take]
    D[:, take.size :] = _gauss(rng, (n, n_atoms - take.size), Y.dtype)
    return unit_columns(D)


def random_unitary(n: int, dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    """Haar-distributed orthogonal (unitary) ``n x n`` matrix: QR of a
    Gaussian matrix with the signs (phases) of ``diag(R)`` fixed."""
    Q, R = np.linalg.qr(_gauss(rng, (n, n), np.dtype(dtype)))
    d = np.diagonal(R)
    return np.asfortranarray(Q * (d / np.where(np.abs(d) > 0, np.abs(d), 1)))


def second_directions(
    R: np.ndarray, D: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(energy, U)``: for each atom ``k``, ``s_2^2`` and ``u_2`` of the SVD of
    ``R[:, w] + d_k x_k[w]`` on the signals ``w`` that use it (``R = Y - D X``),
    as :func:`replace_atoms` takes them."""
    K = D.shape[1]
    energy = np.zeros(K)
    U = np.zeros_like(D)
    for k in range(K):
        w = np.flatnonzero(X[k])
        if w.size > 1:
            u, s, _ = np.linalg.svd(
                R[:, w] + np.outer(D[:, k], X[k, w]), full_matrices=False
            )
            if s.size > 1:
                energy[k], U[:, k] = s[1] ** 2, u[:, 1]
    return energy, U


def replace_atoms(
    D: np.ndarray,
    usage: np.ndarray,
    Y: np.ndarray,
    res2: np.ndarray | None,
    rng: np.random.Generator,
    splits: Any = None,
) -> int:
    """Replace dead, rare and duplicate atoms of ``D`` in place; return how many.

    ``usage`` counts the signals that use each atom: unused atoms and those
    used by fewer than a quarter of the mean are replaced, and so is an atom
    with ``|d_iᴴ d_j| > 0.99`` for an earlier ``i`` (a duplicate).

    ``splits = (energy, U)``, optional: for each atom ``k``, the energy
    ``s_2^2`` and direction ``u_2`` (``U[:, k]``) of the second singular
    triple of the residual of the signals that use it. A large ``s_2`` says
    that atom ``k`` stands for two directions (a mixture of two true atoms):
    the replaced atoms take the ``u_2`` of the largest energies first, one
    each. ``splits`` may be a function returning the pair, called only when
    an atom is replaced. The others take normalised training signals, the
    worst represented first (largest ``res2``, the squared residual norms;
    random signals without them), each signal used once, as the K-SVD
    toolbox does.
    """
    C = np.abs(D.conj().T @ D)
    np.fill_diagonal(C, 0)
    dup = (np.triu(C) > DUPLICATE).any(axis=0)
    rare = usage < RARE * usage.mean()
    is_bad = (usage == 0) | rare | dup
    bad = np.flatnonzero(is_bad)
    if bad.size == 0:
        return 0
    if splits is not None:
        energy, U = splits() if callable(splits) else splits
        donors = np.argsort(np.where(is_bad, -np.inf, energy))[::-1][: bad.size]
        donors = donors[~is_bad[donors] & (energy[donors] > 0)]
        D[:, bad[: donors.size]] = U[:, donors]
        bad = bad[donors.size :]
        if bad.size == 0:
            return int(is_bad.sum())
    norms = np.linalg.norm(Y, axis=0)
    score = np.where(
        norms > 0, res2 if res2 is not None else rng.random(norms.size), -np.inf
    )
    order = np.argsort(score)[::-1][: bad.size]
    order = order[norms[order] > 0]
    D[:, bad[: order.size]] = Y[:, order] / norms[order]
    if order.size < bad.size:  # fewer usable signals than atoms to replace
        rest = bad[order.size :]
        D[:, rest] = unit_columns(_gauss(rng, (D.shape[0], rest.size), D.dtype))
    return int(is_bad.sum())
