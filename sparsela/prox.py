"""Proximal operators of sparsity penalties.

A penalty ``g`` is an object with two methods (the *prox protocol*)::

    prox(v, step)  -> argmin_x  1/2 ||x - v||^2 + step * g(x)
    value(x)       -> g(x)

and, optionally, ``dual_scale(z)`` which lets the solvers stop on a duality gap
(see :class:`Prox`). The classes here carry their own weight ``lam``:
``L1(0.1)`` is ``g(x) = 0.1 ||x||_1``. Every class works column-wise on a batch
``(n, k)`` of coefficient vectors with one step per column, and on complex
data (the modulus is shrunk, the phase kept) unless it says otherwise.

The thresholds run on the Numba kernels of :mod:`sparsela.kernels.cpu.prox`.

Examples
--------
>>> import numpy as np
>>> from sparsela.prox import L1
>>> g = L1(0.5)
>>> g.prox(np.array([2.0, -0.2, -1.0]), step=1.0)
array([ 1.5,  0. , -0.5])
>>> float(g.value(np.array([1.0, -2.0])))
1.5
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validation import check_array, check_scalar
from .kernels.cpu import prox as _k

__all__ = [
    "L0",
    "L1",
    "Box",
    "ElasticNet",
    "GroupL1",
    "NonNegL1",
    "Prox",
    "WeightedL1",
]


# ---- helpers ------------------------------------------------------------------
_NO_WEIGHTS = np.zeros(0, dtype=np.float64)


def _as2d(v: Any) -> tuple[np.ndarray, bool]:
    """``(n, k)`` C-contiguous view of ``v`` and whether ``v`` was 1-D."""
    v = np.asarray(v)
    if v.ndim == 1:
        return np.ascontiguousarray(v).reshape(-1, 1), True
    if v.ndim != 2:
        raise ValueError(f"v must be 1- or 2-dimensional, got shape {v.shape}")
    return np.ascontiguousarray(v), False


def _steps(step: Any, k: int) -> np.ndarray:
    """Per-column steps as a float64 array of length ``k``."""
    s = np.asarray(step, dtype=np.float64)
    if s.ndim == 0:
        s = np.full(k, float(s))
    if s.shape != (k,):
        raise ValueError(f"step must be a scalar or have shape ({k},), got {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("step must be finite and non-negative")
    return s


def _out(x2: np.ndarray, was1d: bool) -> Any:
    """Per-column values back to a float (1-D input) or an array (2-D input)."""
    return float(x2[0]) if was1d else x2


def _soft(v2: np.ndarray, tau: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.empty_like(v2)
    if v2.dtype.kind == "c":
        _k.soft_threshold_complex(v2, tau, w, out)
    else:
        _k.soft_threshold(v2, tau, w, out)
    return out


def _abs_sum(x2: np.ndarray) -> np.ndarray:
    return np.abs(x2).sum(axis=0, dtype=np.float64)


def _sq_sum(x2: np.ndarray) -> np.ndarray:
    if x2.dtype.kind == "c":
        return (x2.real.astype(np.float64) ** 2 + x2.imag.astype(np.float64) ** 2).sum(
            axis=0
        )
    return (x2.astype(np.float64) ** 2).sum(axis=0)


def _check_lam(lam: Any) -> float:
    check_scalar(lam, "lam", min_val=0.0)
    return float(lam)


def _scale_from_dual_norm(dn: np.ndarray, lam: float) -> np.ndarray:
    """``min(1, lam / dn)`` column-wise (1 where ``dn`` is 0)."""
    s = np.ones_like(dn)
    big = dn > lam
    s[big] = lam / dn[big]
    return s


def _require_real(x: np.ndarray, who: str) -> None:
    if x.dtype.kind == "c":
        raise TypeError(f"{who} needs real data, got dtype {x.dtype}")


# ---- the protocol ---------------------------------------------------------------
class Prox:
    """Base class of a penalty ``g`` with a cheap proximal operator.

    Subclasses implement :meth:`prox` and :meth:`value`; penalties whose
    Fenchel conjugate is cheap also implement :meth:`dual_scale`, which the
    solvers use for duality-gap stopping. Any object with ``prox`` and
    ``value`` methods of the same meaning can be passed to the solvers
    instead of a subclass.

    Attributes
    ----------
    lam : float or None
        Weight of the penalty (``None`` for pure constraints such as
        :class:`Box`).
    convex : bool
        Whether ``g`` is convex (``False`` for :class:`L0`).
    real_only : bool
        Whether the penalty is only defined for real coefficients.

    Notes
    -----
    The protocol, column by column for a batch ``v`` of shape ``(n, k)``:

    ``prox(v, step)``
        Returns ``argmin_x 1/2 ||x - v||_2^2 + step * g(x)``, an array shaped
        and typed like ``v``. ``step`` is a non-negative float, or for a 2-D
        ``v`` an array of shape ``(k,)`` (one step per column).
    ``value(x)``
        Returns ``g(x)``: a float for ``x`` of shape ``(n,)``, an array of
        shape ``(k,)`` for ``(n, k)``; ``inf`` outside the penalty's domain.
    ``dual_scale(z)`` (optional)
        For ``z = A^H r`` (``r`` a residual) returns ``(s, c)`` with ``s`` in
        ``[0, 1]`` such that ``s z`` lies in the domain of the conjugate
        ``g^*`` and ``c = g^*(s z)``, per column. The solvers then build the
        dual point ``theta = s r`` of ``min 1/2 ||A x - y||^2 + g(x)``, whose
        dual objective is ``<y, theta> - 1/2 ||theta||^2 - g^*(A^H theta)``.

    Examples
    --------
    A penalty written from scratch (a scaled squared norm):

    >>> import numpy as np
    >>> from sparsela.prox import Prox
    >>> class Ridge(Prox):
    ...     def __init__(self, lam):
    ...         self.lam = lam
    ...     def prox(self, v, step):
    ...         return v / (1.0 + np.asarray(step) * self.lam)
    ...     def value(self, x):
    ...         return 0.5 * self.lam * (np.abs(x) ** 2).sum(axis=0)
    >>> Ridge(1.0).prox(np.array([2.0, 4.0]), 1.0)
    array([1., 2.])
    """

    lam: float | None = None
    convex: bool = True
    real_only: bool = False

    def prox(self, v: Any, step: Any) -> np.ndarray:
        """Proximal operator ``argmin_x 1/2 ||x - v||^2 + step * g(x)``."""
        raise NotImplementedError

    def value(self, x: Any) -> Any:
        """Penalty value ``g(x)`` (per column for a 2-D ``x``)."""
        raise NotImplementedError

    def dual_scale(self, z: Any) -> tuple[Any, Any]:
        """Dual scaling ``s`` and conjugate value ``g^*(s z)`` (see Notes)."""
        raise NotImplementedError

    def dual_norm(self, z: Any) -> Any:
        """Smallest ``lam`` for which ``x = 0`` is optimal given ``z = A^H y``."""
        raise NotImplementedError

    @property
    def has_dual(self) -> bool:
        """Whether :meth:`dual_scale` gives a usable duality gap."""
        return False

    def check_size(self, n: int) -> None:
        """Raise ``ValueError`` if per-coefficient parameters do not fit ``n``."""

    def __call__(self, v: Any, step: Any) -> np.ndarray:
        return self.prox(v, step)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam!r})"


class _GaugePenalty(Prox):
    """``lam`` times a norm-like gauge: the conjugate is the indicator of the
    dual ball ``{z : dual_norm(z) <= lam}``, so the dual point is ``z`` scaled
    into the ball and ``g^*(s z) = 0``. Subclasses give :meth:`dual_norm`."""

    def dual_scale(self, z):
        dn = np.atleast_1d(self.dual_norm(z))
        s = _scale_from_dual_norm(dn, self.lam)
        return s, np.zeros_like(s)

    @property
    def has_dual(self) -> bool:
        return self.lam > 0


class L1(_GaugePenalty):
    """``g(x) = lam * ||x||_1`` (modulus for complex entries); soft threshold.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import L1
    >>> L1(1.0).prox(np.array([3.0 + 4.0j, 0.5j]), 1.0)
    array([2.4+3.2j, 0. +0.j ])
    """

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = _check_lam(lam)

    def prox(self, v, step):
        v2, was1d = _as2d(v)
        out = _soft(v2, _steps(step, v2.shape[1]) * self.lam, _NO_WEIGHTS)
        return out[:, 0] if was1d else out

    def value(self, x):
        x2, was1d = _as2d(x)
        return _out(self.lam * _abs_sum(x2), was1d)

    def dual_norm(self, z):
        z2, was1d = _as2d(z)
        dn = (
            np.abs(z2).max(axis=0).astype(np.float64)
            if z2.size
            else np.zeros(z2.shape[1])
        )
        return _out(dn, was1d)


class WeightedL1(_GaugePenalty):
    """``g(x) = lam * sum_i w_i |x_i|`` with non-negative per-coefficient weights.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight.
    weights : array_like of shape (n,)
        Non-negative finite weights, one per coefficient. A zero weight leaves
        its coefficient unpenalised (the duality gap is then unavailable and
        the solvers stop on the relative change instead).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import WeightedL1
    >>> WeightedL1(1.0, weights=[0.0, 1.0, 3.0]).prox(np.array([2.0, 2.0, 2.0]), 0.5)
    array([2. , 1.5, 0.5])
    """

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

    def prox(self, v, step):
        v2, was1d = _as2d(v)
        self.check_size(v2.shape[0])
        out = _soft(v2, _steps(step, v2.shape[1]) * self.lam, self.weights)
        return out[:, 0] if was1d else out

    def value(self, x):
        x2, was1d = _as2d(x)
        return _out(self.lam * (self.weights @ np.abs(x2)).astype(np.float64), was1d)

    def dual_norm(self, z):
        z2, was1d = _as2d(z)
        a = np.abs(z2)
        pos = self.weights > 0
        dn = (a[pos] / self.weights[pos, None]).max(axis=0) if pos.any() else 0.0
        dn = np.broadcast_to(np.asarray(dn, dtype=np.float64), (z2.shape[1],)).copy()
        if not pos.all():  # an unpenalised coefficient must have zero correlation
            dn[(a[~pos] > 0).any(axis=0)] = np.inf
        return _out(dn, was1d)

    @property
    def has_dual(self) -> bool:
        return self.lam > 0 and bool(np.all(self.weights > 0))

    def __repr__(self) -> str:
        return f"WeightedL1(lam={self.lam!r}, weights=<{self.weights.shape[0]} values>)"


class L0(Prox):
    """``g(x) = lam * ||x||_0`` (number of non-zeros); hard threshold.

    Non-convex: the proximal-gradient solvers then converge to a stationary
    point that depends on the start, and stop on the relative change.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight. The prox keeps the entries with
        ``|v_i| > sqrt(2 * step * lam)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import L0
    >>> L0(0.5).prox(np.array([2.0, -0.9, 1.1]), 1.0)
    array([2. , 0. , 1.1])
    """

    convex = False

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = _check_lam(lam)

    def prox(self, v, step):
        v2, was1d = _as2d(v)
        out = np.empty_like(v2)
        thr = np.sqrt(2.0 * _steps(step, v2.shape[1]) * self.lam)
        _k.hard_threshold(v2, thr, out)
        return out[:, 0] if was1d else out

    def value(self, x):
        x2, was1d = _as2d(x)
        return _out(self.lam * np.count_nonzero(x2, axis=0).astype(np.float64), was1d)


class GroupL1(_GaugePenalty):
    """Group lasso ``g(x) = lam * sum_g w_g ||x_g||_2`` over a partition.

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight.
    groups : sequence of array_like of int, or array_like of int
        Either a list of index arrays that partition ``0, ..., n-1`` (every
        coefficient in exactly one non-empty group), or a label array of
        length ``n`` whose equal entries form a group.
    weights : array_like of shape (n_groups,), optional
        Non-negative group weights, in the order of ``groups`` (or of the
        sorted labels). Default ``sqrt(group size)`` (Yuan & Lin), which keeps
        groups of different sizes comparable.

    Raises
    ------
    ValueError
        If ``groups`` is not a partition, or ``weights`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import GroupL1
    >>> g = GroupL1(1.0, groups=[[0, 1], [2]], weights=[1.0, 1.0])
    >>> g.prox(np.array([3.0, 4.0, 0.5]), 1.0)
    array([2.4, 3.2, 0. ])
    >>> float(g.value(np.array([3.0, 4.0, 0.5])))
    5.5
    """

    def __init__(self, lam: float = 1.0, *, groups: Any, weights: Any = None) -> None:
        self.lam = _check_lam(lam)
        self.perm, self.gptr, self.n_features = _parse_groups(groups)
        sizes = np.diff(self.gptr)
        if weights is None:
            gw = np.sqrt(sizes.astype(np.float64))
        else:
            gw = check_array(
                weights, "weights", ndim=1, allow_int=True, dtype_kinds="f"
            )
            if gw.shape[0] != sizes.shape[0]:
                raise ValueError(
                    f"weights must have one entry per group ({sizes.shape[0]}), "
                    f"got {gw.shape[0]}"
                )
            if np.any(gw < 0):
                raise ValueError("weights must be non-negative")
        self.weights = np.ascontiguousarray(gw, dtype=np.float64)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return self.gptr.shape[0] - 1

    def check_size(self, n: int) -> None:
        if self.n_features != n:
            raise ValueError(
                f"groups must partition the {n} coefficients, but they cover "
                f"{self.n_features}"
            )

    def _norms(self, x2: np.ndarray) -> np.ndarray:
        out = np.empty((self.n_groups, x2.shape[1]), dtype=np.float64)
        _k.group_norms(x2, self.perm, self.gptr, out)
        return out

    def prox(self, v, step):
        v2, was1d = _as2d(v)
        self.check_size(v2.shape[0])
        out = np.empty_like(v2)
        tau = _steps(step, v2.shape[1]) * self.lam
        _k.group_soft_threshold(v2, tau, self.perm, self.gptr, self.weights, out)
        return out[:, 0] if was1d else out

    def value(self, x):
        x2, was1d = _as2d(x)
        return _out(self.lam * (self.weights @ self._norms(x2)), was1d)

    def dual_norm(self, z):
        z2, was1d = _as2d(z)
        nr = self._norms(z2)
        pos = self.weights > 0
        dn = (nr[pos] / self.weights[pos, None]).max(axis=0) if pos.any() else 0.0
        dn = np.broadcast_to(np.asarray(dn, dtype=np.float64), (z2.shape[1],)).copy()
        if not pos.all():
            dn[(nr[~pos] > 0).any(axis=0)] = np.inf
        return _out(dn, was1d)

    @property
    def has_dual(self) -> bool:
        return self.lam > 0 and bool(np.all(self.weights > 0))

    def __repr__(self) -> str:
        return f"GroupL1(lam={self.lam!r}, n_groups={self.n_groups})"


def _parse_groups(groups: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """``(perm, gptr, n)``: group ``g`` is ``perm[gptr[g]:gptr[g + 1]]``."""
    if groups is None:
        raise TypeError(
            "groups must be a list of index arrays or a label array, got None"
        )
    is_list = isinstance(groups, Sequence) and not isinstance(groups, str)
    is_list = is_list and len(groups) > 0 and np.ndim(groups[0]) == 1
    if not is_list:
        labels = np.asarray(groups)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(
                "groups must be a non-empty list of index arrays or a 1-D label "
                f"array, got shape {labels.shape}"
            )
        if labels.dtype.kind not in "iu":
            raise TypeError(f"group labels must be integers, got dtype {labels.dtype}")
        perm = np.argsort(labels, kind="stable").astype(np.int64)
        _, counts = np.unique(labels, return_counts=True)
        gptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return perm, gptr, int(labels.size)
    parts = []
    for i, g in enumerate(groups):
        arr = np.asarray(g)
        if arr.ndim != 1:
            raise ValueError(
                f"groups[{i}] must be 1-dimensional, got shape {arr.shape}"
            )
        if arr.size == 0:
            raise ValueError(f"groups[{i}] is empty; every group needs a coefficient")
        if arr.dtype.kind not in "iu":
            raise TypeError(f"groups[{i}] must hold integers, got dtype {arr.dtype}")
        parts.append(arr.astype(np.int64))
    perm = np.concatenate(parts)
    n = perm.size
    if perm.min() < 0 or not np.array_equal(np.sort(perm), np.arange(n)):
        raise ValueError(
            "groups must partition the coefficients 0, ..., n-1: every index in "
            "exactly one group (found overlapping, missing or out-of-range indices)"
        )
    gptr = np.concatenate([[0], np.cumsum([p.size for p in parts])]).astype(np.int64)
    return np.ascontiguousarray(perm), gptr, n


class NonNegL1(_GaugePenalty):
    """``g(x) = lam * sum_i x_i`` plus the constraint ``x >= 0`` (real only).

    Parameters
    ----------
    lam : float, default=1.0
        Non-negative weight (``lam = 0`` is non-negative least squares).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import NonNegL1
    >>> NonNegL1(0.5).prox(np.array([2.0, -1.0, 0.2]), 1.0)
    array([1.5, 0. , 0. ])
    """

    real_only = True

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = _check_lam(lam)

    def prox(self, v, step):
        v2, was1d = _as2d(v)
        _require_real(v2, "NonNegL1")
        out = np.empty_like(v2)
        _k.nonneg_soft_threshold(v2, _steps(step, v2.shape[1]) * self.lam, out)
        return out[:, 0] if was1d else out

    def value(self, x):
        x2, was1d = _as2d(x)
        _require_real(x2, "NonNegL1")
        val = self.lam * x2.sum(axis=0, dtype=np.float64)
        val[(x2 < 0).any(axis=0)] = np.inf
        return _out(val, was1d)

    def dual_norm(self, z):
        z2, was1d = _as2d(z)
        dn = np.maximum(z2.real.max(axis=0), 0.0).astype(np.float64)
        return _out(dn, was1d)


class ElasticNet(Prox):
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
    (2 lam (1 - l1_ratio))``, so the residual itself is the dual point.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import ElasticNet
    >>> ElasticNet(1.0, l1_ratio=0.5).prox(np.array([3.0, -0.2]), 1.0)
    array([1.66666667, 0.        ])
    """

    def __init__(self, lam: float = 1.0, *, l1_ratio: float = 0.5) -> None:
        self.lam = _check_lam(lam)
        check_scalar(l1_ratio, "l1_ratio", min_val=0.0, max_val=1.0)
        self.l1_ratio = float(l1_ratio)

    def prox(self, v, step):
        v2, was1d = _as2d(v)
        steps = _steps(step, v2.shape[1])
        out = _soft(v2, steps * self.lam * self.l1_ratio, _NO_WEIGHTS)
        shrink = 1.0 / (1.0 + steps * self.lam * (1.0 - self.l1_ratio))
        out *= shrink.astype(out.real.dtype)
        return out[:, 0] if was1d else out

    def value(self, x):
        x2, was1d = _as2d(x)
        a = self.l1_ratio
        return _out(self.lam * (a * _abs_sum(x2) + 0.5 * (1 - a) * _sq_sum(x2)), was1d)

    def dual_norm(self, z):
        z2, was1d = _as2d(z)
        if self.l1_ratio == 0:
            raise ValueError(
                "l1_ratio=0 (ridge) has no lam_max: no lam makes x = 0 optimal"
            )
        dn = np.abs(z2).max(axis=0).astype(np.float64) / self.l1_ratio
        return _out(dn, was1d)

    def dual_scale(self, z):
        z2, _ = _as2d(z)
        if self.l1_ratio == 1.0:
            s = _scale_from_dual_norm(
                np.abs(z2).max(axis=0).astype(np.float64), self.lam
            )
            return s, np.zeros_like(s)
        excess = np.maximum(np.abs(z2).astype(np.float64) - self.lam * self.l1_ratio, 0)
        conj = (excess**2).sum(axis=0) / (2.0 * self.lam * (1.0 - self.l1_ratio))
        return np.ones(z2.shape[1]), conj

    @property
    def has_dual(self) -> bool:
        return self.lam > 0

    def __repr__(self) -> str:
        return f"ElasticNet(lam={self.lam!r}, l1_ratio={self.l1_ratio!r})"


class Box(Prox):
    """Indicator of the box ``lower <= x <= upper`` (real only); projection.

    A pure constraint: it has no weight (``lam`` is ``None``), its value is 0
    inside the box and ``inf`` outside.

    Parameters
    ----------
    lower, upper : float or array_like of shape (n,), optional
        Bounds; ``None`` means unbounded on that side.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.prox import Box
    >>> Box(lower=0.0, upper=1.0).prox(np.array([-0.5, 0.3, 2.0]), 1.0)
    array([0. , 0.3, 1. ])
    """

    real_only = True

    def __init__(self, lower: Any = None, upper: Any = None) -> None:
        self.lower = self._bound(lower, "lower", -np.inf)
        self.upper = self._bound(upper, "upper", np.inf)
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

    def prox(self, v, step):
        v = np.asarray(v)
        _require_real(v, "Box")
        self.check_size(v.shape[0])
        lo, hi = self.lower.astype(v.dtype), self.upper.astype(v.dtype)
        if v.ndim == 2:
            lo = lo if lo.ndim == 0 else lo[:, None]
            hi = hi if hi.ndim == 0 else hi[:, None]
        return np.clip(v, lo, hi)

    def value(self, x):
        x2, was1d = _as2d(x)
        _require_real(x2, "Box")
        # bounds rounded as the projection rounds them (float32 data)
        lo = self.lower.astype(x2.dtype)
        hi = self.upper.astype(x2.dtype)
        lo = lo if lo.ndim == 0 else lo[:, None]
        hi = hi if hi.ndim == 0 else hi[:, None]
        bad = ((x2 < lo) | (x2 > hi)).any(axis=0)
        return _out(np.where(bad, np.inf, 0.0), was1d)

    def __repr__(self) -> str:
        return "Box(lower=..., upper=...)"


PENALTIES = {
    "l1": L1,
    "weighted_l1": WeightedL1,
    "l0": L0,
    "group_l1": GroupL1,
    "nonneg_l1": NonNegL1,
    "elastic_net": ElasticNet,
    "box": Box,
}
