"""sparsela: sparse linear algebra and sparse signal recovery.

Operators and sparse formats backed by Numba kernels (optional CuPy), and
recovery solvers called like SciPy functions::

    import sparsela
    res = sparsela.omp(A, y, n_nonzero=10)
"""

from . import operators, testing
from ._result import (
    DictLearningResult,
    OMPResult,
    ProxResult,
    SBLResult,
    SolverResult,
    SparseWHTResult,
)
from .operators import (
    BlockDiag,
    Dense,
    Diagonal,
    HStack,
    Identity,
    Kronecker,
    LinearOperator,
    Restriction,
    SparseMatrix,
    VStack,
    WalshHadamard,
    aslinearoperator,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BlockDiag",
    "Dense",
    "DictLearningResult",
    "Diagonal",
    "HStack",
    "Identity",
    "Kronecker",
    "LinearOperator",
    "OMPResult",
    "ProxResult",
    "Restriction",
    "SBLResult",
    "SolverResult",
    "SparseMatrix",
    "SparseWHTResult",
    "VStack",
    "WalshHadamard",
    "aslinearoperator",
    "operators",
    "testing",
    "__version__",
]
