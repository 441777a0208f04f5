"""Smooth datafits ``f`` of the composite problems ``min_x f(x) + g(x)``.

A datafit binds the operator ``A`` and the signals ``y`` (columns of ``Y``)
and gives what first-order and coordinate solvers need: the value and the
gradient, Lipschitz constants of the gradient (global and per block of
coefficients) and, with a penalty ``g`` (:mod:`sparsela.penalties`), a dual
point and the duality gap that certifies a solution.

Examples
--------
>>> import numpy as np
>>> from sparsela.datafits import Quadratic
>>> f = Quadratic(np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([1.0, 2.0]))
>>> f.value(np.zeros(2)), f.gradient(np.zeros(2))
(2.5, array([-1., -4.]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import Problem, check_array, check_index_array, check_problem

__all__ = ["Logistic", "Quadratic", "QuadraticForm"]


# ---- column-wise reductions -------------------------------------------------------
def _sq_cols(X: np.ndarray) -> np.ndarray:
    """Squared 2-norms of the columns, as float64."""
    if X.shape[1] == 1:
        x = X[:, 0]
        return np.array([np.vdot(x, x).real], dtype=np.float64)
    if X.dtype.kind == "c":
        return np.einsum("ij,ij->j", X.real, X.real) + np.einsum(
            "ij,ij->j", X.imag, X.imag
        ).astype(np.float64)
    return np.einsum("ij,ij->j", X, X).astype(np.float64)


def _dot_cols(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``Re <X_j, Z_j>`` per column, as float64."""
    if X.shape[1] == 1:
        return np.array([np.vdot(X[:, 0], Z[:, 0]).real], dtype=np.float64)
    if X.dtype.kind == "c" or Z.dtype.kind == "c":
        out = np.einsum("ij,ij->j", X.real, Z.real)
        if X.dtype.kind == "c" and Z.dtype.kind == "c":
            out = out + np.einsum("ij,ij->j", X.imag, Z.imag)
        return out.astype(np.float64)
    return np.einsum("ij,ij->j", X, Z).astype(np.float64)


def _dot_cols64(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``Re <X_j, Z_j>`` per column, products and sums in float64 (for a
    float32 problem the terms of a duality gap need more than float32)."""
    if X.dtype.kind == "c" or Z.dtype.kind == "c":
        wide = np.complex128
    else:
        wide = np.float64
    if X.dtype != wide:
        X = X.astype(wide)
    if Z.dtype != wide:
        Z = Z.astype(wide)
    return _dot_cols(X, Z)


class OperatorProducts:
    """``A @ X`` and ``A^H @ R`` on C-contiguous 2-D arrays, through the
    operator's unchecked products (a single column goes through the
    matrix-vector product, which operators often do faster).

    Solvers that know faster products for the matrix behind ``A`` pass their
    own object with the same two methods to the datafit.

    Parameters
    ----------
    op : LinearOperator
        The operator.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datafits import OperatorProducts
    >>> from sparsela.operators import aslinearoperator
    >>> P = OperatorProducts(aslinearoperator(np.array([[1.0, 2.0]])))
    >>> P.matmat(np.ones((2, 1))), P.rmatmat(np.ones((1, 1)))
    (array([[3.]]), array([[1.],
           [2.]]))
    """

    def __init__(self, op: Any) -> None:
        self.op = op

    def matmat(self, X: np.ndarray) -> np.ndarray:
        """``A @ X``."""
        if X.shape[1] == 1:
            return np.ascontiguousarray(self.op._matvec(X[:, 0])).reshape(-1, 1)
        return np.ascontiguousarray(self.op._matmat(X))

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        """``A^H @ R``."""
        if R.shape[1] == 1:
            return np.ascontiguousarray(self.op._rmatvec(R[:, 0])).reshape(-1, 1)
        return np.ascontiguousarray(self.op._rmatmat(R))


class Quadratic:
    r"""Least squares ``f(x) = 1/2 ||A x - y||_2^2``, one term per signal.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Anything :func:`~sparsela.operators.aslinearoperator` accepts; it
        needs an adjoint.
    y : array_like of shape (m,) or (m, n_signals)
        Signal(s) in columns; each column has its own term.

    Attributes
    ----------
    A : LinearOperator
        The operator.
    Y : ndarray of shape (m, n_signals)
        The signals, in the working dtype.
    single : bool
        ``y`` was one 1-D signal: ``x`` is then ``(n,)`` and per-signal
        values are floats.

    Notes
    -----
    With ``r = A x - y``:

    * value ``f(x) = 1/2 ||r||^2``, gradient ``grad f(x) = A^H r``;
    * the gradient is ``L``-Lipschitz with ``L = ||A||_2^2`` (global), and in
      block ``b`` of coefficients with ``L_b = ||A_{:, b}||_2^2`` (the
      squared column norm for a single coefficient);
    * the Fenchel dual of ``min_x f(x) + g(x)`` is
      ``max_theta <y, theta> - 1/2 ||theta||^2 - g^*(A^H theta)``. The dual
      point is the rescaled residual ``theta = s (y - A x)`` with ``s`` from
      the penalty's :meth:`~sparsela.penalties.Prox.dual_scale`, which makes
      ``A^H theta`` feasible for ``g^*``; the duality gap
      ``f(x) + g(x) - D(theta) >= 0`` bounds the suboptimality of ``x`` and
      is 0 at the optimum. With ``z = A^H (y - A x)`` it equals
      ``1/2 (1 - s)^2 ||r||^2 + (g(x) + g^*(s z) - s Re <z, x>)``, two
      non-negative terms (the second by the Fenchel-Young inequality); it is
      computed in that form, in float64, so that no term of the size of
      ``||y||^2`` cancels (``P - D`` would lose everything below
      ``eps ||y||^2``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datafits import Quadratic
    >>> from sparsela.penalties import L1
    >>> A = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> f = Quadratic(A, np.array([2.0, 0.2]))
    >>> round(f.lipschitz(), 6), f.block_lipschitz()
    (4.0, array([1., 4.]))
    >>> x_star = np.array([1.5, 0.0])  # the lasso solution for lam = 0.5
    >>> abs(f.duality_gap(x_star, L1(0.5))) < 1e-12
    True
    """

    def __init__(self, A: Any, y: Any) -> None:
        self._setup(check_problem(A, y), None)

    @classmethod
    def _from_problem(cls, problem: Problem, products: Any = None) -> Quadratic:
        """A datafit on an already validated problem, with optional fast products."""
        self = cls.__new__(cls)
        self._setup(problem, products)
        return self

    def _setup(self, problem: Problem, products: Any) -> None:
        self.A, self.Y, self.single, self.dtype = problem
        self._products = OperatorProducts(self.A) if products is None else products

    @property
    def n_signals(self) -> int:
        """Number of signals (columns of ``Y``)."""
        return int(self.Y.shape[1])

    # ---- trusted pieces (2-D C-contiguous arrays, per-signal float64) ---------------
    def _matmat(self, X: np.ndarray) -> np.ndarray:
        """``A X``."""
        return self._products.matmat(X)

    def _gradient(self, R: np.ndarray) -> np.ndarray:
        """Gradient ``A^H R`` from the residual ``R = A X - Y``."""
        return self._products.rmatmat(R)

    def _residual_stats(self, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(||R||^2, Re <Y, R>)`` per column, for ``R = A X - Y``."""
        return _sq_cols(R), _dot_cols(self.Y, R)

    def _residual_norms(self, AX: np.ndarray) -> np.ndarray:
        """``||A x - y||`` per signal, from ``A X``."""
        return np.sqrt(_sq_cols(AX - self.Y))

    def _rayleigh(self, G: np.ndarray) -> np.ndarray:
        """``||A g||^2 / ||g||^2`` per column (1 where undefined): ``<= L``."""
        ng, nag = _sq_cols(G), _sq_cols(self._matmat(G))
        L = np.ones(G.shape[1])
        ok = (ng > 0) & (nag > 0)
        L[ok] = nag[ok] / ng[ok]
        return L

    # ---- public, validated -------------------------------------------------------
    def _coef(self, x: Any) -> np.ndarray:
        n, k = self.A.shape[1], self.n_signals
        X = check_array(x, "x", ndim=(1, 2), allow_int=True)
        want = (n,) if self.single else (n, k)
        if X.shape != want:
            raise ValueError(f"x must have shape {want}, got {X.shape}")
        if X.dtype.kind == "c" and self.dtype.kind != "c":
            raise TypeError(f"x is complex but the problem is real ({self.dtype})")
        return np.ascontiguousarray(X.reshape(n, -1), dtype=self.dtype)

    def _out(self, values: np.ndarray) -> Any:
        return float(values[0]) if self.single else values

    def _shape_like_y(self, M: np.ndarray) -> np.ndarray:
        return M[:, 0] if self.single else M

    def value(self, x: Any) -> Any:
        """``f(x) = 1/2 ||A x - y||^2`` per signal.

        Parameters
        ----------
        x : array_like of shape (n,) or (n, n_signals)
            Coefficients, shaped as ``y`` is (1-D for one 1-D signal).

        Returns
        -------
        float or ndarray of shape (n_signals,)

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Quadratic
        >>> Quadratic(np.eye(2), np.ones((2, 2))).value(np.zeros((2, 2)))
        array([1., 1.])
        """
        X = self._coef(x)
        return self._out(0.5 * _sq_cols(self._matmat(X) - self.Y))

    def gradient(self, x: Any) -> np.ndarray:
        """``grad f(x) = A^H (A x - y)``, shaped like ``x``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Quadratic
        >>> Quadratic(np.array([[1.0, 2.0]]), np.array([1.0])).gradient(np.zeros(2))
        array([-1., -2.])
        """
        X = self._coef(x)
        return self._shape_like_y(self._gradient(self._matmat(X) - self.Y))

    def lipschitz(
        self, *, max_iter: int = 100, tol: float = 1e-6, x0: Any = None
    ) -> float:
        """Global Lipschitz constant ``L = ||A||_2^2`` of the gradient.

        Estimated by power iteration on ``A^H A``
        (:meth:`~sparsela.operators.LinearOperator.norm_est`), which approaches
        ``||A||_2`` from below: give ``1/L`` steps a small margin, or check a
        descent condition.

        Parameters
        ----------
        max_iter : int, default=100
            Largest number of ``A^H A`` products.
        tol : float, default=1e-6
            Relative change of the norm estimate that stops the iteration.
        x0 : ndarray of shape (n,), optional
            Start vector (e.g. a gradient), random when omitted.

        Returns
        -------
        float

        Raises
        ------
        NotImplementedError
            If the operator cannot estimate its norm.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Quadratic
        >>> round(Quadratic(np.diag([3.0, 1.0]), np.ones(2)).lipschitz(), 6)
        9.0
        """
        est = float(self.A.norm_est(max_iter=max_iter, tol=tol, x0=x0))
        return est * est  # inf rather than an OverflowError past 1e154

    def block_lipschitz(self, perm: Any = None, gptr: Any = None) -> np.ndarray:
        """Lipschitz constants of the gradient per block of coefficients.

        Parameters
        ----------
        perm, gptr : array_like of int, optional
            Blocks, block ``j`` being ``perm[gptr[j]:gptr[j + 1]]`` (as
            :meth:`~sparsela.penalties.Penalty.blocks` gives them). Default:
            one block per coefficient.

        Returns
        -------
        ndarray of float64, shape (n_blocks,)
            ``||A_{:, b}||_2^2``: squared column norms
            (:meth:`~sparsela.operators.LinearOperator.column_norms`) for
            coefficients, the squared spectral norm of the block's columns
            otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Quadratic
        >>> f = Quadratic(np.array([[3.0, 0.0, 1.0], [4.0, 1.0, 0.0]]), np.ones(2))
        >>> f.block_lipschitz()
        array([25.,  1.,  1.])
        >>> f.block_lipschitz(perm=[0, 1, 2], gptr=[0, 1, 3])  # blocks [0], [1, 2]
        array([25.,  1.])
        """
        n = self.A.shape[1]
        if perm is None and gptr is None:
            return np.asarray(self.A.column_norms(), dtype=np.float64) ** 2
        if perm is None or gptr is None:
            raise TypeError("perm and gptr go together: pass both or neither")
        perm = check_index_array(perm, "perm", n)
        gptr = np.asarray(gptr)
        if perm.ndim != 1 or gptr.ndim != 1 or gptr.dtype.kind not in "iu":
            raise ValueError("perm and gptr must be 1-D integer arrays")
        gptr = gptr.astype(np.int64)
        if (
            gptr.size < 1
            or gptr[0] != 0
            or gptr[-1] != perm.size
            or np.any(np.diff(gptr) < 0)
        ):
            raise ValueError(
                "gptr must start at 0, be non-decreasing and end at len(perm) "
                f"({perm.size})"
            )
        out = np.zeros(gptr.size - 1)
        for b in range(out.size):
            idx = perm[gptr[b] : gptr[b + 1]]
            if idx.size:
                out[b] = float(np.linalg.norm(self.A.columns(idx), 2)) ** 2
        return out

    def _dual_parts(self, X: np.ndarray, penalty: Any, with_z: bool = False):
        if not (getattr(penalty, "has_dual", False) and hasattr(penalty, "dual_scale")):
            raise ValueError(
                f"penalty {type(penalty).__name__} defines no duality gap (no "
                "dual_scale, or a zero weight)"
            )
        R = self._matmat(X) - self.Y
        Z = -self._gradient(R)  # A^H (y - A x)
        s, conj = penalty.dual_scale(self._shape_like_y(Z))
        s = np.atleast_1d(np.asarray(s, dtype=np.float64))
        conj = np.atleast_1d(np.asarray(conj, dtype=np.float64))
        return (R, s, conj, Z) if with_z else (R, s, conj)

    def dual_point(self, x: Any, penalty: Any) -> np.ndarray:
        """The dual point ``theta = s (y - A x)`` of ``min f + g``, shaped like ``y``.

        Parameters
        ----------
        x : array_like of shape (n,) or (n, n_signals)
            Coefficients.
        penalty : Prox
            A penalty with a duality gap (``has_dual``).

        Returns
        -------
        ndarray of shape (m,) or (m, n_signals)

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Quadratic
        >>> from sparsela.penalties import L1
        >>> Quadratic(np.eye(2), np.array([4.0, 1.0])).dual_point(np.zeros(2), L1(2.0))
        array([2. , 0.5])
        """
        R, s, _ = self._dual_parts(self._coef(x), penalty)
        return self._shape_like_y(-s * R)

    def duality_gap(self, x: Any, penalty: Any) -> Any:
        """Duality gap ``f(x) + g(x) - D(theta)`` at the dual point of ``x``.

        Non-negative (up to rounding) for every ``x``, 0 at the optimum: it
        bounds ``F(x) - F*``.

        Parameters
        ----------
        x : array_like of shape (n,) or (n, n_signals)
            Coefficients.
        penalty : Prox
            A penalty with a duality gap (``has_dual``), holding its ``lam``.

        Returns
        -------
        float or ndarray of shape (n_signals,)

        Raises
        ------
        ValueError
            If the penalty defines no duality gap.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Quadratic
        >>> from sparsela.penalties import L1
        >>> f = Quadratic(np.eye(2), np.array([4.0, 1.0]))
        >>> f.duality_gap(np.zeros(2), L1(2.0))
        2.125
        >>> f.duality_gap(np.array([2.0, 0.0]), L1(2.0))  # the optimum
        0.0
        """
        X = self._coef(x)
        R, s, conj, Z = self._dual_parts(X, penalty, with_z=True)
        nR = _sq_cols(R)
        value = np.atleast_1d(
            np.asarray(penalty.value(self._shape_like_y(X)), dtype=np.float64)
        )
        # P - D as two non-negative terms: nothing of the size of ||y||^2
        # cancels (see Notes of the class)
        gap = 0.5 * (1.0 - s) ** 2 * nR + (value + conj - s * _dot_cols64(X, Z))
        return self._out(gap)


# ---- binary logistic loss and the quadratic form (block coordinate descent) ------
def binary_labels(Y: np.ndarray) -> np.ndarray:
    """Labels in ``{0, 1}`` or ``{-1, 1}``, per column, as float64 ``{-1, +1}``.

    Parameters
    ----------
    Y : ndarray of shape (m, n_signals)
        Labels, one problem per column.

    Raises
    ------
    ValueError
        If a column of ``y`` holds other values, or a single class.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datafits import binary_labels
    >>> binary_labels(np.array([[0.0], [1.0], [1.0]]))[:, 0]
    array([-1.,  1.,  1.])
    """
    if Y.dtype.kind == "c":
        raise ValueError("y must hold real class labels for the logistic loss")
    out = np.empty(Y.shape, dtype=np.float64)
    for k in range(Y.shape[1]):
        values = np.unique(Y[:, k])
        if values.size != 2 or not (
            np.array_equal(values, [0.0, 1.0]) or np.array_equal(values, [-1.0, 1.0])
        ):
            raise ValueError(
                "y must hold two classes labelled {0, 1} or {-1, 1} for the binary "
                f"logistic loss; column {k} holds the values {values[:5].tolist()}"
                f"{' ...' if values.size > 5 else ''}"
            )
        out[:, k] = np.where(Y[:, k] > 0, 1.0, -1.0)
    return out


def logistic_value(z: np.ndarray, labels: np.ndarray) -> float:
    """``sum_i log(1 + exp(-y_i z_i))`` without overflow (1-D ``z``)."""
    return float(np.logaddexp(0.0, -labels * z.astype(np.float64)).sum())


def logistic_weights(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Derivative ``-y_i sigma(-y_i z_i)`` of the loss in ``z_i``."""
    from scipy.special import expit

    return -labels * expit(-labels * z.astype(np.float64))


def logistic_gap(
    z: np.ndarray, labels: np.ndarray, grad: np.ndarray, g_value: float, conj_s: tuple
) -> float:
    """Duality gap of ``sum log(1 + exp(-y z)) + g(x)`` at ``z = A x``.

    ``grad = A^T w`` is the gradient, ``conj_s = (s, g^*(-s grad))`` the
    penalty's dual scaling of ``-grad``: the dual point is ``theta = -s w``
    and, with ``p_i = s sigma(-y_i z_i)`` in ``[0, 1]``,
    ``D = -sum (p log p + (1 - p) log(1 - p)) - g^*(A^T theta)``.
    """
    from scipy.special import expit, xlogy

    s, conj = conj_s
    p = s * expit(-labels * z.astype(np.float64))
    dual = -float((xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)).sum()) - conj
    return logistic_value(z, labels) + g_value - dual


class Logistic:
    r"""Binary logistic loss ``f(x) = sum_i log(1 + exp(-y_i (A x)_i))``.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Real design matrix (samples in rows).
    y : array_like of shape (m,) or (m, n_signals)
        Labels in ``{0, 1}`` or ``{-1, 1}`` (``0`` is read as ``-1``); one
        problem per column.

    Raises
    ------
    ValueError
        If a column of ``y`` does not hold exactly two classes ``{0, 1}`` or
        ``{-1, 1}``.

    Notes
    -----
    With ``z = A x`` and ``w_i = -y_i sigma(-y_i z_i)``: gradient
    ``A^T w``; the Hessian ``A^T diag(sigma (1 - sigma)) A`` is below
    ``A^T A / 4``, so the block Lipschitz constants are
    ``||A_{:, b}||_2^2 / 4``. The Fenchel dual of ``min f + g`` is
    ``max_theta -sum_i h^*(y_i theta_i) - g^*(A^T theta)`` with
    ``h^*(-p) = p log p + (1 - p) log(1 - p)`` on ``[0, 1]``; the dual point
    is the rescaled ``-w`` (as for :class:`Quadratic`).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datafits import Logistic
    >>> f = Logistic(np.array([[1.0], [-1.0]]), np.array([1, 0]))
    >>> round(f.value(np.zeros(1)), 6), f.gradient(np.zeros(1))
    (1.386294, array([-1.]))
    >>> f.block_lipschitz()
    array([0.5])
    """

    def __init__(self, A: Any, y: Any) -> None:
        self._setup(check_problem(A, y))

    @classmethod
    def _from_problem(cls, problem: Problem) -> Logistic:
        """The datafit of an already validated problem (labels still checked)."""
        self = cls.__new__(cls)
        self._setup(problem)
        return self

    def _setup(self, problem: Problem) -> None:
        if problem.dtype.kind == "c":
            raise ValueError("A must be real for the logistic loss")
        self.A, _, self.single, self.dtype = problem
        self.labels = binary_labels(problem.Y)
        self._quad = Quadratic._from_problem(problem)

    @property
    def n_signals(self) -> int:
        """Number of problems (columns of ``y``)."""
        return int(self.labels.shape[1])

    def _Z(self, x: Any) -> np.ndarray:
        return self._quad._matmat(self._quad._coef(x))

    def value(self, x: Any) -> Any:
        """``f(x)`` per problem (a float for a 1-D ``y``)."""
        Z = self._Z(x)
        vals = [logistic_value(Z[:, k], self.labels[:, k]) for k in range(Z.shape[1])]
        return self._quad._out(np.array(vals))

    def gradient(self, x: Any) -> np.ndarray:
        """``A^T w`` with ``w_i = -y_i sigma(-y_i (A x)_i)``, shaped like ``x``."""
        Z = self._Z(x)
        W = np.column_stack(
            [logistic_weights(Z[:, k], self.labels[:, k]) for k in range(Z.shape[1])]
        ).astype(self.dtype)
        return self._quad._shape_like_y(self._quad._gradient(W))

    def lipschitz(self, **kwargs: Any) -> float:
        """Global Lipschitz constant ``||A||_2^2 / 4`` (power iteration)."""
        return 0.25 * self._quad.lipschitz(**kwargs)

    def block_lipschitz(self, perm: Any = None, gptr: Any = None) -> np.ndarray:
        """``||A_{:, b}||_2^2 / 4`` per block (as :meth:`Quadratic.block_lipschitz`)."""
        return 0.25 * self._quad.block_lipschitz(perm, gptr)

    def duality_gap(self, x: Any, penalty: Any) -> Any:
        """Duality gap ``f(x) + g(x) - D(theta)`` (non-negative, 0 at the optimum).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datafits import Logistic
        >>> from sparsela.penalties import L1
        >>> f = Logistic(np.array([[1.0], [-1.0]]), np.array([1, 0]))
        >>> f.duality_gap(np.zeros(1), L1(2.0)) < 1e-12  # lam >= ||grad f(0)||
        True
        """
        if not getattr(penalty, "has_dual", False):
            raise ValueError(f"penalty {type(penalty).__name__} defines no duality gap")
        X = self._quad._coef(x)
        Z = self._quad._matmat(X)
        G = np.atleast_2d(self.gradient(x).T).T.reshape(X.shape)
        out = []
        for k in range(X.shape[1]):
            s, conj = penalty.dual_scale(-G[:, k])
            gv = float(np.asarray(penalty.value(X[:, k])))
            cs = (float(np.atleast_1d(s)[0]), float(np.atleast_1d(conj)[0]))
            out.append(logistic_gap(Z[:, k], self.labels[:, k], G[:, k], gv, cs))
        return self._quad._out(np.array(out))


def stored_square(op: Any) -> tuple[Any, bool]:
    """The stored matrix of a square operator: ``(matrix, is_sparse)``.

    A NumPy array for a dense operator, a SciPy CSC matrix for a sparse one.

    Raises
    ------
    ValueError
        If the operator is matrix-free.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datafits import stored_square
    >>> from sparsela.operators import aslinearoperator
    >>> stored_square(aslinearoperator(np.eye(2)))[1]
    False
    """
    dense = op.as_array()
    if dense is not None:
        return dense, False
    csc = op.as_csc()
    if csc is None:
        raise ValueError("Q must be a dense array or a sparse matrix (not matrix-free)")
    return csc.to_scipy().tocsc(), True


def check_spd(op: Any, name: str = "Q") -> None:
    """Raise ``ValueError`` unless the stored matrix is symmetric positive definite.

    Symmetry to rounding and a positive diagonal are checked first; a
    diagonally dominant matrix then is positive semi-definite (Gershgorin),
    and otherwise a Cholesky factorisation (up to 4000 rows) or the smallest
    eigenvalue (ARPACK) decides.

    Examples
    --------
    >>> import numpy as np  # doctest: +ELLIPSIS
    >>> from sparsela.datafits import check_spd
    >>> from sparsela.operators import aslinearoperator
    >>> check_spd(aslinearoperator(np.array([[2.0, 1.0], [1.0, 2.0]])))
    >>> check_spd(aslinearoperator(np.array([[1.0, 2.0], [2.0, 1.0]])))
    Traceback (most recent call last):
    ...
    ValueError: Q must be symmetric positive definite (the Cholesky ...
    """
    import scipy.sparse as sp

    m, n = op.shape
    if m != n:
        raise ValueError(f"{name} must be square, got shape {op.shape}")
    if op.dtype.kind == "c":
        raise ValueError(f"{name} must be real symmetric positive definite")
    M, is_sparse = stored_square(op)
    big = float(abs(M).max()) if (M.nnz if is_sparse else M.size) else 0.0
    asym = abs(M - M.T)
    asym = float(asym.max()) if (asym.nnz if is_sparse else asym.size) else 0.0
    if asym > 1e-10 * big:
        raise ValueError(f"{name} must be symmetric (max |Q - Q^T| = {asym:.3g})")
    diag = np.asarray(M.diagonal(), dtype=np.float64)
    if np.any(diag <= 0):
        raise ValueError(
            f"{name} must be symmetric positive definite (diagonal entries <= 0)"
        )
    off = np.asarray(abs(M).sum(axis=1), dtype=np.float64).ravel() - diag
    if np.all(off <= diag * (1 + 1e-12)):
        return
    if n <= 4000:
        try:
            np.linalg.cholesky(M.toarray() if is_sparse else np.asarray(M))
        except np.linalg.LinAlgError:
            raise ValueError(
                f"{name} must be symmetric positive definite (the Cholesky "
                "factorisation failed)"
            ) from None
        return
    from scipy.sparse.linalg import eigsh

    lo = float(eigsh(sp.csc_matrix(M), k=1, which="SA", return_eigenvectors=False)[0])
    if lo <= 0:
        raise ValueError(
            f"{name} must be symmetric positive definite (smallest eigenvalue {lo:.3g})"
        )


class QuadraticForm:
    r"""Quadratic form ``f(x) = 1/2 x^T Q x - b^T x`` with ``Q`` symmetric positive
    definite (label propagation, graph-based semi-supervised learning).

    Parameters
    ----------
    Q : array_like or sparse matrix, shape (n, n)
        Symmetric positive definite, stored (dense or sparse).
    b : array_like of shape (n,) or (n, n_signals)
        Linear term(s), one problem per column.

    Raises
    ------
    ValueError
        If ``Q`` is not square, symmetric and positive definite.

    Notes
    -----
    Gradient ``Q x - b``; coordinate Lipschitz constants ``Q_jj`` (the
    coordinate step ``1/Q_jj`` is the exact minimisation), block constants
    ``lambda_max(Q_bb)``; minimiser ``Q^{-1} b``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datafits import QuadraticForm
    >>> f = QuadraticForm(np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([1.0, 1.0]))
    >>> f.value(np.array([1.0, 1.0]) / 3), f.block_lipschitz()
    (-0.3333333333333333, array([2., 2.]))
    """

    def __init__(self, Q: Any, b: Any) -> None:
        self._setup(check_problem(Q, b))

    @classmethod
    def _from_problem(cls, problem: Problem, name: str = "Q") -> QuadraticForm:
        """The datafit of an already validated problem (``Q`` still checked;
        ``name`` is the caller's name of it in the errors)."""
        self = cls.__new__(cls)
        self._setup(problem, name)
        return self

    def _setup(self, problem: Problem, name: str = "Q") -> None:
        check_spd(problem.A, name)
        self.Q, self.B, self.single, self.dtype = problem
        self._quad = Quadratic._from_problem(problem)

    def value(self, x: Any) -> Any:
        """``1/2 x^T Q x - b^T x`` per problem."""
        X = self._quad._coef(x)
        QX = self._quad._matmat(X)
        return self._quad._out(0.5 * _dot_cols(X, QX) - _dot_cols(self.B, X))

    def gradient(self, x: Any) -> np.ndarray:
        """``Q x - b``, shaped like ``x``."""
        X = self._quad._coef(x)
        return self._quad._shape_like_y(self._quad._matmat(X) - self.B)

    def block_lipschitz(self, perm: Any = None, gptr: Any = None) -> np.ndarray:
        """``Q_jj`` per coordinate, ``lambda_max(Q_bb)`` per block."""
        M, is_sparse = stored_square(self.Q)
        if perm is None and gptr is None:
            return np.asarray(M.diagonal(), dtype=np.float64)
        perm = check_index_array(perm, "perm", self.Q.shape[1])
        gptr = np.asarray(gptr, dtype=np.int64)
        out = np.zeros(gptr.size - 1)
        for b in range(out.size):
            idx = perm[gptr[b] : gptr[b + 1]]
            sub = M[idx][:, idx]
            sub = sub.toarray() if is_sparse else sub
            out[b] = float(np.linalg.eigvalsh(sub)[-1]) if idx.size else 0.0
        return out
