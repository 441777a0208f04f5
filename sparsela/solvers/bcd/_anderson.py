"""Anderson extrapolation of the iterates of a fixed-point map (private)."""

from __future__ import annotations

import numpy as np

__all__ = ["Anderson"]


class Anderson:
    """Offline Anderson acceleration over windows of ``K + 1`` iterates.

    After every ``K + 1`` stored iterates ``x_0, ..., x_K`` (and their fits
    ``R_i``, affine in ``x``), :meth:`extrapolate` returns
    ``sum_k c_k x_{k+1}`` with ``c`` the minimiser of ``||U c||`` over
    ``sum c = 1``, ``U`` the differences of the iterates; the caller keeps it
    only if the objective decreases, so the iteration stays monotone.

    Parameters
    ----------
    K : int
        Window length.
    size, m : int
        Lengths of the extrapolated coefficients and of the fit.

    References
    ----------
    .. [1] Q. Bertrand, M. Massias, "Anderson acceleration of coordinate
       descent", AISTATS (2021).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.bcd._anderson import Anderson
    >>> acc = Anderson(3, 2, 2)  # x <- M x + 1, M = diag(1/2, 1/4)
    >>> x, out = np.ones(2), []
    >>> for _ in range(4):
    ...     out.append(acc.push(x, x))
    ...     x = np.array([0.5, 0.25]) * x + 1.0
    >>> out[:3]
    [None, None, None]
    >>> np.round(out[3][0], 10)  # an affine map: its fixed point, exactly
    array([2.        , 1.33333333])
    """

    def __init__(self, K: int, size: int, m: int, dtype=np.float64) -> None:
        self.K = K
        self.X = np.empty((K + 1, size), dtype=dtype)
        self.R = np.empty((K + 1, m), dtype=dtype)
        self.count = 0

    def push(self, x: np.ndarray, R: np.ndarray):
        """Store an iterate; every ``K + 1`` of them, ``(x_acc, R_acc)`` or None."""
        self.X[self.count] = x
        self.R[self.count] = R
        self.count += 1
        if self.count <= self.K:
            return None
        self.count = 0
        U = np.diff(self.X, axis=0)
        UU = (U.conj() @ U.T).real
        try:
            c = np.linalg.solve(UU, np.ones(self.K))
        except np.linalg.LinAlgError:
            return None
        total = c.sum()
        if not np.isfinite(total) or total == 0 or not np.all(np.isfinite(c)):
            return None
        c = (c / total).astype(self.X.real.dtype)
        return c @ self.X[1:], c @ self.R[1:]
