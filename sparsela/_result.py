"""Result objects returned by every solver.

In the spirit of :class:`scipy.optimize.OptimizeResult`: attribute access,
a readable ``repr``, never a positional tuple. For several signals the
per-signal fields (``converged``, ``status``, ``n_iter``, ``residual_norm``,
``support``) are arrays with one entry per signal.
"""

from __future__ import annotations

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
]


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
    status : int or ndarray of int
        0 = converged, 1 = iteration limit, 2 = stopped early for numerical
        reasons, other values are solver-specific and explained in ``message``.
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
        Selected atoms in the order chosen (one array per signal when several).
    path : list or None
        With ``return_path=True``: the coefficient vectors after each step.
    """

    support: Any = None
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
    """

    objective: Any = None
    gap: Any = None
    step: Any = None


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
    support : ndarray
        Indices with non-pruned ``gamma``.
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
