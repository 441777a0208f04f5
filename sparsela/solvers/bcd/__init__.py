"""Block coordinate descent: greedy block rules, working sets, Numba epochs."""

from ._solver import bcd

__all__ = ["bcd"]
