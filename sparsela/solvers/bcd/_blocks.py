"""Partitions of the coefficients into blocks, as ``(perm, ptr)``: block ``b``
is ``perm[ptr[b]:ptr[b + 1]]``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...penalties import parse_groups

__all__ = ["PARTITIONS", "make_blocks"]

PARTITIONS = ("contiguous", "sorted", "balanced")


def _chunks(order: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    n = order.size
    ptr = np.append(np.arange(0, n, size), n).astype(np.int64)
    return np.ascontiguousarray(order, dtype=np.int64), ptr


def make_blocks(
    blocks: Any, block_size: int, n: int, lips: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The partition a call describes, or ``None`` for single coordinates.

    Parameters
    ----------
    blocks : None, {"contiguous", "sorted", "balanced"}, list of index arrays
        or label array
        ``None`` or ``"contiguous"``: consecutive coordinates, ``block_size``
        per block; ``"sorted"``: coordinates sorted by Lipschitz constant,
        then chunked (blocks of similar constants); ``"balanced"``:
        smallest and largest constants interleaved, then chunked (blocks of
        similar total constants); or the blocks themselves (a partition).
    block_size : int
        Coordinates per block of the fixed partitions (the last one may be
        shorter).
    n : int
        Number of coefficients.
    lips : ndarray
        Coordinate Lipschitz constants (for ``"sorted"`` and ``"balanced"``).

    Raises
    ------
    ValueError
        Blocks that overlap, miss coordinates or are out of range, an unknown
        name; the message names ``blocks``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.bcd._blocks import make_blocks
    >>> make_blocks("sorted", 2, 4, np.array([4.0, 1.0, 3.0, 2.0]))
    (array([1, 3, 2, 0]), array([0, 2, 4]))
    >>> make_blocks("balanced", 2, 4, np.array([4.0, 1.0, 3.0, 2.0]))
    (array([1, 0, 3, 2]), array([0, 2, 4]))
    """
    if blocks is None:
        return None if block_size == 1 else _chunks(np.arange(n), block_size)
    if isinstance(blocks, str):
        if blocks not in PARTITIONS:
            raise ValueError(
                f"blocks must be None, one of {PARTITIONS} or a partition of the "
                f"coefficients, got {blocks!r}"
            )
        if blocks == "contiguous":
            return _chunks(np.arange(n), block_size)
        order = np.argsort(lips, kind="stable")
        if blocks == "balanced":
            lo, hi = order[: (n + 1) // 2], order[(n + 1) // 2 :][::-1]
            mix = np.empty(n, dtype=np.int64)
            mix[0::2], mix[1::2] = lo, hi
            order = mix
        return _chunks(order, block_size)
    try:
        perm, ptr, size = parse_groups(blocks)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"blocks: {exc}") from None
    if size != n:
        raise ValueError(
            f"blocks must partition the {n} coefficients, but they cover {size}"
        )
    return perm, ptr
