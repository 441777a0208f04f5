"""Sparse Bayesian learning: SBL / M-SBL and Kronecker-structured SBL."""

from .kron_sbl import kron_sbl
from .sbl import sbl

__all__ = ["kron_sbl", "sbl"]
