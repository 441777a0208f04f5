"""Recovery metrics: normalised mean squared error and support recovery.

Signals are vectors ``(n,)`` or matrices ``(n, n_signals)`` with signals in
columns. Arguments follow scikit-learn's order: the truth first, the estimate
second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import to_numpy
from ._scaling import ldexp, shifts
from ._validation import check_array, check_scalar

__all__ = ["estimated_support", "nmse", "nmse_db", "support_f1", "support_recovery"]


def _signal(x: Any, name: str) -> np.ndarray:
    """``x`` as a finite 1-D or 2-D NumPy array in its working dtype."""
    return check_array(to_numpy(x), name, ndim=(1, 2), allow_int=True)


def _pair(x_true: Any, x_hat: Any) -> tuple[np.ndarray, np.ndarray]:
    x_true = _signal(x_true, "x_true")
    x_hat = _signal(x_hat, "x_hat")
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
        Reference signal(s), signals in columns; finite.
    x_hat : array_like of the same shape
        Estimate(s); finite.
    per_signal : bool, default=False
        For 2-D input, return one value per column instead of the ratio of
        the Frobenius norms.

    Returns
    -------
    float or ndarray
        Linear NMSE (not in dB); ``inf`` where ``x_true`` is zero and
        ``x_hat`` is not, ``0`` where both are zero. Independent of the
        units: ``nmse(c x_true, c x_hat) == nmse(x_true, x_hat)`` for any
        ``c`` (``1e300`` or ``1e-300`` too).

    Raises
    ------
    ValueError
        Shapes differ, are not 1-D or 2-D, or an input holds NaN or Inf.
    TypeError
        Non-numeric input.

    Notes
    -----
    Both signals are divided by the same power of two near their largest
    magnitude before squaring (an exact scaling), so the squares neither
    overflow nor underflow.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import nmse
    >>> round(nmse(np.array([1.0, 0.0]), np.array([0.9, 0.0])), 6)
    0.01
    >>> round(nmse(np.array([1e300, 0.0]), np.array([0.9e300, 0.0])), 6)
    0.01
    """
    x_true, x_hat = _pair(x_true, x_hat)
    axis = 0 if (per_signal and x_true.ndim == 2) else None
    dt = np.result_type(x_true.dtype, x_hat.dtype, np.float64)
    t, h = x_true.astype(dt, copy=False), x_hat.astype(dt, copy=False)
    if t.size:
        amax = np.maximum(
            np.abs(t).max(axis=axis, keepdims=True),
            np.abs(h).max(axis=axis, keepdims=True),
        )
        e = shifts(amax)  # one exact power of two for both
        t, h = ldexp(t, e), ldexp(h, e)
    err = np.sum(np.abs(h - t) ** 2, axis=axis)
    ref = np.sum(np.abs(t) ** 2, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
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
        Estimate(s), signals in columns; finite.
    rel_tol : float, default=1e-3
        Threshold relative to the largest magnitude.

    Returns
    -------
    ndarray of int
        Sorted indices (empty for a zero estimate).

    Raises
    ------
    ValueError
        ``x_hat`` holds NaN or Inf (its largest magnitude, hence the
        threshold, would be undefined), or is not 1-D or 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.metrics import estimated_support
    >>> estimated_support(np.array([0.0, 2.0, 1e-5, -1.0]))
    array([1, 3])
    """
    x_hat = _signal(x_hat, "x_hat")
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
