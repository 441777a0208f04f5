"""Top-k activation: keep the k largest values of each sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_array, check_positive_int

__all__ = ["TopK"]


class TopK:
    """Keep the ``k`` largest values of each row (sample), zero the rest.

    Parameters
    ----------
    k : int
        Number of units kept per sample, ``1 <= k <= width``.
    relu : bool, default=False, keyword-only
        Also zero the kept values that are negative (the TopK sparse
        autoencoder of Gao et al.); the k-sparse autoencoder keeps the k
        largest values as they are.

    Notes
    -----
    The selection is by value, not magnitude, and ties keep the lowest index.
    The backward pass treats the selection as constant: ``dZ = dH`` on the
    kept units and 0 elsewhere.

    References
    ----------
    .. [1] A. Makhzani and B. Frey, "k-sparse autoencoders", ICLR 2014,
       arXiv:1312.5663.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import TopK
    >>> act = TopK(2)
    >>> act.forward(np.array([[0.5, -1.0, 3.0, 2.0]]))
    array([[0., 0., 3., 2.]])
    >>> act.backward(np.ones((1, 4)))
    array([[0., 0., 1., 1.]])
    """

    def __init__(self, k: int, *, relu: bool = False) -> None:
        self.k = check_positive_int(k, "k")
        self.relu = bool(relu)
        self._mask: np.ndarray | None = None

    def mask(self, Z: np.ndarray) -> np.ndarray:
        """Boolean mask of the units :meth:`forward` keeps for ``Z``."""
        Z = check_array(Z, "Z", ndim=2, dtype_kinds="f", allow_int=True)
        if self.k > Z.shape[1]:
            raise ValueError(
                f"k must be at most the number of units {Z.shape[1]}, got {self.k}"
            )
        idx = np.argsort(-Z, axis=1, kind="stable")[:, : self.k]
        keep = np.zeros(Z.shape, dtype=bool)
        np.put_along_axis(keep, idx, True, axis=1)
        if self.relu:
            keep &= Z > 0
        return keep

    def forward(self, Z: Any) -> np.ndarray:
        """``H = Z`` on the kept units, 0 elsewhere; ``Z`` is (batch, units)."""
        Z = check_array(Z, "Z", ndim=2, dtype_kinds="f", allow_int=True)
        self._mask = self.mask(Z)
        return np.where(self._mask, Z, Z.dtype.type(0))

    __call__ = forward

    def backward(self, dH: Any) -> np.ndarray:
        """Gradient ``dZ = dH`` on the units kept by the last forward."""
        if self._mask is None:
            raise ValueError("backward needs a forward pass first")
        dH = check_array(dH, "dH", ndim=2, dtype_kinds="f", allow_int=True)
        if dH.shape != self._mask.shape:
            raise ValueError(
                f"dH must have shape {self._mask.shape} (the last forward), "
                f"got {dH.shape}"
            )
        return np.where(self._mask, dH, dH.dtype.type(0))
