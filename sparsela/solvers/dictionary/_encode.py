"""Sparse coding of many signals against one dictionary: :func:`sparse_encode`.

The coders share one Gram matrix ``Dᴴ D`` for all signals: OMP and MP run
the package's Batch-OMP / MP Gram kernels (:func:`~sparsela.omp_gram`,
:func:`~sparsela.mp_gram`), the l1 coder runs :func:`~sparsela.fista` on
every column at once, and thresholding is one product ``Dᴴ Y``.
:func:`encode` is the unvalidated core the learners call in their loops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._dask import is_dask_array
from ..._validation import check_array, check_positive_int, check_scalar
from ..proximal import fista
from ..pursuit import mp_gram, omp_gram
from ._checks import (
    as_columns,
    check_lam,
    check_method,
    check_n_nonzero,
    check_signals,
    check_signals_flag,
    data_dtype,
)

__all__ = ["encode", "sparse_encode", "threshold"]

CODERS = ("omp", "mp", "fista", "threshold")


def threshold(Z: np.ndarray, n_nonzero: int | None, lam: float | None) -> np.ndarray:
    """Sparsify the correlations ``Z`` column by column (a new array).

    ``n_nonzero``: keep the ``n_nonzero`` largest ``|z|`` of every column;
    otherwise soft-threshold, ``z max(1 - lam / |z|, 0)`` (real or complex).
    """
    if n_nonzero is not None:
        K = Z.shape[0]
        if n_nonzero >= K:
            return Z.copy()
        keep = np.argpartition(np.abs(Z), K - n_nonzero, axis=0)[K - n_nonzero :]
        X = np.zeros_like(Z)
        cols = np.arange(Z.shape[1])[None, :]
        X[keep, cols] = Z[keep, cols]
        return X
    mag = np.abs(Z)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(mag > lam, 1 - lam / np.where(mag > 0, mag, 1), 0)
    return Z * shrink.astype(Z.real.dtype)


def encode(
    Y: np.ndarray,
    D: np.ndarray,
    method: str,
    n_nonzero: int | None,
    lam: float | None,
    *,
    gram: np.ndarray | None = None,
    tol: float | None = None,
    max_iter: int = 1000,
) -> np.ndarray:
    """Codes ``X`` ``(n_atoms, n_signals)`` of ``Y`` on ``D``; no validation.

    ``D`` has unit-norm columns or ``gram`` is given; both share ``Y``'s
    dtype. OMP and MP take ``n_nonzero`` (and optionally ``tol``, a squared
    residual norm per signal), FISTA and soft thresholding ``lam``.
    """
    if method == "threshold":
        return threshold(D.conj().T @ Y, n_nonzero, lam)
    if method == "fista":
        return fista(
            D, Y, lam=lam, max_iter=max_iter, tol=1e-6 if tol is None else tol
        ).x
    scale = None
    if gram is None:
        # unit-norm atoms let the Gram core use G as it is (no normalised
        # copies of G and Dᴴ Y); the codes are scaled back below
        norms = np.linalg.norm(D, axis=0)
        if np.abs(norms - 1).max() > 4 * np.finfo(norms.dtype).eps:
            scale = (1 / norms).astype(norms.dtype)
            D = D * scale
        G = D.conj().T @ D
    else:
        G = gram
    # F-contiguous (Dᴴ Y) reads as the (S, K) rows the kernels want, no copy
    AhY = (Y.T @ D.conj()).T
    norms2 = None
    if tol is not None:
        norms2 = np.einsum("ij,ij->j", Y.conj(), Y).real
    if method == "omp":
        res = omp_gram(G, AhY, n_nonzero=n_nonzero, tol=tol, norms_squared=norms2)
    else:
        res = mp_gram(
            G,
            AhY,
            n_nonzero=n_nonzero,
            tol=tol,
            norms_squared=norms2,
            max_iter=max_iter if tol is not None else None,
        )
    X = res.x.reshape(D.shape[1], -1)
    return X if scale is None else X * scale[:, None]


def sparse_encode(
    Y: Any,
    D: Any,
    *,
    method: str = "omp",
    n_nonzero: int | None = None,
    lam: float | None = None,
    tol: float | None = None,
    gram: Any = None,
    max_iter: int = 1000,
    signals: str = "columns",
) -> np.ndarray:
    r"""Sparse codes of many signals against one dictionary.

    Finds ``X`` with ``Y ≈ D X``, one sparse column of ``X`` per signal
    (column of ``Y``). The Gram matrix ``Dᴴ D`` is formed once (or passed as
    ``gram``) and every signal is coded in one batched call.

    Parameters
    ----------
    Y : array_like of shape (n_features, n_signals) or (n_features,)
        Signals in columns (as in SPAMS); real or complex, float32 or
        float64. With ``signals="rows"``: shape ``(n_signals, n_features)``.
    D : array_like of shape (n_features, n_atoms)
        Dictionary, atoms in columns; with ``signals="rows"``: shape
        ``(n_atoms, n_features)`` (scikit-learn's ``components_``).
    method : {"omp", "mp", "fista", "threshold"}, default="omp"
        ``"omp"``: orthogonal matching pursuit (Batch-OMP on the Gram
        matrix); ``"mp"``: matching pursuit; ``"fista"``: the lasso
        ``min 1/2 ||y - D x||^2 + lam ||x||_1`` by FISTA; ``"threshold"``:
        ``Dᴴ y`` with its ``n_nonzero`` largest entries kept, or
        soft-thresholded by ``lam`` (exact for an orthogonal ``D``).
    n_nonzero : int, optional
        Atoms per signal for ``"omp"``, ``"mp"`` and ``"threshold"``,
        ``1 <= n_nonzero <= n_atoms``. Default for OMP and MP without
        ``tol``: ``max(int(0.1 n_features), 1)``.
    lam : float, optional
        l1 weight, required for ``"fista"``; for ``"threshold"`` the soft
        threshold (used when ``n_nonzero`` is not given).
    tol : float, optional
        OMP and MP: stop a signal once ``||y - D x||_2^2 <= tol``. FISTA:
        its relative duality-gap tolerance (default ``1e-6``).
    gram : array_like of shape (n_atoms, n_atoms), optional
        Precomputed ``Dᴴ D`` (OMP and MP), e.g. when coding many batches.
    max_iter : int, default=1000
        FISTA iterations; MP steps when ``tol`` is given.
    signals : {"columns", "rows"}, default="columns"
        Layout of ``Y`` and ``D`` (and of the returned codes): ``"rows"``
        takes scikit-learn's ``X`` ``(n_samples, n_features)`` and
        ``dictionary`` ``(n_atoms, n_features)`` and returns codes
        ``(n_samples, n_atoms)``.

    Returns
    -------
    ndarray of shape (n_atoms, n_signals)
        The codes, in the precision of the inputs (``(n_signals, n_atoms)``
        with ``signals="rows"``; ``(n_atoms,)`` for a 1-D ``Y``).

    Raises
    ------
    ValueError
        NaN or Inf in ``Y``, ``D`` or ``gram``; shapes that do not match; a
        zero atom; an unknown ``method``; ``n_nonzero`` outside
        ``[1, n_atoms]``; ``lam`` missing or negative.
    TypeError
        Non-numeric input, or ``n_nonzero``/``lam`` of the wrong type.

    See Also
    --------
    sparsela.omp_gram : the Gram core of the OMP coder.
    sparsela.dictionary_learning : learns ``D``.

    Notes
    -----
    OMP costs ``O(n K S)`` for the correlations plus ``O(K T S)`` per
    selected atom (progressive Cholesky on ``Dᴴ D``, ``T = n_nonzero``),
    after ``O(n K^2)`` once for the Gram matrix. The codes are those of
    :func:`sparsela.omp` signal by signal; atoms need not have unit norm.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsela
    >>> rng = np.random.default_rng(0)
    >>> D = rng.standard_normal((20, 50))
    >>> D /= np.linalg.norm(D, axis=0)
    >>> X = np.zeros((50, 4))
    >>> X[[1, 7, 30], :] = rng.standard_normal((3, 4))
    >>> codes = sparsela.sparse_encode(D @ X, D, n_nonzero=3)
    >>> codes.shape, bool(np.allclose(codes, X))
    ((50, 4), True)
    """
    rows = check_signals_flag(signals)
    method = check_method(method, CODERS)
    if is_dask_array(Y):
        return _encode_dask(
            Y,
            D,
            rows,
            dict(
                method=method,
                n_nonzero=n_nonzero,
                lam=lam,
                tol=tol,
                gram=gram,
                max_iter=max_iter,
            ),
        )
    single = np.ndim(Y) == 1
    Yc = check_signals(Y, "Y", rows=rows)
    Dc = check_array(D, "D", ndim=2, allow_int=True)
    if rows:
        Dc = Dc.T
    n, K = Dc.shape
    if n != Yc.shape[0] or K == 0:
        raise ValueError(
            f"D must have shape {(K, Yc.shape[0]) if rows else (Yc.shape[0], K)} "
            f"(atoms {'in rows' if rows else 'in columns'}, one entry per "
            f"feature of Y), got {Dc.T.shape if rows else Dc.shape}"
        )
    dt = data_dtype(Yc, Dc)
    Yc, Dc = as_columns(Yc, dt), as_columns(Dc, dt)
    norms = np.linalg.norm(Dc, axis=0)
    if (norms == 0).any():
        raise ValueError(f"D has a zero atom (column {int(np.argmin(norms))})")
    n_nonzero = check_n_nonzero(n_nonzero, K)
    lam = check_lam(lam)
    if tol is not None:
        tol = float(check_scalar(tol, "tol", min_val=0.0))
    max_iter = check_positive_int(max_iter, "max_iter")
    if method == "fista" and lam is None:
        raise ValueError("lam is required for method='fista'")
    if method == "threshold" and n_nonzero is None and lam is None:
        raise ValueError("method='threshold' needs n_nonzero or lam")
    if method in ("omp", "mp") and n_nonzero is None and tol is None:
        n_nonzero = min(max(int(0.1 * n), 1), K)
    G = None
    if gram is not None and method in ("omp", "mp"):
        G = check_array(gram, "gram", ndim=2, allow_int=True)
        if G.shape != (K, K):
            raise ValueError(f"gram must have shape {(K, K)}, got {G.shape}")
        G = as_columns(G, dt)
    X = encode(Yc, Dc, method, n_nonzero, lam, gram=G, tol=tol, max_iter=max_iter)
    X = X.astype(dt, copy=False)
    if single:
        return X[:, 0]
    return X.T if rows else X


def _encode_dask(Y: Any, D: Any, rows: bool, kwargs: dict) -> Any:
    """:func:`sparse_encode` of a Dask array: ``D`` checked here, the chunks
    coded where they live (lazy)."""
    from ._stream import encode_chunks

    if Y.ndim not in (1, 2):
        raise ValueError(f"Y must be 1-D or 2-D, got shape {Y.shape}")
    Dc = check_array(D, "D", ndim=2, allow_int=True)
    Dc = Dc.T if rows else Dc
    n = Y.shape[-1] if rows and Y.ndim == 2 else Y.shape[0]
    if Dc.shape[0] != n or Dc.shape[1] == 0:
        raise ValueError(
            f"D must have {n} entries per atom (one per feature of Y), got "
            f"shape {D.shape}"
        )
    dt = data_dtype(Dc, np.zeros(0, dtype=Y.dtype))
    Dc = as_columns(Dc, dt)
    if (np.linalg.norm(Dc, axis=0) == 0).any():
        raise ValueError("D has a zero atom")
    return encode_chunks(
        sparse_encode, Y, Dc, dict(kwargs, signals="rows" if rows else "columns")
    )


class Coder:
    """The coding rule of a learner: ``coder(Y, D)`` gives the codes.

    ``method`` is one of :data:`CODERS`; ``n_nonzero`` and ``lam`` as in
    :func:`sparse_encode`. Used below the boundary: no validation.
    """

    def __init__(
        self,
        method: str,
        n_nonzero: int | None,
        lam: float | None,
        max_iter: int = 1000,
    ) -> None:
        self.method, self.n_nonzero, self.lam = method, n_nonzero, lam
        self.max_iter = max_iter

    def __call__(self, Y: np.ndarray, D: np.ndarray) -> np.ndarray:
        return encode(
            Y, D, self.method, self.n_nonzero, self.lam, max_iter=self.max_iter
        ).astype(Y.dtype, copy=False)

    def penalty(self, X: np.ndarray) -> float:
        """``lam ||X||_1`` for the l1 coders, 0 for the others."""
        if self.lam is None or self.n_nonzero is not None:
            return 0.0
        return self.lam * float(np.abs(X).sum())
