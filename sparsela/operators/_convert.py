"""``aslinearoperator``: anything matrix-like as a :class:`LinearOperator`."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._validation import check_array
from . import _base
from ._base import LinearOperator, _is_format
from .basic import Dense, SparseMatrix

__all__ = ["aslinearoperator"]


class _ScipyOperator(LinearOperator):
    """Wraps a :class:`scipy.sparse.linalg.LinearOperator`."""

    def __init__(self, op: scipy.sparse.linalg.LinearOperator) -> None:
        super().__init__(op.shape, op.dtype if op.dtype is not None else np.float64)
        self.op = op

    @property
    def has_adjoint(self) -> bool:
        # SciPy builds operators from a bare matvec; its rmatvec then fails
        # only when called. One product with zeros tells, once.
        if "_has_adjoint" not in self.__dict__:
            try:
                self.op.rmatvec(np.zeros(self.shape[0], dtype=self.dtype))
                ok = True
            except (NotImplementedError, TypeError, AttributeError):
                ok = False
            self.__dict__["_has_adjoint"] = ok
        return self.__dict__["_has_adjoint"]

    def _matvec(self, x):
        return np.asarray(self.op.matvec(x)).reshape(-1)

    def _rmatvec(self, y):
        return np.asarray(self.op.rmatvec(y)).reshape(-1)

    def _matmat(self, X):
        return np.asarray(self.op.matmat(X))

    def _rmatmat(self, Y):
        return np.asarray(self.op.rmatmat(Y))


def aslinearoperator(A: Any) -> LinearOperator:
    """Return ``A`` as a sparsela :class:`LinearOperator`.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or array, sparsela format, \
scipy LinearOperator or LinearOperator
        Dense 2-D arrays (NumPy or CuPy) become :class:`Dense`, sparse matrices
        and sparsela formats become :class:`SparseMatrix`; operators pass through.

    Returns
    -------
    LinearOperator

    Raises
    ------
    TypeError
        For objects that are not matrices or operators.
    ValueError
        For arrays that are not 2-D or hold NaN/Inf.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import aslinearoperator
    >>> aslinearoperator(np.eye(3))
    <3x3 Dense with dtype=float64>
    """
    if isinstance(A, LinearOperator):
        return A
    if scipy.sparse.issparse(A) or _is_format(A):
        return SparseMatrix(A)
    if isinstance(A, scipy.sparse.linalg.LinearOperator):
        return _ScipyOperator(A)
    if isinstance(A, np.ndarray) or hasattr(A, "__cuda_array_interface__"):
        return Dense(A)
    if isinstance(A, (list, tuple)):
        return Dense(np.asarray(A))
    raise TypeError(
        "A must be an array, a sparse matrix, a sparsela format or a linear "
        f"operator, got {type(A).__name__}"
    )


def named_operator(A: Any, name: str) -> LinearOperator:
    """:func:`aslinearoperator` for a part of a composite, errors naming ``name``.

    A dense part is validated under its own name (``factors[1]``, ``ops[0]``)
    rather than as ``A``, so that the user learns which part is wrong.
    """
    if isinstance(A, (np.ndarray, list, tuple)):
        A = check_array(A, name, ndim=2, allow_int=True)
    return aslinearoperator(A)


_base._CONVERT[0] = aslinearoperator
