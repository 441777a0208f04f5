"""sparsela: sparse linear algebra and sparse signal recovery.

Operators and sparse formats backed by Numba kernels (optional CuPy), and
recovery solvers called like SciPy functions::

    import sparsela
    res = sparsela.omp(A, y, n_nonzero=10)

Signals are columns: ``y`` has shape ``(m,)`` or ``(m, n_signals)``.
"""

from . import datafits, datasets, formats, metrics, operators, penalties, prox, testing
from ._result import (
    DictLearningResult,
    OMPResult,
    ProxResult,
    SBLResult,
    SolverResult,
    SparseWHTResult,
    Status,
)
from .formats import BSR, COO, CSC, CSR, NM
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
from .solvers.bayes import kron_sbl, sbl
from .solvers.proximal import fista, ista, lambda_max
from .solvers.pursuit import mp, mp_gram, omp, omp_gram
from .transforms import fwht, sparse_wht

__version__ = "0.1.0.dev0"

__all__ = [
    "BSR",
    "COO",
    "CSC",
    "CSR",
    "NM",
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
    "Status",
    "VStack",
    "WalshHadamard",
    "aslinearoperator",
    "datafits",
    "datasets",
    "fista",
    "formats",
    "fwht",
    "ista",
    "kron_sbl",
    "lambda_max",
    "metrics",
    "mp",
    "mp_gram",
    "omp",
    "omp_gram",
    "operators",
    "penalties",
    "prox",
    "sbl",
    "sparse_wht",
    "testing",
    "__version__",
]
