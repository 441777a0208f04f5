"""Exact power-of-two rescaling, so that squared norms stay representable.

Solvers square their data (``||y||^2``, ``|a_iᴴ r|^2``, ``||A x - y||^2``);
once the data are near ``1e±154`` in float64 (``1e±19`` in float32) those
squares overflow to ``inf`` or underflow to 0 and a solver silently answers
``x = 0``. Multiplying by a power of two is exact (it changes the exponent
only), so a solver can bring a badly scaled signal or atom near unit size,
solve, and undo the scaling at the end without changing a single significant
bit. The checks below read norms the solvers compute anyway: well-scaled data
cost no extra pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "column_norms",
    "ldexp",
    "max_abs",
    "normalise_columns",
    "pow2_scale",
    "shifts",
    "square_range",
]


def square_range(rdtype: Any) -> tuple[float, float]:
    """``(lo, hi)``: squared norms in ``[lo, hi]`` are safely representable.

    ``sqrt(tiny)`` and ``sqrt(max)`` of the real dtype: a square, a product
    of two such squares or a rounding-level fraction of one (``eps^2``
    times it) neither overflows nor loses precision to underflow.
    """
    fi = np.finfo(rdtype)
    return float(np.sqrt(fi.tiny)), float(np.sqrt(fi.max))


def max_abs(M: np.ndarray, axis: int = 0) -> np.ndarray:
    """Largest ``|Re|`` or ``|Im|`` along ``axis``: never overflows."""
    if M.dtype.kind == "c":
        return np.maximum(np.abs(M.real).max(axis=axis), np.abs(M.imag).max(axis=axis))
    return np.abs(M).max(axis=axis)


def shifts(amax: np.ndarray) -> np.ndarray:
    """Exponents ``e`` (int32) with ``amax * 2**e`` in ``[0.5, 1)``; 0 where
    ``amax`` is 0."""
    e = -np.frexp(amax)[1].astype(np.int32)
    return np.where(amax > 0, e, 0).astype(np.int32)


def pow2_scale(peak: float) -> float:
    """The power of two that brings ``peak > 0`` into ``[1/2, 1)`` (1 for 0,
    Inf or NaN): the factor of :func:`shifts` for one number."""
    return float(np.ldexp(1.0, shifts(np.asarray(peak, dtype=np.float64))))


def ldexp(M: np.ndarray, e: Any) -> np.ndarray:
    """``M * 2**e`` (exact unless it over- or underflows), real or complex."""
    e = np.asarray(e, dtype=np.int32)
    if M.dtype.kind != "c":
        return np.ldexp(M, e)
    out = np.empty(np.broadcast_shapes(M.shape, e.shape), dtype=M.dtype)
    out.real = np.ldexp(M.real, e)
    out.imag = np.ldexp(M.imag, e)
    return out


def _sq_cols(M: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->j", M.conj(), M).real


def column_norms(M: np.ndarray, sq: np.ndarray | None = None) -> np.ndarray:
    """2-norms of the columns of ``M`` without over- or underflow.

    ``sq`` (the plain squared norms, if already computed) is trusted where it
    lies in :func:`square_range`; the other columns are scaled by a power of
    two first.
    """
    rdtype = np.finfo(M.dtype).dtype
    if sq is None:
        sq = _sq_cols(M)
    lo, hi = square_range(rdtype)
    norms = np.sqrt(sq).astype(rdtype)
    bad = np.flatnonzero(~((sq >= lo) & (sq <= hi)))
    if bad.size:
        sub = M[:, bad]
        e = shifts(max_abs(sub))
        scaled = np.sqrt(_sq_cols(ldexp(sub, e[None, :])))
        norms[bad] = ldexp(scaled.astype(rdtype), -e)
    return norms


def normalise_columns(
    Y: np.ndarray, sq: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Scale the badly scaled columns of ``Y`` by powers of two.

    Parameters
    ----------
    Y : ndarray of shape (m, s)
        Signals.
    sq : ndarray of shape (s,)
        Their squared norms, as computed in the working precision.

    Returns
    -------
    shift : ndarray of int32 or None
        ``Y[:, j]`` was multiplied by ``2**shift[j]`` (None: nothing scaled,
        ``Y`` and ``sq`` are returned as they are).
    Y, sq : ndarray
        The scaled signals (a copy when any is scaled) and their squared
        norms.
    """
    lo, hi = square_range(np.finfo(Y.dtype).dtype)
    bad = np.flatnonzero(~((sq >= lo) & (sq <= hi)))
    if bad.size == 0:
        return None, Y, sq
    e = shifts(max_abs(Y[:, bad]))
    keep = e != 0  # exact zeros need no scaling
    bad, e = bad[keep], e[keep]
    if bad.size == 0:
        return None, Y, sq
    shift = np.zeros(Y.shape[1], dtype=np.int32)
    shift[bad] = e
    Y = Y.copy()
    Y[:, bad] = ldexp(Y[:, bad], e[None, :])
    sq = sq.copy()
    sq[bad] = _sq_cols(Y[:, bad]).astype(sq.dtype)
    return shift, Y, sq
