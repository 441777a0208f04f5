"""Result objects returned by every solver, and the one status vocabulary.

In the spirit of :class:`scipy.optimize.OptimizeResult`: attribute access,
a readable ``repr``, never a positional tuple. For several signals the
per-signal fields (``converged``, ``status``, ``n_iter``, ``residual_norm``,
``support``) are arrays (``support`` a list of arrays) with one entry per
signal. :func:`make_result` is the one assembly every solver uses, and
:class:`Status` the one set of status codes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = [
    "DictLearningResult",
    "OMPResult",
    "ProxResult",
    "SBLResult",
    "SolverResult",
    "SparseWHTResult",
    "Status",
    "make_result",
    "status_message",
]


class Status(enum.IntEnum):
    """Why a solver stopped, the same codes in every solver.

    ``CONVERGED`` is the only status with ``converged=True``. The first four
    codes are shared by every iterative solver; the later ones are specific
    to a family and documented in its Notes.

    Attributes
    ----------
    CONVERGED : 0
        The stopping rule was met.
    MAX_ITER : 1
        The iteration (or atom, step) limit was reached first.
    NUMERICAL : 2
        Stopped for a numerical reason: no further progress is possible in
        the working precision (a singular update, a stalled duality gap,
        non-finite values).
    CALLBACK : 3
        The callback returned True.
    TOL_UNREACHABLE : 4
        Pursuit: ``tol`` cannot be met, the residual is orthogonal to every
        atom.
    PEELING_STALLED : 5
        Sparse Walsh-Hadamard transform: the peeling decoder left bins
        unexplained, or the result cannot be trusted (see ``message``).

    Examples
    --------
    >>> from sparsela import Status
    >>> Status(3).name
    'CALLBACK'
    >>> Status.CONVERGED == 0
    True
    """

    CONVERGED = 0
    MAX_ITER = 1
    NUMERICAL = 2
    CALLBACK = 3
    TOL_UNREACHABLE = 4
    PEELING_STALLED = 5


# One message per status; a solver passes ``details`` to say more (which
# rule, which limit) without changing the vocabulary.
MESSAGES = {
    Status.CONVERGED: "the stopping rule was met",
    Status.MAX_ITER: "the iteration limit was reached before the stopping rule",
    Status.NUMERICAL: "stopped for a numerical reason before the stopping rule",
    Status.CALLBACK: "stopped by the callback",
    Status.TOL_UNREACHABLE: "tol is unreachable: the residual is orthogonal to "
    "every atom",
    Status.PEELING_STALLED: "the peeling decoder stalled: bins left unexplained",
}


def status_message(
    status: Any, details: Mapping[int, str] | None = None, *, extra: str = ""
) -> str:
    """One message for one signal's status, or counts of each for many.

    Parameters
    ----------
    status : int or array_like of int
        Status code(s), values of :class:`Status`.
    details : dict, optional
        Solver-specific wording per status code, replacing the default one.
    extra : str, optional
        Appended after a semicolon (a remark that holds for every signal).

    Returns
    -------
    str

    Examples
    --------
    >>> from sparsela._result import status_message
    >>> status_message(0)
    'converged: the stopping rule was met'
    >>> status_message([0, 0, 1])
    '2 of 3 signals converged: the stopping rule was met; 1 of 3 signals \
stopped (status 1, MAX_ITER): the iteration limit was reached before the \
stopping rule'
    """
    words = dict(MESSAGES)
    if details:
        words.update({Status(k): v for k, v in details.items()})

    def one(code: int) -> str:
        code = Status(int(code))
        if code == Status.CONVERGED:
            return f"converged: {words[code]}"
        return f"stopped (status {int(code)}, {code.name}): {words[code]}"

    arr = np.asarray(status)
    if arr.ndim == 0:
        msg = one(int(arr))
    elif arr.size == 0:
        msg = "no signals"
    else:
        codes, counts = np.unique(arr, return_counts=True)
        msg = "; ".join(
            f"{c} of {arr.size} signals {one(k)}"
            for k, c in zip(codes.tolist(), counts.tolist(), strict=True)
        )
    return f"{msg}; {extra}" if extra else msg


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=4, threshold=6)
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{k!r}: [{len(v)} values]" for k, v in value.items()) + "}"
        )
    if isinstance(value, list) and len(value) > 6:
        return f"[{len(value)} items]"
    return repr(value)


@dataclass(repr=False)
class SolverResult:
    """Outcome of a solver.

    Attributes
    ----------
    x : ndarray
        Solution, shape ``(n,)`` for one signal or ``(n, n_signals)``.
    converged : bool or ndarray of bool
        Whether the stopping criterion was met (per signal for several).
    status : Status or ndarray of int
        A :class:`Status` code: 0 converged, 1 iteration limit, 2 numerical
        stop, 3 callback; higher values are solver-specific and explained in
        ``message``.
    message : str
        Human-readable reason for stopping.
    n_iter : int or ndarray of int
        Iterations performed (per signal for several).
    residual_norm : float or ndarray
        ``||y - A x||_2`` at the end (per signal for several).
    history : dict of lists
        Per-iteration records (``objective``, ``residual``, ``time`` and
        solver-specific keys); empty when not recorded.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._result import SolverResult
    >>> r = SolverResult(x=np.zeros(3), converged=True, status=0,
    ...                  message="ok", n_iter=1, residual_norm=0.0)
    >>> r.converged
    True
    """

    x: Any
    converged: Any = False
    status: Any = 0
    message: str = ""
    n_iter: Any = 0
    residual_norm: Any = None
    history: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        names = [f.name for f in fields(self)]
        width = max(len(n) for n in names)
        lines = [f"{n.rjust(width)}: {_short(getattr(self, n))}" for n in names]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def keys(self) -> list[str]:
        """Names of the result's fields, as for :class:`OptimizeResult`."""
        return [f.name for f in fields(self)]

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)


@dataclass(repr=False)
class OMPResult(SolverResult):
    """Result of :func:`sparsela.omp` and :func:`sparsela.mp`.

    Attributes
    ----------
    support : ndarray or list of ndarray
        Selected atoms, sorted (one array per signal when several).
    selection : ndarray or list of ndarray
        The same atoms in the order they were selected.
    path : list or None
        With ``return_path=True``: the coefficient vectors after each step.
    """

    support: Any = None
    selection: Any = None
    path: Any = None


@dataclass(repr=False)
class ProxResult(SolverResult):
    """Result of the proximal-gradient solvers (:func:`sparsela.ista`, ...).

    Attributes
    ----------
    objective : float or ndarray
        Final objective value ``F(x)`` (per signal for several).
    gap : float or ndarray or None
        Final relative duality gap, for penalties that define one.
    step : float or ndarray
        Final step size(s) ``1/L``.
    support : ndarray or list of ndarray
        Sorted indices of the non-zero coefficients (one array per signal
        when several).
    """

    objective: Any = None
    gap: Any = None
    step: Any = None
    support: Any = None


@dataclass(repr=False)
class SBLResult(SolverResult):
    """Result of :func:`sparsela.sbl` and :func:`sparsela.kron_sbl`.

    Attributes
    ----------
    gamma : ndarray
        Learned prior variances (hyperparameters), length ``n``.
    gammas : list of ndarray or None
        Per-mode variances for Kronecker-structured SBL.
    noise_var : float
        Final noise variance.
    support : ndarray or list of ndarray
        Sorted indices with non-pruned ``gamma`` (one array per signal when
        several independent signals).
    """

    gamma: Any = None
    gammas: Any = None
    noise_var: Any = None
    support: Any = None


@dataclass(repr=False)
class SparseWHTResult(SolverResult):
    """Result of :func:`sparsela.sparse_wht`.

    Attributes
    ----------
    support : ndarray
        Recovered non-zero Walsh-Hadamard indices, sorted.
    coefficients : ndarray
        Coefficients at ``support``.
    n_samples : int
        Number of signal samples read.
    """

    support: Any = None
    coefficients: Any = None
    n_samples: int = 0


@dataclass(repr=False)
class DictLearningResult(SolverResult):
    """Result of :func:`sparsela.dictionary_learning`.

    Attributes
    ----------
    dictionary : ndarray
        Learned dictionary, atoms in columns.
    codes : ndarray
        Sparse codes of the training signals, one column per signal.
    """

    dictionary: Any = None
    codes: Any = None


# fields that hold one value per signal: unwrapped to a scalar for one signal
_PER_SIGNAL = ("converged", "status", "n_iter", "residual_norm")


def make_result(
    cls: type[SolverResult],
    *,
    x: Any,
    status: Any,
    n_iter: Any,
    residual_norm: Any,
    single: bool,
    message: str | None = None,
    details: Mapping[int, str] | None = None,
    per_signal: Mapping[str, Any] | None = None,
    **fields_: Any,
) -> SolverResult:
    """Assemble a result for one signal or many, the same way for every solver.

    Parameters
    ----------
    cls : type
        The result class (:class:`SolverResult` or a subclass).
    x : ndarray
        Solution, ``(n, n_signals)``; returned as ``(n,)`` when ``single``.
    status, n_iter, residual_norm : array_like of shape (n_signals,)
        Per-signal values; ``converged`` is ``status == Status.CONVERGED``.
    single : bool
        The caller passed one 1-D signal: per-signal fields become scalars.
    message : str, optional
        Overrides the message built by :func:`status_message`.
    details : dict, optional
        Solver-specific wording per status, for :func:`status_message`.
    per_signal : dict, optional
        Further per-signal fields (arrays of length ``n_signals``, or lists
        such as ``support``): unwrapped to their first entry when ``single``.
    **fields_
        Other fields of ``cls``, passed as they are.

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._result import SolverResult, make_result
    >>> r = make_result(SolverResult, x=np.ones((2, 1)), status=[0], n_iter=[4],
    ...                 residual_norm=[0.0], single=True)
    >>> r.x, r.converged, r.status, r.n_iter
    (array([1., 1.]), True, <Status.CONVERGED: 0>, 4)
    """
    status = np.asarray(status, dtype=np.int64).reshape(-1)
    n_iter = np.asarray(n_iter, dtype=np.int64).reshape(-1)
    residual_norm = np.asarray(residual_norm).reshape(-1)
    converged = status == Status.CONVERGED
    if message is None:
        message = status_message(status[0] if single else status, details)
    extra = dict(per_signal or {})
    if single:
        x = x[:, 0] if getattr(x, "ndim", 1) == 2 else x
        values = {
            "converged": bool(converged[0]),
            "status": Status(int(status[0])),
            "n_iter": int(n_iter[0]),
            "residual_norm": float(residual_norm[0]),
        }
        extra = {k: _first(v) for k, v in extra.items()}
    else:
        values = {
            "converged": converged,
            "status": status,
            "n_iter": n_iter,
            "residual_norm": residual_norm,
        }
    return cls(x=x, message=message, **values, **extra, **fields_)


def _first(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        item = value[0]
        return item.item() if isinstance(item, np.generic) else item
    return value[0]
