"""Linear operators: SciPy's contract, PyLops' vocabulary.

Every operator applies ``A @ x`` and its adjoint ``A.H @ y`` without forming a
matrix unless it is one; see :class:`LinearOperator` for the algebra.
"""

from ._base import LinearOperator
from ._convert import aslinearoperator
from .basic import Dense, Diagonal, Identity, Restriction, SparseMatrix
from .blocks import BlockDiag, HStack, VStack
from .hadamard import WalshHadamard
from .kronecker import Kronecker

__all__ = [
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
]
