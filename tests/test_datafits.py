"""The least-squares datafit against NumPy, dense spectral norms and scikit-learn."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from _utils import random_array, tol

from sparsela.datafits import Quadratic
from sparsela.operators import Kronecker
from sparsela.penalties import L0, L1, ElasticNet, GroupL1, NonNegL1, WeightedL1
from sparsela.solvers.proximal import fista, lambda_max

M, N = 25, 40


def _operators(rng, dtype):
    """The same matrix as a dense array, a sparse matrix and a matrix-free operator."""
    S = sp.random(M, N, density=0.3, random_state=4, format="csr").astype(dtype)
    if np.dtype(dtype).kind == "c":
        S.data = S.data + 1j * rng.standard_normal(S.nnz)
    D = S.toarray()
    free = sla.LinearOperator(
        D.shape, matvec=lambda v: D @ v, rmatvec=lambda v: D.conj().T @ v, dtype=dtype
    )
    return D, {"dense": D, "sparse": S, "matrix-free": free}


@pytest.mark.parametrize("which", ["dense", "sparse", "matrix-free"])
def test_value_and_gradient(rng, dtype, which):
    D, ops = _operators(rng, dtype)
    Y = random_array(rng, (M, 3), dtype)
    X = random_array(rng, (N, 3), dtype)
    f = Quadratic(ops[which], Y)
    R = D @ X - Y
    rt = 10 * tol(dtype)
    np.testing.assert_allclose(
        f.value(X), 0.5 * np.linalg.norm(R, axis=0) ** 2, rtol=rt
    )
    np.testing.assert_allclose(f.gradient(X), D.conj().T @ R, rtol=rt, atol=rt)
    one = Quadratic(ops[which], Y[:, 0])
    assert isinstance(one.value(X[:, 0]), float)
    assert one.value(X[:, 0]) == pytest.approx(0.5 * np.linalg.norm(R[:, 0]) ** 2,
                                               rel=rt)  # fmt: skip
    assert one.gradient(X[:, 0]).shape == (N,)


def test_gradient_is_the_derivative_of_the_value(rng):
    A = rng.standard_normal((M, N))
    f = Quadratic(A, rng.standard_normal(M))
    x, d = rng.standard_normal(N), rng.standard_normal(N)
    h = 1e-6
    fd = (f.value(x + h * d) - f.value(x - h * d)) / (2 * h)
    assert fd == pytest.approx(f.gradient(x) @ d, rel=1e-7)


@pytest.mark.parametrize("which", ["dense", "sparse", "matrix-free"])
def test_lipschitz_constants_match_dense_spectral_norms(rng, which):
    D, ops = _operators(rng, np.float64)
    f = Quadratic(ops[which], np.ones(M))
    exact = np.linalg.norm(D, 2) ** 2
    L = f.lipschitz(max_iter=5000, tol=1e-13)
    assert L == pytest.approx(exact, rel=1e-8)
    assert L <= exact * (1 + 1e-12)  # the power method approaches from below
    # coordinates: squared column norms
    want = np.array([np.linalg.norm(D[:, [j]], 2) ** 2 for j in range(N)])
    np.testing.assert_allclose(f.block_lipschitz(), want, rtol=1e-12)
    assert f.block_lipschitz().dtype == np.float64
    # blocks of a partition: spectral norm of the block's columns, not the sum
    g = GroupL1(1.0, groups=rng.integers(0, 7, N))
    perm, gptr = g.blocks(N)
    Lb = f.block_lipschitz(perm, gptr)
    for b in range(g.n_groups):
        cols = perm[gptr[b] : gptr[b + 1]]
        assert Lb[b] == pytest.approx(np.linalg.norm(D[:, cols], 2) ** 2, rel=1e-12)
    assert np.all(Lb <= exact * (1 + 1e-12))
    assert np.all(Lb <= np.add.reduceat(want[perm], gptr[:-1]) * (1 + 1e-12))


def test_lipschitz_of_a_structured_operator(rng):
    B1, B2 = rng.standard_normal((4, 5)), rng.standard_normal((3, 6))
    f = Quadratic(Kronecker(B1, B2), np.ones(12))
    K = np.kron(B1, B2)
    assert f.lipschitz(max_iter=5000, tol=1e-13) == pytest.approx(
        np.linalg.norm(K, 2) ** 2, rel=1e-8
    )
    np.testing.assert_allclose(
        f.block_lipschitz(), np.linalg.norm(K, axis=0) ** 2, rtol=1e-12
    )


def _penalties():
    return [
        L1(0.4),
        WeightedL1(0.4, weights=np.linspace(0.5, 2.0, N)),
        GroupL1(0.4, groups=np.arange(N) // 4),
        NonNegL1(0.4),
        ElasticNet(0.4, l1_ratio=0.6),
    ]


def test_duality_gap_nonnegative_and_dual_point_feasible(rng):
    A = rng.standard_normal((M, N))
    Y = rng.standard_normal((M, 2))
    f = Quadratic(A, Y)
    for g in _penalties():
        for _ in range(5):
            X = rng.standard_normal((N, 2)) * rng.uniform(0, 2)
            if isinstance(g, NonNegL1):
                X = np.abs(X)
            gap = f.duality_gap(X, g)
            P = f.value(X) + g.value(X)
            assert gap.shape == (2,) and np.all(gap > 0)
            theta = f.dual_point(X, g)
            assert theta.shape == (M, 2)
            # D(theta) = <y, theta> - 1/2 ||theta||^2 - g*(A^T theta) <= P
            Z = A.T @ theta
            if not isinstance(g, ElasticNet):  # g* is the indicator of the ball
                assert np.all(g.dual_norm(Z) <= g.lam * (1 + 1e-12))
                D = np.sum(Y * theta, axis=0) - 0.5 * np.sum(theta**2, axis=0)
                np.testing.assert_allclose(P - D, gap, rtol=1e-12)


@pytest.mark.parametrize("lam_frac", [0.05, 0.3])
def test_gap_vanishes_at_the_sklearn_lasso_optimum(rng, lam_frac):
    """scikit-learn's Lasso minimises ``1/(2m) ||y - A x||^2 + alpha ||x||_1``:
    the same solution as ``lam = m alpha``."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    A = rng.standard_normal((M, N))
    x = np.zeros(N)
    x[[2, 17, 30]] = [1.0, -2.0, 0.5]
    y = A @ x + 0.01 * rng.standard_normal(M)
    lam = lam_frac * lambda_max(A, y)
    coef = (
        linear_model.Lasso(
            alpha=lam / M, fit_intercept=False, tol=1e-15, max_iter=200000
        )  # fmt: skip
        .fit(A, y)
        .coef_
    )
    f, g = Quadratic(A, y), L1(lam)
    P = f.value(coef) + g.value(coef)
    assert 0 <= f.duality_gap(coef, g) <= 1e-10 * P
    assert f.duality_gap(np.zeros(N), g) > 1e-3 * P
    # the gradient at zero gives lambda_max through the penalty's dual norm
    assert g.alpha_max(f.gradient(np.zeros(N))) == pytest.approx(lam / lam_frac)
    # and FISTA's certificate is the same gap
    res = fista(A, y, lam=lam, tol=1e-12)
    assert f.duality_gap(res.x, g) <= 1e-12 * res.objective * (1 + 1e-6)


def test_gap_per_signal_and_complex(rng):
    A = random_array(rng, (M, N), np.complex128)
    Y = random_array(rng, (M, 3), np.complex128)
    lam = 0.2 * lambda_max(A, Y)
    res = fista(A, Y, lam=lam, tol=1e-12)
    f = Quadratic(A, Y)
    for j in range(3):
        gap = Quadratic(A, Y[:, j]).duality_gap(res.x[:, j], L1(lam[j]))
        assert 0 <= gap <= 1e-11 * res.objective[j]
    # far from the optimum the gap is large
    assert np.all(f.duality_gap(np.zeros((N, 3)), L1(float(lam.min()))) > 0.1)


def test_bad_input(rng):
    A = rng.standard_normal((M, N))
    f = Quadratic(A, np.ones(M))
    with pytest.raises(ValueError, match="x must have shape"):
        f.value(np.ones(N + 1))
    with pytest.raises(ValueError, match="x must have shape"):
        f.value(np.ones((N, 2)))
    with pytest.raises(TypeError, match="complex"):
        f.gradient(np.ones(N, dtype=complex))
    with pytest.raises(ValueError, match="x contains NaN"):
        f.value(np.full(N, np.nan))
    with pytest.raises(ValueError, match="no duality gap"):
        f.duality_gap(np.zeros(N), L0(1.0))
    with pytest.raises(ValueError, match="no duality gap"):
        f.duality_gap(np.zeros(N), L1(0.0))
    with pytest.raises(TypeError, match="perm and gptr"):
        f.block_lipschitz(perm=np.arange(N))
    with pytest.raises(ValueError, match="gptr"):
        f.block_lipschitz(np.arange(N), [0, 5])
    with pytest.raises(ValueError, match="perm"):
        f.block_lipschitz(np.arange(N) + 1, [0, N])
    with pytest.raises(ValueError, match="y must have 25 rows"):
        Quadratic(A, np.ones(M + 1))
    with pytest.raises(TypeError, match="A has no adjoint"):
        Quadratic(sla.LinearOperator((M, N), matvec=lambda v: A @ v), np.ones(M))
