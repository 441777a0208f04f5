"""sparsela: sparse linear algebra and sparse signal recovery.

Operators and sparse formats backed by Numba kernels (optional CuPy), and
recovery solvers called like SciPy functions::

    import sparsela
    res = sparsela.omp(A, y, n_nonzero=10)

Signals are columns: ``y`` has shape ``(m,)`` or ``(m, n_signals)``.

``import sparsela`` loads no submodule: each public name is imported on first
use (``sparsela.omp`` imports the pursuit solvers, SciPy and Numba then), so
that the command line and scripts that need one solver start quickly. The
Numba kernels compile on their first call, one specialisation per dtype, and
are cached on disk; ``sparsela compile`` fills that cache ahead of time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# public name -> module (relative to this package) that defines it
_LAZY = {
    **dict.fromkeys(
        (
            "DictLearningResult",
            "OMPResult",
            "ProxResult",
            "SBLResult",
            "SolverResult",
            "SparseWHTResult",
            "Status",
        ),
        "._result",
    ),
    **dict.fromkeys(("BSR", "COO", "CSC", "CSR", "NM"), ".formats"),
    **dict.fromkeys(
        (
            "BlockDiag",
            "Dense",
            "Diagonal",
            "HStack",
            "Identity",
            "Kronecker",
            "LinearOperator",
            "Restriction",
            "SparseMatrix",
            "VStack",
            "WalshHadamard",
            "aslinearoperator",
        ),
        ".operators",
    ),
    **dict.fromkeys(("kron_sbl", "sbl"), ".solvers.bayes"),
    **dict.fromkeys(
        ("OnlineDictionaryLearning", "dictionary_learning", "sparse_encode"),
        ".solvers.dictionary",
    ),
    "bcd": ".solvers.bcd",
    **dict.fromkeys(("fista", "ista", "lambda_max"), ".solvers.proximal"),
    **dict.fromkeys(("mp", "mp_gram", "omp", "omp_gram"), ".solvers.pursuit"),
    **dict.fromkeys(("fwht", "sparse_wht"), ".transforms"),
}
_SUBMODULES = (
    "datafits",
    "datasets",
    "estimators",  # needs scikit-learn; not in __all__ (import * would load it)
    "formats",
    "metrics",
    "nn",
    "operators",
    "penalties",
    "prox",
    "testing",
)

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
    "OnlineDictionaryLearning",
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
    "bcd",
    "datafits",
    "datasets",
    "dictionary_learning",
    "fista",
    "formats",
    "fwht",
    "ista",
    "kron_sbl",
    "lambda_max",
    "metrics",
    "mp",
    "mp_gram",
    "nn",
    "omp",
    "omp_gram",
    "operators",
    "penalties",
    "prox",
    "sbl",
    "sparse_encode",
    "sparse_wht",
    "testing",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first access (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what static checkers and IDEs see
    from . import (
        datafits,
        datasets,
        formats,
        metrics,
        operators,
        penalties,
        prox,
        testing,
    )
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
    from .solvers.bcd import bcd
    from .solvers.dictionary import (
        OnlineDictionaryLearning,
        dictionary_learning,
        sparse_encode,
    )
    from .solvers.proximal import fista, ista, lambda_max
    from .solvers.pursuit import mp, mp_gram, omp, omp_gram
    from .transforms import fwht, sparse_wht
