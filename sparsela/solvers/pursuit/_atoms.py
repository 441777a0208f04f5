"""The dictionary ``A`` as unit-norm atoms: what both pursuit paths need from it.

Every quantity comes from the operator capabilities (``column_norms``,
``columns``, ``gram``, ``rmatmat``, ``matmat``), so a dense or sparse matrix,
a Kronecker product or a SciPy ``LinearOperator`` all work the same way. One
fast path remains, for an explicit dense NumPy ``A`` (``op.as_array()``):
there the Gram matrix and the correlations are row blocks on Python threads
(:func:`~sparsela._threads.rows_matmul`) and the exact residual norms come
from a Numba kernel on the normalised matrix.

Also here: the sizes that bound memory (chunks of signals, kernel blocks),
the rounding thresholds shared by the kernels and the operator path, and the
``precompute="auto"`` cost model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numba
import numpy as np

from ..._scaling import column_norms, square_range
from ..._threads import rows_matmul
from ...kernels.cpu import omp as _k
from ...operators import LinearOperator

__all__ = [
    "Atoms",
    "abs2",
    "chunks",
    "eps",
    "n_blocks",
    "real_dtype",
    "scatter",
    "use_gram",
]

# Largest working arrays of one chunk of signals (bytes); bounds the memory of
# problems with millions of signals (the dense result ``x`` is extra).
_CHUNK_BYTES = 1 << 26
# Largest Gram matrix that ``precompute="auto"`` forms (bytes).
_GRAM_BYTES = 1 << 30


# ---------------------------------------------------------------------------
# Small shared helpers
# ---------------------------------------------------------------------------
def real_dtype(dtype: Any) -> np.dtype:
    """The real dtype of the same precision."""
    dtype = np.dtype(dtype)
    return np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype


def abs2(Z: np.ndarray) -> np.ndarray:
    """``|Z|^2`` elementwise, without the square root."""
    return Z.real**2 + Z.imag**2 if Z.dtype.kind == "c" else Z * Z


def eps(rdtype: Any) -> tuple[float, float]:
    """Relative thresholds ``(eps_corr2, eps_dep)`` of the stopping rules."""
    e = float(np.finfo(rdtype).eps)
    # |a_kᴴ r|^2 <= (100 eps)^2 ||y||^2: the correlations are rounding noise;
    # d_kk <= 100 eps G_kk: the atom is a combination of the selected ones to
    # working precision (the pivot of a Cholesky update is pure rounding)
    return (100 * e) ** 2, 100 * e


def chunks(n_signals: int, per_signal_bytes: int) -> Iterator[slice]:
    """Slices of signals whose working arrays take at most ``_CHUNK_BYTES``."""
    size = max(1, min(n_signals, _CHUNK_BYTES // max(per_signal_bytes, 1)))
    for s0 in range(0, n_signals, size):
        yield slice(s0, min(n_signals, s0 + size))


def n_blocks(workspace_bytes: int) -> int:
    """Blocks of signals for the kernels: a few per thread balances uneven
    signals (tol mode); one per thread when each block's workspace is large."""
    n = numba.get_num_threads()
    return n if 4 * n * workspace_bytes > _CHUNK_BYTES else 4 * n


def scatter(
    support: np.ndarray, coef: np.ndarray, n_atoms: np.ndarray, K: int
) -> np.ndarray:
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
# The atoms
# ---------------------------------------------------------------------------
class Atoms:
    """``A`` seen through its unit-norm columns ``A_n = A diag(1 / norms)``.

    Parameters
    ----------
    op : LinearOperator
        The validated operator.
    dtype : dtype
        Working dtype; everything returned is in it.

    Raises
    ------
    ValueError
        A column of ``A`` has norm 0.
    """

    def __init__(self, op: LinearOperator, dtype: Any) -> None:
        self.op = op
        self.dtype = np.dtype(dtype)
        self.rdtype = real_dtype(self.dtype)
        self.shape = tuple(op.shape)
        raw = op.as_array()
        if raw is not None:
            raw = np.ascontiguousarray(raw, dtype=self.dtype)
            with np.errstate(over="ignore", under="ignore"):  # redone below
                sq = np.einsum("ij,ij->j", raw.conj(), raw).real
            # columns whose squared norm over- or underflows: scaled first
            self.norms = column_norms(raw, sq)
        else:
            self.norms = self._operator_norms()
        self._raw = raw
        self._normalised = None
        self._normalised_t = None
        zero = np.flatnonzero(self.norms == 0)
        if zero.size:
            shown = ", ".join(str(i) for i in zero[:10]) + (
                ", ..." if zero.size > 10 else ""
            )
            raise ValueError(
                f"A has {zero.size} zero-norm column(s) (atoms) at index {shown}; "
                "every atom must be non-zero"
            )

    def _operator_norms(self) -> np.ndarray:
        """Column norms from the operator, redone from its columns where they
        over- or underflowed (an operator squares its entries)."""
        with np.errstate(over="ignore", under="ignore"):  # redone below
            norms = np.asarray(self.op.column_norms()).astype(self.rdtype)
        lo, hi = square_range(self.rdtype)
        bad = np.flatnonzero(~((norms >= np.sqrt(lo)) & (norms <= np.sqrt(hi))))
        m = self.shape[0]
        step = max(1, _CHUNK_BYTES // (16 * max(m, 1)))
        for j0 in range(0, bad.size, step):
            idx = bad[j0 : j0 + step]
            cols = np.asarray(self.op.columns(idx)).astype(self.dtype, copy=False)
            norms[idx] = column_norms(cols)
        return norms

    @property
    def well_scaled(self) -> bool:
        """The squared column norms, and their products, are representable."""
        lo, hi = square_range(self.rdtype)
        return bool(
            np.all(self.norms >= np.sqrt(lo)) and np.all(self.norms <= np.sqrt(hi))
        )

    @property
    def dense(self) -> bool:
        """``A`` is an explicit dense NumPy array (the fast Gram path)."""
        return self._raw is not None

    def _normalised_dense(self) -> np.ndarray:
        """``A_n`` as an array (dense ``A`` only), cached."""
        if self._normalised is None:
            tol = 4 * np.finfo(self.rdtype).eps
            if np.all(np.abs(self.norms - 1) <= tol):
                self._normalised = self._raw  # unit-norm atoms already
            else:
                self._normalised = np.ascontiguousarray(self._raw / self.norms)
        return self._normalised

    # -- operator path ----------------------------------------------------------
    def columns(self, idx: np.ndarray) -> np.ndarray:
        """Unit-norm atoms ``A_n[:, idx]``, ``(m, len(idx))`` (repeats allowed)."""
        C = np.asarray(self.op.columns(idx)).astype(self.dtype, copy=False)
        return C / self.norms[idx]

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        """Correlations ``A_nᴴ R``, ``(K, s)``, for residuals ``R`` ``(m, s)``."""
        C = np.asarray(self.op.rmatmat(R)).astype(self.dtype, copy=False)
        return C / self.norms[:, None]

    # -- Gram path ------------------------------------------------------------
    def gram(self) -> np.ndarray:
        """Gram matrix ``A_nᴴ A_n`` of the unit-norm atoms, C-contiguous."""
        if self.dense:
            An = self._normalised_dense()
            # rows shared out over the Numba threads: no spinning BLAS workers
            # left behind to slow the parallel kernel that follows
            G = rows_matmul(An.conj().T if An.dtype.kind == "c" else An.T, An)
            return np.ascontiguousarray(G, dtype=self.dtype)
        if not self.well_scaled:
            # A^H A itself would over- or underflow: products of unit atoms
            return self._gram_from_columns()
        G = np.asarray(self.op.gram())
        if np.finfo(G.dtype).eps > np.finfo(self.dtype).eps:
            return self._gram_from_columns()
        G = G.astype(self.dtype) / np.outer(self.norms, self.norms)
        return np.ascontiguousarray(G, dtype=self.dtype)

    def _gram_from_columns(self) -> np.ndarray:
        # blocks A^H (A_n[:, idx]) / norms: in the working precision (single-
        # precision A with double-precision y casts the columns up) and from
        # unit atoms, so that nothing of the size of ||a_i||^2 is formed
        m, K = self.shape
        G = np.empty((K, K), dtype=self.dtype)
        step = max(1, min(K, _CHUNK_BYTES // (16 * max(m, 1))))
        for j0 in range(0, K, step):
            idx = np.arange(j0, min(K, j0 + step))
            cols = np.asarray(self.op.columns(idx)).astype(self.dtype) / self.norms[idx]
            G[:, idx] = np.asarray(self.op.rmatmat(cols)) / self.norms[:, None]
        return G

    def correlations(self, Y: np.ndarray) -> np.ndarray:
        """``(A_nᴴ Y)ᵀ``: ``(s, K)`` C-contiguous, one row per signal."""
        if self.dense:
            An = self._normalised_dense()
            # (A_nᴴ Y)ᵀ = Yᵀ conj(A_n)
            out = rows_matmul(Y.T, An.conj() if An.dtype.kind == "c" else An)
        else:
            out = self.rmatmat(Y).T
        return np.ascontiguousarray(out, dtype=self.dtype)

    def residual_norms(
        self,
        Y: np.ndarray,
        support: np.ndarray,
        coef: np.ndarray,
        n_atoms: np.ndarray,
    ) -> np.ndarray:
        """``||y - A_n c||_2`` per signal, for the unit-atom coefficients ``coef``."""
        S = Y.shape[1]
        if self.dense:
            out = np.empty(S, dtype=self.rdtype)
            if self._normalised_t is None:
                self._normalised_t = np.ascontiguousarray(self._normalised_dense().T)
            Yt = np.ascontiguousarray(Y.T)
            _k.sparse_residual_norms(
                self._normalised_t, Yt, support, coef, n_atoms, out, n_blocks(0)
            )
            return out
        K = self.shape[1]
        X = scatter(support, coef / self.norms[support], n_atoms, K)
        AX = np.asarray(self.op.matmat(X))
        return np.linalg.norm(Y - AX, axis=0).astype(self.rdtype)


def use_gram(
    precompute: bool | str, atoms: Atoms, n_signals: int, T: int, mp: bool
) -> bool:
    """Whether to run the Gram path (``precompute`` checked already)."""
    if precompute != "auto":
        return bool(precompute)
    nnz = atoms.op.nnz
    if not atoms.dense and nnz is None:
        return False  # a matrix-free operator: never form its Gram matrix
    m, K = atoms.shape
    if K * K * atoms.dtype.itemsize > _GRAM_BYTES:
        return False
    # rough flop counts, calibrated on 256 x 1024 (T=16), 128 x 2048 (T=10) and
    # 64 x 256 (T=8), where they put the crossover within a factor ~1.5 of the
    # measured one; 2.5e5 stands for the Python overhead of one batched
    # iteration of the operator path. Sparse A: products cost nnz, not m K.
    sparse = not atoms.dense
    if not sparse:
        nnz = m * K
    form_gram = nnz * nnz / m if sparse else 0.5 * m * K * K
    kernel = K * T if mp else 0.5 * K * T * T  # MP: one O(K) update per step
    gram = form_gram + n_signals * (nnz + kernel)
    operator = n_signals * T * nnz + 2.5e5 * T
    return gram <= operator
