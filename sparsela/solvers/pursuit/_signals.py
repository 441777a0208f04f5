"""The signals as the pursuit kernels see them: scaled to unit size where needed.

A pursuit is scale-equivariant (``omp(A, c y)`` selects the same atoms as
``omp(A, y)``, with ``c x``), but its kernels square the signals: once
``||y||^2`` over- or underflows they see ``y = 0`` or ``inf``. Signals whose
squared norm (computed anyway) leaves :func:`~sparsela._scaling.\
square_range` are multiplied by a power of two (exact), together with their
``tol``; :func:`~._assemble.assemble` undoes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..._scaling import normalise_columns
from ...kernels.cpu import omp as _k
from ._assemble import Picks
from ._atoms import eps

__all__ = ["Signals", "redo_unsure_tol", "rows_of", "run_split", "tol_groups"]


class Signals:
    """``Y`` scaled column by column by ``2**shift`` (``shift`` None: as given).

    Attributes
    ----------
    Y : ndarray of shape (m, s)
        The signals the kernels see.
    norms2 : ndarray of shape (s,)
        Their squared norms in the working (real) precision.
    shift : ndarray of int32 or None
    tol : ndarray of float64 or None
        ``tol`` per signal in the scaled units.
    floor : ndarray of float64
        Rounding level of ``||r||^2`` per signal, ``(100 eps)^2 ||y||^2``
        (the level below which the correlations are rounding noise).
    """

    def __init__(self, Y: np.ndarray, rdtype: Any, tol: float | None) -> None:
        with np.errstate(over="ignore", under="ignore"):  # what normalising fixes
            norms2 = np.einsum("ij,ij->j", Y.conj(), Y).real.astype(rdtype, copy=False)
        self.shift, self.Y, self.norms2 = normalise_columns(Y, norms2)
        self.tol = scaled_tol(tol, self.shift, Y.shape[1])
        eps_corr2 = eps(rdtype)[0]
        n2 = self.norms2.astype(np.float64)
        self.floor = eps_corr2 * n2
        # accuracy of the Gram recursion ||y||^2 - ||z||^2 (about eps ||y||^2,
        # with a margin): a smaller tol cannot be decided by it
        self.recursion_floor = np.sqrt(eps_corr2) * n2

    def exact_rows(self) -> np.ndarray:
        """Signals whose ``tol`` only exact residuals (the operator path) can
        decide: ``tol`` below the accuracy of the Gram recursion (``tol=0``)."""
        if self.tol is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.tol < self.recursion_floor)


def scaled_tol(tol: float | None, shift: np.ndarray | None, S: int):
    """``tol`` per signal in the units of the scaled signals (squared)."""
    if tol is None:
        return None
    out = np.full(S, float(tol))
    if shift is not None:
        # inf for a tiny signal with a large tol (met at once, as unscaled)
        with np.errstate(over="ignore", under="ignore"):
            out = np.ldexp(out, 2 * shift)
    return out


def rows_of(tol: np.ndarray | None, rows: Any) -> np.ndarray | None:
    """``tol`` of the signals ``rows`` (None stays None)."""
    return None if tol is None else tol[rows]


def tol_groups(tol: np.ndarray | None, S: int) -> Iterator[tuple[Any, Any]]:
    """``(tol value, rows)`` for runs of a kernel that takes one ``tol``.

    One group, ``rows = slice(0, S)``, when every signal has the same ``tol``
    (always unless signals of very different scales were normalised); else one
    index array per distinct value.
    """
    if tol is None:
        yield None, slice(0, S)
        return
    values, inverse = np.unique(tol, return_inverse=True)
    if values.size <= 1:
        yield (float(values[0]) if values.size else None), slice(0, S)
        return
    for g, value in enumerate(values.tolist()):
        yield value, np.flatnonzero(inverse == g)


def redo_unsure_tol(
    picks: Picks, sig: Signals, operator: Callable[[np.ndarray], Picks]
) -> None:
    """Redo on the operator path the signals the Gram recursion stopped on ``tol``
    although their exact residual is above it.

    The recursion ``||r||^2 = ||y||^2 - ||z||^2`` is only accurate to about
    ``eps ||y||^2``: a smaller ``tol`` (and ``tol=0``) can be "met" by
    rounding. ``operator(rows)`` runs those signals with exact residuals.
    """
    if sig.tol is None:
        return
    res2 = picks.res_norm.astype(np.float64) ** 2
    unsure = (picks.stop == _k.STOP_TOL) & (res2 > np.maximum(sig.tol, sig.floor))
    rows = np.flatnonzero(unsure)
    if rows.size:
        picks.put(rows, operator(rows))


def run_split(
    sig: Signals,
    gram: Callable[[Any], Picks],
    operator: Callable[[Any], Picks],
    width: int,
    dtype: Any,
    rdtype: Any,
    return_path: bool,
) -> Picks:
    """The Gram path for every signal it can decide, the operator path for the
    others (:meth:`Signals.exact_rows`); ``gram(rows)`` and ``operator(rows)``
    run the signals ``rows`` (a slice or an index array)."""
    S = sig.Y.shape[1]
    exact = sig.exact_rows()
    if exact.size == 0:
        picks = gram(slice(0, S))
    elif exact.size == S:
        return operator(slice(0, S))
    else:
        rest = np.setdiff1d(np.arange(S), exact)
        picks = Picks.empty(S, width, dtype, rdtype, path=return_path)
        picks.put(rest, gram(rest))
        picks.put(exact, operator(exact))
    redo_unsure_tol(picks, sig, operator)
    return picks
