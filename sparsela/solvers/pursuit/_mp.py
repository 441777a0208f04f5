"""Plain matching pursuit (MP): the public :func:`mp`.

Validation, option checks, the choice between the Gram path (:mod:`._gram`)
and the operator path (:mod:`._operator`), one result assembly
(:mod:`._assemble`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._dask import over_dask_signals
from ..._result import OMPResult
from ..._validation import check_callback, check_problem
from ._assemble import assemble, settle_tol
from ._atoms import Atoms, use_gram
from ._gram import mp_on_gram
from ._operator import mp_operator
from ._options import check_precompute, check_tol, mp_budget
from ._signals import Signals, rows_of, run_split

__all__ = ["mp"]


@over_dask_signals(OMPResult, refuse=("callback", "return_path"))
def mp(
    A: Any,
    y: Any,
    *,
    n_nonzero: int | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    positive: bool = False,
    precompute: bool | str = "auto",
    return_path: bool = False,
    callback: Callable[[Any], Any] | None = None,
) -> OMPResult:
    r"""Plain matching pursuit for one or many signals.

    Each step picks the atom most correlated with the residual, adds the
    correlation (along the normalised atom) to its coefficient and subtracts
    that component from the residual. Unlike :func:`~sparsela.omp` there is
    no refit, so atoms may be chosen again and each step is cheap.

    Parameters
    ----------
    A : array_like, sparse matrix, sparsela format or LinearOperator
        Dictionary of shape ``(m, n)``, non-zero columns (any norm); anything
        :func:`~sparsela.operators.aslinearoperator` accepts (with an
        adjoint).
    y : array_like of shape (m,) or (m, n_signals)
        Signal(s), one per column, coded independently.
        A Dask array (columns chunked) gives a lazy result of Dask arrays,
        each chunk solved where it lives (``callback`` is refused then).
    n_nonzero : int, optional
        Largest number of distinct atoms per signal (``1 <= n_nonzero <=
        n``): a signal stops before a step that would add one more. Default
        ``max(int(0.1 * n), 1)`` when ``n_nonzero``, ``tol`` and ``max_iter``
        are all omitted.
    tol : float, optional
        Stop a signal once ``||y - A x||_2^2 <= tol``.
    max_iter : int, optional
        Largest number of steps per signal. Default: ``n_nonzero`` when no
        ``tol`` is given (``k`` steps, as in a ``k``-step matching-pursuit
        encoder), otherwise ``10 * min(m, n)``.
    positive : bool, default=False
        Pick ``argmax_i Re(a_iᴴ r) / ||a_i||`` instead of the largest
        magnitude, so every coefficient is non-negative (real data only).
    precompute : {"auto", True, False}, default="auto"
        Gram path (one ``O(n)`` update per step) or operator path (one
        ``Aᴴ R`` per step), chosen as in :func:`~sparsela.omp`.
    return_path : bool, default=False
        Also return ``x`` after each step in ``path``.
    callback : callable, optional
        ``callback(xk)`` after each step, ``xk`` shaped as the result's ``x``
        (the current ``x`` of every signal); returning True stops every
        running signal with ``Status.CALLBACK``. With a callback the
        operator path runs (the Gram path is one kernel call).

    Returns
    -------
    OMPResult
        As :func:`~sparsela.omp`; ``support`` holds the distinct atoms,
        sorted, ``selection`` the same in order of first selection,
        ``n_iter`` counts steps (which may exceed ``len(support)``), ``path``
        has one column per step.

    Raises
    ------
    ValueError
        As :func:`~sparsela.omp` (``n_nonzero`` up to ``n``), ``max_iter <
        1``, ``positive`` with complex data.
    TypeError
        As :func:`~sparsela.omp`.

    See Also
    --------
    sparsela.solvers.pursuit.mp_gram : the Gram path on a precomputed
        ``G = Aᴴ A`` and ``Aᴴ Y``.

    Notes
    -----
    With unit atoms ``u_i = a_i / ||a_i||`` a step is ``k = argmax |u_iᴴ r|``,
    ``x_k += (u_kᴴ r) / ||a_k||``, ``r -= (u_kᴴ r) u_k``, so ``||r||^2``
    decreases by ``|u_kᴴ r|^2``. On the Gram path the correlations are updated
    as ``alpha -= G[:, k] (u_kᴴ r)`` with ``G`` the Gram matrix of the ``u_i``.

    Status: ``Status.CONVERGED`` (0) when the step budget or the
    ``n_nonzero`` atoms were used, when ``||r||^2 <= tol``, or (without
    ``tol``) when the residual is orthogonal to every atom;
    ``Status.MAX_ITER`` (1) when ``tol`` was given and ``max_iter`` steps did
    not reach it; ``Status.CALLBACK`` (3) when the callback returned True;
    ``Status.TOL_UNREACHABLE`` (4) when ``tol`` is unreachable because the
    residual is orthogonal to every atom (with ``positive``: no atom has a
    positive correlation left). As in :func:`~sparsela.omp`, ``tol`` is
    checked against the reported residual (a residual zero to working
    precision meets a ``tol`` below the rounding level, such as ``tol=0``),
    and the result does not depend on the scale of ``A`` or ``y``.

    References
    ----------
    .. [1] S. Mallat, Z. Zhang, "Matching pursuits with time-frequency
       dictionaries", IEEE Trans. Signal Processing 41(12), 1993.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.pursuit import mp
    >>> A = np.eye(4)
    >>> res = mp(A, np.array([0.0, 3.0, 0.0, -1.0]), n_nonzero=2)
    >>> res.x
    array([ 0.,  3.,  0., -1.])
    >>> res.support, res.selection
    (array([1, 3]), array([1, 3]))
    """
    op, Y, single, dtype = check_problem(A, y, allow_no_signals=True)
    atoms = Atoms(op, dtype)
    m, K = atoms.shape
    tol = check_tol(tol)
    precompute = check_precompute(precompute)
    callback = check_callback(callback)
    if positive and atoms.dtype.kind == "c":
        raise ValueError("positive=True needs real A and y, got complex data")
    n_nonzero, max_iter, cap = mp_budget(n_nonzero, tol, max_iter, K, 10 * min(m, K))
    S = Y.shape[1]
    sig = Signals(Y, atoms.rdtype, tol)
    opts = (max_iter, cap)
    flags = (bool(positive), bool(return_path))
    if callback is None and use_gram(precompute, atoms, S, max_iter, mp=True):
        picks = run_split(
            sig,
            lambda rows: mp_on_gram(atoms, sig.Y[:, rows], sig.norms2[rows], *opts,
                                    rows_of(sig.tol, rows), *flags),
            lambda rows: mp_operator(atoms, sig.Y[:, rows], sig.norms2[rows], *opts,
                                     rows_of(sig.tol, rows), *flags),
            cap, atoms.dtype, atoms.rdtype, flags[1],
        )  # fmt: skip
    else:
        picks = mp_operator(atoms, sig.Y, sig.norms2, *opts, sig.tol, *flags,
                            callback, single)  # fmt: skip
    settle_tol(picks, sig.tol, sig.floor)
    return assemble(picks, atoms.norms, single=single, name="mp",
                    tol_given=tol is not None, budget_is_rule=tol is None,
                    shift=sig.shift)  # fmt: skip
