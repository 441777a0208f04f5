"""Recovery metrics: normalised mean squared error and support recovery.

Signals are vectors ``(n,)`` or matrices ``(n, n_signals)`` with signals in
columns. Arguments follow scikit-learn's order: the truth first, the estimate
second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import to_numpy
from ._validation import check_scalar

__all__ = ["estimated_support", "nmse", "nmse_db", "support_f1", "support_recovery"]


def _pair(x_true: Any, x_hat: Any) -> tuple[np.ndarray, np.ndarray]:
    x_true = np.asarray(to_numpy(x_true))
    x_hat = np.asarray(to_numpy(x_hat))
    for arr, name in ((x_true, "x_true"), (x_hat, "x_hat")):
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"{name} must be 1- or 2-dimensional, got shape {arr.shape}"
            )
        if arr.size and not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or Inf")
    if x_true.shape != x_hat.shape:
        raise ValueError(
            f"x_true and x_hat must have the same shape, got {x_true.shape} "
            f"and {x_hat.shape}"
        )
    return x_true, x_hat


def nmse(x_true: Any, x_hat: Any, *, per_signal: bool = False) -> Any:
    """Normalised mean squared error ``||x_hat - x_true||^2 / ||x_true||^2``.

    Parameters
    ----------
    x_true : array_like of shape (n,) or (n, n_signals)
        Reference signal(s), signals in columns.
    x_hat : array_like of the same shape
        Estimate(s).
    per_signal : bool, default=False
        For 2-D input, return one value per column instead of the ratio of
        the Frobenius norms.

    Returns
    -------
    float or ndarray
        Linear NMSE (not in dB); ``inf`` where ``x_true`` is zero and
        ``x_hat`` is not, ``0`` where both are zero.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import nmse
    >>> round(nmse(np.array([1.0, 0.0]), np.array([0.9, 0.0])), 6)
    0.01
    """
    x_true, x_hat = _pair(x_true, x_hat)
    axis = 0 if (per_signal and x_true.ndim == 2) else None
    err = np.sum(np.abs(x_hat - x_true) ** 2, axis=axis)
    ref = np.sum(np.abs(x_true) ** 2, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ref > 0, err / np.where(ref > 0, ref, 1.0), np.inf)
    out = np.where((ref == 0) & (err == 0), 0.0, out)
    return float(out) if np.ndim(out) == 0 else out


def nmse_db(x_true: Any, x_hat: Any, *, per_signal: bool = False) -> Any:
    """NMSE in decibels, ``10 log10(nmse)``.

    Parameters
    ----------
    x_true : array_like of shape (n,) or (n, n_signals)
        Reference signal(s), signals in columns.
    x_hat : array_like of the same shape
        Estimate(s).
    per_signal : bool, default=False
        For 2-D input, one value per column.

    Returns
    -------
    float or ndarray
        ``-inf`` for a perfect estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import nmse_db
    >>> round(nmse_db(np.array([1.0, 0.0]), np.array([0.9, 0.0])), 2)
    -20.0
    """
    value = nmse(x_true, x_hat, per_signal=per_signal)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(value)
    return float(out) if np.ndim(out) == 0 else out


def estimated_support(x_hat: Any, *, rel_tol: float = 1e-3) -> np.ndarray:
    """Indices ``j`` with ``|x_hat_j| > rel_tol * max |x_hat|``.

    For 2-D input a row counts when its largest magnitude passes the
    threshold (a support shared by all signals).

    Parameters
    ----------
    x_hat : array_like of shape (n,) or (n, n_signals)
        Estimate(s), signals in columns.
    rel_tol : float, default=1e-3
        Threshold relative to the largest magnitude.

    Returns
    -------
    ndarray of int
        Sorted indices (empty for a zero estimate).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import estimated_support
    >>> estimated_support(np.array([0.0, 2.0, 1e-5, -1.0]))
    array([1, 3])
    """
    x_hat = np.asarray(to_numpy(x_hat))
    check_scalar(rel_tol, "rel_tol", min_val=0.0)
    mag = np.abs(x_hat)
    if mag.ndim == 2:
        mag = mag.max(axis=1)
    if mag.size == 0 or mag.max() == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(mag > rel_tol * mag.max())


def _supports(x_true, x_hat, rel_tol):
    x_true, x_hat = _pair(x_true, x_hat)
    mag = np.abs(x_true)
    if mag.ndim == 2:
        mag = mag.max(axis=1)
    return set(np.flatnonzero(mag > 0).tolist()), set(
        estimated_support(x_hat, rel_tol=rel_tol).tolist()
    )


def support_recovery(x_true: Any, x_hat: Any, *, rel_tol: float = 1e-3) -> float:
    """Support recovery rate ``|S_hat ∩ S| / |S_hat ∪ S|`` (Jaccard index).

    ``S`` is the set of non-zeros of ``x_true`` and
    ``S_hat = {j : |x_hat_j| > rel_tol * max |x_hat|}``, as in the KroSBL
    study (He & Joseph, 2024). For 2-D input the supports are row supports.

    Parameters
    ----------
    x_true : array_like of shape (n,) or (n, n_signals)
        Reference signal(s), signals in columns.
    x_hat : array_like of the same shape
        Estimate(s).
    rel_tol : float, default=1e-3
        Threshold of the estimated support, relative to ``max |x_hat|``.

    Returns
    -------
    float
        In ``[0, 1]``; 1 when both supports are empty.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import support_recovery
    >>> x_true, x_hat = np.array([1.0, 0, 2, 0]), np.array([0.9, 0, 2.1, 0.5])
    >>> round(support_recovery(x_true, x_hat), 3)
    0.667
    """
    S, S_hat = _supports(x_true, x_hat, rel_tol)
    union = S | S_hat
    return 1.0 if not union else len(S & S_hat) / len(union)


def support_f1(x_true: Any, x_hat: Any, *, rel_tol: float = 1e-3) -> float:
    """F1 score of the estimated support against the true support.

    Parameters
    ----------
    x_true : array_like of shape (n,) or (n, n_signals)
        Reference signal(s), signals in columns.
    x_hat : array_like of the same shape
        Estimate(s).
    rel_tol : float, default=1e-3
        Threshold of the estimated support, relative to ``max |x_hat|``.

    Returns
    -------
    float
        ``2 |S ∩ S_hat| / (|S| + |S_hat|)``; 1 when both are empty.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import support_f1
    >>> support_f1(np.array([1.0, 0, 2, 0]), np.array([0.9, 0, 2.1, 0.5]))
    0.8
    """
    S, S_hat = _supports(x_true, x_hat, rel_tol)
    total = len(S) + len(S_hat)
    return 1.0 if total == 0 else 2.0 * len(S & S_hat) / total
