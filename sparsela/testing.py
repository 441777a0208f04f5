"""Testing helpers for operators and solvers, usable by users too."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import to_numpy
from ._validation import check_positive_int, check_scalar, result_dtype, working_dtype

__all__ = ["RTOL", "assert_operator_matches_dense", "default_rtol", "dottest"]

# The one tolerance table: relative tolerance by precision, for every
# comparison with a reference (the package's checks and its test suite).
RTOL = {
    np.dtype(np.float32): 1e-4,
    np.dtype(np.complex64): 1e-4,
    np.dtype(np.float64): 1e-10,
    np.dtype(np.complex128): 1e-10,
}


def default_rtol(dtype: Any) -> float:
    """Relative tolerance matched to a dtype's precision (from :data:`RTOL`).

    Parameters
    ----------
    dtype : dtype_like
        The dtype of the values compared; integers and other kinds use the
        float64 (or complex128) tolerance.

    Returns
    -------
    float
        The tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.testing import default_rtol
    >>> default_rtol(np.float32) > default_rtol(np.float64)
    True
    """
    dtype = np.dtype(dtype)
    if dtype not in RTOL:
        dtype = np.dtype(np.float64 if dtype.kind in "biuf" else np.complex128)
    return RTOL[dtype]


def _norm(v: np.ndarray) -> float:
    """``||v||_2`` without overflow of the squares (operators at ``1e300``)."""
    amax = float(np.abs(v).max(initial=0.0))
    if amax == 0.0 or not np.isfinite(amax):
        return amax
    return amax * float(np.linalg.norm(v / amax))


def _require_finite(name: str, arr: np.ndarray) -> None:
    # a NaN would make every comparison below False, i.e. pass
    if not np.isfinite(arr).all():
        raise AssertionError(f"{name} returned NaN or Inf for finite input")


def _test_dtype(dtype: Any, op_dtype: Any) -> np.dtype:
    if dtype is None:  # the operator's, as a floating dtype (integers: float64)
        return result_dtype(op_dtype)
    dt = working_dtype(dtype)
    if dt.kind not in "fc":
        raise TypeError(f"dtype must be a floating or complex dtype, got {dt}")
    return dt


def _random(rng, n, dtype):
    v = rng.standard_normal(n)
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.standard_normal(n)
    return v.astype(dtype)


def dottest(
    op: Any,
    *,
    dtype: Any = None,
    rtol: float | None = None,
    n_vectors: int = 1,
    random_state: Any = 0,
) -> bool:
    """Check that ``op`` and its adjoint agree: ``<A u, v> == <u, A^H v>``.

    Both the vector (``matvec``/``rmatvec``) and the batched
    (``matmat``/``rmatmat``) paths are checked, and the batched result must
    equal the column-by-column one.

    Parameters
    ----------
    op : LinearOperator or array_like
        Operator to test (anything :func:`~sparsela.operators.aslinearoperator`
        accepts).
    dtype : dtype, optional
        dtype of the random test vectors; defaults to the operator's dtype
        (complex vectors for a complex operator).
    rtol : float, optional
        Relative tolerance; by default from the precision of ``dtype``.
    n_vectors : int, default=1
        Number of columns in the batched check (at least 1).
    random_state : int or Generator, default=0
        Seed of the random vectors.

    Returns
    -------
    bool
        True when the test passes.

    Raises
    ------
    AssertionError
        If an identity is violated, with the measured error, or a product
        returns NaN or Inf (which no comparison would catch).
    TypeError
        ``dtype`` is not a floating or complex dtype, ``n_vectors`` not an
        integer.
    ValueError
        ``n_vectors < 1`` or ``rtol < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Dense
    >>> from sparsela.testing import dottest
    >>> dottest(Dense(np.arange(6.0).reshape(2, 3)))
    True
    """
    from .operators import aslinearoperator

    op = aslinearoperator(op)
    dtype = _test_dtype(dtype, op.dtype)
    if rtol is None:
        rtol = default_rtol(dtype)
    else:
        check_scalar(rtol, "rtol", min_val=0.0)
    k = check_positive_int(n_vectors, "n_vectors")
    rng = np.random.default_rng(random_state)
    m, n = op.shape
    U = np.stack([_random(rng, n, dtype) for _ in range(k)], axis=1)
    V = np.stack([_random(rng, m, dtype) for _ in range(k)], axis=1)

    AU = to_numpy(op.matmat(U))
    AHV = to_numpy(op.rmatmat(V))
    if AU.shape != (m, k) or AHV.shape != (n, k):
        raise AssertionError(
            f"matmat/rmatmat returned shapes {AU.shape} and {AHV.shape}, "
            f"expected {(m, k)} and {(n, k)}"
        )
    _require_finite("matmat", AU)
    _require_finite("rmatmat", AHV)
    tiny = np.finfo(np.float64).tiny
    for j in range(k):
        lhs = np.vdot(V[:, j], AU[:, j])
        rhs = np.vdot(AHV[:, j], U[:, j])
        scale = max(
            _norm(AU[:, j]) * _norm(V[:, j]), _norm(AHV[:, j]) * _norm(U[:, j]), tiny
        )
        # "not <=" fails on NaN too
        if not abs(lhs - rhs) <= rtol * scale:
            raise AssertionError(
                f"dot test failed for column {j}: <Au, v> = {lhs}, <u, A^H v> = {rhs}, "
                f"relative error {abs(lhs - rhs) / scale:.3e} > rtol {rtol:.1e}"
            )
        av = to_numpy(op.matvec(U[:, j]))
        ahv = to_numpy(op.rmatvec(V[:, j]))
        for name, got, want in (("matvec", av, AU[:, j]), ("rmatvec", ahv, AHV[:, j])):
            err = _norm(np.asarray(got) - want)
            if not err <= rtol * max(_norm(want), tiny) * 10:
                raise AssertionError(
                    f"{name} differs from the batched product in column {j}: "
                    f"error {err:.3e}"
                )
    return True


def assert_operator_matches_dense(
    op: Any, dense: Any, *, rtol: float | None = None, random_state: Any = 0
) -> None:
    """Assert that ``op`` acts like the matrix ``dense`` (and its adjoint too).

    Compares ``A @ X``, ``Aᴴ @ Y`` and their one-vector forms on random
    inputs of the operator's dtype.

    Parameters
    ----------
    op : operator or array_like
        Anything :func:`~sparsela.aslinearoperator` takes.
    dense : array_like, shape ``op.shape``
        The matrix ``op`` should equal.
    rtol : float, optional
        Relative tolerance, scaled by the largest entry and the size; default
        :func:`default_rtol` of the dtype.
    random_state : int or Generator, default=0
        Seed of the random inputs.

    Raises
    ------
    AssertionError
        A shape or a product that differs.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import Kronecker
    >>> from sparsela.testing import assert_operator_matches_dense
    >>> A, B = np.eye(2), np.arange(4.0).reshape(2, 2)
    >>> assert_operator_matches_dense(Kronecker(A, B), np.kron(A, B))
    """
    from .operators import aslinearoperator

    op = aslinearoperator(op)
    dense = np.asarray(dense)
    if op.shape != dense.shape:
        raise AssertionError(f"shape {op.shape} differs from dense shape {dense.shape}")
    dtype = np.result_type(op.dtype, dense.dtype)
    rtol = default_rtol(dtype) if rtol is None else rtol
    rng = np.random.default_rng(random_state)
    m, n = op.shape
    X = np.stack([_random(rng, n, dtype) for _ in range(3)], axis=1)
    Y = np.stack([_random(rng, m, dtype) for _ in range(3)], axis=1)
    scale = max(np.abs(dense).max(initial=0.0), 1.0) * max(m, n, 1)
    for name, got, want in (
        ("A @ X", to_numpy(op.matmat(X)), dense @ X),
        ("A^H @ Y", to_numpy(op.rmatmat(Y)), dense.conj().T @ Y),
        ("A @ x", to_numpy(op.matvec(X[:, 0])), dense @ X[:, 0]),
        ("A^H @ y", to_numpy(op.rmatvec(Y[:, 0])), dense.conj().T @ Y[:, 0]),
    ):
        err = np.abs(got - want).max(initial=0.0)
        if not err <= rtol * scale * 10:  # NaN fails too
            raise AssertionError(
                f"{name}: max error {err:.3e} exceeds {rtol * scale * 10:.3e}"
            )
