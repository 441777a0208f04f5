"""Orthogonal matching pursuit (OMP): the public :func:`omp`.

Validation at the boundary (:func:`~sparsela._validation.check_problem`), the
option checks, the choice between the Gram path (:mod:`._gram`, Batch-OMP)
and the operator path (:mod:`._operator`), and one result assembly
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
from ._gram import omp_on_gram
from ._operator import omp_operator
from ._options import (
    check_precompute,
    check_tol,
    default_n_nonzero,
    omp_n_nonzero,
)
from ._signals import Signals, rows_of, run_split

__all__ = ["omp"]


@over_dask_signals(OMPResult, refuse=("callback", "return_path"))
def omp(
    A: Any,
    y: Any,
    *,
    n_nonzero: int | None = None,
    tol: float | None = None,
    precompute: bool | str = "auto",
    return_path: bool = False,
    callback: Callable[[Any], Any] | None = None,
) -> OMPResult:
    r"""Orthogonal matching pursuit for one or many signals.

    Greedily builds the support of ``x`` one atom (column of ``A``) at a time:
    the atom most correlated with the residual is added and ``x`` is refitted
    by least squares on the whole support, so the residual stays orthogonal
    to every selected atom.

    Parameters
    ----------
    A : array_like, sparse matrix, sparsela format or LinearOperator
        Dictionary of shape ``(m, n)``; anything
        :func:`~sparsela.operators.aslinearoperator` accepts, a SciPy
        ``LinearOperator`` included (it needs ``rmatvec``). Columns need not
        have unit norm but must be non-zero.
    y : array_like of shape (m,) or (m, n_signals)
        Signal(s), one per column, coded independently.
        A Dask array (columns chunked) gives a lazy result of Dask arrays,
        each chunk solved where it lives (``callback`` is refused then).
    n_nonzero : int, optional
        Largest number of atoms per signal, ``1 <= n_nonzero <= min(m, n)``.
        Default ``max(int(0.1 * n), 1)`` when neither ``n_nonzero`` nor
        ``tol`` is given (as scikit-learn).
    tol : float, optional
        Stop a signal once its squared residual ``||y - A x||_2^2 <= tol``.
        With both ``n_nonzero`` and ``tol`` a signal stops at whichever comes
        first (scikit-learn lets ``tol`` override ``n_nonzero``). A signal with
        ``||y||^2 <= tol`` gets ``x = 0``.
    precompute : {"auto", True, False}, default="auto"
        True: Gram path (Batch-OMP). For a matrix-free operator the Gram
        matrix is formed by its ``gram()`` (by default from blocks of
        columns). False: operator path. "auto": Gram path for explicit ``A``
        (dense or sparse) when the Gram matrix takes at most 1 GiB and a rough
        flop count says it pays (forming it costs about ``m n^2 / 2``, each
        signal saves about ``n_nonzero m n``: with 256 x 1024 and
        ``n_nonzero=16`` from about 30 signals on); operator path otherwise.
    return_path : bool, default=False
        Also return the coefficients after each step in ``path``.
    callback : callable, optional
        ``callback(xk)`` after each atom, ``xk`` shaped as the result's ``x``
        (``(n,)`` for one signal, ``(n, n_signals)`` with the current ``x`` of
        every signal); returning True stops every running signal with
        ``Status.CALLBACK``. The Gram path is one kernel call, so with a
        callback the operator path runs (``precompute`` is not used) and all
        signals run as one batch.

    Returns
    -------
    OMPResult
        ``x`` of shape ``(n,)`` or ``(n, n_signals)``, in the working precision
        (float32 input stays float32); ``support``: the selected atoms,
        sorted (an int array, or a list of them with one per signal);
        ``selection``: the same atoms in the order selected; ``n_iter``:
        number of atoms; ``residual_norm``: ``||y - A x||_2``, computed from
        the final ``x``; ``converged``, ``status`` (a
        :class:`~sparsela.Status`) and ``message`` (see Notes); ``path`` (if
        ``return_path``): an array of shape ``(n, n_iter)`` whose column
        ``t`` is ``x`` after ``t + 1`` atoms (a list of them for several
        signals). For several signals ``converged``, ``status``, ``n_iter``
        and ``residual_norm`` are arrays of length ``n_signals``.

    Raises
    ------
    ValueError
        Shape mismatch between ``A`` and ``y``, NaN or Inf in either, empty
        ``A``, a zero-norm column of ``A``, ``n_nonzero`` outside
        ``[1, min(m, n)]``, negative ``tol``, a solution that is not
        representable in the working precision (``A`` and ``y`` scaled too
        far apart).
    TypeError
        Non-numeric ``A`` or ``y``, ``A`` without an adjoint, or a wrongly
        typed option.

    See Also
    --------
    sparsela.solvers.pursuit.omp_gram : the Gram path on a precomputed
        ``G = Aᴴ A`` and ``Aᴴ Y``.
    sparsela.mp : matching pursuit (no refit).

    Notes
    -----
    **Selection rule.** Atom ``k = argmax_i |a_iᴴ r| / ||a_i||_2`` among the
    atoms not yet selected (the usual OMP rule; it does not depend on how the
    columns are scaled, and equals scikit-learn's ``argmax |a_iᵀ r|`` when the
    columns have unit norm). Ties go to the lowest index.

    **Gram path** (Batch-OMP of Rubinstein, Zibulevsky and Elad). With
    ``Aₙ`` the column-normalised ``A``, ``G = Aₙᴴ Aₙ`` is formed once and
    ``alpha0 = Aₙᴴ y`` for a chunk of signals with one product. Per signal
    and iteration, with ``L`` the Cholesky factor of ``G[I, I]`` grown by one
    row, ``z = L^{-1} alpha0[I]`` grown by one entry, the correlations are
    updated as ``alpha = alpha0 - G[:, I] c`` without touching ``m``-length
    vectors (kept in the equivalent form ``alpha -= (Aₙᴴ q_t) z_t`` with
    ``q_t`` the new orthonormalised atom), and
    ``||r||^2 = ||y||^2 - ||z||^2``. Cost per signal ``O(n t^2)`` after the
    ``O(m n^2)`` Gram matrix; Numba threads run signals in parallel, in chunks
    that bound the working memory.

    **Operator path.** Per iteration one ``Aᴴ R`` for all running signals,
    the chosen atoms ``A e_k``, and a batched Gram-Schmidt step (twice, for
    orthogonality to working precision) against the already orthonormalised
    atoms of each signal; the residual is updated exactly and ``x`` recovered
    from the triangular factor. ``O(m t)`` memory per signal.

    **Stopping and status.** A signal stops when it has ``n_nonzero`` atoms,
    when ``||r||^2 <= tol``, or early:

    * ``Status.CONVERGED`` (0): the stopping rule was met; this includes
      signals whose residual became orthogonal to every atom before
      ``n_nonzero`` atoms were chosen when no ``tol`` is given -- ``x`` is
      then a least-squares solution over all atoms (e.g. an exactly sparse
      signal) -- and, with a ``tol`` below the rounding level (``tol=0``),
      signals whose residual is zero to working precision,
      ``||r||^2 <= (100 eps)^2 ||y||^2`` (the message says so).
    * ``Status.MAX_ITER`` (1): only ``tol`` given and all ``min(m, n)``
      atoms used without reaching it.
    * ``Status.NUMERICAL`` (2): the best atom is linearly dependent on the
      selected ones to working precision (squared distance to their span
      ``<= 100 eps``, as with duplicate or extremely coherent atoms); it is
      not selected, since it would make the Cholesky factor singular.
    * ``Status.CALLBACK`` (3): the callback returned True.
    * ``Status.TOL_UNREACHABLE`` (4): ``tol`` unreachable, the residual is
      orthogonal to every atom (``max |a_iᴴ r|^2 <= (100 eps)^2 ||y||^2``).

    ``message`` counts the signals of each kind. No NaN is produced.

    Every ``tol`` decision is checked against the reported residual, so both
    paths agree on it: the Gram recursion ``||y||^2 - ||z||^2`` is only
    accurate to about ``eps ||y||^2``, so a signal whose ``tol`` is below
    ``100 eps ||y||^2`` (``tol=0`` among them) runs on the operator path,
    whose residuals are exact.

    **Scale.** The result does not depend on units: ``omp(c A, y)`` gives
    ``x / c`` and ``omp(A, c y)`` gives ``c x`` (``tol`` in the units of
    ``y^2``). Columns of ``A`` and signals whose squared norms would over- or
    underflow (beyond about ``1e±154`` in float64, ``1e±19`` in float32) are
    scaled by a power of two before the pursuit, which is exact, and the
    answer is scaled back; a coefficient that is not representable raises
    ``ValueError``.

    References
    ----------
    .. [1] Y. C. Pati, R. Rezaiifar, P. S. Krishnaprasad, "Orthogonal matching
       pursuit: recursive function approximation with applications to wavelet
       decomposition", Asilomar Conference, 1993.
    .. [2] R. Rubinstein, M. Zibulevsky, M. Elad, "Efficient implementation of
       the K-SVD algorithm using Batch Orthogonal Matching Pursuit", Technion
       technical report CS-2008-08, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.pursuit import omp
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20, 50))
    >>> x_true = np.zeros(50)
    >>> x_true[[3, 17, 41]] = [1.0, -2.0, 0.5]
    >>> res = omp(A, A @ x_true, n_nonzero=3)
    >>> res.support
    array([ 3, 17, 41])
    >>> bool(np.allclose(res.x, x_true))
    True
    >>> res.converged, res.status
    (True, <Status.CONVERGED: 0>)

    Several signals are coded independently; a callback may stop them:

    >>> Y = A[:, [0, 1]] + A[:, [5, 6]]
    >>> res = omp(A, Y, n_nonzero=4, callback=lambda xk: True)
    >>> res.status, res.n_iter, res.x.shape
    (array([3, 3]), array([1, 1]), (50, 2))
    """
    op, Y, single, dtype = check_problem(A, y, allow_no_signals=True)
    atoms = Atoms(op, dtype)
    tol = check_tol(tol)
    precompute = check_precompute(precompute)
    callback = check_callback(callback)
    m, K = atoms.shape
    limit = min(m, K)
    if n_nonzero is None and tol is None:
        n_nonzero = default_n_nonzero(K)
    what = f"min(n_rows, n_atoms) = {limit} for A of shape {atoms.shape}"
    n_nonzero = omp_n_nonzero(n_nonzero, limit, what)
    T = n_nonzero if n_nonzero is not None else limit
    S = Y.shape[1]
    sig = Signals(Y, atoms.rdtype, tol)
    path = bool(return_path)
    if callback is None and use_gram(precompute, atoms, S, T, mp=False):
        picks = run_split(
            sig,
            lambda rows: omp_on_gram(atoms, sig.Y[:, rows], sig.norms2[rows], T,
                                     rows_of(sig.tol, rows), path),
            lambda rows: omp_operator(atoms, sig.Y[:, rows], sig.norms2[rows], T,
                                      rows_of(sig.tol, rows), path),
            T, atoms.dtype, atoms.rdtype, path,
        )  # fmt: skip
    else:
        picks = omp_operator(atoms, sig.Y, sig.norms2, T, sig.tol, path, callback,
                             single)  # fmt: skip
    settle_tol(picks, sig.tol, sig.floor)
    return assemble(picks, atoms.norms, single=single, name="omp",
                    tol_given=tol is not None,
                    budget_is_rule=n_nonzero is not None,
                    shift=sig.shift)  # fmt: skip
