"""The public entry point :func:`dictionary_learning` and its driver state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..._dask import is_dask_array
from ..._progress import progress
from ..._result import DictLearningResult, Status, make_result, status_message
from ..._threads import blas_single_thread
from ..._validation import check_callback, check_positive_int, check_scalar
from .._base import ActiveSet, History, IterativeState, run
from ._atoms import data_atoms, random_unitary
from ._checks import (
    check_dict_init,
    check_lam,
    check_method,
    check_n_nonzero,
    check_rng,
    check_signals,
    check_signals_flag,
    data_dtype,
)
from ._encode import Coder, threshold
from ._ksvd import KSVD
from ._mod import MOD
from ._online import OnlineDictionaryLearning
from ._orthogonal import Procrustes

__all__ = ["dictionary_learning"]

MAX_ITER = {
    "ksvd": 50,
    "mod": 50,
    "online": 10,
    "orthogonal": 200,
    "online_orthogonal": 10,
}

DETAILS = {
    Status.CONVERGED: "the dictionary stopped changing "
    "(||D_k - D_{k-1}||_F / sqrt(n_atoms) <= tol)",
    Status.MAX_ITER: "the iteration limit was reached before the dictionary "
    "stopped changing (||D_k - D_{k-1}||_F / sqrt(n_atoms) > tol)",
    Status.NUMERICAL: "non-finite values appeared; the last finite dictionary "
    "is returned",
}


class _LearnState(IterativeState):
    """One dictionary, one "signal" for the shared driver: ``step`` runs one
    iteration (an epoch for the online methods) of ``learner``."""

    def __init__(
        self, learner: Any, current: Callable[[], np.ndarray], tol: float, bar: Any
    ) -> None:
        self.learner, self.current, self.tol, self.bar = learner, current, tol, bar
        self.active = ActiveSet(1)
        self.change = np.inf
        self.rec: dict[str, float] = {}
        self.last_good = current().copy()

    def step(self) -> np.ndarray:
        old = self.last_good
        self.rec = self.learner.step()
        D = self.current()
        finite = bool(np.isfinite(D).all()) and np.isfinite(self.rec["objective"])
        if not finite:
            return np.array([True])
        self.change = float(np.linalg.norm(D - old)) / np.sqrt(D.shape[1])
        self.last_good = D.copy()
        self.bar.update(**self.rec)
        return np.array([False])

    def converged(self) -> np.ndarray:
        return np.array([self.change <= self.tol])

    def retire(self, done: np.ndarray) -> None:
        pass

    def solution(self) -> np.ndarray:
        return self.last_good.copy()

    def record(self) -> dict[str, float]:
        return dict(self.rec, change=self.change)


class _Epochs:
    """The online learners run over stored data: one epoch per ``step``, the
    columns visited in mini-batches (a fresh random order each epoch when
    ``shuffle``)."""

    def __init__(
        self,
        learner: OnlineDictionaryLearning,
        Y: np.ndarray,
        batch_size: int,
        shuffle: bool,
        rng: np.random.Generator,
    ) -> None:
        self.learner, self.Y, self.batch_size = learner, Y, batch_size
        self.shuffle, self.rng = shuffle, rng

    def step(self) -> dict[str, float]:
        Y, p, bs = self.Y, self.Y.shape[1], self.batch_size
        order = self.rng.permutation(p) if self.shuffle else None
        total = {"objective": 0.0, "err2": 0.0, "y2": 0.0}
        rec: dict[str, float] = {}
        for start in range(0, p, bs):
            cols = (
                slice(start, start + bs) if order is None else order[start : start + bs]
            )
            Yb = np.ascontiguousarray(Y[:, cols])
            rec = self.learner._update(Yb)
            weight = Yb.shape[1] if "l4" in rec else 1
            total["objective"] += rec["objective"] * weight
            total["err2"] += rec["err2"]
            total["y2"] += rec["y2"]
        out = {
            "objective": total["objective"] / (p if "l4" in rec else 1),
            "representation_error": np.sqrt(total["err2"] / total["y2"])
            if total["y2"]
            else 0.0,
        }
        if "fw_gap" in rec:
            out["fw_gap"] = rec["fw_gap"]
        return out


def dictionary_learning(
    Y: Any,
    n_atoms: int,
    *,
    method: str = "ksvd",
    n_nonzero: int | None = None,
    lam: float | None = None,
    max_iter: int | None = None,
    tol: float = 1e-6,
    batch_size: int = 256,
    shuffle: bool = True,
    dict_init: Any = None,
    random_state: Any = None,
    callback: Callable[[np.ndarray], Any] | None = None,
    verbose: bool = False,
    signals: str = "columns",
) -> DictLearningResult:
    r"""Learn a dictionary ``D`` and sparse codes ``X`` with ``Y ≈ D X``.

    Signals are the columns of ``Y`` (``Y`` is ``n_features x n_signals``, as
    in SPAMS); ``signals="rows"`` takes scikit-learn's layout instead.

    Parameters
    ----------
    Y : array_like of shape (n_features, n_signals)
        Training signals in columns; real or complex, float32 or float64
        (the result keeps the precision). With ``signals="rows"``:
        ``(n_signals, n_features)``.
    n_atoms : int
        Number of atoms ``K`` (columns of ``D``); ``n_features`` for the
        orthogonal methods.
    method : {"ksvd", "mod", "online", "orthogonal", "online_orthogonal"}
        Default ``"ksvd"``: K-SVD (OMP codes, rank-one atom updates); ``"mod"``:
        method of optimal directions (OMP codes, least-squares dictionary);
        ``"online"``: Mairal's online dictionary learning over mini-batches
        (OMP or lasso codes); ``"orthogonal"``: orthogonal dictionary by
        alternating thresholding and Procrustes; ``"online_orthogonal"``:
        orthogonal dictionary by online Frank-Wolfe l4 maximisation.
    n_nonzero : int, optional
        Atoms per signal, ``1 <= n_nonzero <= n_atoms``. ``"ksvd"``,
        ``"mod"``, ``"online"``: OMP codes, default
        ``max(int(0.1 n_features), 1)`` (for ``"online"`` only when ``lam``
        is not given). ``"orthogonal"``: keep the ``n_nonzero`` largest
        ``|Dᴴ y|`` per signal (default as above unless ``lam`` is given).
        ``"online_orthogonal"``: sparsifies the returned ``codes`` only.
    lam : float, optional
        ``"online"``: lasso codes ``min 1/2 ||y - D x||^2 + lam ||x||_1``
        (FISTA) instead of OMP. ``"orthogonal"`` and
        ``"online_orthogonal"``: soft threshold of ``Dᴴ y``. Not used by
        ``"ksvd"`` and ``"mod"``.
    max_iter : int, optional
        Iterations (epochs over ``Y`` for the online methods). Default 50
        for ``"ksvd"`` and ``"mod"``, 200 for ``"orthogonal"``, 10 for the
        online methods.
    tol : float, default=1e-6
        Stop when ``||D_k - D_{k-1}||_F / sqrt(n_atoms) <= tol``.
    batch_size : int, default=256
        Signals per mini-batch of the online methods.
    shuffle : bool, default=True
        Online methods: visit the signals in a new random order each epoch
        (otherwise in column order, batch after batch).
    dict_init : array_like of shape (n_features, n_atoms), optional
        Initial dictionary (atoms are normalised; orthogonal for the
        orthogonal methods). Default: ``n_atoms`` random normalised signals,
        or a random orthogonal matrix. ``(n_atoms, n_features)`` with
        ``signals="rows"``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the initialisation, the batch order and atom replacement.
    callback : callable, optional
        ``callback(D)`` after each iteration with a copy of the dictionary
        ``(n_features, n_atoms)``; returning True stops
        (``Status.CALLBACK``).
    verbose : bool, default=False
        Show progress on a terminal (a tqdm bar when tqdm is installed, one
        line per iteration on stderr otherwise); silent when standard error
        is not a terminal.
    signals : {"columns", "rows"}, default="columns"
        ``"rows"``: ``Y`` is ``(n_signals, n_features)``, ``dict_init`` and
        the returned ``dictionary`` ``(n_atoms, n_features)`` and ``codes``
        ``(n_signals, n_atoms)``, as in scikit-learn.

    Returns
    -------
    DictLearningResult
        ``dictionary`` (atoms in columns, unit norm; norm at most 1 for
        ``"online"``; ``x`` is the same array), ``codes`` (``(n_atoms,
        n_signals)``, the coding rule of the method applied to ``Y`` with
        the final dictionary),
        ``residual_norm`` (``||Y - D X||_F`` of those), ``n_iter``,
        ``converged``, ``status``, ``message`` and ``history`` with one entry
        per iteration: ``objective`` (``1/2 ||Y - D X||_F^2`` (+ ``lam
        ||X||_1``) over all signals; for the online methods summed over the
        batches of the epoch, each coded with the dictionary of its time;
        for ``"online_orthogonal"`` the mean l4 value ``||A y||_4^4`` of
        the batches scaled to unit mean square, which is maximised),
        ``representation_error`` (``||Y - D X||_F / ||Y||_F``, likewise),
        ``change`` (``||D_k - D_{k-1}||_F / sqrt(n_atoms)``), ``fw_gap``
        (``"online_orthogonal"``) and ``time``.

    Raises
    ------
    ValueError
        NaN or Inf in ``Y``; ``n_atoms < 1``; ``n_nonzero`` outside
        ``[1, n_atoms]``; an unknown ``method``; ``dict_init`` of the wrong
        shape, with a zero atom, or not orthogonal for the orthogonal
        methods; ``n_atoms != n_features`` for the orthogonal methods;
        ``lam`` with ``"ksvd"`` or ``"mod"``.
    TypeError
        Non-numeric ``Y``, options of the wrong type, a complex
        ``dict_init`` for real ``Y``, a callback that is not callable.

    See Also
    --------
    sparse_encode : codes for a fixed dictionary.
    OnlineDictionaryLearning : the online methods on a stream of batches.

    Notes
    -----
    K-SVD and MOD minimise ``||Y - D X||_F^2`` subject to ``||x_i||_0 <=
    n_nonzero`` and unit atoms, alternating Batch-OMP coding (one Gram
    matrix for all signals) with a dictionary step: K-SVD updates each atom
    and its coefficients by the top singular triple of the residual
    restricted to the signals that use it; MOD solves the least-squares
    problem ``D = Y Xᴴ (X Xᴴ)^{-1}``. After each K-SVD or MOD iteration,
    unused atoms, atoms used by fewer than a quarter of the mean number of
    signals, and duplicates (``|d_iᴴ d_j| > 0.99``) are replaced by the
    worst-represented signals. Per iteration: ``O(n K p)`` for coding and
    MOD, about ``O(n T p)`` more for the K-SVD sweep (``T = n_nonzero``).

    The orthogonal methods need ``n_atoms = n_features`` and keep ``D``
    orthogonal (unitary); see :class:`OnlineDictionaryLearning` for the
    online methods and their statistics.

    References
    ----------
    .. [1] M. Aharon, M. Elad, A. Bruckstein, "K-SVD: an algorithm for
       designing overcomplete dictionaries for sparse representation", IEEE
       Trans. Signal Process. 54 (2006).
    .. [2] K. Engan, S. O. Aase, J. H. Husøy, "Method of optimal directions
       for frame design", ICASSP (1999).
    .. [3] R. Rubinstein, M. Zibulevsky, M. Elad, "Efficient implementation
       of the K-SVD algorithm using batch orthogonal matching pursuit",
       Technion CS-2008-08 (2008).
    .. [4] J. Mairal, F. Bach, J. Ponce, G. Sapiro, "Online learning for
       matrix factorization and sparse coding", JMLR 11 (2010).
    .. [5] Y. Xue, V. K. N. Lau, "Online orthogonal dictionary learning based
       on Frank-Wolfe method", IEEE TNNLS (2021), arXiv:2103.01484.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsela
    >>> rng = np.random.default_rng(0)
    >>> D_true = rng.standard_normal((10, 15))
    >>> D_true /= np.linalg.norm(D_true, axis=0)
    >>> X_true = np.zeros((15, 300))
    >>> for j in range(300):
    ...     X_true[rng.choice(15, 2, replace=False), j] = rng.standard_normal(2)
    >>> res = sparsela.dictionary_learning(D_true @ X_true, 15, n_nonzero=2,
    ...                                    max_iter=30, random_state=0)
    >>> res.dictionary.shape, res.codes.shape
    ((10, 15), (15, 300))
    >>> bool(res.history["representation_error"][-1] < 0.1)
    True
    """
    rows = check_signals_flag(signals)
    method = check_method(method)
    if is_dask_array(Y):
        loop = (max_iter, tol, batch_size, callback)
        init = (n_nonzero, lam, dict_init, random_state)
        return _learn_dask(Y, n_atoms, method, rows, loop, init)
    Yc = check_signals(Y, "Y", rows=rows)
    n, p = Yc.shape
    K = check_positive_int(n_atoms, "n_atoms")
    n_nonzero = check_n_nonzero(n_nonzero, K)
    lam = check_lam(lam)
    max_iter = MAX_ITER[method] if max_iter is None else max_iter
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = float(check_scalar(tol, "tol", min_val=0.0))
    batch_size = check_positive_int(batch_size, "batch_size")
    callback = check_callback(callback)
    rng = check_rng(random_state)
    orth = method in ("orthogonal", "online_orthogonal")
    if orth and K != n:
        raise ValueError(
            f"n_atoms must equal n_features={n} for method={method!r} (a square "
            f"orthogonal dictionary), got n_atoms={K}"
        )
    if lam is not None and method in ("ksvd", "mod"):
        raise ValueError(
            f"lam is not used by method={method!r}, which codes with OMP: give "
            "n_nonzero instead"
        )
    dt = data_dtype(Yc)
    Yc = np.ascontiguousarray(Yc, dtype=dt)
    default_T = min(max(int(0.1 * n), 1), K)
    if dict_init is not None:
        D0 = check_dict_init(dict_init, n, K, dt, rows=rows, unitary=orth)
    else:
        D0 = random_unitary(n, dt, rng) if orth else data_atoms(Yc, K, rng)

    if method in ("ksvd", "mod"):
        coder = Coder("omp", n_nonzero or default_T, None)
        learner = (KSVD if method == "ksvd" else MOD)(Yc, D0, coder, rng, max_iter)
        current = lambda: learner.D  # noqa: E731
        codes = lambda D: coder(Yc, D)  # noqa: E731
    elif method == "orthogonal":
        if n_nonzero is None and lam is None:
            n_nonzero = default_T
        learner = Procrustes(Yc, D0, n_nonzero, lam)
        current = lambda: learner.D  # noqa: E731
        codes = lambda D: threshold(D.conj().T @ Yc, n_nonzero, lam)  # noqa: E731
    else:
        online = OnlineDictionaryLearning(
            K,
            method=method,
            n_nonzero=n_nonzero,
            lam=lam,
            dict_init=D0,
            random_state=rng,
        )
        learner = _Epochs(online, Yc, batch_size, bool(shuffle), rng)
        current = online._current  # noqa: E731
        codes = lambda D: online._codes(Yc, D)  # noqa: E731

    bar = progress(max_iter, f"dictionary_learning({method})", bool(verbose))
    state = _LearnState(learner, current, tol, bar)
    history = History()
    # every iteration mixes small BLAS calls with parallel Numba kernels:
    # spinning BLAS workers would steal the kernels' cores
    with blas_single_thread():
        try:
            run(
                state,
                max_iter=max_iter,
                callback=callback,
                history=history,
                check_start=False,
            )
        finally:
            bar.close()
        D = state.last_good
        X = codes(D).astype(dt, copy=False)
    res_norm = float(np.linalg.norm(Yc - D @ X))
    if rows:
        D, X = D.T, X.T
    result = make_result(
        DictLearningResult,
        x=None,
        status=state.active.status,
        n_iter=state.active.n_iter,
        residual_norm=[res_norm],
        single=True,
        details=DETAILS,
        history=history.as_dict(),
        dictionary=D,
        codes=X,
    )
    result.x = result.dictionary  # the iterate of this solver is D
    return result


def _learn_dask(
    Y: Any, n_atoms: int, method: str, rows: bool, loop: tuple, init: tuple
) -> DictLearningResult:
    """:func:`dictionary_learning` of a Dask array: the online methods stream
    over its chunks (one in memory at a time); the codes come back lazy."""
    from ._encode import sparse_encode
    from ._stream import stream_learn

    if method not in ("online", "online_orthogonal"):
        raise ValueError(
            f"method={method!r} needs every signal at once; a Dask array Y is "
            "streamed by method='online' or 'online_orthogonal'"
        )
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D, got shape {Y.shape}")
    max_iter, tol, batch_size, callback = loop
    n_nonzero, lam, dict_init, random_state = init
    max_iter = check_positive_int(
        MAX_ITER[method] if max_iter is None else max_iter, "max_iter"
    )
    tol = float(check_scalar(tol, "tol", min_val=0.0))
    batch_size = check_positive_int(batch_size, "batch_size")
    callback = check_callback(callback)
    learner = OnlineDictionaryLearning(
        n_atoms,
        method=method,
        n_nonzero=n_nonzero,
        lam=lam,
        dict_init=dict_init,
        random_state=random_state,
        signals="rows" if rows else "columns",
    )
    D, history, n_iter, status = stream_learn(
        learner,
        Y,
        rows=rows,
        max_iter=max_iter,
        batch_size=batch_size,
        tol=tol,
        callback=callback,
    )
    if method == "online":  # the learner's coder, chunk by chunk
        coder = learner._coder
        codes = sparse_encode(
            Y,
            D.T if rows else D,
            method=coder.method,
            n_nonzero=coder.n_nonzero,
            lam=coder.lam,
            signals="rows" if rows else "columns",
        )
    else:  # thresholded D^H y, chunk by chunk
        feat = 1 if rows else 0
        Yw = Y.rechunk({feat: -1}) if len(Y.chunks[feat]) > 1 else Y
        chunks = (Yw.chunks[0], (n_atoms,)) if rows else ((n_atoms,), Yw.chunks[1])
        codes = Yw.map_blocks(learner.encode, dtype=D.dtype, chunks=chunks)
    result = make_result(
        DictLearningResult,
        x=None,
        status=[status],
        n_iter=[n_iter],
        residual_norm=[np.nan],
        single=True,
        details=DETAILS,
        message=(
            f"{status_message(status, DETAILS)}; streamed over "
            f"{Y.numblocks[0 if rows else 1]} Dask chunk(s); codes are lazy and "
            "residual_norm is not computed (NaN)"
        ),
        history=history,
        dictionary=D.T if rows else D,
        codes=codes,
    )
    result.x = result.dictionary
    return result
