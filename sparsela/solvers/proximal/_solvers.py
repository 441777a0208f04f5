"""Proximal-gradient solvers: ISTA and FISTA (with backtracking and restart).

Both minimise ``F(x) = 1/2 ||A x - y||_2^2 + g(x)`` for a penalty ``g`` with a
cheap proximal operator (:mod:`sparsela.prox`), for one signal or for many
signals at once (columns of ``y``), each with its own step, gap and stopping.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..._result import ProxResult
from ..._threads import blas_single_thread
from ..._validation import check_array, check_positive_int, check_scalar, result_dtype
from ...kernels.cpu import prox as _k
from ...operators import Dense, LinearOperator, SparseMatrix, aslinearoperator
from ...prox import PENALTIES, ElasticNet, GroupL1, Prox, WeightedL1

__all__ = ["fista", "ista", "lambda_max"]

# Power-method budget of the constant-step mode (warm-started at the first
# gradient): the estimate approaches ||A|| from below, and the descent condition
# is checked at every step at no cost (A x is carried along), so a rough
# estimate is enough and an underestimate is corrected.
_POWER_ITER = 10
_POWER_TOL = 1e-2
_ETA = 2.0  # backtracking factor (Beck & Teboulle)
_RHO = 0.9  # adaptive backtracking: each iteration first tries L * _RHO
_MAX_TRIALS = 60  # every failed trial raises L by at least 10 %
# precision limit: 200 iterations without a 0.1 % better gap, the gap being
# within 1e4 rounding units (reachable in float32 with the default tol)
_STALL_ITER = 200
_STALL_GAP = 1e4
_SUPPORT_FRACTION = 0.25  # product through the support when |S| <= this * n
_COPY_LIMIT = 1 << 28  # bytes: largest dense A of which a transposed copy is kept


# ---- public API ---------------------------------------------------------------
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
    >>> from sparsela.solvers.proximal._solvers import ista
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
    lam : float, optional
        Non-negative weight of the penalty; required for every named penalty
        except ``"box"`` (which has none). Must be ``None`` when ``penalty``
        is a :class:`~sparsela.prox.Prox` instance, which carries its own.
    penalty : str or Prox, default="l1"
        ``"l1"`` (``lam ||x||_1``), ``"weighted_l1"`` (``lam sum w_i |x_i|``,
        needs ``weights``), ``"l0"`` (``lam ||x||_0``), ``"group_l1"``
        (``lam sum_g w_g ||x_g||_2``, needs ``groups``; ``weights`` are then
        per group, default ``sqrt`` of the group sizes), ``"nonneg_l1"``
        (``lam sum x_i`` with ``x >= 0``; real data), ``"elastic_net"``
        (``lam (a ||x||_1 + (1-a)/2 ||x||^2)`` with ``a = l1_ratio``) or
        ``"box"`` (``lower <= x <= upper``; real data). Or a
        :class:`~sparsela.prox.Prox` instance, or any object with methods
        ``prox(v, step)`` and ``value(x)`` (see :class:`~sparsela.prox.Prox`
        for the protocol), or a bare function ``prox(v, step)`` (its penalty
        value is then unknown and ``objective`` reports ``1/2 ||Ax - y||^2``
        only). For a 2-D ``y`` these are called on ``(n, k)`` blocks with one
        step per column.
    weights, groups, l1_ratio, lower, upper : optional
        Parameters of the named penalty (see :mod:`sparsela.prox`); passing
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
        weights, ``group_l1``, ``nonneg_l1``, ``elastic_net``, with ``lam > 0``):
        stop when the relative gap ``(F(x_k) - D) / F(x_k) <= tol``, which
        certifies ``F(x_k) - F* <= tol F(x_k)``. Otherwise stop when
        ``||x_k - x_{k-1}|| <= tol ||x_k||``.
    callback : callable, optional
        Called as ``callback(x)`` after every iteration with a copy of the
        current iterate (``(n,)`` or ``(n, n_signals)``); returning ``True``
        stops the solver (status 3).

    Returns
    -------
    ProxResult
        ``x`` (shape ``(n,)`` or ``(n, n_signals)``, the precision of the
        inputs), ``converged``, ``status`` (0 converged, 1 iteration limit,
        2 precision limit: the gap stopped improving within ``1e4`` rounding
        units of zero (float32 data with a small ``tol``) or the iterates
        froze, before reaching ``tol``; also a non-finite objective, 3 stopped
        by the callback), ``message``, ``n_iter``, ``residual_norm``
        (``||y - A x||``),
        ``objective`` (``F(x)``), ``gap`` (relative duality gap, ``None`` for
        penalties without one), ``step`` (final ``1/L``) and ``history`` with
        one entry per iteration: ``objective``, ``rel_change``, ``gap`` (when
        available) and ``time`` (seconds since the call, the step estimate
        included). Per-signal quantities are arrays of length ``n_signals``
        for a 2-D ``y`` (a finished signal keeps its final values).

    Raises
    ------
    ValueError
        For ``lam < 0``, NaN/Inf in the inputs, shapes that do not match,
        weights of the wrong length, groups that do not partition the
        coefficients, unknown penalties or unused penalty parameters.
    TypeError
        For non-numeric inputs, or complex data with a real-only penalty.

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

    Duality gap for the l1-type penalties: with ``r = y - A x_k``, the dual
    point is the rescaled residual ``theta = s r`` with
    ``s = min(1, lam / ||A^H r||_*)`` (``||.||_*`` the dual norm of the
    penalty: ``max |z_i| / w_i``, ``max ||z_g|| / w_g``, ...), and
    ``D(theta) = <y, theta> - 1/2 ||theta||^2 - g^*(A^H theta)``. The best
    ``D`` seen so far certifies ``F(x_k) - F* <= F(x_k) - D``.

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
    >>> from sparsela.solvers.proximal._solvers import fista
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

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.proximal._solvers import lambda_max, fista
    >>> A = np.array([[1.0, 2.0], [0.0, 1.0]]); y = np.array([1.0, 1.0])
    >>> lmax = lambda_max(A, y)
    >>> lmax
    3.0
    >>> bool(np.all(fista(A, y, lam=lmax).x == 0))
    True
    """
    op = aslinearoperator(A)
    Y, single = _check_y(y, op.shape[0])
    if penalty not in ("l1", "weighted_l1", "group_l1", "nonneg_l1", "elastic_net"):
        raise ValueError(
            "penalty must be one of 'l1', 'weighted_l1', 'group_l1', 'nonneg_l1', "
            f"'elastic_net' for lambda_max, got {penalty!r}"
        )
    params = dict(
        weights=weights, groups=groups, l1_ratio=l1_ratio, lower=None, upper=None
    )
    g = _make_penalty(penalty, 1.0, params)
    g.check_size(op.shape[1])
    dtype = result_dtype(op.dtype, Y.dtype)
    if g.real_only and dtype.kind == "c":
        raise TypeError(f"penalty {penalty!r} needs real data, got dtype {dtype}")
    Z = op.rmatmat(Y.astype(dtype, copy=False))
    out = np.atleast_1d(g.dual_norm(Z))
    return float(out[0]) if single else out


# ---- validation -----------------------------------------------------------------
_PARAMS_OF = {
    "l1": (),
    "weighted_l1": ("weights",),
    "l0": (),
    "group_l1": ("groups", "weights"),
    "nonneg_l1": (),
    "elastic_net": ("l1_ratio",),
    "box": ("lower", "upper"),
}


def _make_penalty(penalty: Any, lam: Any, params: dict) -> Any:
    given = {k: v for k, v in params.items() if v is not None}
    if isinstance(penalty, str):
        key = penalty.lower()
        if key not in PENALTIES:
            raise ValueError(
                f"penalty must be one of {sorted(PENALTIES)} or a Prox, got {penalty!r}"
            )
        unused = sorted(set(given) - set(_PARAMS_OF[key]))
        if unused:
            raise ValueError(f"penalty {key!r} does not use {', '.join(unused)}")
        if key == "box":
            if lam is not None:
                raise ValueError(
                    "lam must be None for penalty 'box' (a pure constraint)"
                )
            return PENALTIES[key](lower=params["lower"], upper=params["upper"])
        if lam is None:
            raise TypeError(f"lam is required for penalty {key!r}")
        check_scalar(lam, "lam", min_val=0.0)
        if key == "weighted_l1":
            if params["weights"] is None:
                raise TypeError("penalty 'weighted_l1' needs weights")
            return WeightedL1(lam, weights=params["weights"])
        if key == "group_l1":
            if params["groups"] is None:
                raise TypeError("penalty 'group_l1' needs groups")
            return GroupL1(lam, groups=params["groups"], weights=params["weights"])
        if key == "elastic_net":
            ratio = 0.5 if params["l1_ratio"] is None else params["l1_ratio"]
            return ElasticNet(lam, l1_ratio=ratio)
        return PENALTIES[key](lam)
    if given:
        raise ValueError(
            f"{', '.join(sorted(given))} only apply to a named penalty; "
            "set them on the Prox instance instead"
        )
    if lam is not None:
        raise ValueError(
            "lam must be None when penalty is a Prox instance (it holds its own weight)"
        )
    if hasattr(penalty, "prox") and hasattr(penalty, "value"):
        return penalty if isinstance(penalty, Prox) else _DuckProx(penalty)
    if callable(penalty):
        return _FunctionProx(penalty)
    raise TypeError(
        "penalty must be a name, a Prox instance, an object with prox(v, step) "
        "and value(x) methods, or a function prox(v, step); got "
        f"{type(penalty).__name__}"
    )


class _DuckProx(Prox):
    """Adapter for an object with the prox protocol that is not a :class:`Prox`."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.lam = getattr(obj, "lam", None)
        self.convex = bool(getattr(obj, "convex", True))
        self.real_only = bool(getattr(obj, "real_only", False))

    def prox(self, v, step):
        return self.obj.prox(v, step)

    def value(self, x):
        return self.obj.value(x)

    def dual_scale(self, z):
        return self.obj.dual_scale(z)

    @property
    def has_dual(self) -> bool:
        return bool(getattr(self.obj, "has_dual", hasattr(self.obj, "dual_scale")))

    def check_size(self, n: int) -> None:
        if hasattr(self.obj, "check_size"):
            self.obj.check_size(n)


class _FunctionProx(Prox):
    """A bare function ``prox(v, step)``; its penalty value is unknown (taken as 0)."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def prox(self, v, step):
        return self.fn(v, step)

    def value(self, x):
        x = np.asarray(x)
        return 0.0 if x.ndim == 1 else np.zeros(x.shape[1])


def _check_y(y: Any, m: int) -> tuple[np.ndarray, bool]:
    Y = check_array(y, "y", ndim=(1, 2), allow_int=True)
    if Y.shape[0] != m:
        raise ValueError(f"y must have {m} rows (the rows of A), got shape {Y.shape}")
    if Y.ndim == 2 and Y.shape[1] == 0:
        raise ValueError("y must have at least one signal (column), got shape (m, 0)")
    single = Y.ndim == 1
    return (Y.reshape(-1, 1) if single else Y), single


def _solve(
    A, y, lam, penalty, params, *, accelerated, restart, backtracking, step, x0,
    max_iter, tol, callback,
):  # fmt: skip
    t_start = time.perf_counter()
    op = aslinearoperator(A)
    m, n = op.shape
    if n == 0 or m == 0:
        raise ValueError(
            f"A must have at least one row and one column, got shape {op.shape}"
        )
    Y, single = _check_y(y, m)
    g = _make_penalty(penalty, lam, params)
    g.check_size(n)
    dtype = result_dtype(op.dtype, Y.dtype)
    if g.real_only and dtype.kind == "c":
        raise TypeError(
            f"penalty {type(g).__name__} needs real data, got dtype {dtype}"
        )
    Y = np.ascontiguousarray(Y, dtype=dtype)
    k = Y.shape[1]

    if x0 is None:
        X0 = np.zeros((n, k), dtype=dtype)
    else:
        X0 = check_array(x0, "x0", ndim=(1, 2), allow_int=True)
        want = (n,) if single else (n, k)
        if X0.shape != want:
            raise ValueError(f"x0 must have shape {want}, got {X0.shape}")
        if X0.dtype.kind == "c" and dtype.kind != "c":
            raise TypeError(f"x0 is complex but the problem is real ({dtype})")
        X0 = np.array(X0.reshape(n, -1), dtype=dtype, order="C")

    max_iter = check_positive_int(max_iter, "max_iter", allow_zero=True)
    check_scalar(tol, "tol", min_val=0.0)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if accelerated:
        if restart is True:
            restart = "gradient"
        elif restart is False or restart is None:
            restart = None
        elif restart not in ("gradient", "function"):
            raise ValueError(
                "restart must be True, False, 'gradient' or 'function', "
                f"got {restart!r}"
            )
        if restart == "function" and isinstance(g, _FunctionProx):
            raise ValueError(
                "restart='function' needs the penalty value; a bare prox function "
                "has none (pass an object with prox and value, or restart='gradient')"
            )
    if backtracking not in (True, False, "auto"):
        raise ValueError(
            f"backtracking must be True, False or 'auto', got {backtracking!r}"
        )
    if step is not None:
        check_scalar(step, "step", min_val=0.0, include_min=False)

    prods = _Products(op, dtype)
    if backtracking == "auto":
        mode = "adaptive"
    elif backtracking:
        mode = "monotone"
    else:
        mode = "fixed"
    if step is not None:
        L0 = np.full(k, 1.0 / float(step))
    else:  # set by the state from the first gradient: "norm" or "rayleigh"
        L0 = "norm" if mode == "fixed" else "rayleigh"

    # with a sparse or matrix-free A every iteration mixes small BLAS calls
    # with parallel Numba products: BLAS on one thread, so that no spinning
    # BLAS worker takes a core from them (CSR 10000 x 50000 on 2 threads:
    # 110 ms -> 43 ms). A dense A keeps multi-threaded BLAS for its products.
    dense = prods.kind == "dense"
    with contextlib.nullcontext() if dense else blas_single_thread():
        state = _ProxGradient(
            prods, Y, X0, g, L0, accelerated=accelerated, restart=restart,
            mode=mode, tol=float(tol), single=single, callback=callback,
            t_start=t_start,
        )  # fmt: skip
        state.run(max_iter)
    return state.result()


def _norm_estimate(op: LinearOperator, g: np.ndarray) -> float | None:
    """Short power method on ``A^H A``, warm-started at the first gradient ``g``."""
    if g.dtype.kind == "c" and op.dtype.kind != "c":
        g = g.real  # a real operator's top singular vectors are real
    x0 = g if np.any(g) else None
    try:
        est = float(op.norm_est(max_iter=_POWER_ITER, tol=_POWER_TOL, x0=x0))
    except NotImplementedError:
        return None
    if not math.isfinite(est) or est <= 0:
        return None
    return est


def _rayleigh_L(prods: _Products, G: np.ndarray) -> np.ndarray:
    """``||A g||^2 / ||g||^2`` at the first gradient ``g``: a lower bound of L."""
    ng, nag = _sq_cols(G), _sq_cols(prods.matmat(G))
    L = np.ones(G.shape[1])
    ok = (ng > 0) & (nag > 0)
    L[ok] = nag[ok] / ng[ok]
    return L


# ---- column-wise reductions -------------------------------------------------------
def _sq_cols(X: np.ndarray) -> np.ndarray:
    """Squared 2-norms of the columns, as float64."""
    if X.shape[1] == 1:
        x = X[:, 0]
        return np.array([np.vdot(x, x).real], dtype=np.float64)
    if X.dtype.kind == "c":
        return np.einsum("ij,ij->j", X.real, X.real) + np.einsum(
            "ij,ij->j", X.imag, X.imag
        ).astype(np.float64)
    return np.einsum("ij,ij->j", X, X).astype(np.float64)


def _dot_cols(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``Re <X_j, Z_j>`` per column, as float64."""
    if X.shape[1] == 1:
        return np.array([np.vdot(X[:, 0], Z[:, 0]).real], dtype=np.float64)
    if X.dtype.kind == "c" or Z.dtype.kind == "c":
        out = np.einsum("ij,ij->j", X.real, Z.real)
        if X.dtype.kind == "c" and Z.dtype.kind == "c":
            out = out + np.einsum("ij,ij->j", X.imag, Z.imag)
        return out.astype(np.float64)
    return np.einsum("ij,ij->j", X, Z).astype(np.float64)


# ---- products that exploit the sparsity of the iterate -----------------------------
class _Products:
    """``A @ X`` and ``A^H @ R`` for the solver; ``A @ X`` through the support of X.

    For a dense (NumPy) operator a row-major copy of ``A^T`` is kept (unless
    ``A`` is column-major already, or larger than ``_COPY_LIMIT`` bytes): both
    products then read it contiguously, and ``A @ X`` with few non-zero rows in
    ``X`` reads only those rows. A sparse-matrix operator gets a CSC copy:
    ``A^H R`` gathers over its columns and ``A @ X`` touches only the columns
    in the support.
    """

    def __init__(self, op: LinearOperator, dtype: np.dtype) -> None:
        self.op = op
        self.m, self.n = op.shape
        self.kind = None
        if type(op) is Dense and isinstance(op.A, np.ndarray):
            A = op.A
            # the problem's precision, so that products never cast A on the fly
            want = np.result_type(A.dtype, np.finfo(dtype).dtype)
            if A.flags.f_contiguous and A.dtype == want:
                self.AT = A.T
            elif A.nbytes <= _COPY_LIMIT:
                self.AT = np.ascontiguousarray(A.T, dtype=want)
            else:
                return
            self.kind = "dense"
            self.complex_A = A.dtype.kind == "c"
        elif type(op) is SparseMatrix and getattr(op.S, "format", None) in (
            "csr",
            "csc",
        ):
            self.csc = op.S.asformat("csc")
            self.kind = "sparse"

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        if self.kind == "dense":
            if self.complex_A:
                return np.ascontiguousarray(_real_mm(self.AT, R.conj()).conj())
            return np.ascontiguousarray(_real_mm(self.AT, R))
        if self.kind == "sparse":
            if R.shape[1] == 1:
                return self.csc.rmatvec(R[:, 0]).reshape(-1, 1)
            return np.ascontiguousarray(self.csc.rmatmat(R))
        if R.shape[1] == 1:
            return np.ascontiguousarray(self.op._rmatvec(R[:, 0])).reshape(-1, 1)
        return np.ascontiguousarray(self.op._rmatmat(R))

    def _full(self, X: np.ndarray) -> np.ndarray:
        if self.kind == "dense":
            return np.ascontiguousarray(_real_mm(self.AT.T, X))
        if X.shape[1] == 1:
            return np.ascontiguousarray(self.op._matvec(X[:, 0])).reshape(-1, 1)
        return np.ascontiguousarray(self.op._matmat(X))

    def matmat(self, X: np.ndarray) -> np.ndarray:
        if self.kind is None:
            return self._full(X)
        supp = _k.support_rows(X)
        if supp.shape[0] > _SUPPORT_FRACTION * self.n:
            return self._full(X)
        k = X.shape[1]
        P = np.ascontiguousarray(X[supp])
        if self.kind == "dense":
            out_dtype = np.result_type(self.AT.dtype, X.dtype)
            outT = np.empty((k, self.m), dtype=out_dtype)
            _k.rows_tmatmat(self.AT, supp, P, outT)
            return outT.reshape(self.m, 1) if k == 1 else np.ascontiguousarray(outT.T)
        out = np.empty((self.m, k), dtype=np.result_type(self.csc.dtype, X.dtype))
        csc = self.csc
        _k.csc_cols_matmat(csc.data, csc.indices, csc.indptr, supp, P, out)
        return out


def _real_mm(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``M @ X`` without casting a real ``M`` to complex for a complex ``X``."""
    if M.dtype.kind != "c" and X.dtype.kind == "c":
        return _real_mm(M, X.real) + 1j * _real_mm(M, X.imag)
    if X.shape[1] == 1:
        return (M @ X[:, 0]).reshape(-1, 1)
    return M @ X


# ---- the iteration ------------------------------------------------------------------
class _ProxGradient:
    """State of (F)ISTA on a batch of signals; only active signals cost work.

    Arrays hold the active columns only (``idx`` maps them to the original
    columns); finished columns are written out and dropped. The state keeps
    ``x``, ``A x`` and the gradient ``A^H (A x - y)`` at the current and the
    previous iterate, so that the extrapolated point, its image and its
    gradient are linear combinations: one product with ``A^H`` per iteration
    and one with ``A`` per trial step.
    """

    def __init__(
        self, prods, Y, X0, g, L0, *, accelerated, restart, mode, tol, single,
        callback, t_start,
    ):  # fmt: skip
        self.prods = prods
        self.g = g
        self.accelerated = accelerated
        self.restart = restart
        self.mode = mode
        self.rho = _RHO if mode == "adaptive" else 1.0
        self.tol = tol
        self.single = single
        self.callback = callback
        self.t_start = t_start
        self.use_gap = bool(getattr(g, "has_dual", False)) and g.convex
        n, k = X0.shape
        self.eps = float(np.finfo(Y.dtype).eps)
        self.tiny = np.finfo(np.float64).tiny
        # active state
        self.idx = np.arange(k)
        self.B_full = Y
        self.B = Y
        self.X = X0
        self.AX = prods.matmat(X0) if np.any(X0) else np.zeros_like(Y)
        R = self.AX - Y
        self.GX = prods.rmatmat(R)
        self.Xp, self.AXp, self.GXp = self.X, self.AX, self.GX
        self.t = np.ones(k)
        if isinstance(L0, str) and L0 == "norm":
            est = _norm_estimate(prods.op, self.GX[:, 0])
            if est is None:  # no usable estimate: fall back on backtracking
                self.mode, L0 = "monotone", "rayleigh"
            else:
                L0 = np.full(k, est**2)
        if isinstance(L0, str):
            L0 = _rayleigh_L(prods, self.GX)
        self.L = np.maximum(np.asarray(L0, dtype=np.float64), self.tiny)
        nR, bR = _sq_cols(R), _dot_cols(Y, R)
        self.P = 0.5 * nR + self._value(self.X)
        self.D = np.full(k, -np.inf)
        self.bnorm = np.sqrt(_sq_cols(Y))
        self.last_change = np.full(k, np.inf)
        self.best_gap = np.full(k, np.inf)
        self.no_progress = np.zeros(k, dtype=np.int64)
        # outputs for every column
        self.x_out = np.empty_like(X0)
        self.ax_out = np.empty_like(Y)
        self.n_iter = np.zeros(k, dtype=np.int64)
        self.status = np.full(k, -1, dtype=np.int64)
        self.F_all = self.P.copy()
        self.gap_all = np.full(k, np.inf) if self.use_gap else None
        self.change_all = np.full(k, np.inf)
        self.L_all = self.L.copy()
        self.history = {"objective": [], "rel_change": [], "time": []}
        if self.use_gap:
            self.history["gap"] = []
            self._update_gap(nR, bR)

    # -- pieces -------------------------------------------------------------------
    def _value(self, X):
        val = self.g.value(X[:, 0]) if self.single else self.g.value(X)
        return np.atleast_1d(np.asarray(val, dtype=np.float64))

    def _prox(self, V, steps):
        if self.single:
            out = self.g.prox(V[:, 0], float(steps[0]))
            out = np.asarray(out).reshape(-1, 1)
        else:
            out = np.asarray(self.g.prox(V, steps))
        if out.shape != V.shape:
            raise ValueError(
                f"the penalty's prox returned shape {out.shape}, expected {V.shape}"
            )
        return np.ascontiguousarray(out, dtype=V.dtype)

    def _update_gap(self, nR, bR):
        """Relative duality gap at ``X``: dual point from the rescaled residual.

        ``nR = ||A x - y||^2`` and ``bR = Re <y, A x - y>`` per column.
        """
        Z = -self.GX
        s, conj = self.g.dual_scale(Z[:, 0] if self.single else Z)
        s = np.atleast_1d(np.asarray(s, dtype=np.float64))
        conj = np.atleast_1d(np.asarray(conj, dtype=np.float64))
        D = -s * bR - 0.5 * s**2 * nR - conj
        self.D = np.maximum(self.D, D)
        with np.errstate(invalid="ignore"):
            gap = (self.P - self.D) / np.maximum(self.P, self.tiny)
        self.gap = np.where(np.isfinite(gap), np.maximum(gap, 0.0), np.inf)
        self.gap_all[self.idx] = self.gap
        better = self.gap < self.best_gap * (1.0 - 1e-3)
        self.no_progress = np.where(better, 0, self.no_progress + 1)
        self.best_gap = np.minimum(self.best_gap, self.gap)

    _STATE = ("B", "X", "AX", "GX", "Xp", "AXp", "GXp")
    _SCALARS = (
        "t", "L", "P", "D", "bnorm", "last_change", "idx", "gap", "best_gap",
        "no_progress",
    )  # fmt: skip

    def _finish(self, done, status):
        """Write out the columns flagged ``done`` with ``status``; drop them."""
        if not np.any(done):
            return
        cols = self.idx[done]
        self.x_out[:, cols] = self.X[:, done]
        self.ax_out[:, cols] = self.AX[:, done]
        self.status[cols] = status
        self.L_all[cols] = self.L[done]
        keep = ~done
        for name in self._STATE:
            setattr(self, name, np.ascontiguousarray(getattr(self, name)[:, keep]))
        for name in self._SCALARS:
            if hasattr(self, name):
                setattr(self, name, getattr(self, name)[keep])

    def _record(self):
        h = self.history
        pick = (lambda a: float(a[0])) if self.single else (lambda a: a.copy())
        h["objective"].append(pick(self.F_all))
        h["rel_change"].append(pick(self.change_all))
        if self.use_gap:
            h["gap"].append(pick(self.gap_all))
        h["time"].append(time.perf_counter() - self.t_start)

    # -- one iteration ---------------------------------------------------------------
    def _trial(self, cols, L_try):
        """Extrapolate with the momentum that ``L_try`` implies, take the prox step.

        ``cols`` selects a subset of the active columns (``None``: all). Returns
        the new point, its image, the residual, ``t``, and the statistics of
        :func:`~sparsela.kernels.cpu.prox.pair_stats` and ``residual_stats``.
        """
        pick = (
            (lambda a: a)
            if cols is None
            else (lambda a: np.ascontiguousarray(a[:, cols]))
        )
        X, Xp, GX, GXp = pick(self.X), pick(self.Xp), pick(self.GX), pick(self.GXp)
        AX, AXp, B = pick(self.AX), pick(self.AXp), pick(self.B)
        t = self.t if cols is None else self.t[cols]
        L = self.L if cols is None else self.L[cols]
        if self.accelerated:  # Calatroni & Chambolle: t_k reflects L_k / L_{k-1}
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * (L_try / L) * t**2))
            beta = (t - 1.0) / t_new
        else:
            t_new, beta = t, np.zeros_like(t)
        steps = 1.0 / L_try
        V, W = np.empty_like(X), np.empty_like(X)
        _k.extrapolate_step(X, Xp, GX, GXp, beta, steps, V, W)
        AV = np.empty_like(AX)
        _k.extrapolate(AX, AXp, beta, AV)
        Xn = self._prox(W, steps)
        AXn = self.prods.matmat(Xn)
        R = np.empty(AXn.shape, dtype=np.result_type(AXn, B))
        ps, rs = np.empty((4, X.shape[1])), np.empty((3, X.shape[1]))
        _k.pair_stats(Xn, V, X, ps)
        _k.residual_stats(AXn, AV, B, R, rs)
        return Xn, AXn, R, t_new, ps, rs

    def step(self):
        """One accepted proximal-gradient step for every active column."""
        L_try = self.L * self.rho
        Xn, AXn, R, t_new, ps, rs = self._trial(None, L_try)
        slack = (32.0 * self.eps * self.bnorm) ** 2
        for _ in range(_MAX_TRIALS):
            # descent condition ||A (x_k - y_k)||^2 <= L ||x_k - y_k||^2
            viol = rs[0] > L_try * ps[0] * (1.0 + 1e-6) + slack
            if not np.any(viol):
                break
            if self.mode == "monotone":
                L_try[viol] *= _ETA
            else:  # the Rayleigh quotient along the failed step bounds L from below
                rq = rs[0, viol] / ps[0, viol]
                L_try[viol] = np.maximum(1.1 * L_try[viol], 1.05 * rq)
            sub = np.flatnonzero(viol)
            Xs, AXs, Rs, ts, pss, rss = self._trial(sub, L_try[sub])
            Xn[:, sub], AXn[:, sub], R[:, sub] = Xs, AXs, Rs
            t_new[sub], ps[:, sub], rs[:, sub] = ts, pss, rss
        change = np.sqrt(ps[1]) / np.maximum(np.sqrt(ps[3]), self.tiny)
        change[ps[1] == 0] = 0.0
        Fn = 0.5 * rs[1] + self._value(Xn)
        if self.accelerated and self.restart == "gradient":
            t_new[ps[2] < 0] = 1.0  # <y_k - x_k, x_k - x_{k-1}> > 0
        elif self.accelerated and self.restart == "function":
            t_new[Fn > self.P] = 1.0
        self.Xp, self.AXp, self.GXp = self.X, self.AX, self.GX
        self.X, self.AX, self.P = Xn, AXn, Fn
        self.GX = self.prods.rmatmat(R)
        self.t, self.L = t_new, L_try
        self.last_change = change
        self.n_iter[self.idx] += 1
        self.F_all[self.idx] = Fn
        self.change_all[self.idx] = change
        if self.use_gap:
            self._update_gap(rs[1], rs[2])

    def converged(self):
        """Flags of the active columns that meet the stopping rule."""
        if self.use_gap:
            return self.gap <= self.tol
        return self.last_change <= self.tol

    # -- driver -----------------------------------------------------------------
    def run(self, max_iter):
        if self.use_gap:  # x0 may be optimal already (lam >= lam_max and x0 = 0)
            self._finish(self.converged(), 0)
        for _ in range(max_iter):
            if self.idx.size == 0:
                break
            prev = (self.X, self.AX, self.P)
            self.step()
            bad = ~np.isfinite(self.P)
            if np.any(bad):  # keep the last finite iterate of those columns
                self.X[:, bad], self.AX[:, bad] = prev[0][:, bad], prev[1][:, bad]
                self.F_all[self.idx[bad]] = prev[2][bad]
            self._record()
            stop = self.callback is not None and self.callback(self._current()) is True
            self._finish(bad, 2)
            self._finish(self.converged(), 0)
            if self.use_gap:  # frozen iterates or gap near rounding: precision limit
                stuck = (self.no_progress >= _STALL_ITER) & (
                    self.gap <= _STALL_GAP * self.eps
                )
                self._finish((self.last_change == 0) | stuck, 2)
            if stop:
                self._finish(np.ones(self.idx.size, dtype=bool), 3)
        self._finish(np.ones(self.idx.size, dtype=bool), 1)

    def _current(self):
        X = self.x_out.copy()
        X[:, self.idx] = self.X
        return X[:, 0] if self.single else X

    def result(self) -> ProxResult:
        status = self.status
        converged = status == 0
        resid = np.sqrt(_sq_cols(self.ax_out - self.B_full))
        step = 1.0 / self.L_all
        gap = self.gap_all
        msgs = {
            0: "converged: relative duality gap <= tol"
            if self.use_gap
            else "converged: relative change <= tol",
            1: "iteration limit reached (max_iter)",
            2: "stalled: the duality gap stopped decreasing before it reached tol "
            "(precision limit), or the objective became non-finite",
            3: "stopped by the callback",
        }
        if self.single:
            s = int(status[0])
            return ProxResult(
                x=self.x_out[:, 0],
                converged=bool(converged[0]),
                status=s,
                message=msgs[s],
                n_iter=int(self.n_iter[0]),
                residual_norm=float(resid[0]),
                history=self.history,
                objective=float(self.F_all[0]),
                gap=None if gap is None else float(gap[0]),
                step=float(step[0]),
            )
        counts = {s: int(np.sum(status == s)) for s in np.unique(status)}
        message = "; ".join(
            f"{c} of {status.size} signals {msgs[s]}" for s, c in counts.items()
        )
        return ProxResult(
            x=self.x_out,
            converged=converged,
            status=status,
            message=message,
            n_iter=self.n_iter.copy(),
            residual_norm=resid,
            history=self.history,
            objective=self.F_all.copy(),
            gap=None if gap is None else gap.copy(),
            step=step,
        )
