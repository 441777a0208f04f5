"""Plain optimisers over lists of NumPy parameter arrays."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .._validation import check_scalar

__all__ = ["SGD", "Adam"]


class SGD:
    """Stochastic gradient descent with momentum, updating arrays in place.

    Parameters
    ----------
    params : sequence of ndarray
        Arrays to update (e.g. ``layer.parameters()``).
    lr : float
        Step size.
    momentum : float, default=0.0, keyword-only
        Heavy-ball momentum in ``[0, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import SGD
    >>> w = np.array([1.0])
    >>> opt = SGD([w], lr=0.5)
    >>> opt.step([np.array([2.0])]); w
    array([0.])
    """

    def __init__(
        self, params: Sequence[np.ndarray], lr: float, *, momentum: float = 0.0
    ) -> None:
        self.params = list(params)
        self.lr = float(check_scalar(lr, "lr", kind=numbers.Real, min_val=0))
        self.momentum = float(
            check_scalar(
                momentum,
                "momentum",
                kind=numbers.Real,
                min_val=0,
                max_val=1,
                include_max=False,
            )
        )
        self._v = [np.zeros_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """``v = momentum * v - lr * g``; ``p += v`` for every parameter."""
        for p, g, v in zip(self.params, grads, self._v, strict=True):
            v *= self.momentum
            v -= self.lr * g
            p += v


class Adam:
    """Adam (Kingma and Ba), updating arrays in place.

    Parameters
    ----------
    params : sequence of ndarray
        Arrays to update.
    lr : float, default=1e-3
        Step size.
    betas : tuple of float, default=(0.9, 0.999), keyword-only
        Decay rates of the first and second moments.
    eps : float, default=1e-8, keyword-only
        Added to the root of the second moment.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic
       optimization", ICLR 2015, arXiv:1412.6980.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import Adam
    >>> w = np.array([1.0])
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step([np.array([5.0])]); w.round(6)
    array([0.9])
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        self.lr = float(check_scalar(lr, "lr", kind=numbers.Real, min_val=0))
        b1, b2 = (float(b) for b in betas)
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
        self.betas = (b1, b2)
        self.eps = float(check_scalar(eps, "eps", kind=numbers.Real, min_val=0))
        self._m = [np.zeros_like(p) for p in self.params]
        self._v = [np.zeros_like(p) for p in self.params]
        self._t = 0

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """One bias-corrected Adam update of every parameter."""
        self._t += 1
        b1, b2 = self.betas
        c1 = 1.0 - b1**self._t
        c2 = 1.0 - b2**self._t
        for p, g, m, v in zip(self.params, grads, self._m, self._v, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)
