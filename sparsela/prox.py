"""Former home of the penalties, kept so that ``sparsela.prox.L1`` still works.

The penalties live in :mod:`sparsela.penalties`; this module re-exports their
public names.

Examples
--------
>>> import sparsela.penalties
>>> from sparsela.prox import L1
>>> L1 is sparsela.penalties.L1
True
"""

from .penalties import (
    L0,
    L1,
    PENALTIES,
    Box,
    ElasticNet,
    GroupL1,
    NonNegL1,
    Prox,
    WeightedL1,
)

__all__ = [
    "L0",
    "L1",
    "PENALTIES",
    "Box",
    "ElasticNet",
    "GroupL1",
    "NonNegL1",
    "Prox",
    "WeightedL1",
]
