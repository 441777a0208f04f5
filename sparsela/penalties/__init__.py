"""Sparsity penalties with cheap proximal operators.

A penalty ``g`` has ``prox(v, step)`` (``argmin_x 1/2 ||x - v||^2 + step
g(x)``) and ``value(x)``; see :class:`Prox` for the protocol. The built-in
penalties carry their weight ``lam`` (``L1(0.1)`` is ``0.1 ||x||_1``), work
column-wise on batches ``(n, k)`` with one step per column, and give the
solvers a trusted fast path, a dual norm (``alpha_max``) and the per-block
Numba kernels of coordinate solvers. :data:`PENALTIES` is the one table of
names the solvers accept (``penalty="l1"``, ...).

Examples
--------
>>> import numpy as np
>>> from sparsela.penalties import L1
>>> g = L1(0.5)
>>> g.prox(np.array([2.0, -0.2, -1.0]), step=1.0)
array([ 1.5,  0. , -0.5])
>>> float(g.value(np.array([1.0, -2.0])))
1.5
"""

from ._base import PENALTIES, Penalty, Prox, make_penalty, register
from .group import GroupL1, parse_groups
from .separable import L0, L1, Box, ElasticNet, NonNegL1, WeightedL1

__all__ = [
    "L0",
    "L1",
    "PENALTIES",
    "Box",
    "ElasticNet",
    "GroupL1",
    "NonNegL1",
    "Penalty",
    "Prox",
    "WeightedL1",
    "make_penalty",
    "parse_groups",
    "register",
]
