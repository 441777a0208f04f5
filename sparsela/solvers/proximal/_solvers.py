"""Proximal-gradient solvers: ISTA and FISTA (with backtracking and restart).

Both minimise ``F(x) = 1/2 ||A x - y||_2^2 + g(x)`` (the datafit
:class:`~sparsela.datafits.Quadratic`, a penalty ``g`` of
:mod:`sparsela.penalties`), for one signal or for many signals at once
(columns of ``y``), each with its own weight, step, gap and stopping.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..._dask import over_dask_signals
from ..._result import ProxResult, make_result
from ..._threads import blas_single_thread
from ..._validation import (
    check_array,
    check_callback,
    check_positive_int,
    check_problem,
    check_scalar,
)
from ...datafits import Quadratic
from ...penalties import Prox, make_penalty
from ...penalties._base import _check_number, _describe, lambda_max_names
from .._base import History, run
from ._products import make_products
from ._scale import Units
from ._state import ProtocolPenalty, ProxGradient

__all__ = ["fista", "ista", "lambda_max"]


# ---- public API ---------------------------------------------------------------
@over_dask_signals(ProxResult)
def ista(
    A: Any,
    y: Any,
    *,
    lam: float | None = None,
    penalty: str | Prox | Any = "l1",
    weights: Any = None,
    groups: Any = None,
    l1_ratio: float | None = None,
    lower: Any = None,
    upper: Any = None,
    backtracking: bool | str = "auto",
    step: float | None = None,
    x0: Any = None,
    max_iter: int = 5000,
    tol: float = 1e-6,
    callback: Callable[[np.ndarray], Any] | None = None,
) -> ProxResult:
    """Iterative shrinkage-thresholding (proximal gradient) for sparse recovery.

    Minimises ``F(x) = 1/2 ||A x - y||_2^2 + g(x)`` with
    ``x_{k+1} = prox_{g/L}(x_k - A^H (A x_k - y) / L)``. Same parameters and
    result as :func:`fista`, without momentum; prefer :func:`fista`, which
    needs far fewer iterations.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Anything :func:`sparsela.operators.aslinearoperator` accepts.
    y : array_like of shape (m,) or (m, n_signals)
        Measurements; several signals go in the columns.
        A Dask array (columns chunked) gives a lazy result of Dask arrays,
        each chunk solved where it lives (``callback`` is refused then).
    lam, penalty, weights, groups, l1_ratio, lower, upper, backtracking, step, \
x0, max_iter, tol, callback
        See :func:`fista`.

    Returns
    -------
    ProxResult
        See :func:`fista`.

    Notes
    -----
    ``F(x_k) - F* <= L ||x_0 - x*||^2 / (2k)`` for convex ``g``.

    References
    ----------
    .. [1] I. Daubechies, M. Defrise, C. De Mol, "An iterative thresholding
       algorithm for linear inverse problems with a sparsity constraint",
       Comm. Pure Appl. Math. 57 (2004).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.proximal import ista
    >>> A = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> res = ista(A, np.array([2.0, 0.2]), lam=0.5, tol=1e-12)
    >>> np.round(res.x, 4)
    array([1.5, 0. ])
    >>> bool(res.converged)
    True
    """
    return _solve(
        A, y, lam, penalty,
        dict(weights=weights, groups=groups, l1_ratio=l1_ratio, lower=lower,
             upper=upper),
        accelerated=False, restart=False, backtracking=backtracking, step=step,
        x0=x0, max_iter=max_iter, tol=tol, callback=callback,
    )  # fmt: skip


@over_dask_signals(ProxResult)
def fista(
    A: Any,
    y: Any,
    *,
    lam: float | None = None,
    penalty: str | Prox | Any = "l1",
    weights: Any = None,
    groups: Any = None,
    l1_ratio: float | None = None,
    lower: Any = None,
    upper: Any = None,
    restart: bool | str = True,
    backtracking: bool | str = "auto",
    step: float | None = None,
    x0: Any = None,
    max_iter: int = 5000,
    tol: float = 1e-6,
    callback: Callable[[np.ndarray], Any] | None = None,
) -> ProxResult:
    """Fast iterative shrinkage-thresholding (FISTA) with adaptive restart.

    Minimises ``F(x) = 1/2 ||A x - y||_2^2 + g(x)`` for a sparsity penalty
    ``g``, for one signal or for every column of ``y`` at once.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        The forward operator: a dense array, a ``scipy.sparse`` matrix or a
        sparsela format, or any :class:`~sparsela.operators.LinearOperator`
        (``Kronecker``, ``WalshHadamard``, ...). Real or complex.
    y : array_like of shape (m,) or (m, n_signals)
        Measurements; several signals go in the columns and are solved in one
        batched iteration, each with its own step, gap and stopping.
        A Dask array (columns chunked) gives a lazy result of Dask arrays,
        each chunk solved where it lives (``callback`` is refused then).
    lam : float or array_like of shape (n_signals,), optional
        Non-negative weight of the penalty, one for every signal or one per
        signal (e.g. ``0.1 * lambda_max(A, Y)``); required for every named
        penalty except ``"box"`` (which has none). Must be ``None`` when
        ``penalty`` is a :class:`~sparsela.penalties.Prox` instance, which
        carries its own.
    penalty : str or Prox, default="l1"
        ``"l1"`` (``lam ||x||_1``), ``"weighted_l1"`` (``lam sum w_i |x_i|``,
        needs ``weights``), ``"l0"`` (``lam ||x||_0``), ``"group_l1"``
        (``lam sum_g w_g ||x_g||_2``, needs ``groups``; ``weights`` are then
        per group, default ``sqrt`` of the group sizes), ``"nonneg_l1"``
        (``lam sum x_i`` with ``x >= 0``; real data), ``"elastic_net"``
        (``lam (a ||x||_1 + (1-a)/2 ||x||^2)`` with ``a = l1_ratio``) or
        ``"box"`` (``lower <= x <= upper``; real data). Or a
        :class:`~sparsela.penalties.Prox` instance, or any object with
        methods ``prox(v, step)`` and ``value(x)`` (see
        :class:`~sparsela.penalties.Prox` for the protocol), or a bare
        function ``prox(v, step)`` (its penalty value is then unknown and
        ``objective`` reports ``1/2 ||Ax - y||^2`` only). For a 2-D ``y``
        these are called on ``(n, k)`` blocks with one step per column.
    weights, groups, l1_ratio, lower, upper : optional
        Parameters of the named penalty (see :mod:`sparsela.penalties`); passing
        one that the penalty does not use raises ``ValueError``.
    restart : bool or {"gradient", "function"}, default=True
        Adaptive restart of the momentum (O'Donoghue & Candès): ``True`` or
        ``"gradient"`` resets it when ``<y_k - x_{k+1}, x_{k+1} - x_k> > 0``,
        ``"function"`` when the objective increases; ``False`` is plain FISTA.
    backtracking : bool or "auto", default="auto"
        How the step ``1/L`` is chosen. In every mode the descent condition
        ``||A (x_k - y_k)||^2 <= L ||x_k - y_k||^2`` is checked at each
        iteration, at no extra product (``A x`` is carried along), and ``L``
        is raised where it fails.

        * ``"auto"``: adaptive backtracking. Each iteration first tries
          ``0.9 L``, then raises ``L`` (guided by the Rayleigh quotient along
          the failed step) until the condition holds; the momentum accounts
          for the change of ``L`` (Calatroni & Chambolle [3]_). The steps
          follow the curvature of ``A`` along the iterates, which for sparse
          iterates is far below ``||A||_2^2``: no norm estimate is needed and
          far fewer iterations are.
        * ``True``: Beck-Teboulle backtracking, ``L`` only grows (doubling
          until the condition holds).
        * ``False``: constant step, the textbook FISTA: ``L`` from ``step`` or
          from a short power-method estimate ``A.norm_est()`` (at most 10
          products with ``A^H A``, warm-started at the first gradient),
          raised only if that estimate, which
          approaches ``||A||_2^2`` from below, fails the condition (and
          ``True`` where the operator cannot estimate its norm).

        ``"auto"`` and ``True`` start from ``1/step`` or from the Rayleigh
        quotient of ``A^H A`` at the first gradient (one product). Each
        signal has its own ``L``.
    step : float, optional
        Initial step ``1/L`` (the constant step with ``backtracking=False``),
        e.g. ``res.step`` of an earlier solve with the same operator.
    x0 : array_like of shape (n,) or (n, n_signals), optional
        Starting point (default zeros).
    max_iter : int, default=5000
        Maximum number of iterations (prox steps) per signal.
    tol : float, default=1e-6
        For penalties with a duality gap (``l1``, ``weighted_l1`` with positive
        weights, ``group_l1``, ``nonneg_l1``, ``elastic_net``, with ``lam > 0``
        for every signal):
        stop when the relative gap ``(F(x_k) - D) / F(x_k) <= tol``, which
        certifies ``F(x_k) - F* <= tol F(x_k)``. Otherwise stop when
        ``||x_k - x_{k-1}|| <= tol ||x_k||``.
    callback : callable, optional
        Called as ``callback(x)`` after every iteration with a copy of the
        current iterate (``(n,)`` or ``(n, n_signals)``); returning ``True``
        stops the solver (``Status.CALLBACK``, 3).

    Returns
    -------
    ProxResult
        ``x`` (shape ``(n,)`` or ``(n, n_signals)``, the precision of the
        inputs), ``converged``, ``status`` (0 converged, 1 iteration limit,
        2 no further progress in the working precision: a non-finite
        objective, iterates that froze above ``tol``, or a gap that stopped
        decreasing within ``1e4`` rounding units while ``x`` still moved; 3
        stopped by the callback; see Notes), ``message`` (says which),
        ``n_iter``, ``residual_norm``
        (``||y - A x||``), ``support`` (sorted indices of the non-zeros of
        ``x``; a list of arrays for several signals),
        ``objective`` (``F(x)``, in the units of ``y^2``: ``inf`` or 0 where
        that square is not representable), ``gap`` (relative duality gap,
        ``None`` for penalties without one), ``step`` (final ``1/L``, in the
        units of ``1 / A^2``) and ``history`` with
        one entry per iteration: ``objective``, ``rel_change``, ``gap`` (when
        available) and ``time`` (seconds since the call, the step estimate
        included). Per-signal quantities are arrays of length ``n_signals``
        for a 2-D ``y`` (a finished signal keeps its final values).

    Raises
    ------
    ValueError
        For ``lam < 0`` or a ``lam`` array of the wrong length, NaN/Inf in the
        inputs, shapes that do not match, data scaled beyond what the
        working precision represents (see Notes),
        weights of the wrong length, groups that do not partition the
        coefficients, unknown penalties or unused penalty parameters.
    TypeError
        For non-numeric inputs, an ``A`` without adjoint, or complex data
        with a real-only penalty.

    Notes
    -----
    Iteration (Beck & Teboulle [1]_), with ``t_0 = 1`` and ``x_{-1} = x_0``::

        t_k = (1 + sqrt(1 + 4 (L_k / L_{k-1}) t_{k-1}^2)) / 2
        y_k = x_{k-1} + (t_{k-1} - 1) / t_k (x_{k-1} - x_{k-2})
        x_k = prox_{g/L_k}(y_k - A^H (A y_k - y) / L_k)

    with ``F(x_k) - F* <= 2 L ||x_0 - x*||^2 / (k+1)^2`` for convex ``g`` and
    a constant ``L >= ||A||_2^2`` (the ratio ``L_k / L_{k-1}`` is 1 then).
    Restart sets ``t_k = 1``. Each iteration costs one product with ``A^H``
    (the gradient at ``x_k``) and one with ``A`` per trial step: ``y_k``,
    ``A y_k`` and the gradient at ``y_k`` are combinations of those at
    ``x_{k-1}`` and ``x_{k-2}``, and ``A x_k`` is applied through the support
    of ``x_k`` for dense and sparse-matrix operators. Signals of a batch that
    have stopped drop out of the products.

    **Precision limit.** A ``tol`` can be below what the working precision
    certifies: in float32 the relative gap of noiseless data often stops
    near ``1e-6`` (the default ``tol``) while ``x`` is optimal to float32
    precision. When the gap has not improved by 0.1 % for 50 iterations,
    lies within ``1e4`` rounding units, and the iterates move by at most 100
    rounding units (a fixed point of the iteration in the working
    precision), the signal is reported as converged (status 0) with a
    message saying that the gap reached its rounding floor, and ``gap``
    holds that floor (above ``tol``). A gap stuck for 200 iterations while
    the iterates still move is ``NUMERICAL`` (status 2), as is a non-finite
    objective; the message tells which.

    **Scale.** The solution does not depend on units: for the built-in
    penalties, signals and operators whose squares would over- or underflow
    are scaled by powers of two (exact) and the penalty with them, and the
    answer is scaled back (``fista(A, c y, lam=c lam)`` is ``c x``,
    ``fista(c A, y, lam=c lam)`` is ``x / c``). A penalty object of the prox
    protocol cannot be rescaled: badly scaled data raise ``ValueError``.

    Duality gap for the l1-type penalties: with ``r = y - A x_k``, the dual
    point is the rescaled residual ``theta = s r`` with
    ``s = min(1, lam / ||A^H r||_*)`` (``||.||_*`` the dual norm of the
    penalty: ``max |z_i| / w_i``, ``max ||z_g|| / w_g``, ...), and
    ``D(theta) = <y, theta> - 1/2 ||theta||^2 - g^*(A^H theta)``, which
    certifies ``F(x_k) - F* <= F(x_k) - D``. The gap is evaluated as the sum
    of two non-negative terms, ``1/2 (1 - s)^2 ||r||^2`` and
    ``g(x_k) + g^*(A^H theta) - Re <A^H theta, x_k>`` (the latter accumulated
    in float64), so that nothing of the size of ``||y||^2`` cancels: a
    float32 problem gets an honest gap instead of one lost below
    ``eps ||y||^2``.

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sci. 2 (2009).
    .. [2] B. O'Donoghue, E. Candès, "Adaptive restart for accelerated
       gradient schemes", Found. Comput. Math. 15 (2015).
    .. [3] L. Calatroni, A. Chambolle, "Backtracking strategies for accelerated
       descent methods with smooth composite objectives", SIAM J. Optim. 29
       (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.proximal import fista, lambda_max
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 100))
    >>> x = np.zeros(100); x[[3, 30, 60]] = [1.0, -2.0, 1.5]
    >>> res = fista(A, A @ x, lam=0.1, tol=1e-8)
    >>> np.flatnonzero(np.abs(res.x) > 0.1)
    array([ 3, 30, 60])
    >>> bool(res.converged), res.gap <= 1e-8
    (True, True)

    Several signals, group sparsity:

    >>> Y = A @ rng.standard_normal((100, 3))
    >>> res = fista(A, Y, lam=1.0, penalty="group_l1", groups=np.arange(100) // 5)
    >>> res.x.shape, res.n_iter.shape
    ((100, 3), (3,))

    One weight per signal, relative to each signal's ``lambda_max``:

    >>> res = fista(A, Y, lam=0.1 * lambda_max(A, Y))
    >>> len(res.support), bool(np.all(res.converged))
    (3, True)
    """
    return _solve(
        A, y, lam, penalty,
        dict(weights=weights, groups=groups, l1_ratio=l1_ratio, lower=lower,
             upper=upper),
        accelerated=True, restart=restart, backtracking=backtracking, step=step,
        x0=x0, max_iter=max_iter, tol=tol, callback=callback,
    )  # fmt: skip


def lambda_max(
    A: Any,
    y: Any,
    *,
    penalty: str = "l1",
    weights: Any = None,
    groups: Any = None,
    l1_ratio: float | None = None,
) -> Any:
    """Smallest ``lam`` for which ``x = 0`` solves the penalised problem.

    ``lam_max = ||A^H y||_*`` (the dual norm of the penalty): ``max |z_i|`` for
    ``"l1"``, ``max |z_i| / w_i`` for ``"weighted_l1"``, ``max ||z_g|| / w_g``
    for ``"group_l1"``, ``max z_i`` for ``"nonneg_l1"``, and ``max |z_i| /
    l1_ratio`` for ``"elastic_net"``, with ``z = A^H y``.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Forward operator.
    y : array_like of shape (m,) or (m, n_signals)
        Measurements (signals in columns).
    penalty : str, default="l1"
        One of ``"l1"``, ``"weighted_l1"``, ``"group_l1"``, ``"nonneg_l1"``,
        ``"elastic_net"``.
    weights, groups, l1_ratio : optional
        Parameters of the penalty, as for :func:`fista`.

    Returns
    -------
    float or ndarray of shape (n_signals,)
        One value per signal for a 2-D ``y``: pass ``0.1 * lambda_max(A, Y)``
        as ``lam`` to weight every signal relative to its own.

    Raises
    ------
    ValueError
        For a penalty without a dual norm (``"l0"``, ``"box"``), or the
        errors of :func:`fista`.

    Notes
    -----
    With ``f(x) = 1/2 ||A x - y||^2``, ``x = 0`` is optimal for ``f + lam h``
    when ``-grad f(0) = A^H y`` lies in ``lam`` times the subdifferential of
    ``h`` at 0: this is the penalty's
    :meth:`~sparsela.penalties.Penalty.alpha_max` of ``grad f(0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.proximal import lambda_max, fista
    >>> A = np.array([[1.0, 2.0], [0.0, 1.0]]); y = np.array([1.0, 1.0])
    >>> lmax = lambda_max(A, y)
    >>> lmax
    3.0
    >>> bool(np.all(fista(A, y, lam=lmax).x == 0))
    True
    >>> lambda_max(A, np.column_stack([y, -2 * y]))  # one per signal
    array([3., 6.])
    """
    problem = check_problem(A, y)
    names = lambda_max_names()
    if not isinstance(penalty, str) or penalty.lower() not in names:
        raise ValueError(
            f"penalty must be one of {', '.join(map(repr, names))} for lambda_max, "
            f"got {_describe(penalty)}"
        )
    params = dict(weights=weights, groups=groups, l1_ratio=l1_ratio)
    g = make_penalty(penalty, 1.0, params)
    g.check_size(problem.A.shape[1])
    _check_real(g, problem.dtype)
    # the gradient of 1/2 ||A x - y||^2 at x = 0 is -A^H y
    G0 = -problem.A.rmatmat(problem.Y)
    out = np.atleast_1d(g.alpha_max(G0))
    return float(out[0]) if problem.single else out


# ---- validation -----------------------------------------------------------------
def _check_lam(lam: Any, k: int) -> np.ndarray | None:
    """``lam`` as one non-negative float64 per signal, or None if not given."""
    if lam is None:
        return None
    if np.ndim(lam) == 0:
        value = lam[()] if isinstance(lam, np.ndarray) else lam
        check_scalar(value, "lam", min_val=0.0)
        return np.full(k, float(value))
    arr = np.asarray(lam)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"lam must be a real number or an array of real numbers, got dtype "
            f"{arr.dtype}"
        )
    if arr.shape != (k,):
        raise ValueError(
            f"lam must be a scalar or have shape ({k},) (one value per signal), "
            f"got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("lam must be finite, got NaN or Inf")
    if np.any(arr < 0):
        raise ValueError("lam must be >= 0 for every signal, got a negative value")
    return arr


def _check_real(g: Any, dtype: np.dtype) -> None:
    if getattr(g, "real_only", False) and dtype.kind == "c":
        name = getattr(g, "name", "") or type(getattr(g, "obj", g)).__name__
        raise TypeError(f"penalty {name!r} needs real data, got dtype {dtype}")


def _check_x0(x0: Any, n: int, k: int, single: bool, dtype: np.dtype) -> np.ndarray:
    if x0 is None:
        return np.zeros((n, k), dtype=dtype)
    X0 = check_array(x0, "x0", ndim=(1, 2), allow_int=True)
    want = (n,) if single else (n, k)
    if X0.shape != want:
        raise ValueError(f"x0 must have shape {want}, got {X0.shape}")
    if X0.dtype.kind == "c" and dtype.kind != "c":
        raise TypeError(f"x0 is complex but the problem is real ({dtype})")
    return np.array(X0.reshape(n, -1), dtype=dtype, order="C")


def _check_restart(restart: Any, g: Any) -> str | None:
    if restart is True:
        restart = "gradient"
    elif restart is False or restart is None:
        restart = None
    elif not isinstance(restart, str) or restart not in ("gradient", "function"):
        raise ValueError(
            "restart must be True, False, 'gradient' or 'function', got "
            f"{_describe(restart)}"
        )
    if restart == "function" and getattr(g, "_is_bare_function", False):
        raise ValueError(
            "restart='function' needs the penalty value; a bare prox function "
            "has none (pass an object with prox and value, or restart='gradient')"
        )
    return restart


def _solve(
    A, y, lam, penalty, params, *, accelerated, restart, backtracking, step, x0,
    max_iter, tol, callback,
):  # fmt: skip
    t_start = time.perf_counter()
    problem = check_problem(A, y)
    n = problem.A.shape[1]
    k = problem.Y.shape[1]
    lams = _check_lam(lam, k)
    # a named penalty is built with the first weight; the per-signal weights
    # go to its trusted methods
    g = make_penalty(penalty, None if lams is None else float(lams[0]), params)
    g.check_size(n)
    _check_real(g, problem.dtype)
    X0 = _check_x0(x0, n, k, problem.single, problem.dtype)
    _check_number(max_iter, "max_iter", "integer")  # an array: its shape only
    max_iter = check_positive_int(max_iter, "max_iter", allow_zero=True)
    _check_number(tol, "tol", min_val=0.0)
    check_callback(callback)
    restart = _check_restart(restart, g) if accelerated else None
    if isinstance(backtracking, str):
        ok = backtracking == "auto"
    else:
        ok = np.ndim(backtracking) == 0 and backtracking in (True, False)
    if not ok:
        raise ValueError(
            f"backtracking must be True, False or 'auto', got {_describe(backtracking)}"
        )
    if step is not None:
        _check_number(step, "step", min_val=0.0, include_min=False)

    if type(g)._has_fast_path():
        core = g
        if lams is None:  # an instance: its own weight for every signal
            lams = np.full(k, 0.0 if g.lam is None else float(g.lam))
    else:
        core = ProtocolPenalty(g, problem.single)
        lams = np.zeros(k)  # unused: the penalty holds its weight
    mode = {"auto": "adaptive", True: "monotone", False: "fixed"}[backtracking]

    # badly scaled y and A are brought near unit size (exact, by powers of two),
    # A from its first gradient A^H y, which the iteration starts from anyway
    units = Units(problem.Y, core, lams, X0)
    prods = make_products(problem.A, problem.dtype)
    history = History(start=t_start)
    with contextlib.nullcontext() if prods.threaded_blas else blas_single_thread():
        prods, G0 = units.with_operator(prods, prods.rmatmat(units.Y))
        if step is not None:
            L0 = units.lipschitz_in(np.full(k, 1.0 / float(step)))
        else:  # set by the state from the first gradient
            L0 = "norm" if mode == "fixed" else "rayleigh"
        f = Quadratic._from_problem(problem._replace(Y=units.Y), prods)
        state = ProxGradient(
            f, units.g, units.lams, units.X0, L0, accelerated=accelerated,
            restart=restart, mode=mode, tol=float(tol), units=units, G0=G0,
        )  # fmt: skip
        run(state, max_iter=max_iter, callback=callback, single=problem.single,
            history=history, check_start=state.use_gap)  # fmt: skip
    return _result(state, f, history, units)


def _result(
    state: ProxGradient, f: Quadratic, history: History, units: Units
) -> ProxResult:
    X = units.coef(state.x_out, check=True)
    details = {
        0: "relative duality gap <= tol" if state.use_gap else "relative change <= tol",
        1: "iteration limit reached (max_iter)",
        2: "no further progress in the working precision",
    }
    gap = state.gap_all
    return make_result(
        ProxResult,
        x=X,
        status=state.active.status,
        n_iter=state.active.n_iter,
        residual_norm=units.norm(f._residual_norms(state.ax_out)),
        single=f.single,
        message=state.message(details),
        per_signal={
            "objective": units.energy(state.F_all.copy()),
            "gap": None if gap is None else gap.copy(),
            "step": units.step_out(state.L_all),
            "support": [np.flatnonzero(X[:, j]) for j in range(X.shape[1])],
        },
        history=history.as_dict(),
    )
