"""Sparse-format containers: CSR, CSC, COO, BSR and N:M structured.

Frozen containers of raw arrays with validated constructors (``check=False``
for internal callers). Every format has ``shape``, ``dtype``, ``nnz``,
``density``, ``todense()``, ``asformat()``, ``from_dense()``, ``from_scipy()``,
``to_scipy()``, the products ``matvec``/``matmat`` (``A @ x``),
``rmatvec``/``rmatmat`` (``A^H @ y``), ``@`` with dense vectors and matrices
(both sides), ``.T``, ``.H``, ``conj()`` and the sampled dense-dense product
``sddmm(X, Y)``. The products run on the Numba kernels of
:mod:`sparsela.kernels.cpu.sparse`.

Examples
--------
>>> import numpy as np
>>> from sparsela.formats import CSR
>>> A = CSR.from_dense(np.array([[1.0, 0.0], [0.0, 2.0]]))
>>> A @ np.array([1.0, 1.0])
array([1., 2.])
>>> A.asformat("coo").nnz, A.density
(2, 0.5)
"""

from ._base import SparseFormat
from ._bsr import BSR
from ._compressed import CSC, CSR
from ._coo import COO
from ._nm import NM

__all__ = ["BSR", "COO", "CSC", "CSR", "NM", "SparseFormat"]
