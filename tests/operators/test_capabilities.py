"""Operator capabilities (column norms, columns, products on a support, Gram
matrix) against the dense matrix, for every operator and format."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
from _operator_cases import operator_cases
from _utils import random_array, tol

from sparsela.formats import BSR, COO, CSC, CSR, NM
from sparsela.operators import LinearOperator, SparseMatrix, aslinearoperator


def _format_cases(rng, dtype):
    D = random_array(rng, (8, 12), dtype)
    D[np.abs(D) < 0.8] = 0
    D[:, 5] = 0  # an empty column
    out = {
        "csr": CSR.from_dense(D),
        "csc": CSC.from_dense(D),
        "coo": COO.from_dense(D),
        "bsr": BSR.from_dense(D, blocksize=(2, 3)),
        "scipy_csr": scipy.sparse.csr_matrix(D),
    }
    W = random_array(rng, (6, 8), dtype)
    out["nm"] = NM.from_dense(W, 2, 4)
    dense = {k: (W if k == "nm" else D) for k in out}
    if "nm" in out:
        dense["nm"] = out["nm"].todense()
    return {k: (aslinearoperator(v), dense[k]) for k, v in out.items()}


def _all_cases(dtype):
    rng = np.random.default_rng(3)
    cases = dict(operator_cases(rng, dtype))
    cases.update(_format_cases(rng, dtype))
    M = random_array(rng, (5, 7), dtype)
    cases["scipy_operator"] = (
        aslinearoperator(scipy.sparse.linalg.aslinearoperator(M)),
        M,
    )
    return cases


NAMES = list(_all_cases(np.float64))


def _check(name, dtype, fn, ref):
    op, dense = _all_cases(dtype)[name]
    dense = np.asarray(dense).astype(np.result_type(dense, dtype))
    got = np.asarray(fn(op))
    want = ref(dense)
    scale = 1 + np.abs(want).max() if want.size else 1
    np.testing.assert_allclose(
        got, want, rtol=10 * tol(dtype), atol=10 * tol(dtype) * scale
    )


@pytest.mark.parametrize("name", NAMES)
def test_column_norms(name, dtype):
    _check(
        name, dtype, lambda op: op.column_norms(), lambda D: np.linalg.norm(D, axis=0)
    )


@pytest.mark.parametrize("name", NAMES)
def test_columns_with_repeats(name, dtype):
    def idx(n):
        return np.array([n - 1, 0, n - 1, n // 2])

    _check(
        name,
        dtype,
        lambda op: op.columns(idx(op.shape[1])),
        lambda D: D[:, idx(D.shape[1])],
    )


@pytest.mark.parametrize("name", NAMES)
def test_products_on_a_support(name, dtype):
    rng = np.random.default_rng(5)
    op, dense = _all_cases(dtype)[name]
    idx = np.array([0, op.shape[1] - 1])
    X = random_array(rng, (2, 3), dtype)
    Y = random_array(rng, (op.shape[0], 3), dtype)
    _check(name, dtype, lambda o: o.matmat_support(idx, X), lambda D: D[:, idx] @ X)
    _check(
        name,
        dtype,
        lambda o: o.rmatmat_support(idx, Y),
        lambda D: D[:, idx].conj().T @ Y,
    )


@pytest.mark.parametrize("name", NAMES)
def test_gram(name, dtype):
    _check(name, dtype, lambda op: op.gram(), lambda D: D.conj().T @ D)


def test_generic_defaults_equal_overrides(rng):
    # the base-class versions, called on operators that override them
    A = random_array(rng, (6, 9), np.complex128)
    for op in (aslinearoperator(A), SparseMatrix(CSR.from_dense(A))):
        np.testing.assert_allclose(LinearOperator.gram(op), op.gram(), atol=1e-12)
        np.testing.assert_allclose(
            LinearOperator.column_norms(op), op.column_norms(), atol=1e-12
        )
        np.testing.assert_allclose(
            LinearOperator.columns(op, [2, 2, 8]), op.columns([2, 2, 8]), atol=1e-12
        )


def test_non_canonical_sparse_column_norms():
    # duplicate entries add up before the norm is taken
    S = CSC(np.array([3.0, 4.0]), np.array([1, 1]), np.array([0, 2, 2]), (3, 2))
    op = SparseMatrix(S)
    np.testing.assert_allclose(op.column_norms(), [7.0, 0.0])
    np.testing.assert_allclose(op.columns([0]), [[0.0], [7.0], [0.0]])


def test_has_adjoint():
    M = np.arange(12.0).reshape(3, 4)
    only_matvec = scipy.sparse.linalg.LinearOperator((3, 4), matvec=lambda x: M @ x)
    both = scipy.sparse.linalg.LinearOperator(
        (3, 4), matvec=lambda x: M @ x, rmatvec=lambda y: M.T @ y
    )
    assert not aslinearoperator(only_matvec).has_adjoint
    assert aslinearoperator(both).has_adjoint
    assert aslinearoperator(M).has_adjoint
