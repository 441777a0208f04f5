"""Block selection rules: the order of a pass, or the greedy working set.

``ORDER_RULES`` give one pass over the blocks per iteration in their own
order; ``GREEDY_RULES`` rank the blocks by a score computed from the full
gradient and give the working set of the iteration (the variable block that
the iteration updates), always holding the blocks that are non-zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GREEDY_RULES", "ORDER_RULES", "RULES", "greedy_block", "pass_order"]

ORDER_RULES = ("cyclic", "permutation", "random", "lipschitz")
GREEDY_RULES = ("gs", "gsl", "gsd", "gsq", "gsr")
RULES = ORDER_RULES + GREEDY_RULES


def pass_order(rule: str, lips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The blocks of one pass: in order (``cyclic``), a random permutation,
    uniform draws with replacement (``random``) or draws with probability
    proportional to the Lipschitz constants (``lipschitz``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.bcd._rules import pass_order
    >>> pass_order("cyclic", np.ones(3), np.random.default_rng(0))
    array([0, 1, 2])
    >>> np.sort(pass_order("permutation", np.ones(3), np.random.default_rng(0)))
    array([0, 1, 2])
    """
    nb = lips.size
    if rule == "cyclic":
        return np.arange(nb, dtype=np.int64)
    if rule == "permutation":
        return rng.permutation(nb).astype(np.int64)
    if rule == "random":
        return rng.integers(0, nb, nb).astype(np.int64)
    total = float(lips.sum())
    p = lips / total if total > 0 else None
    return rng.choice(nb, size=nb, p=p).astype(np.int64)


def greedy_block(score: np.ndarray, active: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` best-scored blocks, the ``active`` ones first, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers.bcd._rules import greedy_block
    >>> greedy_block(np.array([0.1, 5.0, 0.3, 2.0]), np.array([True, 0, 0, 0]), 2)
    array([0, 1])
    """
    score = np.where(active, np.inf, score)
    size = min(max(size, 1), score.size)
    if size == score.size:
        return np.arange(size, dtype=np.int64)
    ws = np.argpartition(-score, size - 1)[:size]
    return np.sort(ws).astype(np.int64)
