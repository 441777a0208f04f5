"""Group penalties: one term per block of a partition of the coefficients."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_array
from ..kernels.cpu import prox as _k
from ._base import _check_lam, _times, register
from .separable import _Gauge

__all__ = ["GroupL1", "parse_groups"]


@register
class GroupL1(_Gauge):
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

    Notes
    -----
    ``prox_{step g}(v)_g = v_g max(0, 1 - step lam w_g / ||v_g||)``; the dual
    norm is ``max_g ||z_g|| / w_g``. The blocks of :meth:`blocks` are the
    groups.

    References
    ----------
    .. [1] M. Yuan, Y. Lin, "Model selection and estimation in regression with
       grouped variables", J. R. Stat. Soc. B 68 (2006).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import GroupL1
    >>> g = GroupL1(1.0, groups=[[0, 1], [2]], weights=[1.0, 1.0])
    >>> g.prox(np.array([3.0, 4.0, 0.5]), 1.0)
    array([2.4, 3.2, 0. ])
    >>> float(g.value(np.array([3.0, 4.0, 0.5])))
    5.5
    """

    name = "group_l1"
    options = ("groups", "weights")
    required = ("groups",)

    def __init__(self, lam: float = 1.0, *, groups: Any, weights: Any = None) -> None:
        self.lam = _check_lam(lam)
        self.perm, self.gptr, self.n_features = parse_groups(groups)
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

    def _prox(self, V, steps, lam):
        out = np.empty_like(V)
        _k.group_soft_threshold(V, steps * lam, self.perm, self.gptr, self.weights, out)
        return out

    def _value(self, X, lam):
        return _times(lam, self.weights @ self._norms(X))

    def _dual_norm(self, Z):
        nr = self._norms(Z)
        pos = self.weights > 0
        dn = (nr[pos] / self.weights[pos, None]).max(axis=0) if pos.any() else 0.0
        dn = np.broadcast_to(np.asarray(dn, dtype=np.float64), (Z.shape[1],)).copy()
        if not pos.all():
            dn[(nr[~pos] > 0).any(axis=0)] = np.inf
        return dn

    def _has_dual(self, lam):
        return bool(np.all(lam > 0)) and bool(np.all(self.weights > 0))

    def block_kernels(self):
        return _k.group_l1_prox_block, _k.group_l1_subdiff_distance

    def block_params(self, n, lam=None):
        self.check_size(n)
        lam = self.lam if lam is None else lam
        return np.concatenate([[lam], self.weights]).astype(np.float64)

    def blocks(self, n):
        self.check_size(n)
        return self.perm, self.gptr

    def __repr__(self) -> str:
        return f"GroupL1(lam={self.lam!r}, n_groups={self.n_groups})"


def parse_groups(groups: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """A partition as ``(perm, gptr, n)``: group ``g`` is ``perm[gptr[g]:gptr[g+1]]``.

    Parameters
    ----------
    groups : sequence of array_like of int, or array_like of int
        A list of index arrays that partition ``0, ..., n-1``, or a label
        array of length ``n`` (equal labels form a group, in sorted order).

    Returns
    -------
    perm : ndarray of int64, shape (n,)
    gptr : ndarray of int64, shape (n_groups + 1,)
    n : int

    Raises
    ------
    ValueError
        Not a partition (overlaps, gaps, empty groups), or wrong dimensions.
    TypeError
        Non-integer indices or labels, or ``None``.

    Examples
    --------
    >>> from sparsela.penalties import parse_groups
    >>> parse_groups([[2, 0], [1]])
    (array([2, 0, 1]), array([0, 2, 3]), 3)
    >>> parse_groups([1, 0, 1])
    (array([1, 0, 2]), array([0, 1, 3]), 3)
    """
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
