"""Every operator: dot test and equality with its dense counterpart, all dtypes."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
from _operator_cases import operator_cases
from _utils import random_array, tol

from sparsela.operators import (
    Dense,
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
from sparsela.testing import assert_operator_matches_dense, dottest

_cases = operator_cases


CASE_NAMES = list(_cases(np.random.default_rng(0), np.float64))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_operator_dottest_and_dense(name, dtype):
    rng = np.random.default_rng(42)
    op, dense = _cases(rng, dtype)[name]
    assert isinstance(op, LinearOperator)
    assert op.shape == dense.shape
    dottest(op, dtype=dtype, n_vectors=3)
    assert_operator_matches_dense(op, dense.astype(np.result_type(dense, dtype)))
    np.testing.assert_allclose(
        op.todense(),
        dense,
        rtol=tol(dtype) * 10,
        atol=tol(dtype) * 10 * (1 + np.abs(dense).max()),
    )


@pytest.mark.parametrize("dt", [np.float32, np.complex64])
def test_single_precision_is_kept(dt):
    rng = np.random.default_rng(0)
    A = random_array(rng, (3, 4), dt)
    x = random_array(rng, 4, dt)
    for op in (Dense(A), Kronecker(A, A), Dense(A) @ WalshHadamard(4)):
        out = op @ (x if op.shape[1] == 4 else np.kron(x, x))
        assert out.dtype == np.dtype(dt)


def test_kronecker_many_factors_matmat(rng):
    factors = [rng.standard_normal((k, k + 1)) for k in (2, 3, 2, 2)]
    K = Kronecker(*factors)
    dense = factors[0]
    for f in factors[1:]:
        dense = np.kron(dense, f)
    X = rng.standard_normal((K.shape[1], 5))
    np.testing.assert_allclose(K @ X, dense @ X, rtol=1e-12, atol=1e-12)
    Y = rng.standard_normal((K.shape[0], 5))
    np.testing.assert_allclose(K.H @ Y, dense.T @ Y, rtol=1e-12, atol=1e-12)


def test_kronecker_mode_product_convention(rng):
    # the first factor acts on the slowest axis of X (C order)
    A, B = rng.standard_normal((3, 2)), rng.standard_normal((4, 5))
    X = rng.standard_normal((2, 5))
    np.testing.assert_allclose(
        (Kronecker(A, B) @ X.reshape(-1)).reshape(3, 4), A @ X @ B.T, rtol=1e-12
    )


def test_norm_estimates(rng):
    A = rng.standard_normal((30, 20))
    B = rng.standard_normal((5, 6)) + 1j * rng.standard_normal((5, 6))
    exact = np.linalg.norm(A, 2)
    est = Dense(A).norm_est(max_iter=500, tol=1e-12)
    assert est <= exact * (1 + 1e-12)
    assert est == pytest.approx(exact, rel=1e-6)
    K = Kronecker(A, B)
    assert K.norm_est(max_iter=500, tol=1e-12) == pytest.approx(
        np.linalg.norm(np.kron(A, B), 2), rel=1e-6
    )
    assert WalshHadamard(64).norm_est() == pytest.approx(8.0)
    assert (3.0 * Dense(A)).norm_est(max_iter=500, tol=1e-12) == pytest.approx(
        3 * exact, rel=1e-6
    )
    # warm start: one more product from a converged vector keeps the value
    est, v = Dense(A).norm_est(max_iter=500, tol=1e-12, return_vector=True)
    est2 = Dense(A).norm_est(x0=v, max_iter=2, tol=0.0)
    assert est2 == pytest.approx(est, rel=1e-9)


def test_aslinearoperator_inputs(rng):
    A = rng.standard_normal((4, 3))
    assert isinstance(aslinearoperator(A), Dense)
    assert isinstance(aslinearoperator(scipy.sparse.csr_matrix(A)), SparseMatrix)
    assert isinstance(aslinearoperator(scipy.sparse.coo_array(A)), SparseMatrix)
    sop = scipy.sparse.linalg.aslinearoperator(A)
    op = aslinearoperator(sop)
    x = rng.standard_normal(3)
    np.testing.assert_allclose(op @ x, A @ x)
    np.testing.assert_allclose(op.H @ np.ones(4), A.T @ np.ones(4))
    D = Dense(A)
    assert aslinearoperator(D) is D
    with pytest.raises(TypeError, match="A must be"):
        aslinearoperator("matrix")
    with pytest.raises(TypeError, match="A must have a floating"):
        aslinearoperator(np.array([["a"]], dtype=object))


def test_to_scipy_roundtrip(rng):
    A = rng.standard_normal((4, 3))
    sop = Kronecker(A, A).to_scipy()
    x = rng.standard_normal(9)
    np.testing.assert_allclose(sop.matvec(x), np.kron(A, A) @ x, rtol=1e-12)
    np.testing.assert_allclose(sop.rmatvec(np.ones(16)), np.kron(A, A).T @ np.ones(16))


def test_ndarray_matmul_defers_to_operator(rng):
    A = rng.standard_normal((4, 3))
    v = rng.standard_normal(4)
    np.testing.assert_allclose(v @ Dense(A), v @ A)
    M = rng.standard_normal((2, 4))
    np.testing.assert_allclose(M @ Dense(A), M @ A)


def test_column_vector_shape_is_kept(rng):
    A = rng.standard_normal((4, 3))
    out = Dense(A).matvec(np.ones((3, 1)))
    assert out.shape == (4, 1)


def test_integer_input_is_promoted():
    out = Dense(np.eye(2)) @ np.array([1, 2])
    assert out.dtype == np.float64


def test_operator_bad_inputs(rng):
    A = Dense(rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(3,\)"):
        A.matvec(np.ones(4))
    with pytest.raises(ValueError, match=r"X must have shape \(3, k\)"):
        A.matmat(np.ones((4, 2)))
    with pytest.raises(ValueError, match="y must have shape"):
        A.rmatvec(np.ones(3))
    with pytest.raises(ValueError, match="cannot compose"):
        _ = A @ A
    with pytest.raises(ValueError, match="cannot add"):
        _ = A + A.H
    with pytest.raises(ValueError, match="scalar operands"):
        _ = A @ 2.0
    with pytest.raises(ValueError, match="A contains NaN"):
        Dense(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="A must be 2-dimensional"):
        Dense(np.ones(3))
    with pytest.raises(ValueError, match="N must be a power of two"):
        WalshHadamard(12)
    with pytest.raises(ValueError, match="ordering must be one of"):
        WalshHadamard(8, ordering="gray")
    with pytest.raises(ValueError, match=r"idx must lie in \[0, 4\)"):
        Restriction(4, [0, 4])
    with pytest.raises(ValueError, match=r"idx must lie in \[0, 4\)"):
        Restriction(4, [-1, 2])
    with pytest.raises(TypeError, match="idx must hold integers"):
        Restriction(4, [0.5])
    with pytest.raises(ValueError, match="same number of rows"):
        HStack(np.ones((2, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="same number of columns"):
        VStack(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="factors must hold"):
        Kronecker()
    with pytest.raises(TypeError, match="operands must be numeric"):
        A.matvec(np.array(["a", "b", "c"], dtype=object))


def test_restriction_with_repeats_sums_in_adjoint():
    R = Restriction(3, [0, 0, 2])
    np.testing.assert_allclose(R.H @ np.array([1.0, 2.0, 3.0]), [3.0, 0.0, 3.0])
    dottest(R)


def test_dottest_detects_wrong_adjoint(rng):
    class Broken(LinearOperator):
        def __init__(self, A):
            super().__init__(A.shape, A.dtype)
            self.A = A

        def _matvec(self, x):
            return self.A @ x

        def _rmatvec(self, y):
            return self.A[:, ::-1].T @ y  # wrong on purpose

    with pytest.raises(AssertionError, match="dot test failed"):
        dottest(Broken(rng.standard_normal((4, 3))))


def test_operator_does_not_modify_input(rng):
    x = rng.standard_normal(16)
    x0 = x.copy()
    for op in (WalshHadamard(16), Kronecker(np.eye(4), np.eye(4)), Identity(16)):
        y = op @ x
        y[:] = 0
        np.testing.assert_array_equal(x, x0)
