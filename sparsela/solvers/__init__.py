"""Recovery solvers (public functions re-exported from :mod:`sparsela`)."""

from .fwht import fwht
from .kron_sbl import kron_sbl
from .omp import mp, omp
from .proximal import fista, ista, lambda_max
from .sbl import sbl
from .sparse_wht import sparse_wht

__all__ = [
    "fista",
    "fwht",
    "ista",
    "kron_sbl",
    "lambda_max",
    "mp",
    "omp",
    "sbl",
    "sparse_wht",
]
