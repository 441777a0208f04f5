"""Walsh-Hadamard transforms: the dense fast transform and the sparse ones."""

from .fwht import fwht
from .sparse_wht import sparse_wht

__all__ = ["fwht", "sparse_wht"]
