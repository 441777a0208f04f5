"""Timing helper shared by the panels that compare run times."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def best_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best of ``repeat`` wall-clock times of ``fn()``, in seconds.

    One call runs first and is not timed (Numba compilation, warm caches).

    Examples
    --------
    >>> from sparsela.cli.panels._timing import best_time
    >>> best_time(lambda: sum(range(10))) >= 0.0
    True
    """
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)
