"""Greedy pursuit: orthogonal matching pursuit (OMP) and matching pursuit (MP).

Two execution paths share one set of stopping rules:

* **Gram path** (Batch-OMP, ALGORITHMS.md §5.1): the Gram matrix of the
  normalised atoms is formed once, ``Aᴴ Y`` with one matrix product per chunk
  of signals, and every signal then runs in a Numba kernel
  (:mod:`sparsela.kernels.cpu.omp`) in parallel over signals, touching only
  ``K``-length vectors. Chosen for explicit ``A`` (dense or sparse) with many
  signals.
* **Operator path**: ``Aᴴ R`` for all running signals at once (one
  ``rmatmat`` per iteration), the chosen atoms obtained as ``A e_k``, and the
  least-squares fit kept up to date by a batched Gram-Schmidt (QR) update.
  Works for any linear operator (``Kronecker``, ``Restriction @
  WalshHadamard``, ...) without forming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse

from ..._result import OMPResult
from ..._threads import rows_matmul
from ..._validation import check_array, check_positive_int, check_scalar, result_dtype
from ...kernels.cpu import omp as _k
from ...operators import Dense, LinearOperator, SparseMatrix, aslinearoperator

__all__ = ["mp", "omp"]

# Largest working arrays of one chunk of signals (bytes); bounds the memory of
# problems with millions of signals (the dense result ``x`` is extra).
_CHUNK_BYTES = 1 << 26
# Largest Gram matrix that ``precompute="auto"`` forms (bytes).
_GRAM_BYTES = 1 << 30


# ---------------------------------------------------------------------------
# The dictionary: what both paths need from A
# ---------------------------------------------------------------------------
class _Atoms:
    """``A`` seen as a set of atoms: norms, Gram matrix, products, columns.

    ``kind`` is ``"dense"`` (an ndarray), ``"sparse"`` (scipy CSC) or
    ``"operator"`` (matrix-free). Everything returned is in the working dtype.
    """

    def __init__(self, A: Any, dtype: np.dtype, kind: str) -> None:
        self.kind = kind
        self.dtype = dtype
        self.rdtype = np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype
        if kind == "dense":
            self.A = np.ascontiguousarray(A, dtype=dtype)
        elif kind == "sparse":
            self.A = scipy.sparse.csc_matrix(A, dtype=dtype)
        else:
            self.A = A
        self.shape = tuple(A.shape)
        self.norms = self._column_norms()
        self._normalised = None
        self._normalised_t = None

    # -- basic quantities -----------------------------------------------------
    def _column_norms(self) -> np.ndarray:
        m, K = self.shape
        if self.kind == "dense":
            sq = np.einsum("ij,ij->j", self.A.conj(), self.A).real
        elif self.kind == "sparse":
            sq = np.asarray(abs(self.A).power(2).sum(axis=0)).ravel()
        else:
            sq = np.empty(K, dtype=self.rdtype)
            step = max(1, min(K, _CHUNK_BYTES // (16 * max(m, 1))))
            for j0 in range(0, K, step):
                cols = self.columns(np.arange(j0, min(K, j0 + step)))
                sq[j0 : j0 + cols.shape[1]] = np.einsum(
                    "ij,ij->j", cols.conj(), cols
                ).real
        return np.sqrt(sq).astype(self.rdtype)

    def normalised_dense(self) -> np.ndarray:
        """``A`` with unit-norm columns (dense kind only), cached."""
        if self._normalised is None:
            tol = 4 * np.finfo(self.rdtype).eps
            if np.all(np.abs(self.norms - 1) <= tol):
                self._normalised = self.A  # unit-norm atoms already
            else:
                self._normalised = np.ascontiguousarray(self.A / self.norms)
        return self._normalised

    def columns(self, idx: np.ndarray) -> np.ndarray:
        """``A[:, idx]`` as a dense ``(m, len(idx))`` array (repeats allowed)."""
        if self.kind == "dense":
            return self.A[:, idx]
        if self.kind == "sparse":
            return self.A[:, idx].toarray()
        E = np.zeros((self.shape[1], idx.size), dtype=self.dtype)
        E[idx, np.arange(idx.size)] = 1
        return np.asarray(self.A.matmat(E)).astype(self.dtype, copy=False)

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        """``Aᴴ R`` for ``R`` of shape ``(m, s)``."""
        if self.kind == "dense":
            A = self.A
            return (A.T @ R) if A.dtype.kind != "c" else (A.T @ R.conj()).conj()
        if self.kind == "sparse":
            return np.asarray(self.A.conj().T @ R)
        return np.asarray(self.A.rmatmat(R)).astype(self.dtype, copy=False)

    def matmat(self, X: np.ndarray) -> np.ndarray:
        """``A X`` for ``X`` of shape ``(K, s)``."""
        if self.kind == "operator":
            return np.asarray(self.A.matmat(X)).astype(self.dtype, copy=False)
        return np.asarray(self.A @ X)

    # -- Gram path ------------------------------------------------------------
    def gram(self) -> np.ndarray:
        """Gram matrix of the normalised atoms, ``(K, K)`` C-contiguous."""
        K = self.shape[1]
        if self.kind == "dense":
            An = self.normalised_dense()
            # rows shared out over the Numba threads: no spinning BLAS workers
            # left behind to slow the parallel kernel that follows
            G = rows_matmul(An.conj().T if An.dtype.kind == "c" else An.T, An)
        elif self.kind == "sparse":
            Sn = self.A @ scipy.sparse.diags(1.0 / self.norms)
            G = (Sn.conj().T @ Sn).toarray()
        else:
            G = np.empty((K, K), dtype=self.dtype)
            step = max(1, min(K, _CHUNK_BYTES // (16 * max(self.shape[0], 1))))
            for j0 in range(0, K, step):
                idx = np.arange(j0, min(K, j0 + step))
                G[:, idx] = self.rmatmat(self.columns(idx))
            G /= np.outer(self.norms, self.norms)
        return np.ascontiguousarray(G, dtype=self.dtype)

    def correlations(self, Y: np.ndarray) -> np.ndarray:
        """``(Aₙᴴ Y)ᵀ`` for normalised atoms: ``(s, K)``, one row per signal."""
        if self.kind == "dense":
            An = self.normalised_dense()
            # (Aₙᴴ Y)ᵀ = Yᵀ conj(Aₙ)
            out = rows_matmul(Y.T, An.conj() if An.dtype.kind == "c" else An)
        else:
            out = (self.rmatmat(Y) / self.norms[:, None]).T
        return np.ascontiguousarray(out, dtype=self.dtype)

    def residual_norms(self, Y, support, coef, n_atoms) -> np.ndarray:
        """``||y - Aₙ c||`` per signal for the normalised coefficients ``coef``."""
        S = Y.shape[1]
        if self.kind == "dense":
            out = np.empty(S, dtype=self.rdtype)
            if self._normalised_t is None:
                self._normalised_t = np.ascontiguousarray(self.normalised_dense().T)
            At = self._normalised_t
            Yt = np.ascontiguousarray(Y.T)
            nb = _n_blocks(0)
            _k.sparse_residual_norms(At, Yt, support, coef, n_atoms, out, nb)
            return out
        X = _scatter(support, coef / self.norms[support], n_atoms, self.shape[1])
        return np.linalg.norm(Y - self.matmat(X), axis=0).astype(self.rdtype)


def _scatter(support, coef, n_atoms, K):
    """Dense ``(K, s)`` coefficients from per-signal supports (rows of arrays)."""
    S = support.shape[0]
    X = np.zeros((K, S), dtype=coef.dtype)
    if S:
        T = support.shape[1]
        mask = np.arange(T)[None, :] < n_atoms[:, None]
        cols = np.broadcast_to(np.arange(S)[:, None], mask.shape)
        X[support[mask], cols[mask]] = coef[mask]  # atoms distinct per signal
    return X


# ---------------------------------------------------------------------------
# Validation at the public boundary
# ---------------------------------------------------------------------------
def _setup(A: Any, y: Any):
    """Validate ``A`` and ``y``; return the atoms, ``Y`` (m, s) and 1-D flag."""
    kind, raw = _classify(A)
    y_arr = check_array(y, "y", ndim=(1, 2), allow_int=True)
    dtype = result_dtype(raw.dtype, y_arr.dtype)
    m, K = raw.shape
    if y_arr.shape[0] != m:
        raise ValueError(
            f"y must have {m} rows (A has shape {tuple(raw.shape)}), "
            f"got y of shape {y_arr.shape}"
        )
    if m == 0 or K == 0:
        raise ValueError(
            f"A must have at least one row and one column, got {raw.shape}"
        )
    atoms = _Atoms(raw, dtype, kind)
    zero = np.flatnonzero(atoms.norms == 0)
    if zero.size:
        shown = ", ".join(str(i) for i in zero[:10]) + (
            ", ..." if zero.size > 10 else ""
        )
        raise ValueError(
            f"A has {zero.size} zero-norm column(s) (atoms) at index {shown}; "
            "every atom must be non-zero"
        )
    single = y_arr.ndim == 1
    Y = np.asarray(y_arr.reshape(m, -1), dtype=dtype)
    return atoms, Y, single


def _classify(A: Any):
    """Return ``(kind, object)`` with NaN/Inf and dtype checked."""
    if isinstance(A, Dense) and isinstance(A.A, np.ndarray):
        A = A.A
    elif isinstance(A, SparseMatrix):
        A = A.S
    if type(A).__module__.startswith("sparsela.formats"):
        A = A.to_scipy()
    if scipy.sparse.issparse(A):
        if A.ndim != 2:
            raise ValueError(f"A must be 2-dimensional, got shape {A.shape}")
        if A.dtype.kind not in "fc":
            if A.dtype.kind not in "biu":
                raise TypeError(
                    f"A must have a floating or complex dtype, got {A.dtype}"
                )
            A = A.astype(np.float64)
        A = scipy.sparse.csc_matrix(A)
        if A.data.size and not np.isfinite(A.data).all():
            raise ValueError("A contains NaN or Inf")
        return "sparse", A
    if isinstance(A, (np.ndarray, list, tuple)):
        return "dense", check_array(A, "A", ndim=2, allow_int=True)
    op = aslinearoperator(A)
    if isinstance(op, Dense) and isinstance(op.A, np.ndarray):
        return "dense", op.A
    if not isinstance(op, LinearOperator):  # pragma: no cover - defensive
        raise TypeError(f"A must be a matrix or a linear operator, got {type(A)}")
    return "operator", op


def _check_tol(tol):
    if tol is None:
        return None
    return float(check_scalar(tol, "tol", min_val=0.0))


def _check_precompute(precompute):
    if isinstance(precompute, str):
        if precompute != "auto":
            raise ValueError(
                f"precompute must be 'auto', True or False, got {precompute!r}"
            )
        return precompute
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    raise TypeError(f"precompute must be 'auto', True or False, got {precompute!r}")


def _use_gram(precompute, atoms: _Atoms, n_signals: int, T: int, mp: bool) -> bool:
    if precompute != "auto":
        return precompute
    if atoms.kind == "operator":
        return False
    m, K = atoms.shape
    if K * K * atoms.dtype.itemsize > _GRAM_BYTES:
        return False
    # rough flop counts, calibrated on 256 x 1024 (T=16), 128 x 2048 (T=10) and
    # 64 x 256 (T=8), where they put the crossover within a factor ~1.5 of the
    # measured one; 2.5e5 stands for the Python overhead of one batched
    # iteration of the operator path. Sparse A: products cost nnz, not m K.
    nnz = atoms.A.nnz if atoms.kind == "sparse" else m * K
    form_gram = nnz * nnz / m if atoms.kind == "sparse" else 0.5 * m * K * K
    kernel = K * T if mp else 0.5 * K * T * T  # MP: one O(K) update per step
    gram = form_gram + n_signals * (nnz + kernel)
    operator = n_signals * T * nnz + 2.5e5 * T
    return gram <= operator


def _n_blocks(workspace_bytes: int) -> int:
    """Blocks of signals for the kernels: a few per thread balances uneven
    signals (tol mode); one per thread when each block's workspace is large."""
    import numba

    n = numba.get_num_threads()
    return n if 4 * n * workspace_bytes > _CHUNK_BYTES else 4 * n


def _eps(dtype):
    eps = float(np.finfo(dtype).eps)
    # |a_kᴴ r|^2 <= (100 eps)^2 ||y||^2: the correlations are rounding noise;
    # d_kk <= 100 eps G_kk: the atom is a combination of the selected ones to
    # working precision (the pivot of a Cholesky update is pure rounding)
    return (100 * eps) ** 2, 100 * eps


# ---------------------------------------------------------------------------
# OMP
# ---------------------------------------------------------------------------
def omp(
    A: Any,
    y: Any,
    *,
    n_nonzero: int | None = None,
    tol: float | None = None,
    precompute: bool | str = "auto",
    return_path: bool = False,
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
        :func:`~sparsela.operators.aslinearoperator` accepts. Columns need not
        have unit norm but must be non-zero.
    y : array_like of shape (m,) or (m, n_signals)
        Signal(s), one per column.
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
        matrix is formed by applying the operator to ``n`` unit vectors, in
        blocks. False: operator path. "auto": Gram path for explicit ``A``
        (dense or sparse) when the Gram matrix takes at most 1 GiB and a rough
        flop count says it pays (forming it costs about ``m n^2 / 2``, each
        signal saves about ``n_nonzero m n``: with 256 x 1024 and
        ``n_nonzero=16`` from about 30 signals on); operator path otherwise.
    return_path : bool, default=False
        Also return the coefficients after each step in ``path``.

    Returns
    -------
    OMPResult
        ``x`` of shape ``(n,)`` or ``(n, n_signals)``, in the working precision
        (float32 input stays float32); ``support``: the atoms in the order
        selected (an int array, or a list of them with one per signal);
        ``n_iter``: number of atoms; ``residual_norm``: ``||y - A x||_2``,
        computed from the final ``x``; ``converged``, ``status`` and
        ``message`` (see Notes); ``path`` (if ``return_path``): an array of
        shape ``(n, n_iter)`` whose column ``t`` is ``x`` after ``t + 1`` atoms
        (a list of them for several signals).

    Raises
    ------
    ValueError
        Shape mismatch between ``A`` and ``y``, NaN or Inf in either, a
        zero-norm column of ``A``, ``n_nonzero`` outside ``[1, min(m, n)]``,
        negative ``tol``.
    TypeError
        Non-numeric ``A`` or ``y``, or a wrongly typed option.

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
    at the end from the triangular factor. ``O(m t)`` memory per signal.

    **Stopping and status.** A signal stops when it has ``n_nonzero`` atoms,
    when ``||r||^2 <= tol``, or early:

    * status 0 (converged): the stopping rule was met; this includes signals
      whose residual became orthogonal to every atom before ``n_nonzero``
      atoms were chosen when no ``tol`` is given -- ``x`` is then a
      least-squares solution over all atoms (e.g. an exactly sparse signal).
    * status 1 (not converged): only ``tol`` given and all ``min(m, n)``
      atoms used without reaching it.
    * status 2 (not converged): the best atom is linearly dependent on the
      selected ones to working precision (squared distance to their span
      ``<= 100 eps``, as with duplicate or extremely coherent atoms); it is
      not selected, since it would make the Cholesky factor singular.
    * status 3 (not converged): ``tol`` unreachable, the residual is
      orthogonal to every atom (``max |a_iᴴ r|^2 <= (100 eps)^2 ||y||^2``).

    ``message`` counts the signals of each kind. No NaN is produced.

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
    >>> from sparsela.solvers.pursuit._omp import omp
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20, 50))
    >>> x_true = np.zeros(50)
    >>> x_true[[3, 17, 41]] = [1.0, -2.0, 0.5]
    >>> res = omp(A, A @ x_true, n_nonzero=3)
    >>> sorted(res.support.tolist())
    [3, 17, 41]
    >>> bool(np.allclose(res.x, x_true))
    True
    >>> res.converged, res.status
    (True, 0)
    """
    atoms, Y, single = _setup(A, y)
    m, K = atoms.shape
    tol = _check_tol(tol)
    precompute = _check_precompute(precompute)
    limit = min(m, K)
    if n_nonzero is None and tol is None:
        n_nonzero = max(int(0.1 * K), 1)
    if n_nonzero is not None:
        n_nonzero = check_positive_int(n_nonzero, "n_nonzero")
        if n_nonzero > limit:
            raise ValueError(
                f"n_nonzero must be <= min(n_rows, n_atoms) = {limit} for A of "
                f"shape {atoms.shape}, got {n_nonzero}"
            )
    T = n_nonzero if n_nonzero is not None else limit
    S = Y.shape[1]
    gram = _use_gram(precompute, atoms, S, T, mp=False)
    run = _omp_gram if gram else _omp_operator
    out = run(atoms, Y, T, tol, bool(return_path))
    support, coef, n_atoms, res_norm, stop, path = out
    status = _omp_status(stop, tol is not None, n_nonzero is not None)
    return _build_result(
        atoms, support, coef, n_atoms, n_atoms, res_norm, status, stop, path,
        single, "omp",
    )  # fmt: skip


def _omp_status(stop, tol_active, budget_is_rule):
    status = np.zeros(stop.shape, dtype=np.int64)
    status[stop == _k.STOP_DEPENDENT] = 2
    if tol_active:
        status[stop == _k.STOP_ORTHOGONAL] = 3
        if not budget_is_rule:
            status[stop == _k.STOP_BUDGET] = 1
    return status


def _chunks(S, per_signal_bytes):
    size = max(1, min(S, _CHUNK_BYTES // max(per_signal_bytes, 1)))
    for s0 in range(0, S, size):
        yield slice(s0, min(S, s0 + size))


def _omp_gram(atoms: _Atoms, Y, T, tol, return_path):
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    G = atoms.gram()
    eps_corr2, eps_dep = _eps(rdt)
    support = np.zeros((S, T), dtype=np.int64)
    coef = np.zeros((S, T), dtype=dt)
    n_atoms = np.zeros(S, dtype=np.int64)
    res2 = np.zeros(S, dtype=rdt)
    stop = np.zeros(S, dtype=np.int64)
    res_norm = np.zeros(S, dtype=rdt)
    paths = []
    per_signal = dt.itemsize * (K + m + (T * T if return_path else 0))
    nb = _n_blocks(dt.itemsize * T * K)
    for sl in _chunks(S, per_signal):
        Yc = Y[:, sl]
        alpha0 = atoms.correlations(Yc)
        norms2 = np.einsum("ij,ij->j", Yc.conj(), Yc).real.astype(rdt)
        path = np.zeros((sl.stop - sl.start, T, T) if return_path else (1, 1, 1), dt)
        _k.omp_gram(
            G, alpha0, norms2, T, rdt.type(tol if tol is not None else 0.0),
            tol is not None, rdt.type(eps_corr2), rdt.type(eps_dep),
            support[sl], coef[sl], n_atoms[sl], res2[sl], stop[sl], path,
            return_path, nb,
        )  # fmt: skip
        res_norm[sl] = atoms.residual_norms(Yc, support[sl], coef[sl], n_atoms[sl])
        if return_path:
            paths.extend(path)
    return support, coef, n_atoms, res_norm, stop, (paths if return_path else None)


def _abs2(Z):
    return Z.real**2 + Z.imag**2 if Z.dtype.kind == "c" else Z * Z


def _omp_operator(atoms: _Atoms, Y, T, tol, return_path):
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    eps_corr2, eps_dep = _eps(rdt)
    support = np.zeros((S, T), dtype=np.int64)
    coef = np.zeros((S, T), dtype=dt)
    n_atoms = np.zeros(S, dtype=np.int64)
    stop = np.zeros(S, dtype=np.int64)
    res_norm = np.zeros(S, dtype=rdt)
    paths = [] if return_path else None
    per_signal = dt.itemsize * (T * m + 2 * K + 3 * m + T * T)
    for sl in _chunks(S, per_signal):
        out = _omp_operator_chunk(
            atoms, Y[:, sl], T, tol, eps_corr2, eps_dep, return_path
        )
        support[sl], coef[sl], n_atoms[sl], res_norm[sl], stop[sl], p = out
        if return_path:
            paths.extend(p)
    return support, coef, n_atoms, res_norm, stop, paths


def _omp_operator_chunk(atoms: _Atoms, Y, T, tol, eps_corr2, eps_dep, return_path):
    """Batched OMP by Gram-Schmidt on the selected (normalised) atoms."""
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    norms = atoms.norms
    R = Y.copy()  # residuals
    norms2 = _abs2(Y).sum(axis=0)
    res2 = norms2.copy()
    Q = np.zeros((S, T, m), dtype=dt)  # orthonormal basis of each support
    Rt = np.zeros((S, T, T), dtype=dt)  # A_I (normalised) = Q^T Rt, upper
    z = np.zeros((S, T), dtype=dt)  # Qᴴ y
    support = np.zeros((S, T), dtype=np.int64)
    n_atoms = np.zeros(S, dtype=np.int64)
    stop = np.full(S, _k.STOP_BUDGET, dtype=np.int64)
    path = np.zeros((S, T, T), dtype=dt) if return_path else None
    active = np.arange(S)
    if tol is not None:
        done = res2 <= tol
        stop[done] = _k.STOP_TOL
        active = active[~done]
    for t in range(T):
        if active.size == 0:
            break
        cols = np.arange(active.size)
        C = atoms.rmatmat(R[:, active]) / norms[:, None]
        score = _abs2(C)
        if t:
            score[support[active, :t].T, cols] = -1.0
        k = np.argmax(score, axis=0)
        orth = score[k, cols] <= eps_corr2 * norms2[active]
        stop[active[orth]] = _k.STOP_ORTHOGONAL
        active, k = active[~orth], k[~orth]
        if active.size == 0:
            break
        U = (atoms.columns(k) / norms[k]).T  # (s, m) normalised atoms
        Qa = Q[active, :t]
        h = np.zeros((active.size, t), dtype=dt)
        V = U.copy()
        for _ in range(2):  # classical Gram-Schmidt, twice (CGS2)
            if t:
                h2 = np.einsum("stm,sm->st", Qa.conj(), V)
                V -= np.einsum("stm,st->sm", Qa, h2)
                h += h2
        d2 = _abs2(V).sum(axis=1)
        u2 = _abs2(U).sum(axis=1)
        dep = d2 <= eps_dep * u2
        stop[active[dep]] = _k.STOP_DEPENDENT
        keep = ~dep
        active, k, V, h, d2 = active[keep], k[keep], V[keep], h[keep], d2[keep]
        if active.size == 0:
            break
        d = np.sqrt(d2)
        q = V / d[:, None]
        Q[active, t] = q
        Rt[active, :t, t] = h
        Rt[active, t, t] = d
        support[active, t] = k
        Ra = R[:, active]
        zt = np.einsum("sm,ms->s", q.conj(), Ra)
        z[active, t] = zt
        Ra -= q.T * zt
        R[:, active] = Ra
        res2[active] = _abs2(Ra).sum(axis=0)
        n_atoms[active] = t + 1
        if return_path:
            path[active, t, : t + 1] = _upper_solve(Rt[active], z[active], t + 1)
        if tol is not None:
            met = res2[active] <= tol
            stop[active[met]] = _k.STOP_TOL
            active = active[~met]
    coef = _upper_solve(Rt, z, T, n_atoms)
    res_norm = np.sqrt(res2).astype(rdt)
    paths = list(path) if return_path else None
    return support, coef, n_atoms, res_norm, stop, paths


def _upper_solve(Rt, z, t, n_atoms=None):
    """Solve ``Rt[:, :t, :t] c = z[:, :t]`` for each row, upper triangular.

    Rows with ``n_atoms < t`` are solved on their leading ``n_atoms`` block
    (the rest of ``c`` is 0).
    """
    S = Rt.shape[0]
    c = np.zeros((S, t), dtype=z.dtype)
    for j in range(t - 1, -1, -1):
        acc = z[:, j] - np.einsum("sl,sl->s", Rt[:, j, j + 1 : t], c[:, j + 1 : t])
        diag = Rt[:, j, j]
        live = diag != 0 if n_atoms is None else j < n_atoms
        c[live, j] = acc[live] / diag[live]
    return c


# ---------------------------------------------------------------------------
# MP
# ---------------------------------------------------------------------------
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
) -> OMPResult:
    r"""Plain matching pursuit for one or many signals.

    Each step picks the atom most correlated with the residual, adds the
    correlation (along the normalised atom) to its coefficient and subtracts
    that component from the residual. Unlike :func:`omp` there is no refit,
    so atoms may be chosen again and each step is cheap.

    Parameters
    ----------
    A : array_like, sparse matrix, sparsela format or LinearOperator
        Dictionary of shape ``(m, n)``, non-zero columns (any norm).
    y : array_like of shape (m,) or (m, n_signals)
        Signal(s), one per column.
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
        ``Aᴴ R`` per step), chosen as in :func:`omp`.
    return_path : bool, default=False
        Also return ``x`` after each step in ``path``.

    Returns
    -------
    OMPResult
        As :func:`omp`; ``support`` lists the distinct atoms in order of first
        selection, ``n_iter`` counts steps (which may exceed
        ``len(support)``), ``path`` has one column per step.

    Raises
    ------
    ValueError
        As :func:`omp` (``n_nonzero`` up to ``n``), ``max_iter < 1``,
        ``positive`` with complex data.

    Notes
    -----
    With unit atoms ``u_i = a_i / ||a_i||`` a step is ``k = argmax |u_iᴴ r|``,
    ``x_k += (u_kᴴ r) / ||a_k||``, ``r -= (u_kᴴ r) u_k``, so ``||r||^2``
    decreases by ``|u_kᴴ r|^2``. On the Gram path the correlations are updated
    as ``alpha -= G[:, k] (u_kᴴ r)`` with ``G`` the Gram matrix of the ``u_i``.

    Status: 0 when the step budget or the ``n_nonzero`` atoms were used, when
    ``||r||^2 <= tol``, or (without ``tol``) when the residual is orthogonal
    to every atom; 1 when ``tol`` was given and ``max_iter`` steps did not
    reach it; 3 when ``tol`` is unreachable because the residual is
    orthogonal to every atom (with ``positive``: no atom has a positive
    correlation left).

    References
    ----------
    .. [1] S. Mallat, Z. Zhang, "Matching pursuits with time-frequency
       dictionaries", IEEE Trans. Signal Processing 41(12), 1993.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.pursuit._omp import mp
    >>> A = np.eye(4)
    >>> res = mp(A, np.array([0.0, 3.0, 0.0, -1.0]), n_nonzero=2)
    >>> res.x
    array([ 0.,  3.,  0., -1.])
    >>> res.support
    array([1, 3])
    """
    atoms, Y, single = _setup(A, y)
    m, K = atoms.shape
    tol = _check_tol(tol)
    precompute = _check_precompute(precompute)
    if positive and atoms.dtype.kind == "c":
        raise ValueError("positive=True needs real A and y, got complex data")
    if n_nonzero is None and tol is None and max_iter is None:
        n_nonzero = max(int(0.1 * K), 1)
    if n_nonzero is not None:
        n_nonzero = check_positive_int(n_nonzero, "n_nonzero")
        if n_nonzero > K:
            raise ValueError(
                f"n_nonzero must be <= the number of atoms {K}, got {n_nonzero}"
            )
    if max_iter is not None:
        max_iter = check_positive_int(max_iter, "max_iter")
    else:
        max_iter = n_nonzero if tol is None else 10 * min(m, K)
    cap = n_nonzero if n_nonzero is not None else min(K, max_iter)
    cap = min(cap, max_iter)
    S = Y.shape[1]
    gram = _use_gram(precompute, atoms, S, max_iter, mp=True)
    run = _mp_gram if gram else _mp_operator
    support, coef, n_steps, n_atoms, res_norm, stop, path = run(
        atoms, Y, max_iter, cap, tol, bool(positive), bool(return_path)
    )
    status = np.zeros(stop.shape, dtype=np.int64)
    if tol is not None:
        status[stop == _k.STOP_ORTHOGONAL] = 3
        status[stop == _k.STOP_BUDGET] = 1
    return _build_result(
        atoms, support, coef, n_steps, n_atoms, res_norm, status, stop, path,
        single, "mp",
    )  # fmt: skip


def _mp_gram(atoms: _Atoms, Y, max_steps, cap, tol, positive, return_path):
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    G = atoms.gram()
    eps_corr2, _ = _eps(rdt)
    support = np.zeros((S, cap), dtype=np.int64)
    coef = np.zeros((S, cap), dtype=dt)
    n_steps = np.zeros(S, dtype=np.int64)
    n_atoms = np.zeros(S, dtype=np.int64)
    res2 = np.zeros(S, dtype=rdt)
    stop = np.zeros(S, dtype=np.int64)
    res_norm = np.zeros(S, dtype=rdt)
    paths = [] if return_path else None
    per_signal = dt.itemsize * (K + m + (2 * max_steps if return_path else 0))
    nb = _n_blocks(dt.itemsize * K)
    for sl in _chunks(S, per_signal):
        Yc = Y[:, sl]
        s = sl.stop - sl.start
        alpha0 = atoms.correlations(Yc)
        norms2 = np.einsum("ij,ij->j", Yc.conj(), Yc).real.astype(rdt)
        shape = (s, max_steps) if return_path else (1, 1)
        steps_k = np.zeros(shape, dtype=np.int64)
        steps_v = np.zeros(shape, dtype=dt)
        _k.mp_gram(
            G, alpha0, norms2, max_steps, cap,
            rdt.type(tol if tol is not None else 0.0), tol is not None, positive,
            rdt.type(eps_corr2), support[sl], coef[sl], n_steps[sl], n_atoms[sl],
            res2[sl], stop[sl], steps_k, steps_v, return_path, nb,
        )  # fmt: skip
        res_norm[sl] = atoms.residual_norms(Yc, support[sl], coef[sl], n_atoms[sl])
        if return_path:
            for i in range(s):
                paths.append(_mp_path(steps_k[i], steps_v[i], n_steps[sl][i], K))
    return support, coef, n_steps, n_atoms, res_norm, stop, paths


def _mp_path(steps_k, steps_v, n, K):
    """Normalised-coefficient path ``(K, n)`` from the per-step records."""
    P = np.zeros((K, n), dtype=steps_v.dtype)
    P[steps_k[:n], np.arange(n)] = steps_v[:n]
    return np.cumsum(P, axis=1)


def _mp_operator(atoms: _Atoms, Y, max_steps, cap, tol, positive, return_path):
    m, K = atoms.shape
    S = Y.shape[1]
    dt, rdt = atoms.dtype, atoms.rdtype
    norms = atoms.norms
    eps_corr2, _ = _eps(rdt)
    support = np.zeros((S, cap), dtype=np.int64)
    coef = np.zeros((S, cap), dtype=dt)
    n_steps = np.zeros(S, dtype=np.int64)
    n_atoms = np.zeros(S, dtype=np.int64)
    stop = np.full(S, _k.STOP_BUDGET, dtype=np.int64)
    R = Y.copy()
    norms2 = _abs2(Y).sum(axis=0)
    res2 = norms2.copy()
    pos = {}  # (signal, atom) -> slot; only touched for chosen atoms
    steps_k = np.zeros((S, max_steps), dtype=np.int64) if return_path else None
    steps_v = np.zeros((S, max_steps), dtype=dt) if return_path else None
    active = np.arange(S)
    if tol is not None:
        done = res2 <= tol
        stop[done] = _k.STOP_TOL
        active = active[~done]
    for step in range(max_steps):
        if active.size == 0:
            break
        cols = np.arange(active.size)
        C = atoms.rmatmat(R[:, active]) / norms[:, None]
        score = C.real if positive else _abs2(C)
        k = np.argmax(score, axis=0)
        best = score[k, cols]
        if positive:
            ok = (best > 0) & (best * best > eps_corr2 * norms2[active])
        else:
            ok = best > eps_corr2 * norms2[active]
        stop[active[~ok]] = _k.STOP_ORTHOGONAL
        active, k, ck = active[ok], k[ok], C[k[ok], cols[ok]]
        slots = np.array(
            [pos.get((s, kk), -1) for s, kk in zip(active, k, strict=True)], dtype=int
        )
        new = slots < 0
        full = new & (n_atoms[active] >= cap)
        stop[active[full]] = _k.STOP_SUPPORT_FULL
        keep = ~full
        active, k, ck, slots, new = (
            active[keep],
            k[keep],
            ck[keep],
            slots[keep],
            new[keep],
        )
        if active.size == 0:
            break
        for s, kk in zip(active[new], k[new], strict=True):
            slot = n_atoms[s]
            pos[(s, kk)] = slot
            support[s, slot] = kk
            n_atoms[s] += 1
        slots = np.array(
            [pos[(s, kk)] for s, kk in zip(active, k, strict=True)], dtype=int
        )
        U = atoms.columns(k) / norms[k]  # (m, s) normalised atoms
        gkk = _abs2(U).sum(axis=0)
        stepv = ck / gkk
        coef[active, slots] += stepv
        if return_path:
            steps_k[active, step] = k
            steps_v[active, step] = stepv
        Ra = R[:, active] - U * stepv
        R[:, active] = Ra
        res2[active] = _abs2(Ra).sum(axis=0)
        n_steps[active] = step + 1
        if tol is not None:
            met = res2[active] <= tol
            stop[active[met]] = _k.STOP_TOL
            active = active[~met]
    res_norm = np.sqrt(res2).astype(rdt)
    paths = None
    if return_path:
        paths = [_mp_path(steps_k[i], steps_v[i], n_steps[i], K) for i in range(S)]
    return support, coef, n_steps, n_atoms, res_norm, stop, paths


# ---------------------------------------------------------------------------
# Result assembly
# ---------------------------------------------------------------------------
_REASONS = {
    1: "the atom or step limit was reached before tol",
    2: "the next atom was linearly dependent on the selected ones "
    "(it would make the Cholesky factor singular)",
    3: "tol is unreachable: the residual is orthogonal to every atom",
}


def _message(status, stop, name):
    S = status.size
    if S == 0:
        return "no signals"
    unit = "atoms" if name == "omp" else "steps"
    exact = (status == 0) & (stop == _k.STOP_ORTHOGONAL)
    fit = (
        "a least-squares fit over all atoms (residual orthogonal to every atom) "
        f"with fewer {unit} than allowed"
    )
    if S == 1:
        code = int(status[0])
        if code:
            return f"the signal stopped early: {_REASONS[code]} (status {code})"
        if exact[0]:
            return f"the signal met the stopping rule: {fit}"
        return "the signal met the stopping rule"
    n_bad = int((status != 0).sum())
    if n_bad == 0:
        msg = f"all {S} signals met the stopping rule"
    else:
        parts = []
        for code, reason in _REASONS.items():
            cnt = int((status == code).sum())
            if cnt:
                parts.append(f"{cnt}: {reason} (status {code})")
        msg = f"{n_bad} of {S} signals stopped early; " + "; ".join(parts)
    if exact.any():
        msg += f"; {int(exact.sum())} reached {fit}"
    return msg


def _build_result(
    atoms, support, coef, n_iter, n_atoms, res_norm, status, stop, path, single, name
):
    m, K = atoms.shape
    norms = atoms.norms
    S = support.shape[0]
    # coefficients of the normalised atoms -> coefficients of A's columns
    scaled = coef / norms[support]
    x = _scatter(support, scaled, n_atoms, K)
    # one compact array, split into per-signal views
    kept = np.arange(support.shape[1])[None, :] < n_atoms[:, None]
    flat = support[kept]
    ends = np.cumsum(n_atoms).tolist()
    supports = [flat[e - t : e] for e, t in zip(ends, n_atoms.tolist(), strict=True)]
    paths = None
    if path is not None:
        paths = []
        for i in range(S):
            if name == "omp":
                t = n_atoms[i]
                P = np.zeros((K, t), dtype=atoms.dtype)
                for j in range(t):
                    sup = support[i, : j + 1]
                    P[sup, j] = path[i][j, : j + 1] / norms[sup]
            else:
                P = path[i] / norms[:, None]
            paths.append(P)
    converged = status == 0
    message = _message(status, stop, name)
    if single:
        return OMPResult(
            x=x[:, 0],
            converged=bool(converged[0]),
            status=int(status[0]),
            message=message,
            n_iter=int(n_iter[0]),
            residual_norm=float(res_norm[0]),
            support=supports[0],
            path=None if paths is None else paths[0],
        )
    return OMPResult(
        x=x,
        converged=converged,
        status=status,
        message=message,
        n_iter=np.asarray(n_iter, dtype=np.int64),
        residual_norm=np.asarray(res_norm),
        support=supports,
        path=paths,
    )
