"""What every pursuit path hands back, and the one assembly of its result.

The Gram kernels and the operator-path states write the same raw record
(:class:`Picks`): atoms in selection order, coefficients of the *unit-norm*
atoms, counts, residual norms and the kernels' stop codes. :func:`assemble`
turns it into an :class:`~sparsela.OMPResult` through
:func:`~sparsela._result.make_result`, with :class:`~sparsela.Status` codes,
after :func:`settle_tol` has checked every ``tol`` decision against the
reported residual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._result import OMPResult, Status, make_result, status_message
from ..._scaling import ldexp, square_range
from ...kernels.cpu import omp as _k
from ._atoms import scatter

__all__ = ["CONTINUE", "EXACT", "Picks", "assemble", "pursuit_status", "settle_tol"]

# stop code of a signal still running when the driver stopped it (callback):
# its status is the driver's
CONTINUE = -1
# stop code of a signal whose residual is at the rounding level while tol is
# below it: tol is met to working precision (converged, said in the message)
EXACT = -2


@dataclass
class Picks:
    """Raw outcome of a pursuit for ``S`` signals (rows).

    ``support[s, :n_atoms[s]]`` are the atoms in selection order (MP: order
    of first selection) and ``coef`` their coefficients for the unit-norm
    atoms; ``n_iter`` counts atoms (OMP) or steps (MP); ``res2`` is the
    kernels' ``||r||^2`` recursion, ``res_norm`` the reported norm; ``stop``
    holds the kernel stop codes (:data:`CONTINUE` where ``status`` holds the
    driver's status); ``path`` one raw path per signal.
    """

    support: np.ndarray
    coef: np.ndarray
    n_atoms: np.ndarray
    n_iter: np.ndarray
    res2: np.ndarray
    res_norm: np.ndarray
    stop: np.ndarray
    status: np.ndarray | None = None
    path: list | None = None

    @classmethod
    def empty(
        cls, S: int, width: int, dtype: Any, rdtype: Any, *, path: bool = False
    ) -> Picks:
        """Zeroed record for ``S`` signals with room for ``width`` atoms."""
        return cls(
            support=np.zeros((S, width), dtype=np.int64),
            coef=np.zeros((S, width), dtype=dtype),
            n_atoms=np.zeros(S, dtype=np.int64),
            n_iter=np.zeros(S, dtype=np.int64),
            res2=np.zeros(S, dtype=rdtype),
            res_norm=np.zeros(S, dtype=rdtype),
            stop=np.zeros(S, dtype=np.int64),
            path=[None] * S if path else None,
        )

    def put(self, rows: np.ndarray, other: Picks) -> None:
        """Replace the signals ``rows`` by those of ``other`` (same width)."""
        for name in ("support", "coef", "n_atoms", "n_iter", "res2", "res_norm",
                     "stop"):  # fmt: skip
            getattr(self, name)[rows] = getattr(other, name)
        if other.status is not None:
            if self.status is None:
                self.status = np.full(self.stop.shape, int(Status.CONVERGED))
            self.status[rows] = other.status
        if self.path is not None:
            for r, P in zip(rows.tolist(), other.path, strict=True):
                self.path[r] = P


def settle_tol(picks: Picks, tol: np.ndarray | None, floor: np.ndarray) -> None:
    """Check the ``tol`` decisions against the reported residuals, in place.

    ``tol`` and ``floor`` are per-signal squared norms (in the units of the
    signals the kernels saw): a signal whose ``||r||^2 <= tol`` met ``tol``
    whatever stopped it; one whose residual is at the rounding ``floor``
    while ``tol`` is below it (``tol=0`` on an exactly sparse signal) met it
    to working precision (:data:`EXACT`). Both paths of :func:`~sparsela.omp`
    then agree, however the last rounding fell.
    """
    if tol is None:
        return
    res2 = picks.res_norm.astype(np.float64) ** 2
    stop = picks.stop
    done = stop != CONTINUE
    met = done & (res2 <= tol)
    exact = done & ~met & (res2 <= floor)
    stop[met] = _k.STOP_TOL
    stop[exact] = EXACT


def pursuit_status(
    stop: np.ndarray,
    *,
    tol_given: bool,
    budget_is_rule: bool,
    driver: np.ndarray | None = None,
) -> np.ndarray:
    """:class:`~sparsela.Status` of every signal from its stop code.

    The budget (``n_nonzero`` atoms, ``max_iter`` steps) is a stopping rule
    unless only ``tol`` was asked for; an orthogonal residual is a
    least-squares fit over all atoms (converged) unless ``tol`` asked for
    more.
    """
    status = np.full(stop.shape, int(Status.CONVERGED), dtype=np.int64)
    status[stop == _k.STOP_DEPENDENT] = Status.NUMERICAL  # EXACT: converged
    if tol_given:
        status[stop == _k.STOP_ORTHOGONAL] = Status.TOL_UNREACHABLE
        if not budget_is_rule:
            status[stop == _k.STOP_BUDGET] = Status.MAX_ITER
    if driver is not None:
        status = np.where(stop == CONTINUE, driver, status)
    return status


def _details(unit: str) -> dict[int, str]:
    return {
        Status.MAX_ITER: f"stopped early as the {unit} limit was reached before tol",
        Status.NUMERICAL: "stopped early as the next atom was linearly dependent "
        "on the selected ones (it would make the Cholesky factor singular)",
        Status.TOL_UNREACHABLE: "stopped early as tol is unreachable: the "
        "residual is orthogonal to every atom",
    }


def _message(status: np.ndarray, stop: np.ndarray, single: bool, unit: str) -> str:
    # converged with an orthogonal residual before the budget: say so, it is
    # a least-squares fit over all atoms (e.g. an exactly sparse signal)
    exact = (status == Status.CONVERGED) & (stop == _k.STOP_ORTHOGONAL)
    fit = (
        "a least-squares fit over all atoms (residual orthogonal to every atom) "
        f"with fewer {unit}s than allowed"
    )
    floor = (
        "tol only to working precision (tol is below the rounding level: the "
        "residual is zero to working precision, ||r||^2 <= (100 eps)^2 ||y||^2)"
    )
    parts = []
    for flags, what in ((exact, fit), (stop == EXACT, floor)):
        if single and flags[0]:
            parts.append(f"it reached {what}")
        elif not single and flags.any():
            parts.append(f"{int(flags.sum())} of {flags.size} reached {what}")
    extra = "; ".join(parts)
    return status_message(status[0] if single else status, _details(unit), extra=extra)


def assemble(
    picks: Picks,
    norms: np.ndarray,
    *,
    single: bool,
    name: str,
    tol_given: bool,
    budget_is_rule: bool,
    shift: np.ndarray | None = None,
) -> OMPResult:
    """The :class:`~sparsela.OMPResult` of ``picks``.

    ``norms`` are the column norms of ``A`` (coefficients of the unit-norm
    atoms are divided by them); ``name`` is ``"omp"`` or ``"mp"`` (units of
    ``n_iter`` and the layout of the raw paths); ``shift``: signal ``j`` was
    multiplied by ``2**shift[j]`` before the pursuit (undone here).

    Raises
    ------
    ValueError
        A coefficient of ``x`` is not representable in the working precision
        (``A``'s columns and ``y`` scaled too far apart).
    """
    support, n_atoms = picks.support, picks.n_atoms
    S, width = support.shape
    K = norms.shape[0]
    coef = _unscale(picks.coef, support, norms, shift, n_atoms)
    x = scatter(support, coef, n_atoms, K)
    if shift is not None:
        with np.errstate(under="ignore"):  # a residual below the smallest float
            picks.res_norm = ldexp(picks.res_norm, -shift)
    # one compact array each for the selection order and the sorted atoms,
    # split into per-signal views
    kept = np.arange(width)[None, :] < n_atoms[:, None]
    ordered = np.where(kept, support, K)
    ordered.sort(axis=1)  # unused slots (K) go last
    selection = _split(support[kept], n_atoms)
    sorted_ = _split(ordered[kept], n_atoms)
    paths = None
    if picks.path is not None:
        paths = [_path(picks, i, norms, name, shift) for i in range(S)]
    status = pursuit_status(
        picks.stop,
        tol_given=tol_given,
        budget_is_rule=budget_is_rule,
        driver=picks.status,
    )
    unit = "atom" if name == "omp" else "step"
    message = _message(status, picks.stop, single, unit) if S else "no signals"
    return make_result(
        OMPResult,
        x=x,
        status=status,
        n_iter=picks.n_iter,
        residual_norm=picks.res_norm,
        single=single,
        message=message,
        per_signal={"support": sorted_, "selection": selection, "path": paths},
    )


def _split(flat: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """Views of ``flat`` of the given lengths, one per signal."""
    ends = np.cumsum(counts).tolist()
    return [flat[e - t : e] for e, t in zip(ends, counts.tolist(), strict=True)]


def _unscale(
    coef: np.ndarray,
    support: np.ndarray,
    norms: np.ndarray,
    shift: np.ndarray | None,
    n_atoms: np.ndarray,
) -> np.ndarray:
    """Coefficients of ``A``'s columns in the units of ``y``: ``coef / norms``
    times ``2**-shift``, checked to be representable."""
    lo, hi = square_range(norms.dtype)
    if shift is None and norms.min() >= np.sqrt(lo) and norms.max() <= np.sqrt(hi):
        return coef / norms[support]  # well scaled: the plain division
    # the mantissa of the norm, then one exponent: no intermediate over- or
    # underflow of coef / norms
    mant, e = np.frexp(norms)
    e = e[support].astype(np.int64)
    if shift is not None:
        e = e + shift[:, None]
    out = coef / mant[support]
    raw = out.copy()
    with np.errstate(over="ignore", under="ignore"):  # checked below
        out = ldexp(out, np.clip(-e, -(2**30), 2**30))
    used = np.arange(coef.shape[1])[None, :] < n_atoms[:, None]
    lost = used & (raw != 0) & ((out == 0) | ~np.isfinite(out))
    if lost.any():
        s, j = np.argwhere(lost)[0]
        exp10 = (np.log2(np.abs(raw[s, j])) - e[s, j]) * np.log10(2.0)
        raise ValueError(
            f"the solution is not representable in {out.real.dtype}: signal {s} "
            f"has a coefficient of magnitude about 1e{exp10:.0f} (y and the "
            "columns of A are scaled too far apart); rescale A or y"
        )
    return out


def _path(
    picks: Picks, i: int, norms: np.ndarray, name: str, shift: np.ndarray | None
) -> np.ndarray:
    """Path of signal ``i`` in the scaling of ``A``'s columns, ``(K, n_iter)``."""
    raw = picks.path[i]
    K = norms.shape[0]
    sh = None if shift is None else shift[i : i + 1]
    if name == "mp":  # (K, n_steps) already: every row an "atom"
        rows = np.broadcast_to(np.arange(K)[None, :], (raw.shape[1], K))
        n = np.full(raw.shape[1], K)
        if sh is not None:
            sh = np.full(raw.shape[1], sh[0], dtype=np.int32)
        return _unscale(raw.T, rows, norms, sh, n).T
    # OMP: raw[j, :j + 1] are the coefficients after j + 1 atoms
    t = int(picks.n_atoms[i])
    sup = picks.support[i]
    P = np.zeros((K, t), dtype=picks.coef.dtype)
    for j in range(t):
        c = _unscale(raw[j : j + 1, : j + 1], sup[None, : j + 1], norms, sh,
                     np.array([j + 1]))  # fmt: skip
        P[sup[: j + 1], j] = c[0]
    return P
