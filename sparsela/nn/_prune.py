"""Pruning masks: magnitude (unstructured or blocks), N:M, gradual schedules."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import check_array, check_positive_int, check_scalar

__all__ = ["GradualPruning", "prune_magnitude", "prune_nm", "sparsity_schedule"]


def _weights(W: Any) -> np.ndarray:
    return check_array(W, "W", ndim=2, dtype_kinds="f", allow_int=True)


def _check_sparsity(sparsity: Any, name: str = "sparsity") -> float:
    s = check_scalar(sparsity, name, kind=numbers.Real)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {sparsity!r}")
    return float(s)


def _keep_largest(scores: np.ndarray, n_keep: int) -> np.ndarray:
    """Boolean mask of the ``n_keep`` largest ``scores`` (flat), ties -> lowest."""
    keep = np.zeros(scores.size, dtype=bool)
    if n_keep:
        keep[np.argsort(-scores.reshape(-1), kind="stable")[:n_keep]] = True
    return keep.reshape(scores.shape)


def prune_magnitude(
    W: Any, sparsity: float, *, structure: tuple[int, int] | None = None
) -> np.ndarray:
    """Mask keeping the largest-magnitude weights (or blocks) of ``W``.

    Parameters
    ----------
    W : array_like of shape (out_features, in_features)
        Dense weight matrix.
    sparsity : float
        Fraction of entries to remove, in ``[0, 1]``; ``round((1 - sparsity)
        * units)`` units are kept.
    structure : tuple of int, optional
        ``(r, c)`` blocks pruned as units, scored by their Frobenius norm
        (``(1, 4)`` for the 1x4 blocks of a BSR layer); ``r`` and ``c`` must
        divide the shape. ``None`` (default) prunes single entries.

    Returns
    -------
    ndarray of bool, same shape as ``W``
        True where a weight is kept. Ties in magnitude keep the lowest
        (row-major) index, so the mask is deterministic.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import prune_magnitude
    >>> W = np.array([[0.1, -3.0, 0.2, 1.0], [2.0, 0.0, -0.5, 0.3]])
    >>> prune_magnitude(W, 0.75).astype(int)
    array([[0, 1, 0, 0],
           [1, 0, 0, 0]])
    >>> prune_magnitude(W, 0.5, structure=(1, 2)).astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 0, 0]])
    """
    W = _weights(W)
    s = _check_sparsity(sparsity)
    if structure is None:
        return _keep_largest(np.abs(W), int(round((1.0 - s) * W.size)))
    try:
        r, c = (int(check_positive_int(v, "structure")) for v in structure)
    except TypeError:
        raise TypeError(
            f"structure must be None or a pair of integers, got {structure!r}"
        ) from None
    rows, cols = W.shape
    if rows % r or cols % c:
        raise ValueError(f"structure {(r, c)} must divide the shape of W {W.shape}")
    blocks = (W.astype(np.float64) ** 2).reshape(rows // r, r, cols // c, c)
    scores = blocks.sum(axis=(1, 3))
    keep = _keep_largest(scores, int(round((1.0 - s) * scores.size)))
    return np.kron(keep, np.ones((r, c), dtype=bool)).astype(bool)


def prune_nm(W: Any, n: int, m: int, *, axis: int = 1) -> np.ndarray:
    """N:M mask: the ``n`` largest magnitudes of every ``m`` consecutive weights.

    Parameters
    ----------
    W : array_like of shape (out_features, in_features)
        Dense weight matrix.
    n, m : int
        Keep ``n`` of every ``m``, ``1 <= n < m`` (2:4 is 50% sparsity).
    axis : int, default=1
        Axis along which groups run. The default, the input (reduction)
        axis of a ``(out, in)`` weight, is what N:M hardware accelerates and
        what the :class:`~sparsela.formats.NM` format stores.

    Returns
    -------
    ndarray of bool, same shape as ``W``
        Exactly ``n`` True in every group; ties in magnitude keep the lowest
        index of the group.

    Raises
    ------
    ValueError
        If ``n >= m`` or ``m`` does not divide ``W.shape[axis]``.

    References
    ----------
    .. [1] A. Zhou et al., "Learning N:M fine-grained structured sparse neural
       networks from scratch", ICLR 2021, arXiv:2102.04010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import prune_nm
    >>> prune_nm(np.array([[0.5, -2.0, 1.0, 1.0]]), 2, 4).astype(int)
    array([[0, 1, 1, 0]])
    """
    W = _weights(W)
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    if n >= m:
        raise ValueError(f"n must be smaller than m={m}, got n={n}")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -2 <= axis <= 1:
        raise ValueError(f"axis must be 0 or 1 for a 2-D W, got {axis}")
    A = np.moveaxis(np.abs(W), axis, -1)
    length = A.shape[-1]
    if length % m:
        raise ValueError(
            f"m={m} must divide W.shape[{axis}]={length} (the grouped axis)"
        )
    groups = A.reshape(A.shape[0], length // m, m)
    order = np.argsort(-groups, axis=-1, kind="stable")[..., :n]
    keep = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.moveaxis(keep.reshape(A.shape), -1, axis)


def sparsity_schedule(
    step: int,
    final_sparsity: float,
    *,
    begin_step: int,
    end_step: int,
    initial_sparsity: float = 0.0,
    power: float = 3.0,
) -> float:
    """Gradual pruning schedule ``s_t`` of Zhu and Gupta.

    Parameters
    ----------
    step : int
        Current training step.
    final_sparsity : float
        Sparsity ``s_f`` reached at ``end_step`` and kept after it.
    begin_step, end_step : int
        Pruning runs over ``[begin_step, end_step]``.
    initial_sparsity : float, default=0.0
        Sparsity ``s_i`` at ``begin_step`` (and before it).
    power : float, default=3.0
        Exponent of the polynomial decay.

    Returns
    -------
    float
        ``s_f + (s_i - s_f) (1 - (t - t_0) / (t_1 - t_0))^power``, clipped
        to the interval.

    Notes
    -----
    The cubic schedule prunes fast while the network has many redundant
    weights and slowly near the end, leaving it time to recover.

    References
    ----------
    .. [1] M. Zhu and S. Gupta, "To prune, or not to prune: exploring the
       efficacy of pruning for model compression", arXiv:1710.01878, 2017.

    Examples
    --------
    >>> from sparsela.nn import sparsity_schedule
    >>> [round(sparsity_schedule(t, 0.9, begin_step=0, end_step=10), 3)
    ...  for t in (0, 5, 10, 20)]
    [0.0, 0.787, 0.9, 0.9]
    """
    sf = _check_sparsity(final_sparsity, "final_sparsity")
    si = _check_sparsity(initial_sparsity, "initial_sparsity")
    t0 = check_positive_int(begin_step, "begin_step", allow_zero=True)
    t1 = check_positive_int(end_step, "end_step", allow_zero=True)
    if t1 <= t0:
        raise ValueError(f"end_step must exceed begin_step={t0}, got {t1}")
    p = check_scalar(power, "power", kind=numbers.Real)
    if p <= 0:
        raise ValueError(f"power must be positive, got {power!r}")
    frac = min(max((int(step) - t0) / (t1 - t0), 0.0), 1.0)
    return sf + (si - sf) * (1.0 - frac) ** p


class GradualPruning:
    """Gradual magnitude pruning with periodic re-masking of dense weights.

    Every ``frequency`` steps between ``begin_step`` and ``end_step`` the
    mask is recomputed by :func:`prune_magnitude` from the current dense
    weights at the scheduled sparsity (:func:`sparsity_schedule`), so a
    weight pruned earlier can return if training grows it back (dynamic
    re-masking); between updates the mask is kept.

    Parameters
    ----------
    final_sparsity : float
        Target sparsity.
    begin_step, end_step : int, keyword-only
        Pruning window.
    frequency : int, default=1, keyword-only
        Steps between mask updates.
    initial_sparsity, power : float, keyword-only
        As in :func:`sparsity_schedule`.
    structure : tuple of int, optional, keyword-only
        Block structure for :func:`prune_magnitude`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import GradualPruning
    >>> pruner = GradualPruning(0.5, begin_step=0, end_step=4)
    >>> W = np.arange(1.0, 9.0).reshape(2, 4)
    >>> [int(pruner.mask(W, t).sum()) for t in range(6)]
    [8, 6, 4, 4, 4, 4]
    """

    def __init__(
        self,
        final_sparsity: float,
        *,
        begin_step: int,
        end_step: int,
        frequency: int = 1,
        initial_sparsity: float = 0.0,
        power: float = 3.0,
        structure: tuple[int, int] | None = None,
    ) -> None:
        # validate once through the schedule itself
        sparsity_schedule(
            begin_step,
            final_sparsity,
            begin_step=begin_step,
            end_step=end_step,
            initial_sparsity=initial_sparsity,
            power=power,
        )
        self.final_sparsity = float(final_sparsity)
        self.begin_step = int(begin_step)
        self.end_step = int(end_step)
        self.frequency = check_positive_int(frequency, "frequency")
        self.initial_sparsity = float(initial_sparsity)
        self.power = float(power)
        self.structure = structure
        self._mask: np.ndarray | None = None
        self._at_final = False

    def sparsity(self, step: int) -> float:
        """Scheduled sparsity at ``step``."""
        return sparsity_schedule(
            step,
            self.final_sparsity,
            begin_step=self.begin_step,
            end_step=self.end_step,
            initial_sparsity=self.initial_sparsity,
            power=self.power,
        )

    def mask(self, W: Any, step: int) -> np.ndarray:
        """The mask for ``step``, recomputed from ``W`` on update steps."""
        window = self.begin_step <= step <= self.end_step
        due = (
            self._mask is None
            or (window and (step - self.begin_step) % self.frequency == 0)
            or (step >= self.end_step and not self._at_final)
        )
        if due:
            s = self.sparsity(step)
            self._mask = prune_magnitude(W, s, structure=self.structure)
            self._at_final = step >= self.end_step
        return self._mask
