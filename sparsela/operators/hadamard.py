"""Walsh-Hadamard operator backed by the fast transform kernel."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import get_namespace
from .._validation import check_power_of_two
from ._base import LinearOperator

__all__ = ["WalshHadamard"]

ORDERINGS = ("natural", "sequency", "dyadic")


def _kernels():
    from ..kernels.cpu import wht

    return wht


class WalshHadamard(LinearOperator):
    """Walsh-Hadamard transform of length ``N`` as an operator, ``O(N log N)``.

    Parameters
    ----------
    N : int
        Transform length, a power of two.
    normalized : bool, default=False
        If False the operator is ``H`` with entries ``±1`` (as
        :func:`scipy.linalg.hadamard`), so ``H @ H = N I``; if True it is
        ``H / sqrt(N)``, orthogonal and its own inverse.
    ordering : {"natural", "sequency", "dyadic"}, default="natural"
        Row order: natural (Sylvester/Hadamard), sequency (Walsh: row ``s`` has
        ``s`` sign changes) or dyadic (Paley).
    dtype : dtype, default=float64
        Nominal dtype; products keep the input's precision (float32 stays
        float32, complex stays complex).

    Notes
    -----
    Rows are permuted for the sequency and dyadic orderings, ``W = P H``; the
    adjoint ``W^T = H P^T`` scatters its input back to natural order first, so
    it is exact for every ordering.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import hadamard
    >>> from sparsela.operators import WalshHadamard
    >>> W = WalshHadamard(8)
    >>> x = np.arange(8.0)
    >>> np.allclose(W @ x, hadamard(8) @ x)
    True
    """

    def __init__(
        self,
        N: int,
        *,
        normalized: bool = False,
        ordering: str = "natural",
        dtype: Any = np.float64,
    ) -> None:
        self.n_bits = check_power_of_two(N, "N")
        if ordering not in ORDERINGS:
            raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}")
        super().__init__((N, N), dtype)
        self.normalized = bool(normalized)
        self.ordering = ordering
        self._perm = (
            None
            if ordering == "natural"
            else _kernels().ordering_permutation(self.n_bits, ordering)
        )

    def _matmat(self, X):
        return _kernels().fwht_along_axis(X, 0, self.normalized, self.ordering)

    def _rmatmat(self, Y):
        if self._perm is not None:
            xp = get_namespace(Y)
            Z = xp.empty_like(Y)
            Z[self._perm] = Y
            Y = Z
        return _kernels().fwht_along_axis(Y, 0, self.normalized, "natural")

    def _matvec(self, x):
        return self._matmat(x[:, None])[:, 0]

    def _rmatvec(self, y):
        return self._rmatmat(y[:, None])[:, 0]

    def _transpose(self):
        return self.H

    def normal(self) -> LinearOperator:
        """``W^T W``: the identity (normalized) or ``N`` times it.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import WalshHadamard
        >>> np.allclose(WalshHadamard(4).normal().todense(), 4 * np.eye(4))
        True
        """
        from .basic import Identity

        N = self.shape[0]
        eye = Identity(N, dtype=self.dtype)
        return eye if self.normalized else float(N) * eye

    def norm_est(self, **kwargs):
        est = 1.0 if self.normalized else float(np.sqrt(self.shape[0]))
        if kwargs.get("return_vector"):
            v = np.zeros(self.shape[1])
            v[0] = 1.0
            return est, v
        return est
