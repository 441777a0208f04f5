"""Kronecker product of operators, applied by mode products."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import get_namespace
from ._base import LinearOperator, _conj
from ._convert import named_operator
from .basic import Dense

__all__ = ["Kronecker", "mode_products"]


def mode_products(T: Any, mats: Any, *, adjoint: bool = False) -> Any:
    """Apply ``mats[i]`` (or its adjoint) along axis ``i`` of the tensor ``T``.

    The product of :class:`Kronecker`, open to solvers whose factors change
    every iteration (building an operator per product would cost more than
    the product on small modes). Axes of ``T`` after the last factor are
    batch axes.

    Parameters
    ----------
    T : ndarray of shape (n_1, ..., n_I, ...)
        The tensor.
    mats : sequence of ndarray or LinearOperator
        One matrix per leading axis; arrays are applied with one batched GEMM
        per mode (no transposes), operators through their ``_matmat``.
    adjoint : bool, default=False
        Apply the adjoints ``mats[i]^H`` instead.

    Returns
    -------
    ndarray of shape (m_1, ..., m_I, ...)

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators.kronecker import mode_products
    >>> A, B = np.arange(6.0).reshape(2, 3), np.eye(2)
    >>> x = np.arange(6.0)
    >>> np.allclose(mode_products(x.reshape(3, 2), [A, B]).ravel(), np.kron(A, B) @ x)
    True
    """
    xp = get_namespace(T)
    shape = list(T.shape)
    for i, M in enumerate(mats):
        a = math.prod(shape[:i])
        b = math.prod(shape[i + 1 :])
        T3 = T.reshape(a, shape[i], b)
        if isinstance(M, LinearOperator):
            W = xp.ascontiguousarray(T3.transpose(1, 0, 2)).reshape(shape[i], a * b)
            W = M._rmatmat(W) if adjoint else M._matmat(W)
            shape[i] = W.shape[0]
            T = W.reshape(shape[i], a, b).transpose(1, 0, 2)
        else:
            if adjoint:
                M = _conj(M).T
            shape[i] = M.shape[0]
            if b == 1:  # last mode of a single vector: one GEMM, not a loop
                T = T3[:, :, 0] @ M.T
            else:
                T = xp.matmul(M, T3)
        T = T.reshape(shape)
    return T


def _real(dtype):
    dtype = np.dtype(dtype)
    return np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype


class Kronecker(LinearOperator):
    """Kronecker product ``A_1 ⊗ A_2 ⊗ ⋯ ⊗ A_I`` that never forms the product.

    Flattening convention (C order, as ``np.kron``): for ``x = X.reshape(-1)``
    with ``X`` of shape ``(n_1, ..., n_I)``, ``K @ x`` equals
    ``(X ×_1 A_1 ×_2 A_2 ... ×_I A_I).reshape(-1)``, the first factor acting on
    the slowest axis.

    Parameters
    ----------
    *factors : array_like or LinearOperator
        At least one factor; anything :func:`aslinearoperator` accepts.

    Notes
    -----
    A product costs ``sum_i (prod_{j<i} m_j) (prod_{j>i} n_j) cost(A_i)``:
    for square ``p x p`` dense factors, ``I p^(I+1)`` instead of ``p^(2I)``.
    Dense factors are applied with one batched GEMM per mode (no transposes);
    other operators through their ``_matmat``. ``normal()`` is the Kronecker
    product of the factors' normals and ``norm_est()`` the product of their
    norms (exact identities).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Kronecker
    >>> A, B = np.array([[1.0, 2.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> K = Kronecker(A, B)
    >>> x = np.arange(4.0)
    >>> np.allclose(K @ x, np.kron(A, B) @ x)
    True
    """

    def __init__(self, *factors: Any) -> None:
        if len(factors) == 1 and isinstance(factors[0], (list, tuple)):
            factors = tuple(factors[0])
        if not factors:
            raise ValueError("factors must hold at least one operator")
        ops = tuple(named_operator(f, f"factors[{i}]") for i, f in enumerate(factors))
        shape = (
            math.prod(op.shape[0] for op in ops),
            math.prod(op.shape[1] for op in ops),
        )
        super().__init__(shape, np.result_type(*[op.dtype for op in ops]))
        self.factors = ops

    # capabilities: exact identities on the factors
    def column_norms(self):
        out = np.ones(1)
        for op in self.factors:
            out = np.kron(out, op.column_norms())
        return out.astype(np.result_type(out.dtype, _real(self.dtype)))

    def columns(self, idx):
        idx = np.asarray(idx, dtype=np.int64)
        multi = np.unravel_index(idx, tuple(op.shape[1] for op in self.factors))
        out = None
        for op, j in zip(self.factors, multi, strict=True):
            C = np.asarray(op.columns(j))
            out = C if out is None else (out[:, None, :] * C[None, :, :])
            out = out.reshape(-1, idx.size)
        return out.astype(np.result_type(out.dtype, self.dtype), copy=False)

    def gram(self):
        out = np.ones((1, 1))
        for op in self.factors:
            out = np.kron(out, op.gram())
        return out

    def _apply(self, X, adjoint):
        # the modes of X (n_1, ..., n_I, k); dense factors as arrays, so that
        # each mode is one batched GEMM
        k = X.shape[1]
        dims = [op.shape[0] if adjoint else op.shape[1] for op in self.factors]
        mats = [op.A if isinstance(op, Dense) else op for op in self.factors]
        Z = mode_products(X.reshape(*dims, k), mats, adjoint=adjoint)
        return get_namespace(Z).ascontiguousarray(Z).reshape(-1, k)

    def _matmat(self, X):
        return self._apply(X, False)

    def _rmatmat(self, Y):
        return self._apply(Y, True)

    def _matvec(self, x):
        return self._apply(x.reshape(-1, 1), False).reshape(-1)

    def _rmatvec(self, y):
        return self._apply(y.reshape(-1, 1), True).reshape(-1)

    def _adjoint(self):
        return Kronecker(*[op.H for op in self.factors])

    def _transpose(self):
        return Kronecker(*[op.T for op in self.factors])

    def normal(self) -> LinearOperator:
        """``K^H K = (A_1^H A_1) ⊗ ... ⊗ (A_I^H A_I)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Kronecker
        >>> K = Kronecker(np.eye(2), 2 * np.eye(3))
        >>> np.allclose(K.normal().todense(), 4 * np.eye(6))
        True
        """
        return Kronecker(*[op.normal() for op in self.factors])

    def norm_est(self, **kwargs):
        """Product of the factors' spectral-norm estimates (``||A⊗B|| = ||A|| ||B||``).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Kronecker
        >>> round(Kronecker(3 * np.eye(2), 2 * np.eye(2)).norm_est(), 6)
        6.0
        """
        want_vec = kwargs.pop("return_vector", False)
        kwargs.pop("x0", None)
        norms, vecs = [], []
        for op in self.factors:
            nrm, v = op.norm_est(return_vector=True, **kwargs)
            norms.append(nrm)
            vecs.append(np.asarray(v))
        est = float(math.prod(norms))
        if want_vec:
            v = vecs[0]
            for w in vecs[1:]:
                v = np.kron(v, w)
            return est, v
        return est
