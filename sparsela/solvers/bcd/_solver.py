"""The public block coordinate descent solver."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

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
from ...datafits import Logistic, Quadratic, QuadraticForm
from ...formats import CSC
from ...kernels.cpu import bcd as _k
from ...penalties import L1, GroupL1, NonNegL1, make_penalty
from .._base import History, run
from ._blocks import make_blocks
from ._model import Model, Penalty, stored_arrays
from ._one_block import OneBlock
from ._rules import RULES
from ._state import BCDState, SignalBCD

__all__ = ["bcd"]

LOSSES = ("squared", "logistic", "quadratic")
UPDATES = ("lipschitz", "adaptive", "matrix")
_PEN_CODES = {L1: _k.PEN_L1, NonNegL1: _k.PEN_NONNEG, GroupL1: _k.PEN_GROUP}


@over_dask_signals(ProxResult)
def bcd(
    A: Any,
    y: Any,
    *,
    lam: Any = 0.0,
    loss: str = "squared",
    penalty: Any = "l1",
    blocks: Any = None,
    block_size: int = 1,
    rule: str = "gsl",
    update: str = "lipschitz",
    max_iter: int = 1000,
    tol: float = 1e-6,
    x0: Any = None,
    working_set: bool | None = None,
    anderson: bool = True,
    random_state: Any = None,
    callback: Callable[[np.ndarray], Any] | None = None,
) -> ProxResult:
    """Block coordinate descent with greedy block rules and working sets.

    Minimises ``F(x) = f(x) + g(x)`` with a smooth loss ``f`` and a
    separable or block-separable penalty ``g``, updating one block of
    coefficients per iteration.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (m, n)
        Dense array or sparse matrix (stored, not matrix-free): the design of
        the squared and logistic losses, the matrix ``Q`` (``n x n``,
        symmetric positive definite) of the quadratic form.
    y : array_like of shape (m,) or (m, n_signals)
        Measurements (``"squared"``), labels in ``{0, 1}`` or ``{-1, 1}``
        (``"logistic"``) or the linear term ``b`` (``"quadratic"``); several
        problems go in the columns.
    lam : float or array_like of shape (n_signals,), default=0.0
        Non-negative weight of the penalty, one for all or one per signal.
    loss : {"squared", "logistic", "quadratic"}, default="squared"
        ``1/2 ||A x - y||^2`` (real or complex), ``sum_i log(1 + exp(-y_i
        (A x)_i))``, or ``1/2 x^T A x - y^T x``.
    penalty : {"l1", "nonneg_l1", "group_l1", None} or Penalty, default="l1"
        ``lam ||x||_1`` (modulus for complex), ``lam sum x_i`` with
        ``x >= 0``, ``lam sum_b w_b ||x_b||_2`` over the ``blocks`` (weights
        ``sqrt`` of the sizes), or none. Or an
        :class:`~sparsela.penalties.L1`, :class:`~sparsela.penalties.NonNegL1`
        or :class:`~sparsela.penalties.GroupL1` instance (then ``lam`` must
        stay 0: the instance holds its weight).
    blocks : None, {"contiguous", "sorted", "balanced", "variable"} or partition
        The blocks: single coordinates (``None`` with ``block_size=1``),
        fixed blocks of ``block_size`` coordinates in order, sorted by
        Lipschitz constant, or balanced (small and large constants
        interleaved), or a partition (list of index arrays, or one label per
        coefficient); ``"variable"``: any ``block_size`` coordinates, chosen
        anew at every iteration by the rule (one block per iteration). For
        ``penalty="group_l1"`` the partition gives the groups.
    block_size : int, default=1
        Coordinates per fixed or variable block.
    rule : str, default="gsl"
        Block selection. Greedy: ``"gs"`` (largest distance of ``-grad`` to
        the subdifferential, the proximal GS-s score), ``"gsl"`` (that
        distance divided by ``sqrt(L_b)``), ``"gsd"`` (divided by the square
        root of the Gershgorin bound ``sum_j |H_ij|`` of the curvature),
        ``"gsq"`` (the decrease of the prox-linear model, GS-q), ``"gsr"``
        (the length of the prox-gradient step, GS-r); each
        iteration updates the variable block of the best-scored blocks (a
        working set). Passes: ``"cyclic"``, ``"permutation"`` (a random
        permutation per pass), ``"random"`` (uniform, with replacement) and
        ``"lipschitz"`` (probability ``L_b / sum L``); each iteration makes
        one pass over all blocks.
    update : {"lipschitz", "adaptive", "matrix"}, default="lipschitz"
        ``"lipschitz"``: ``x_b <- prox_{g/L_b}(x_b - grad_b f / L_b)`` with
        the block Lipschitz constant ``L_b``: the exact minimisation along a
        coordinate for the squared loss and the quadratic form, a
        majorisation step otherwise. ``"adaptive"``: the same step with an
        estimate of ``L_b`` per block (1 at first, doubled until the step
        satisfies the descent condition, kept for the next visit); one block
        per iteration. ``"matrix"``: the minimiser of the
        block's quadratic bound ``g^T d + 1/2 d^T H_b d + g_b(x_b + d)`` with
        ``H_b`` = ``A_b^H A_b``, ``A_b^T A_b / 4`` or ``Q_bb`` (a Cholesky
        solve without penalty, coordinate descent on the block otherwise);
        one block per iteration. Both never increase ``F``.
    max_iter : int, default=1000
        Largest number of iterations (block selections).
    tol : float, default=1e-6
        With a duality gap (squared or logistic loss, a penalty with
        ``lam > 0``): stop when ``(F(x) - D(theta)) / F(x) <= tol``.
        Otherwise stop when the largest distance of ``-grad f`` to the
        subdifferential of ``g`` (the KKT violation) is at most
        ``tol * ||grad f(0)||_inf``.
    x0 : array_like of shape (n,) or (n, n_signals), optional
        Start (default zeros).
    working_set : bool, optional
        ``True`` (the default for ``update="lipschitz"`` and fixed blocks):
        greedy rules update a working set per iteration, order rules make a
        pass. ``False``: one block per iteration, as in [1]_ (each iteration
        then costs a full gradient: for experiments on rules and updates).
    anderson : bool, default=True
        Anderson extrapolation of the passes on a working set (accepted only
        where it lowers ``F``).
    random_state : int or numpy.random.Generator, optional
        Seed of the random rules.
    callback : callable, optional
        ``callback(x)`` after every iteration; returning True stops.

    Returns
    -------
    ProxResult
        ``x``, ``converged``, ``status``, ``message``, ``n_iter``,
        ``residual_norm`` (``||y - A x||``; for the logistic loss
        ``||(y + 1)/2 - sigma(A x)||`` with labels in ``{-1, 1}``, for the
        quadratic form ``||A x - y||``), ``objective`` ``F(x)``, ``gap``
        (relative duality gap, ``None`` without one), ``support`` and
        ``history`` (``objective``, ``gap`` where defined, ``kkt`` (the
        relative KKT violation) and ``time`` per iteration). Per-signal
        values are arrays for a 2-D ``y``. ``step`` is ``None``.

    Raises
    ------
    ValueError
        NaN or Inf in the inputs, shapes that do not match, labels that are
        not two classes, blocks that overlap or miss coordinates, a ``Q``
        that is not symmetric positive definite, unknown options.
    TypeError
        Non-numeric inputs, a matrix-free ``A``.

    Notes
    -----
    Greedy iterations follow Nutini, Laradji and Schmidt [1]_: from the full
    gradient, each block gets a score (GS-s, GS-L, GS-D or GS-q), and the
    iteration updates the variable block made of the best-scored blocks and
    every block that is non-zero, ``max(100, 2 |support|)`` blocks in all
    (a working set, as in skglm [2]_ and celer [4]_, which makes sparse
    problems cost only their support). The block problem is solved by cyclic
    proximal passes (with Anderson extrapolation [3]_; for the logistic
    loss by proximal Newton steps: coordinate passes on the second-order
    model, then an Armijo backtracking) until its KKT violation is 0.3 times
    that of the whole problem; the working set then grows until it holds
    the optimal support, which greedy rules identify after finitely many
    iterations under non-degeneracy.

    Each coordinate costs the non-zeros of its column (the fit ``A x - y``,
    ``A x`` or ``Q x`` is updated in place by Numba kernels, dense and CSC);
    an iteration adds one full gradient (one product with ``A^H``). The
    duality gap of the squared loss takes the best of the rescaled residual
    and of the rescaled Anderson extrapolation of the last residuals (dual
    extrapolation [4]_, one more product with ``A^H``); that of the
    logistic loss the rescaled ``-y sigma(-y A x)``. The best dual value
    seen so far is kept: the gap never increases.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt, "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23 (2022).
    .. [2] Q. Bertrand, Q. Klopfenstein, P.-A. Bannier, G. Gidel, M. Massias,
       "Beyond L1: faster and better sparse models with skglm", NeurIPS
       (2022).
    .. [3] Q. Bertrand, M. Massias, "Anderson acceleration of coordinate
       descent", AISTATS (2021).
    .. [4] M. Massias, A. Gramfort, J. Salmon, "Celer: a fast solver for the
       lasso with dual extrapolation", ICML (2018).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela import bcd
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 200))
    >>> x = np.zeros(200); x[[3, 30, 60]] = [1.0, -2.0, 1.5]
    >>> res = bcd(A, A @ x, lam=0.5, tol=1e-10)
    >>> res.support
    array([ 3, 30, 60])
    >>> bool(res.converged), res.gap <= 1e-10
    (True, True)

    Sparse logistic regression, labels in {0, 1}:

    >>> labels = (A @ x > 0).astype(float)
    >>> res = bcd(A, labels, lam=2.0, loss="logistic")
    >>> bool(res.converged)
    True
    """
    t_start = time.perf_counter()
    problem = check_problem(_csc_view(A), y)
    op, Y, single, dtype = problem
    m, n = op.shape
    k = Y.shape[1]
    loss = _check_choice(loss, "loss", LOSSES)
    rule = _check_choice(rule, "rule", RULES)
    update = _check_choice(update, "update", UPDATES)
    block_size = check_positive_int(block_size, "block_size")
    max_iter = check_positive_int(max_iter, "max_iter", allow_zero=True)
    check_scalar(tol, "tol", min_val=0.0)
    check_callback(callback)
    lams = _check_lam(lam, k)
    rng = np.random.default_rng(random_state)
    arrays = stored_arrays(op)
    if arrays is None:
        raise TypeError("A must be a dense array or a sparse matrix (not matrix-free)")

    if loss == "squared":
        f: Any = Quadratic._from_problem(problem)
        aux_all = np.zeros((1, k), dtype=dtype)
    elif loss == "logistic":
        f = Logistic._from_problem(problem)  # checks the labels
        aux_all = f.labels
    else:
        if m != n:
            raise ValueError(
                f"A must be square (the matrix Q) for loss='quadratic', got {op.shape}"
            )
        if dtype.kind == "c":
            raise ValueError("A and y must be real for loss='quadratic'")
        f = QuadraticForm._from_problem(problem, "A")  # checks that it is SPD
        aux_all = Y.astype(np.float64)
    pen, lams = _penalty(penalty, lams, blocks, n, dtype)
    coord_lips = Model(_LOSS_CODES[loss], arrays, (m, n), None, None, None,
                       dtype).coordinate_lipschitz()  # fmt: skip
    if pen.code == _k.PEN_GROUP:
        perm, ptr = pen.obj.blocks(n)
        if blocks is not None and not isinstance(penalty, str):
            raise ValueError("blocks: a group penalty instance brings its own groups")
    variable = isinstance(blocks, str) and blocks == "variable"
    if pen.code != _k.PEN_GROUP:
        part = None if variable else make_blocks(blocks, block_size, n, coord_lips)
        perm, ptr = (None, None) if part is None else part
    if working_set is None:
        working_set = not variable and update == "lipschitz"
    elif working_set and (variable or update != "lipschitz"):
        raise ValueError(
            "working_set=True works with update='lipschitz' and fixed blocks; "
            "blocks='variable' and the other updates take one block per iteration"
        )
    if variable and pen.code == _k.PEN_GROUP:
        raise ValueError("blocks: 'variable' blocks do not fit a group penalty")
    if perm is None:
        lips = coord_lips
        pen.weights = np.ones(1)
    else:
        lips = np.ascontiguousarray(f.block_lipschitz(perm, ptr), dtype=np.float64)
        if pen.code != _k.PEN_GROUP:
            pen.weights = np.ones(ptr.size - 1)
    score_lips = lips
    if rule == "gsd":
        score_lips = _gershgorin(arrays, loss, n, perm, ptr)

    model = Model(_LOSS_CODES[loss], arrays, (m, n), perm, ptr, lips, dtype)
    X0 = _check_x0(x0, n, k, single, dtype, pen)
    use_gap = loss != "quadratic" and pen.code != _k.PEN_NONE and bool(np.all(lams > 0))
    # the unit of the KKT violation (the gap needs none)
    kkt_scale = np.ones(k) if use_gap else _kkt_scale(model, Y, aux_all, loss)
    signals = []
    for j in range(k):
        b = Y[:, j]
        aux = aux_all[:, j] if loss != "squared" else aux_all[:, 0]
        signals.append(
            SignalBCD(
                model,
                pen,
                lams[j],
                X0[:, j],
                b,
                np.ascontiguousarray(aux),
                rule=rule,
                score_lips=score_lips,
                use_gap=use_gap,
                tol=float(tol),
                kkt_scale=kkt_scale[j],
                anderson=bool(anderson),
                rng=rng,
                one_block=None
                if working_set
                else OneBlock(rule, variable, block_size, update, rng),
            )  # fmt: skip
        )
    state = BCDState(signals, single)
    history = History(start=t_start)
    with blas_single_thread():  # BLAS threads left spinning slow the serial passes
        run(state, max_iter=max_iter, callback=callback, single=single, history=history)
    X = state.solution()
    rule_words = "relative duality gap <= tol" if use_gap else "KKT violation <= tol"
    return make_result(
        ProxResult,
        x=X,
        status=state.active.status,
        n_iter=state.active.n_iter,
        residual_norm=[s.residual_norm() for s in signals],
        single=single,
        details={
            0: rule_words,
            2: "the iterates froze in the working precision (5 iterations "
            "without change) or the objective became non-finite",
        },
        per_signal={
            "objective": np.array([s.P for s in signals]),
            "gap": np.array([s.gap for s in signals]) if use_gap else None,
            "support": [np.flatnonzero(X[:, j]) for j in range(k)],
        },
        history=history.as_dict(),
    )


# ---- validation and set-up ----------------------------------------------------------
def _csc_view(A: Any) -> Any:
    """A canonical SciPy CSC matrix as sparsela's CSC on the same arrays.

    Column access is what coordinate descent needs; the operator of a SciPy
    matrix would store a CSR copy (and the solver convert it back), which
    costs more than solving a sparse lasso. Its entries are checked here as
    :func:`~sparsela._validation.check_problem` checks SciPy input.
    """
    if not (
        sp.issparse(A)
        and A.format == "csc"
        and A.ndim == 2
        and A.dtype.kind in "fc"
        and A.has_canonical_format
    ):
        return A
    if not bool(np.isfinite(A.data).all()):
        raise ValueError("A contains NaN or Inf")
    return CSC(A.data, A.indices, A.indptr, A.shape, check=False)


_LOSS_CODES = {
    "squared": _k.LOSS_SQUARED,
    "logistic": _k.LOSS_LOGISTIC,
    "quadratic": _k.LOSS_QUADRATIC,
}


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value.lower()


def _check_lam(lam: Any, k: int) -> np.ndarray:
    if np.ndim(lam) == 0:
        value = lam[()] if isinstance(lam, np.ndarray) else lam
        check_scalar(value, "lam", min_val=0.0)
        return np.full(k, float(value))
    arr = check_array(lam, "lam", ndim=1, allow_int=True, dtype_kinds="f")
    if arr.shape != (k,):
        raise ValueError(
            f"lam must be a scalar or have shape ({k},) (one per signal), "
            f"got {arr.shape}"
        )
    if np.any(arr < 0):
        raise ValueError("lam must be >= 0 for every signal")
    return arr.astype(np.float64)


def _penalty(penalty, lams, blocks, n, dtype) -> tuple[Penalty, np.ndarray]:
    if penalty is None or (isinstance(penalty, str) and penalty.lower() == "none"):
        if np.any(lams != 0):
            raise ValueError("lam must be 0 with penalty=None")
        return Penalty(None, _k.PEN_NONE, np.ones(1)), lams
    if isinstance(penalty, str):
        key = penalty.lower()
        if key not in ("l1", "nonneg_l1", "group_l1"):
            raise ValueError(
                "penalty must be 'l1', 'nonneg_l1', 'group_l1', None or an L1, "
                f"NonNegL1 or GroupL1 instance, got {penalty!r}"
            )
        params = {}
        if key == "group_l1":
            if blocks is None or isinstance(blocks, str):
                raise ValueError(
                    "blocks: penalty='group_l1' needs the groups as a partition "
                    "(list of index arrays or one label per coefficient)"
                )
            make_blocks(blocks, 1, n, np.ones(n))  # errors name blocks
            params = {"groups": blocks}
        obj = make_penalty(key, float(lams[0]), params)
    else:
        if type(penalty) not in _PEN_CODES:
            raise ValueError(
                "penalty must be 'l1', 'nonneg_l1', 'group_l1', None or an L1, "
                f"NonNegL1 or GroupL1 instance, got {type(penalty).__name__}"
            )
        if np.any(lams != 0):
            raise ValueError(
                "lam must stay 0 when penalty is an instance (it holds its weight)"
            )
        obj = penalty
        lams = np.full(lams.size, float(obj.lam))
    obj.check_size(n)
    if obj.real_only and dtype.kind == "c":
        raise TypeError(f"penalty {obj.name!r} needs real data, got dtype {dtype}")
    code = _PEN_CODES[type(obj)]
    weights = obj.weights if code == _k.PEN_GROUP else np.ones(1)
    return Penalty(obj, code, np.ascontiguousarray(weights, dtype=np.float64)), lams


def _check_x0(x0, n, k, single, dtype, pen) -> np.ndarray:
    if x0 is None:
        return np.zeros((n, k), dtype=dtype)
    X0 = check_array(x0, "x0", ndim=(1, 2), allow_int=True)
    want = (n,) if single else (n, k)
    if X0.shape != want:
        raise ValueError(f"x0 must have shape {want}, got {X0.shape}")
    if X0.dtype.kind == "c" and dtype.kind != "c":
        raise TypeError(f"x0 is complex but the problem is real ({dtype})")
    X0 = np.array(X0.reshape(n, -1), dtype=dtype)
    if pen.code == _k.PEN_NONNEG and np.any(X0 < 0):
        raise ValueError("x0 must be non-negative for penalty='nonneg_l1'")
    return X0


def _kkt_scale(model: Model, Y, aux_all, loss) -> np.ndarray:
    """``||grad f(0)||_inf`` per signal: the unit of the KKT violation."""
    k = Y.shape[1]
    out = np.empty(k)
    zero = np.zeros(model.n, dtype=model.dtype)
    for j in range(k):
        if loss == "squared":
            R, aux = -Y[:, j], aux_all[:, 0]
        else:
            aux = np.ascontiguousarray(aux_all[:, j])
            R = np.zeros(model.m, dtype=model.dtype)
        g = model.gradient(np.ascontiguousarray(R), aux) if model.n else zero
        out[j] = max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)
    return out


def _gershgorin(arrays, loss, n, perm, ptr) -> np.ndarray:
    """Diagonal ``d_i >= sum_j |H_ij|`` of the curvature bound (``H = A^H A``,
    ``A^T A / 4`` or ``Q``), the largest per block."""
    import scipy.sparse as sp

    if len(arrays) == 1:
        M = np.abs(arrays[0])
    else:
        data, indices, indptr = arrays
        M = sp.csc_matrix((np.abs(data), indices, indptr))
    if loss == "quadratic":
        d = np.asarray(M.sum(axis=0)).ravel()
    else:
        d = np.asarray(M.T @ np.asarray(M.sum(axis=1)).ravel()).ravel()
        d = d * (0.25 if loss == "logistic" else 1.0)
    d = d.astype(np.float64)
    if perm is None:
        return d
    return np.maximum.reduceat(d[perm], ptr[:-1])
