"""What every pursuit path hands back, and the one assembly of its result.

The Gram kernels and the operator-path states write the same raw record
(:class:`Picks`): atoms in selection order, coefficients of the *unit-norm*
atoms, counts, residual norms and the kernels' stop codes. :func:`assemble`
turns it into an :class:`~sparsela.OMPResult` through
:func:`~sparsela._result.make_result`, with :class:`~sparsela.Status` codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._result import OMPResult, Status, make_result, status_message
from ...kernels.cpu import omp as _k
from ._atoms import scatter

__all__ = ["CONTINUE", "Picks", "assemble", "pursuit_status"]

# stop code of a signal still running when the driver stopped it (callback):
# its status is the driver's
CONTINUE = -1


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
    status[stop == _k.STOP_DEPENDENT] = Status.NUMERICAL
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
    extra = ""
    if single and exact[0]:
        extra = f"it reached {fit}"
    elif not single and exact.any():
        extra = f"{int(exact.sum())} of {exact.size} reached {fit}"
    return status_message(status[0] if single else status, _details(unit), extra=extra)


def assemble(
    picks: Picks,
    norms: np.ndarray,
    *,
    single: bool,
    name: str,
    tol_given: bool,
    budget_is_rule: bool,
) -> OMPResult:
    """The :class:`~sparsela.OMPResult` of ``picks``.

    ``norms`` are the column norms of ``A`` (coefficients of the unit-norm
    atoms are divided by them); ``name`` is ``"omp"`` or ``"mp"`` (units of
    ``n_iter`` and the layout of the raw paths).
    """
    support, n_atoms = picks.support, picks.n_atoms
    S, width = support.shape
    K = norms.shape[0]
    x = scatter(support, picks.coef / norms[support], n_atoms, K)
    # one compact array each for the selection order and the sorted atoms,
    # split into per-signal views
    kept = np.arange(width)[None, :] < n_atoms[:, None]
    ordered = np.where(kept, support, K)
    ordered.sort(axis=1)  # unused slots (K) go last
    selection = _split(support[kept], n_atoms)
    sorted_ = _split(ordered[kept], n_atoms)
    paths = None
    if picks.path is not None:
        paths = [_path(picks, i, norms, name) for i in range(S)]
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


def _path(picks: Picks, i: int, norms: np.ndarray, name: str) -> np.ndarray:
    """Path of signal ``i`` in the scaling of ``A``'s columns, ``(K, n_iter)``."""
    raw = picks.path[i]
    if name == "mp":  # (K, n_steps) already
        return raw / norms[:, None]
    # OMP: raw[j, :j + 1] are the coefficients after j + 1 atoms
    t = int(picks.n_atoms[i])
    sup = picks.support[i]
    P = np.zeros((norms.shape[0], t), dtype=picks.coef.dtype)
    for j in range(t):
        P[sup[: j + 1], j] = raw[j, : j + 1] / norms[sup[: j + 1]]
    return P
