"""Separable penalties: one term per coefficient, ``g(x) = sum_i g_i(x_i)``.

Each class carries its weight ``lam`` (``L1(0.1)`` is ``g(x) = 0.1 ||x||_1``),
works column-wise on a batch ``(n, k)`` with one step per column, and on
complex data (the modulus is shrunk, the phase kept) unless it is marked
``real_only``. The thresholds run on the Numba kernels of
:mod:`sparsela.kernels.cpu.prox`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import check_array
from ..kernels.cpu import prox as _k
from ._base import (
    _NO_WEIGHTS,
    Penalty,
    _abs_sum,
    _check_lam,
    _check_number,
    _scale_from_dual_norm,
    _soft,
    _sq_sum,
    _times,
    register,
)

__all__ = ["L0", "L1", "Box", "ElasticNet", "NonNegL1", "WeightedL1"]


def _lam_params(lam: float, *extra: float) -> np.ndarray:
    return np.array([lam, *extra], dtype=np.float64)


class _Gauge(Penalty):
    """``lam`` times a norm-like gauge ``h``: the conjugate is the indicator of
    the dual ball ``{z : ||z||_* <= lam}``, so the dual point is ``z`` scaled
    into the ball and ``g^*(s z) = 0``. Subclasses give ``_dual_norm``."""

    def _dual_scale(self, Z, lam):
        s = _scale_from_dual_norm(self._dual_norm(Z), lam)
        return s, np.zeros_like(s)

    def _has_dual(self, lam):
        return bool(np.all(lam > 0))


@register
class L1(_Gauge):
    """``g(x) = lam * ||x||_1`` (modulus for complex entries); soft threshold.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight.

    Notes
    -----
    ``prox_{step g}(v)_i = v_i max(0, 1 - step lam / |v_i|)``; the dual norm
    is ``||z||_inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import L1
    >>> L1(1.0).prox(np.array([3.0 + 4.0j, 0.5j]), 1.0)
    array([2.4+3.2j, 0. +0.j ])
    """

    name = "l1"

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = _check_lam(lam)

    def _prox(self, V, steps, lam):
        return _soft(V, steps * lam, _NO_WEIGHTS)

    def _value(self, X, lam):
        return _times(lam, _abs_sum(X))

    def _dual_norm(self, Z):
        if not Z.size:
            return np.zeros(Z.shape[1])
        return np.abs(Z).max(axis=0).astype(np.float64)

    def block_kernels(self):
        return _k.l1_prox_block, _k.l1_subdiff_distance

    def block_params(self, n, lam=None):
        return _lam_params(self.lam if lam is None else lam)


@register
class WeightedL1(_Gauge):
    """``g(x) = lam * sum_i w_i |x_i|`` with non-negative per-coefficient weights.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight.
    weights : array_like of shape (n,)
        Non-negative finite weights, one per coefficient. A zero weight leaves
        its coefficient unpenalised (the duality gap is then unavailable and
        the solvers stop on the relative change instead).

    Notes
    -----
    The dual norm is ``max_i |z_i| / w_i`` (``inf`` if ``z_i != 0`` where
    ``w_i = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import WeightedL1
    >>> WeightedL1(1.0, weights=[0.0, 1.0, 3.0]).prox(np.array([2.0, 2.0, 2.0]), 0.5)
    array([2. , 1.5, 0.5])
    """

    name = "weighted_l1"
    options = ("weights",)
    required = ("weights",)

    def __init__(self, lam: float = 1.0, *, weights: Any) -> None:
        self.lam = _check_lam(lam)
        w = check_array(weights, "weights", ndim=1, allow_int=True, dtype_kinds="f")
        if np.any(w < 0):
            raise ValueError("weights must be non-negative")
        self.weights = np.ascontiguousarray(w, dtype=np.float64)

    def check_size(self, n: int) -> None:
        if self.weights.shape[0] != n:
            raise ValueError(
                f"weights must have one entry per coefficient ({n}), "
                f"got {self.weights.shape[0]}"
            )

    def _prox(self, V, steps, lam):
        return _soft(V, steps * lam, self.weights)

    def _value(self, X, lam):
        return _times(lam, (self.weights @ np.abs(X)).astype(np.float64))

    def _dual_norm(self, Z):
        a = np.abs(Z)
        pos = self.weights > 0
        dn = (a[pos] / self.weights[pos, None]).max(axis=0) if pos.any() else 0.0
        dn = np.broadcast_to(np.asarray(dn, dtype=np.float64), (Z.shape[1],)).copy()
        if not pos.all():  # an unpenalised coefficient must have zero correlation
            dn[(a[~pos] > 0).any(axis=0)] = np.inf
        return dn

    def _has_dual(self, lam):
        return bool(np.all(lam > 0)) and bool(np.all(self.weights > 0))

    def block_kernels(self):
        return _k.weighted_l1_prox_block, _k.weighted_l1_subdiff_distance

    def block_params(self, n, lam=None):
        self.check_size(n)
        return _lam_params(self.lam if lam is None else lam, *self.weights)

    def __repr__(self) -> str:
        return f"WeightedL1(lam={self.lam!r}, weights=<{self.weights.shape[0]} values>)"


@register
class L0(Penalty):
    """``g(x) = lam * ||x||_0`` (number of non-zeros); hard threshold.

    Non-convex: the proximal-gradient solvers then converge to a stationary
    point that depends on the start, and stop on the relative change.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight. The prox keeps the entries with
        ``|v_i| > sqrt(2 * step * lam)``.

    Notes
    -----
    The block subdifferential distance uses the limiting subdifferential:
    ``{0}`` at ``x_i != 0`` and every value at ``x_i = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import L0
    >>> L0(0.5).prox(np.array([2.0, -0.9, 1.1]), 1.0)
    array([2. , 0. , 1.1])
    """

    name = "l0"
    convex = False

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = _check_lam(lam)

    def _prox(self, V, steps, lam):
        out = np.empty_like(V)
        _k.hard_threshold(V, np.sqrt(2.0 * steps * lam), out)
        return out

    def _value(self, X, lam):
        return lam * np.count_nonzero(X, axis=0).astype(np.float64)

    def block_kernels(self):
        return _k.l0_prox_block, _k.l0_subdiff_distance

    def block_params(self, n, lam=None):
        return _lam_params(self.lam if lam is None else lam)


@register
class NonNegL1(_Gauge):
    """``g(x) = lam * sum_i x_i`` plus the constraint ``x >= 0`` (real only).

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight (``lam = 0`` is non-negative least squares).

    Notes
    -----
    The dual norm is ``max(max_i z_i, 0)``: only positive correlations can
    switch a coefficient on.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import NonNegL1
    >>> NonNegL1(0.5).prox(np.array([2.0, -1.0, 0.2]), 1.0)
    array([1.5, 0. , 0. ])
    """

    name = "nonneg_l1"
    real_only = True

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = _check_lam(lam)

    def _prox(self, V, steps, lam):
        out = np.empty_like(V)
        _k.nonneg_soft_threshold(V, steps * lam, out)
        return out

    def _value(self, X, lam):
        val = lam * X.sum(axis=0, dtype=np.float64)
        val[(X < 0).any(axis=0)] = np.inf
        return val

    def _dual_norm(self, Z):
        return np.maximum(Z.real.max(axis=0), 0.0).astype(np.float64)

    def block_kernels(self):
        return _k.nonneg_l1_prox_block, _k.nonneg_l1_subdiff_distance

    def block_params(self, n, lam=None):
        return _lam_params(self.lam if lam is None else lam)


@register
class ElasticNet(Penalty):
    """``g(x) = lam * (l1_ratio ||x||_1 + (1 - l1_ratio)/2 ||x||_2^2)``.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight.
    l1_ratio : float, default=0.5
        Mix in ``[0, 1]``: 1 is the lasso, 0 ridge regression.

    Notes
    -----
    The prox is the soft threshold at ``step * lam * l1_ratio`` divided by
    ``1 + step * lam * (1 - l1_ratio)``. For ``l1_ratio < 1`` the conjugate is
    finite everywhere, ``g^*(z) = sum_i (|z_i| - lam l1_ratio)_+^2 /
    (2 lam (1 - l1_ratio))``, so the residual itself is the dual point. The
    dual norm (for ``alpha_max``) is ``||z||_inf / l1_ratio``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import ElasticNet
    >>> ElasticNet(1.0, l1_ratio=0.5).prox(np.array([3.0, -0.2]), 1.0)
    array([1.66666667, 0.        ])
    """

    name = "elastic_net"
    options = ("l1_ratio",)

    def __init__(self, lam: float = 1.0, *, l1_ratio: float = 0.5) -> None:
        self.lam = _check_lam(lam)
        _check_number(l1_ratio, "l1_ratio", min_val=0.0, max_val=1.0)
        self.l1_ratio = float(l1_ratio)

    def _prox(self, V, steps, lam):
        out = _soft(V, steps * lam * self.l1_ratio, _NO_WEIGHTS)
        shrink = 1.0 / (1.0 + steps * lam * (1.0 - self.l1_ratio))
        out *= shrink.astype(out.real.dtype)
        return out

    def _value(self, X, lam):
        a = self.l1_ratio
        return _times(lam, _times(a, _abs_sum(X)) + _times(0.5 * (1 - a), _sq_sum(X)))

    def _dual_norm(self, Z):
        if self.l1_ratio == 0:
            raise ValueError(
                "l1_ratio=0 (ridge) has no lam_max: no lam makes x = 0 optimal"
            )
        return np.abs(Z).max(axis=0).astype(np.float64) / self.l1_ratio

    def _dual_scale(self, Z, lam):
        if self.l1_ratio == 1.0:
            s = _scale_from_dual_norm(np.abs(Z).max(axis=0).astype(np.float64), lam)
            return s, np.zeros_like(s)
        excess = np.maximum(np.abs(Z).astype(np.float64) - lam * self.l1_ratio, 0)
        conj = (excess**2).sum(axis=0) / (2.0 * lam * (1.0 - self.l1_ratio))
        return np.ones(Z.shape[1]), conj

    def _has_dual(self, lam):
        return bool(np.all(lam > 0))

    def block_kernels(self):
        return _k.elastic_net_prox_block, _k.elastic_net_subdiff_distance

    def block_params(self, n, lam=None):
        return _lam_params(self.lam if lam is None else lam, self.l1_ratio)

    def __repr__(self) -> str:
        return f"ElasticNet(lam={self.lam!r}, l1_ratio={self.l1_ratio!r})"


@register
class Box(Penalty):
    """Indicator of the box ``lower <= x <= upper`` (real only); projection.

    A pure constraint: it has no weight (``lam`` is ``None``), its value is 0
    inside the box and ``inf`` outside.

    Parameters
    ----------
    lower, upper : float or array_like of shape (n,), optional
        Bounds; ``None`` (or ``-inf`` / ``+inf``) means unbounded on that
        side. ``lower = +inf`` or ``upper = -inf`` raise ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import Box
    >>> Box(lower=0.0, upper=1.0).prox(np.array([-0.5, 0.3, 2.0]), 1.0)
    array([0. , 0.3, 1. ])
    """

    name = "box"
    options = ("lower", "upper")
    takes_lam = False
    real_only = True

    def __init__(self, lower: Any = None, upper: Any = None) -> None:
        self.lower = self._bound(lower, "lower", -np.inf)
        self.upper = self._bound(upper, "upper", np.inf)
        # an infinite bound on the wrong side leaves no finite point in the box
        if np.any(self.lower == np.inf):
            raise ValueError("lower must not be +inf (no finite x satisfies it)")
        if np.any(self.upper == -np.inf):
            raise ValueError("upper must not be -inf (no finite x satisfies it)")
        if np.any(self.lower > self.upper):
            raise ValueError("lower must not exceed upper")

    @staticmethod
    def _bound(b: Any, name: str, default: float) -> np.ndarray:
        if b is None:
            return np.asarray(default)
        if isinstance(b, numbers.Number):
            if isinstance(b, complex):
                raise TypeError(f"{name} must be real, got {b!r}")
            if np.isnan(b):
                raise ValueError(f"{name} must not be NaN")
            return np.asarray(float(b))
        arr = check_array(
            b, name, ndim=1, allow_int=True, dtype_kinds="f", finite=False
        )
        if np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN")
        return arr.astype(np.float64)

    def check_size(self, n: int) -> None:
        for name, b in (("lower", self.lower), ("upper", self.upper)):
            if b.ndim == 1 and b.shape[0] != n:
                raise ValueError(
                    f"{name} must be a scalar or have one entry per coefficient "
                    f"({n}), got {b.shape[0]}"
                )

    def _bounds(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        # bounds rounded as the data is (float32): projection and value agree
        lo, hi = self.lower.astype(dtype), self.upper.astype(dtype)
        return (lo if lo.ndim == 0 else lo[:, None]), (
            hi if hi.ndim == 0 else hi[:, None]
        )

    def _prox(self, V, steps, lam):
        lo, hi = self._bounds(V.dtype)
        return np.clip(V, lo, hi)

    def _value(self, X, lam):
        lo, hi = self._bounds(X.dtype)
        bad = ((X < lo) | (X > hi)).any(axis=0)
        return np.where(bad, np.inf, 0.0)

    def block_kernels(self):
        return _k.box_prox_block, _k.box_subdiff_distance

    def block_params(self, n, lam=None):
        self.check_size(n)
        return np.concatenate(
            [np.broadcast_to(self.lower, (n,)), np.broadcast_to(self.upper, (n,))]
        ).astype(np.float64)

    def __repr__(self) -> str:
        return "Box(lower=..., upper=...)"
