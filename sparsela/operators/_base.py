"""The :class:`LinearOperator` base class, its capabilities and its composites.

SciPy's contract: subclasses implement ``_matvec`` and ``_rmatvec`` (the
adjoint) and override ``_matmat`` / ``_rmatmat`` where a batched path is faster.
The public methods check shapes once and never mutate the operator.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._backend import get_namespace, to_numpy
from .._validation import (
    check_array,
    check_positive_int,
    check_scalar,
    working_dtype,
)
from ..formats import SparseFormat

# Largest block of columns the generic capabilities form at once (bytes).
_BLOCK_BYTES = 1 << 26

__all__ = ["LinearOperator"]


def _scalar(c: Any) -> bool:
    return isinstance(c, numbers.Number) or (np.ndim(c) == 0 and hasattr(c, "dtype"))


class LinearOperator:
    """Abstract linear map ``A`` of shape ``(m, n)`` with its adjoint.

    Subclasses implement ``_matvec`` (``A x``) and ``_rmatvec`` (``A^H y``),
    or ``_matmat`` and ``_rmatmat`` for a batched path; the others default to
    column loops.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``.
    dtype : dtype
        dtype of the operator's values; products follow NumPy promotion of this
        and the input's dtype (structural operators such as :class:`Identity`
        keep the input's precision).

    Notes
    -----
    ``A @ x`` applies the operator to a vector ``(n,)`` or a matrix ``(n, k)``;
    ``A @ B`` composes operators; ``A + B``, ``c * A``, ``-A``, ``A.H``, ``A.T``
    build lazy composites. ``__array_ufunc__ = None`` makes ``ndarray @ A``
    defer to the operator.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Dense
    >>> A = Dense(np.arange(6.0).reshape(2, 3))
    >>> A @ np.ones(3)
    array([ 3., 12.])
    >>> (A.H @ A).shape
    (3, 3)
    """

    __array_ufunc__ = None
    ndim = 2

    def __init__(self, shape: tuple[int, int], dtype: Any = np.float64) -> None:
        if len(shape) != 2:
            raise ValueError(f"shape must have two entries, got {shape!r}")
        m = check_positive_int(shape[0], "shape[0]", allow_zero=True)
        n = check_positive_int(shape[1], "shape[1]", allow_zero=True)
        self.shape = (m, n)
        self.dtype = np.dtype(dtype)

    # ---- defaults subclasses override -------------------------------------
    def _matvec(self, x):
        if type(self)._matmat is LinearOperator._matmat:
            raise NotImplementedError(f"{type(self).__name__} defines no _matvec")
        return self._matmat(x[:, None])[:, 0]

    def _rmatvec(self, y):
        if type(self)._rmatmat is LinearOperator._rmatmat:
            raise NotImplementedError(f"{type(self).__name__} defines no _rmatvec")
        return self._rmatmat(y[:, None])[:, 0]

    def _matmat(self, X):
        return _stack_columns(self._matvec, X, self.shape[0], self.dtype)

    def _rmatmat(self, Y):
        return _stack_columns(self._rmatvec, Y, self.shape[1], self.dtype)

    # ---- public products ---------------------------------------------------
    def matvec(self, x: Any) -> Any:
        """Return ``A @ x`` for ``x`` of shape ``(n,)`` or ``(n, 1)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Identity
        >>> Identity(2).matvec(np.array([1.0, 2.0]))
        array([1., 2.])
        """
        x, column = _prepare_vector(x, self.shape[1], "x")
        out = self._matvec(x)
        return out.reshape(-1, 1) if column else out

    def rmatvec(self, y: Any) -> Any:
        """Return the adjoint product ``A^H @ y`` for ``y`` of shape ``(m,)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.array([[1.0, 2.0]])).rmatvec(np.array([3.0]))
        array([3., 6.])
        """
        y, column = _prepare_vector(y, self.shape[0], "y")
        out = self._rmatvec(y)
        return out.reshape(-1, 1) if column else out

    def matmat(self, X: Any) -> Any:
        """Return ``A @ X`` for ``X`` of shape ``(n, k)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Diagonal
        >>> Diagonal(np.array([1.0, 2.0])).matmat(np.ones((2, 2)))
        array([[1., 1.],
               [2., 2.]])
        """
        X = _prepare_matrix(X, self.shape[1], "X")
        return self._matmat(X)

    def rmatmat(self, Y: Any) -> Any:
        """Return ``A^H @ Y`` for ``Y`` of shape ``(m, k)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.eye(2)).rmatmat(np.ones((2, 1)))
        array([[1.],
               [1.]])
        """
        Y = _prepare_matrix(Y, self.shape[0], "Y")
        return self._rmatmat(Y)

    def dot(self, x: Any) -> Any:
        """Alias of ``self @ x``."""
        return self @ x

    # ---- operator algebra --------------------------------------------------
    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, LinearOperator):
            return _ProductOperator(self, other)
        if _scalar(other):
            raise ValueError("scalar operands are not allowed with @, use * instead")
        if scipy.sparse.issparse(other) or _is_format(other):
            return _ProductOperator(self, _operand(other))
        ndim = np.ndim(other)
        if ndim == 1:
            return self.matvec(other)
        if ndim == 2:
            return self.matmat(other)
        raise ValueError(f"x must be 1- or 2-dimensional, got {ndim} dimensions")

    def __rmatmul__(self, other: Any) -> Any:
        if _scalar(other):
            raise ValueError("scalar operands are not allowed with @, use * instead")
        if scipy.sparse.issparse(other) or _is_format(other):
            return _ProductOperator(_operand(other), self)
        ndim = np.ndim(other)
        if ndim == 1:
            return self.T.matvec(other)
        if ndim == 2:
            return self.T.matmat(np.asarray(other).T).T
        raise ValueError(f"x must be 1- or 2-dimensional, got {ndim} dimensions")

    def __mul__(self, other: Any) -> LinearOperator:
        if _scalar(other):
            return _ScaledOperator(self, other)
        return NotImplemented

    def __rmul__(self, other: Any) -> LinearOperator:
        return self.__mul__(other)

    def __truediv__(self, other: Any) -> LinearOperator:
        if _scalar(other):
            return _ScaledOperator(self, 1.0 / other)
        return NotImplemented

    def __neg__(self) -> LinearOperator:
        return _ScaledOperator(self, -1.0)

    def __pos__(self) -> LinearOperator:
        return self

    def __add__(self, other: Any) -> LinearOperator:
        if isinstance(other, LinearOperator):
            return _SumOperator(self, other)
        if scipy.sparse.issparse(other) or _is_format(other) or np.ndim(other) == 2:
            return _SumOperator(self, _operand(other))
        return NotImplemented

    def __radd__(self, other: Any) -> LinearOperator:
        if isinstance(other, numbers.Number) and other == 0:  # sum([...]) starts at 0
            return self
        return self.__add__(other)

    def __sub__(self, other: Any) -> LinearOperator:
        if isinstance(other, LinearOperator):
            return _SumOperator(self, -other)
        return self.__add__(-_operand(other))

    def __rsub__(self, other: Any) -> LinearOperator:
        return _operand(other) + (-self)

    # ---- adjoint, transpose, normal ---------------------------------------
    def adjoint(self) -> LinearOperator:
        """Conjugate transpose ``A^H`` (lazy).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.ones((2, 3))).adjoint().shape
        (3, 2)
        """
        return self._adjoint()

    def _adjoint(self) -> LinearOperator:
        return _AdjointOperator(self)

    def transpose(self) -> LinearOperator:
        """Transpose ``A^T`` without conjugation (lazy).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.ones((2, 3))).transpose().shape
        (3, 2)
        """
        return self._transpose()

    def _transpose(self) -> LinearOperator:
        return _TransposeOperator(self)

    H = property(adjoint)
    T = property(transpose)

    def normal(self) -> LinearOperator:
        """The normal operator ``A^H A`` (structure-aware where possible).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> A = Dense(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        >>> A.normal().todense()
        array([[35., 44.],
               [44., 56.]])
        """
        return _ProductOperator(self.H, self)

    def norm_est(
        self,
        *,
        max_iter: int = 100,
        tol: float = 1e-6,
        x0: Any = None,
        random_state: Any = 0,
        return_vector: bool = False,
    ) -> Any:
        """Estimate the spectral norm ``||A||_2`` by power iteration on ``A^H A``.

        Parameters
        ----------
        max_iter : int, default=100
            Maximum number of ``A^H A`` products (at least 1).
        tol : float, default=1e-6
            Stop when the estimate changes by less than ``tol`` (relative).
        x0 : ndarray of shape (n,), optional
            Start vector, e.g. the vector returned by an earlier call
            (warm start). Random when omitted; a start in the null space of
            ``A`` (``A x0 = 0``) is replaced by a random one, so that 0 is
            returned only for a zero operator.
        random_state : int or Generator, default=0
            Seed of the random start vector.
        return_vector : bool, default=False
            Also return the last iterate, to warm-start a later estimate.

        Returns
        -------
        norm : float
            The estimate. Power iteration approaches ``||A||_2`` from below,
            so step sizes ``1/L`` built on it should carry a small margin.
            The iterate is normalised between ``A`` and ``A^H``, so any norm
            within the floating range is estimated (``1e300`` or ``1e-300``
            too), not only those whose square is.
        v : ndarray, optional
            The last (unit-norm) iterate, if ``return_vector``.

        Raises
        ------
        ValueError
            ``max_iter < 1``, ``tol < 0``, ``x0`` of the wrong shape, or
            products that are not finite (NaN in the operator, or a norm
            beyond the floating range).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Diagonal
        >>> round(Diagonal(np.array([3.0, -5.0, 1.0])).norm_est(), 6)
        5.0
        """
        return _power_norm(self, max_iter, tol, x0, random_state, return_vector)

    # ---- capabilities solvers use instead of private views of A -----------
    @property
    def has_adjoint(self) -> bool:
        """Whether the adjoint product ``A^H y`` is available.

        Examples
        --------
        >>> from sparsela.operators import Identity
        >>> Identity(2).has_adjoint
        True
        """
        return True

    @property
    def nnz(self) -> int | None:
        """Stored entries of an explicit matrix (the cost of one product);
        None for a matrix-free operator.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense, Identity
        >>> Dense(np.ones((2, 3))).nnz, Identity(3).nnz
        (6, None)
        """
        return None

    def as_array(self) -> np.ndarray | None:
        """The NumPy matrix the operator holds, if it is an explicit dense one.

        Lets a solver run a raw-array kernel (or keep its BLAS threading)
        without forming anything; None for every other operator.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense, Identity
        >>> Dense(np.eye(2)).as_array()
        array([[1., 0.],
               [0., 1.]])
        >>> Identity(2).as_array() is None
        True
        """
        return None

    def as_csc(self) -> Any:
        """The operator's matrix as a canonical sparsela CSC, if it is an
        explicit sparse one (made once, then cached); None otherwise.

        Lets a solver run a kernel over the stored columns (products through
        the support of a sparse iterate) without forming dense columns.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from sparsela.operators import Identity, aslinearoperator
        >>> aslinearoperator(sp.eye(3, format="csr")).as_csc().nnz
        3
        >>> Identity(3).as_csc() is None
        True
        """
        return None

    def column_norms(self) -> Any:
        """Euclidean norms of the columns, real, shape ``(n,)``.

        The generic version applies the operator to blocks of unit vectors;
        explicit matrices and structured operators override it.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Diagonal
        >>> Diagonal(np.array([3.0, -4.0])).column_norms()
        array([3., 4.])
        """
        m, n = self.shape
        out = np.empty(n, dtype=_real_dtype(self.dtype))
        for idx in _column_blocks(n, m, self.dtype):
            out[idx] = _norms(self.columns(idx))
        return out

    def columns(self, idx: Any) -> Any:
        """Columns ``A[:, idx]`` as a dense ``(m, len(idx))`` array.

        Repeated indices are allowed. The generic version applies the
        operator to unit vectors.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.arange(6.0).reshape(2, 3)).columns([2, 0])
        array([[2., 0.],
               [5., 3.]])
        """
        idx = np.asarray(idx, dtype=np.int64)
        E = np.zeros((self.shape[1], idx.size), dtype=self.dtype)
        E[idx, np.arange(idx.size)] = 1
        return self._matmat(E)

    def matmat_support(self, idx: Any, X: Any) -> Any:
        """``A[:, idx] @ X`` for ``X`` of shape ``(len(idx), k)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.eye(3)).matmat_support([1], np.ones((1, 2)))
        array([[0., 0.],
               [1., 1.],
               [0., 0.]])
        """
        return self.columns(idx) @ X

    def rmatmat_support(self, idx: Any, Y: Any) -> Any:
        """``A[:, idx]^H @ Y`` for ``Y`` of shape ``(m, k)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.arange(6.0).reshape(2, 3)).rmatmat_support([2], np.ones((2, 1)))
        array([[7.]])
        """
        C = self.columns(idx)
        return _conj(C).T @ Y

    def gram(self) -> Any:
        """The Gram matrix ``A^H A`` as a dense ``(n, n)`` array.

        The generic version forms it from blocks of columns.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Dense
        >>> Dense(np.array([[1.0, 2.0], [3.0, 4.0]])).gram()
        array([[10., 14.],
               [14., 20.]])
        """
        m, n = self.shape
        G = np.empty((n, n), dtype=np.result_type(self.dtype, np.float32))
        for idx in _column_blocks(n, m, self.dtype):
            G[:, idx] = self._rmatmat(self.columns(idx))
        return G

    # ---- conversions --------------------------------------------------------
    def todense(self) -> np.ndarray:
        """Dense matrix of the operator (applies it to the identity).

        Examples
        --------
        >>> from sparsela.operators import Identity
        >>> Identity(2).todense()
        array([[1., 0.],
               [0., 1.]])
        """
        eye = np.eye(self.shape[1], dtype=self.dtype)
        return to_numpy(self._matmat(eye))

    def to_scipy(self) -> scipy.sparse.linalg.LinearOperator:
        """A :class:`scipy.sparse.linalg.LinearOperator` calling this operator.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.operators import Identity
        >>> Identity(3).to_scipy().matvec(np.ones(3))
        array([1., 1., 1.])
        """
        return scipy.sparse.linalg.LinearOperator(
            self.shape,
            matvec=self._matvec,
            rmatvec=self._rmatvec,
            matmat=self._matmat,
            rmatmat=self._rmatmat,
            dtype=self.dtype,
        )

    def __repr__(self) -> str:
        m, n = self.shape
        return f"<{m}x{n} {type(self).__name__} with dtype={self.dtype}>"

    def __len__(self) -> int:
        return self.shape[0]


# ---- helpers ----------------------------------------------------------------
def _is_format(obj: Any) -> bool:
    return isinstance(obj, SparseFormat)


def _operand(obj: Any) -> LinearOperator:
    """An operand of the operator algebra as an operator.

    :func:`~sparsela.operators.aslinearoperator` builds on this module, so it
    registers itself here (``_CONVERT``) instead of being imported: the
    dependency runs one way.
    """
    return _CONVERT[0](obj)


_CONVERT: list = [None]


def _as_float(x, xp, name="x"):
    if x.dtype.kind not in "fc":
        if x.dtype.kind in "biu":
            return x.astype(np.float64)
        raise TypeError(f"operands must be numeric: {name} has dtype {x.dtype}")
    work = working_dtype(x.dtype)  # big-endian, float16, longdouble: converted
    return x if work == x.dtype else x.astype(work)


def _real_dtype(dtype) -> np.dtype:
    dtype = np.result_type(dtype, np.float32)
    return np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype


def _norms(C) -> Any:
    return np.sqrt((C.real**2 + C.imag**2 if C.dtype.kind == "c" else C * C).sum(0))


def _column_blocks(n: int, m: int, dtype) -> Any:
    """Index blocks of columns whose dense block takes at most _BLOCK_BYTES."""
    step = max(1, min(n, _BLOCK_BYTES // (16 * max(m, 1))))
    for j0 in range(0, n, step):
        yield np.arange(j0, min(n, j0 + step))


def _prepare_vector(x, n, name):
    xp = get_namespace(x)
    x = _as_float(xp.asarray(x), xp, name)
    if x.shape == (n,):
        return x, False
    if x.shape == (n, 1):
        return x[:, 0], True
    raise ValueError(f"{name} must have shape ({n},) or ({n}, 1), got {x.shape}")


def _prepare_matrix(X, n, name):
    xp = get_namespace(X)
    X = _as_float(xp.asarray(X), xp, name)
    if X.ndim != 2 or X.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n}, k), got {X.shape}")
    return X


def _stack_columns(fn, X, rows, dtype):
    xp = get_namespace(X)
    if X.shape[1] == 0:
        return xp.zeros((rows, 0), dtype=np.result_type(dtype, X.dtype))
    return xp.stack([fn(X[:, j]) for j in range(X.shape[1])], axis=1)


def _safe_norm(v) -> float:
    """``||v||_2`` without overflow or underflow of the squares."""
    with np.errstate(over="ignore"):
        nrm = float(np.linalg.norm(v))
    if 1e-150 < nrm < 1e150:  # the common case: the squares were exact enough
        return nrm
    amax = float(np.abs(v).max(initial=0.0))
    if amax == 0.0 or not np.isfinite(amax):
        return amax
    return amax * float(np.linalg.norm(v / amax))


def _power_norm(op, max_iter, tol, x0, random_state, return_vector):
    check_positive_int(max_iter, "max_iter")
    check_scalar(tol, "tol", min_val=0.0)
    n = op.shape[1]
    if n == 0 or op.shape[0] == 0:
        return (0.0, np.zeros(n)) if return_vector else 0.0
    rng = np.random.default_rng(random_state)

    def random_start():
        x = rng.standard_normal(n)
        if op.dtype.kind == "c":
            x = x + 1j * rng.standard_normal(n)
        return x

    if x0 is None:
        x, restarts = random_start(), 0
    else:
        x0 = check_array(to_numpy(x0), "x0", allow_int=True)
        x = _prepare_vector(x0, n, "x0")[0].astype(np.result_type(op.dtype, float))
        restarts = 1  # a start in the null space gets one random restart
    nx = _safe_norm(x)
    if nx == 0:
        x, restarts = random_start(), 0
        nx = _safe_norm(x)
    x = x / nx
    est = 0.0
    for _ in range(max_iter):
        # A x and A^H (A x / ||A x||) each have the size of ||A||, never of
        # ||A||^2: no overflow or underflow at ||A|| = 1e+-300
        u = op._matvec(x)
        nu = _safe_norm(u)
        if nu == 0.0:  # x in the null space: restart once from a random x
            if restarts:
                x, restarts = random_start(), restarts - 1
                x = x / _safe_norm(x)
                continue
            est = 0.0  # A x = 0 for a random x too: A is zero
            break
        z = op._rmatvec(u / nu)
        nz = _safe_norm(z)
        if not (np.isfinite(nu) and np.isfinite(nz)):
            raise ValueError(
                "norm_est: the products with the operator are not finite (entries "
                "NaN, Inf, or so large that ||A x|| exceeds the float range)"
            )
        # ||A^H A x|| = nz nu with ||x|| = 1 bounds ||A||^2 from below
        new = float(np.sqrt(nz) * np.sqrt(nu))
        if nz == 0.0:  # rounding only (A^H A x = 0 would mean A x = 0)
            est = new
            break
        x = z / nz
        if abs(new - est) <= tol * new:
            est = new
            break
        est = new
    return (float(est), x) if return_vector else float(est)


# ---- composites -----------------------------------------------------------------
class _ProductOperator(LinearOperator):
    def __init__(self, A: LinearOperator, B: LinearOperator) -> None:
        if A.shape[1] != B.shape[0]:
            raise ValueError(
                f"cannot compose operators of shapes {A.shape} and {B.shape}"
            )
        super().__init__((A.shape[0], B.shape[1]), np.result_type(A.dtype, B.dtype))
        self.args = (A, B)

    def _matvec(self, x):
        A, B = self.args
        return A._matvec(B._matvec(x))

    def _rmatvec(self, y):
        A, B = self.args
        return B._rmatvec(A._rmatvec(y))

    def _matmat(self, X):
        A, B = self.args
        return A._matmat(B._matmat(X))

    def _rmatmat(self, Y):
        A, B = self.args
        return B._rmatmat(A._rmatmat(Y))

    def _adjoint(self):
        A, B = self.args
        return _ProductOperator(B.H, A.H)


class _SumOperator(LinearOperator):
    def __init__(self, A: LinearOperator, B: LinearOperator) -> None:
        if A.shape != B.shape:
            raise ValueError(f"cannot add operators of shapes {A.shape} and {B.shape}")
        super().__init__(A.shape, np.result_type(A.dtype, B.dtype))
        self.args = (A, B)

    def _matvec(self, x):
        return self.args[0]._matvec(x) + self.args[1]._matvec(x)

    def _rmatvec(self, y):
        return self.args[0]._rmatvec(y) + self.args[1]._rmatvec(y)

    def _matmat(self, X):
        return self.args[0]._matmat(X) + self.args[1]._matmat(X)

    def _rmatmat(self, Y):
        return self.args[0]._rmatmat(Y) + self.args[1]._rmatmat(Y)

    def _adjoint(self):
        return _SumOperator(self.args[0].H, self.args[1].H)


def _conj_scalar(c: Any) -> Any:
    """``conj(c)`` of the same kind: a Python number stays one.

    ``np.conj(2.0)`` is a NumPy float64, which NumPy promotion does not treat
    as a weak scalar: ``np.conj(2.0) * float32_array`` would be float64.
    """
    if isinstance(c, (int, float, complex)) and not isinstance(c, np.generic):
        return c.conjugate()
    return np.conj(c)


class _ScaledOperator(LinearOperator):
    """``c * A``; ``c`` keeps its kind (a Python scalar keeps ``A``'s precision,
    as in NumPy: ``2 * float32_operator`` is float32)."""

    def __init__(self, A: LinearOperator, c: Any) -> None:
        if not np.isfinite(c):
            raise ValueError(f"scalar factor must be finite, got {c!r}")
        super().__init__(A.shape, np.result_type(A.dtype, c))
        self.args = (A, c)

    def _matvec(self, x):
        A, c = self.args
        return c * A._matvec(x)

    def _rmatvec(self, y):
        A, c = self.args
        return _conj_scalar(c) * A._rmatvec(y)

    def _matmat(self, X):
        A, c = self.args
        return c * A._matmat(X)

    def _rmatmat(self, Y):
        A, c = self.args
        return _conj_scalar(c) * A._rmatmat(Y)

    def _adjoint(self):
        A, c = self.args
        return _ScaledOperator(A.H, _conj_scalar(c))

    def norm_est(self, **kwargs):
        A, c = self.args
        out = A.norm_est(**kwargs)
        if isinstance(out, tuple):
            return abs(c) * out[0], out[1]
        return abs(c) * out


class _AdjointOperator(LinearOperator):
    def __init__(self, A: LinearOperator) -> None:
        super().__init__((A.shape[1], A.shape[0]), A.dtype)
        self.args = (A,)

    def _matvec(self, x):
        return self.args[0]._rmatvec(x)

    def _rmatvec(self, y):
        return self.args[0]._matvec(y)

    def _matmat(self, X):
        return self.args[0]._rmatmat(X)

    def _rmatmat(self, Y):
        return self.args[0]._matmat(Y)

    def _adjoint(self):
        return self.args[0]


class _TransposeOperator(LinearOperator):
    # A^T x = conj(A^H conj(x)); for real data the conjugations are skipped
    def __init__(self, A: LinearOperator) -> None:
        super().__init__((A.shape[1], A.shape[0]), A.dtype)
        self.args = (A,)

    def _matvec(self, x):
        return _conj(self.args[0]._rmatvec(_conj(x)))

    def _rmatvec(self, y):
        return _conj(self.args[0]._matvec(_conj(y)))

    def _matmat(self, X):
        return _conj(self.args[0]._rmatmat(_conj(X)))

    def _rmatmat(self, Y):
        return _conj(self.args[0]._matmat(_conj(Y)))

    def _transpose(self):
        return self.args[0]


def _conj(x):
    return x.conj() if x.dtype.kind == "c" else x
