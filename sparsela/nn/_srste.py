"""SR-STE: N:M-sparse forward over dense shadow weights."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import check_array, check_scalar
from ..formats import NM
from ._linear import SparseLinear
from ._prune import prune_nm

__all__ = ["SRSTELinear"]


class SRSTELinear:
    """Linear layer trained N:M-sparse from scratch with SR-STE.

    The layer keeps dense "shadow" weights ``W`` of shape ``(out_features,
    in_features)``; every forward pass recomputes the N:M mask ``E`` (the
    ``n`` largest magnitudes of every ``m`` consecutive inputs) and runs the
    sparse product with ``W * E`` on the N:M kernels. Rows of ``X`` are
    samples.

    Parameters
    ----------
    W : array_like of shape (out_features, in_features)
        Initial dense weights (float32 stays float32, else float64); ``m``
        must divide ``in_features``.
    bias : array_like of shape (out_features,), optional
        Bias.
    n, m : int, default=2, 4, keyword-only
        The N:M pattern, ``1 <= n < m``.
    decay : float, default=2e-4, keyword-only
        The sparse-refined decay ``lambda_W``; 0 gives the vanilla
        straight-through estimator.

    Notes
    -----
    Forward ``Y = X (W * E)^T + b``. Backward, with ``G = dY``:
    ``dX = G (W * E)`` (sparse), and the refined straight-through gradient
    of the dense weights

    .. math:: \\partial L / \\partial W \\approx G^T X + \\lambda_W (1 - E) \\odot W,

    the gradient of the masked weights passed to every weight (so that
    pruned weights can regrow) plus a decay of the pruned ones, which
    reduces mask oscillation. ``G^T X`` is dense (one BLAS product): the
    pruned weights need their gradient. :meth:`to_sparse` gives the N:M
    :class:`SparseLinear` to deploy.

    References
    ----------
    .. [1] A. Zhou et al., "Learning N:M fine-grained structured sparse neural
       networks from scratch", ICLR 2021, arXiv:2102.04010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import SRSTELinear
    >>> layer = SRSTELinear(np.array([[1.0, -3.0, 0.5, 2.0]]), n=2, m=4)
    >>> layer.forward(np.ones((1, 4)))
    array([[-1.]])
    >>> _ = layer.backward(np.ones((1, 1)))
    >>> layer.grads()[0]  # pruned weights get G^T X plus the decay
    array([[1.0002, 1.    , 1.0001, 1.    ]])
    """

    def __init__(
        self,
        W: Any,
        bias: Any = None,
        *,
        n: int = 2,
        m: int = 4,
        decay: float = 2e-4,
    ) -> None:
        W = check_array(W, "W", ndim=2, dtype_kinds="f", allow_int=True)
        if W.dtype not in (np.float32, np.float64):
            W = W.astype(np.float64)
        prune_nm(W, n, m, axis=1)  # validates n, m and the shape
        self.n, self.m = int(n), int(m)
        self.decay = float(check_scalar(decay, "decay", kind=numbers.Real, min_val=0))
        self.W = np.array(W)
        self.dW = np.zeros_like(self.W)
        self.out_features, self.in_features = self.W.shape
        if bias is None:
            self.b = self.db = None
        else:
            b = check_array(bias, "bias", ndim=1, dtype_kinds="f", allow_int=True)
            if b.shape[0] != self.out_features:
                raise ValueError(
                    f"bias must have shape ({self.out_features},), got {b.shape}"
                )
            self.b = np.array(b, dtype=self.W.dtype)
            self.db = np.zeros_like(self.b)
        self._sparse: SparseLinear | None = None

    @property
    def mask(self) -> np.ndarray:
        """The N:M mask ``E`` of the current weights."""
        return prune_nm(self.W, self.n, self.m, axis=1)

    def parameters(self) -> list[np.ndarray]:
        """Dense weights, then the bias if any (updated in place)."""
        return [self.W] if self.b is None else [self.W, self.b]

    def grads(self) -> list[np.ndarray]:
        """Gradients of :meth:`parameters` from the last :meth:`backward`."""
        return [self.dW] if self.b is None else [self.dW, self.db]

    def to_sparse(self) -> SparseLinear:
        """The N:M layer of the current weights (arrays copied)."""
        b = None if self.b is None else self.b.copy()
        return SparseLinear(NM.from_dense(self.W, self.n, self.m), b)

    def forward(self, X: Any) -> np.ndarray:
        """``Y = X (W * E)^T + b`` for ``X`` of shape ``(batch, in_features)``."""
        # the mask follows the weights, so the N:M values and positions are
        # rebuilt from W (O(W.size)) at every step
        self._sparse = SparseLinear(NM.from_dense(self.W, self.n, self.m))
        Y = self._sparse.forward(X)
        return Y if self.b is None else Y + self.b

    __call__ = forward

    def backward(self, dY: Any) -> np.ndarray:
        """Input gradient; writes the refined straight-through weight gradient."""
        if self._sparse is None:
            raise ValueError("backward needs a forward pass first")
        dYt = self._sparse._upstream(dY)
        # straight-through: the gradient of W * E reaches every weight
        np.matmul(dYt, self._sparse._Xt.T, out=self.dW)
        if self.decay:
            self.dW += self.decay * np.where(self.mask, 0, self.W)
        if self.b is not None:
            self.db[:] = dYt.sum(axis=1)
        return self._sparse._input_grad(dYt)
