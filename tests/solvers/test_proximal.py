"""ISTA / FISTA against cvxpy, FISTA theory, batching, operators and bad input."""

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from _utils import random_array, tol

from sparsela.operators import (
    Dense,
    Kronecker,
    LinearOperator,
    Restriction,
    WalshHadamard,
    aslinearoperator,
)
from sparsela.penalties import L1, Prox
from sparsela.penalties import GroupL1 as GroupL1Penalty
from sparsela.solvers.proximal import fista, ista, lambda_max

cp = pytest.importorskip("cvxpy")

M, N = 30, 60
GROUPS = np.arange(N) // 4  # 15 groups of 4


def _problem(rng, dtype=np.float64, m=M, n=N, k=None):
    A = random_array(rng, (m, n), dtype)
    x = np.zeros(n if k is None else (n, k), dtype=dtype)
    x[rng.choice(n, 6, replace=False)] = random_array(
        rng, (6,) if k is None else (6, k), dtype
    )
    shape = (m,) if k is None else (m, k)
    y = A @ x + 0.05 * random_array(rng, shape, dtype)
    return A, y


def _objective(A, y, x, lam, kind, **p):
    fit = 0.5 * np.linalg.norm(A @ x - y) ** 2
    if kind == "l1":
        return fit + lam * np.abs(x).sum()
    if kind == "weighted_l1":
        return fit + lam * p["weights"] @ np.abs(x)
    if kind == "nonneg_l1":
        return fit + lam * x.sum()
    if kind == "elastic_net":
        a = p["l1_ratio"]
        return fit + lam * (a * np.abs(x).sum() + 0.5 * (1 - a) * x @ x)
    if kind == "group_l1":
        gs = [np.flatnonzero(GROUPS == g) for g in range(GROUPS.max() + 1)]
        return fit + lam * sum(np.sqrt(len(g)) * np.linalg.norm(x[g]) for g in gs)
    raise AssertionError(kind)


def _cvx(A, y, lam, kind, **p):
    complex_ = np.iscomplexobj(A)
    x = cp.Variable(A.shape[1], complex=complex_, nonneg=kind == "nonneg_l1")
    fit = 0.5 * cp.sum_squares(A @ x - y)
    if kind == "l1":
        pen = cp.norm1(x)
    elif kind == "weighted_l1":
        pen = cp.sum(cp.multiply(p["weights"], cp.abs(x)))
    elif kind == "nonneg_l1":
        pen = cp.sum(x)
    elif kind == "elastic_net":
        a = p["l1_ratio"]
        pen = a * cp.norm1(x) + 0.5 * (1 - a) * cp.sum_squares(x)
    else:
        gs = [np.flatnonzero(GROUPS == g) for g in range(GROUPS.max() + 1)]
        pen = sum(np.sqrt(len(g)) * cp.norm(x[g], 2) for g in gs)
    prob = cp.Problem(cp.Minimize(fit + lam * pen))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    return x.value


CASES = [
    ("l1", {}),
    ("weighted_l1", {"weights": np.linspace(0.2, 2.0, N)}),
    ("nonneg_l1", {}),
    ("elastic_net", {"l1_ratio": 0.4}),
    ("group_l1", {"groups": GROUPS}),
]


@pytest.mark.parametrize("kind, params", CASES, ids=[c[0] for c in CASES])
def test_matches_cvxpy(rng, kind, params):
    A, y = _problem(rng)
    lam = 0.2 * lambda_max(A, y, penalty=kind, **params)
    res = fista(A, y, lam=lam, penalty=kind, tol=1e-11, **params)
    assert res.converged and res.gap <= 1e-11
    obj = {k: v for k, v in params.items() if k != "groups"}
    f_ref = _objective(A, y, _cvx(A, y, lam, kind, **obj), lam, kind, **obj)
    f = _objective(A, y, res.x, lam, kind, **obj)
    assert f == pytest.approx(res.objective, rel=1e-12)
    assert abs(f - f_ref) <= 1e-7 * f_ref
    assert f <= f_ref * (1 + 1e-10)  # never worse than the reference
    assert np.count_nonzero(res.x) < N  # the penalty is active
    if kind == "nonneg_l1":
        assert res.x.min() >= 0


def test_complex_lasso_matches_cvxpy(rng):
    A, y = _problem(rng, np.complex128)
    lam = 0.2 * lambda_max(A, y)
    res = fista(A, y, lam=lam, tol=1e-11)
    f_ref = _objective(A, y, _cvx(A, y, lam, "l1"), lam, "l1")
    assert res.x.dtype == np.complex128 and res.converged
    assert abs(res.objective - f_ref) <= 1e-7 * f_ref


@pytest.mark.parametrize("backtracking", ["auto", True, False])
@pytest.mark.parametrize("solver", [ista, fista])
def test_modes_reach_the_same_optimum(rng, solver, backtracking):
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    ref = fista(A, y, lam=lam, tol=1e-12)
    res = solver(A, y, lam=lam, backtracking=backtracking, tol=1e-9, max_iter=50000)
    assert res.converged and res.status == 0
    assert res.objective == pytest.approx(ref.objective, rel=2e-9)
    assert res.objective <= ref.objective * (1 + 1e-9)
    assert len(res.history["objective"]) == res.n_iter == len(res.history["gap"])


def test_fista_rate_bound_every_iteration(rng):
    """``(F_k - F*) (k+1)^2 / (2 L ||x0 - x*||^2) <= 1`` (Beck & Teboulle)."""
    A = rng.standard_normal((200, 1000))
    xs = np.zeros(1000)
    xs[rng.choice(1000, 20, replace=False)] = rng.standard_normal(20)
    y = A @ xs + 0.01 * rng.standard_normal(200)
    lam = 0.1 * lambda_max(A, y)
    star = fista(A, y, lam=lam, tol=1e-14, max_iter=20000)
    L = np.linalg.norm(A, 2) ** 2
    res = fista(A, y, lam=lam, step=1.0 / L, backtracking=False, restart=False,
                tol=0.0, max_iter=400)  # fmt: skip
    assert res.step == pytest.approx(1.0 / L)  # the step never had to shrink
    F = np.asarray(res.history["objective"])
    k = np.arange(1, F.size + 1)
    ratio = (F - star.objective) * (k + 1) ** 2 / (2 * L * np.sum(star.x**2))
    assert F.size == 400
    assert ratio.max() <= 1.0
    assert ratio.max() > 1e-3  # the bound is not vacuous on this problem


def test_restart_never_worse(rng):
    A = rng.standard_normal((200, 1000))
    xs = np.zeros(1000)
    xs[rng.choice(1000, 20, replace=False)] = rng.standard_normal(20)
    y = A @ xs + 0.01 * rng.standard_normal(200)
    lam = 0.1 * lambda_max(A, y)
    L = np.linalg.norm(A, 2) ** 2
    kw = dict(lam=lam, step=1.0 / L, backtracking=False)
    for n_iter in (50, 150, 400):
        plain = fista(A, y, restart=False, tol=0.0, max_iter=n_iter, **kw)
        for scheme in ("gradient", "function"):
            rest = fista(A, y, restart=scheme, tol=0.0, max_iter=n_iter, **kw)
            assert rest.objective <= plain.objective * (1 + 1e-12)
    # iterations to a 1e-8 gap: restart needs fewer (restart: at most 10 % more)
    plain = fista(A, y, restart=False, tol=1e-8, **kw)
    rest = fista(A, y, restart=True, tol=1e-8, **kw)
    assert rest.converged and plain.converged
    assert rest.n_iter <= 1.1 * plain.n_iter


def test_ista_slower_than_fista(rng):
    A, y = _problem(rng)
    lam = 0.05 * lambda_max(A, y)
    kw = dict(lam=lam, tol=1e-8, backtracking=False, max_iter=100000)
    assert fista(A, y, **kw).n_iter < ista(A, y, **kw).n_iter


@pytest.mark.parametrize(
    "kind, params", CASES[:2] + CASES[4:], ids=["l1", "weighted_l1", "group_l1"]
)
def test_batch_equals_columns(rng, kind, params):
    A, Y = _problem(rng, k=4)
    Y[:, 1] *= 1e-3  # very different scales: different steps and iteration counts
    lam = 0.15 * lambda_max(A, Y[:, 0], penalty=kind, **params)
    batch = fista(A, Y, lam=lam, penalty=kind, tol=1e-12, **params)
    assert batch.x.shape == (N, 4) and batch.n_iter.shape == (4,)
    assert np.all(batch.converged) and np.all(batch.gap <= 1e-12)
    for j in range(4):
        solo = fista(A, Y[:, j], lam=lam, penalty=kind, tol=1e-12, **params)
        assert batch.objective[j] == pytest.approx(solo.objective, rel=1e-11)
        np.testing.assert_allclose(batch.x[:, j], solo.x, rtol=1e-6, atol=1e-8)
        assert abs(int(batch.n_iter[j]) - solo.n_iter) <= 2
        assert batch.residual_norm[j] == pytest.approx(solo.residual_norm, rel=1e-8)
    assert len(batch.history["gap"]) == batch.n_iter.max()
    assert batch.history["gap"][-1].shape == (4,)


class _CountingDense(LinearOperator):
    """Dense operator recording the number of columns of every product."""

    def __init__(self, A):
        super().__init__(A.shape, A.dtype)
        self.A = A
        self.widths = []

    def _matmat(self, X):
        self.widths.append(X.shape[1])
        return self.A @ X

    def _rmatmat(self, Y):
        self.widths.append(Y.shape[1])
        return self.A.conj().T @ Y

    def _matvec(self, x):
        self.widths.append(1)
        return self.A @ x

    def _rmatvec(self, y):
        self.widths.append(1)
        return self.A.conj().T @ y


def test_finished_signals_stop_costing_work(rng):
    A, Y = _problem(rng, k=3)
    lam = 0.1 * lambda_max(A, Y[:, 0])
    Y[:, 1] = 0.0  # solved by x = 0 at iteration 0
    op = _CountingDense(A)
    res = fista(op, Y, lam=lam, tol=1e-10, step=1.0 / np.linalg.norm(A, 2) ** 2)
    assert res.n_iter[1] == 0 and res.converged[1]
    assert np.all(res.x[:, 1] == 0)
    assert max(op.widths[2:]) <= 2  # after the first gradient: never the zero signal
    assert res.n_iter[0] != res.n_iter[2] and min(op.widths) == 1


def _kron_problem(rng, dtype):
    B1, B2 = random_array(rng, (6, 9), dtype), random_array(rng, (5, 8), dtype)
    x = np.zeros(72, dtype=dtype)
    x[[3, 40, 41, 70]] = 1.0
    return Kronecker(B1, B2), np.kron(B1, B2), x


@pytest.mark.parametrize(
    "which", ["kronecker", "hadamard", "csr", "scipy_csr", "scipy_op"]
)
def test_operators(rng, dtype, which):
    dtype = np.dtype(dtype)
    if which == "kronecker":
        op, D, x = _kron_problem(rng, dtype)
    elif which == "hadamard":
        idx = np.sort(rng.choice(64, 24, replace=False))
        rdt = np.finfo(dtype).dtype  # structural operators: nominal dtype
        op = Restriction(64, idx, dtype=rdt) @ WalshHadamard(
            64, normalized=True, dtype=rdt
        )
        D = op.todense().astype(dtype)
        x = np.zeros(64, dtype=dtype)
        x[[1, 9, 33]] = 1.0
    else:
        S = sp.random(40, 70, density=0.15, random_state=3, format="csr").astype(dtype)
        D = S.toarray()
        x = np.zeros(70, dtype=dtype)
        x[[2, 50]] = 1.0
        if which == "csr":
            from sparsela.formats import CSR

            op = CSR.from_scipy(S)
        elif which == "scipy_csr":
            op = S
        else:
            op = sla.aslinearoperator(S)
    y = (D @ x).astype(dtype) + 0.01 * random_array(rng, D.shape[0], dtype)
    lam = 0.1 * lambda_max(D, y)
    single = dtype in (np.float32, np.complex64)
    res = fista(op, y, lam=lam, tol=1e-5 if single else 1e-9)
    wide = np.result_type(dtype, np.float64)
    ref = fista(D.astype(wide), y.astype(wide), lam=lam, tol=1e-12)
    assert res.x.dtype == dtype and res.converged
    rt = 1e-4 if single else 1e-8
    assert res.objective == pytest.approx(ref.objective, rel=rt)


def test_float32_stays_float32(rng, real_dtype):
    A, y = _problem(rng, real_dtype)
    lam = 0.1 * float(lambda_max(A, y))
    res = fista(A, y, lam=lam, tol=1e-5)
    assert res.x.dtype == real_dtype
    assert res.converged
    ref = fista(A.astype(np.float64), y.astype(np.float64), lam=lam, tol=1e-12)
    assert res.objective == pytest.approx(ref.objective, rel=max(1e-5, tol(real_dtype)))


def test_float32_default_tol_terminates(rng):
    """A 1e-6 gap may be out of float32 reach: the solver says so, does not hang."""
    A, y = _problem(rng, np.float32, m=80, n=200)
    res = fista(A, y, lam=0.01 * float(lambda_max(A, y)))
    assert res.status in (0, 2)
    assert res.n_iter < 5000
    assert np.all(np.isfinite(res.x))


def test_lambda_max_gives_zero_solution(rng):
    A, y = _problem(rng)
    for kind, params in CASES:
        lmax = lambda_max(A, y, penalty=kind, **params)
        at = fista(A, y, lam=lmax * (1 + 1e-9), penalty=kind, **params)
        assert np.all(at.x == 0) and at.n_iter == 0 and at.converged
        below = fista(A, y, lam=0.9 * lmax, penalty=kind, **params)
        assert np.any(below.x != 0)
    np.testing.assert_allclose(lambda_max(A, y), np.abs(A.T @ y).max())
    Y = np.column_stack([y, 2 * y])
    np.testing.assert_allclose(lambda_max(A, Y), np.abs(A.T @ Y).max(axis=0))


def test_warm_start(rng):
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    res = fista(A, y, lam=lam, tol=1e-10)
    again = fista(A, y, lam=lam, x0=res.x, step=res.step, tol=1e-10)
    assert again.n_iter == 0 and again.converged
    assert again.objective == pytest.approx(res.objective, rel=1e-14)


def test_other_penalties(rng):
    A, y = _problem(rng)
    # box-constrained least squares: scipy.optimize.lsq_linear is the reference
    res = fista(A, y, penalty="box", lower=-0.2, upper=0.3, tol=1e-12, max_iter=50000)
    ref = scipy.optimize.lsq_linear(A, y, bounds=(-0.2, 0.3), tol=1e-14)
    assert res.converged and res.gap is None
    assert res.objective == pytest.approx(0.5 * np.sum(ref.fun**2), rel=1e-8)
    # l0: the result is a fixed point of the hard-thresholding step
    lam = 0.05 * np.max(np.abs(A.T @ y)) ** 2 / np.linalg.norm(A, 2) ** 2
    res = fista(A, y, lam=lam, penalty="l0", tol=1e-12, max_iter=20000)
    step = res.step
    v = res.x - step * A.T @ (A @ res.x - y)
    np.testing.assert_allclose(
        np.where(np.abs(v) > np.sqrt(2 * step * lam), v, 0), res.x, atol=1e-8
    )
    assert 0 < np.count_nonzero(res.x) < N


def test_custom_penalties(rng):
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    ref = fista(A, y, lam=lam, tol=1e-11)
    inst = fista(A, y, penalty=L1(lam), tol=1e-11)
    assert inst.objective == pytest.approx(ref.objective, rel=1e-10)

    class Duck:  # the protocol without subclassing Prox: no gap, relative change
        def prox(self, v, step):
            return np.sign(v) * np.maximum(np.abs(v) - step * lam, 0)

        def value(self, x):
            return lam * np.abs(x).sum(axis=0)

    duck = fista(A, y, penalty=Duck(), tol=1e-12)
    assert duck.gap is None and duck.converged
    assert duck.objective == pytest.approx(ref.objective, rel=1e-9)
    bare = fista(A, y, penalty=Duck().prox, tol=1e-12)
    np.testing.assert_allclose(bare.x, duck.x, atol=1e-7)
    assert bare.objective == pytest.approx(0.5 * np.linalg.norm(A @ bare.x - y) ** 2)

    class Ridge(Prox):
        def prox(self, v, step):
            return v / (1.0 + np.asarray(step))

        def value(self, x):
            return 0.5 * (np.abs(x) ** 2).sum(axis=0)

    ridge = fista(A, y, penalty=Ridge(), tol=1e-13, max_iter=20000)
    np.testing.assert_allclose(
        ridge.x, np.linalg.solve(A.T @ A + np.eye(N), A.T @ y), atol=1e-6
    )


def test_history_callback_and_status(rng):
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    seen = []
    res = fista(A, y, lam=lam, tol=1e-10, callback=lambda x: seen.append(x.copy()))
    assert len(seen) == res.n_iter == len(res.history["time"])
    np.testing.assert_array_equal(seen[-1], res.x)
    assert np.all(np.diff(res.history["time"]) >= 0)
    assert res.history["gap"][-1] == res.gap <= 1e-10
    assert res.residual_norm == pytest.approx(np.linalg.norm(A @ res.x - y))
    short = fista(A, y, lam=lam, tol=1e-14, max_iter=3)
    assert short.status == 1 and not short.converged and short.n_iter == 3
    assert "max_iter" in short.message
    stop = fista(A, y, lam=lam, callback=lambda x: True)
    assert stop.status == 3 and stop.n_iter == 1
    rel = fista(A, y, lam=lam, penalty="l0", tol=1e-6)
    assert rel.gap is None and "relative change" in rel.message
    assert rel.history["rel_change"][-1] <= 1e-6


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(lam=-0.1), ValueError, "lam"),
        (dict(lam=np.nan), ValueError, "lam"),
        (dict(), TypeError, "lam"),
        (dict(lam=0.1, penalty="l3"), ValueError, "penalty"),
        (dict(lam=0.1, weights=np.ones(N)), ValueError, "weights"),
        (
            dict(lam=0.1, penalty="weighted_l1", weights=np.ones(N - 1)),
            ValueError,
            "weights",
        ),
        (
            dict(lam=0.1, penalty="weighted_l1", weights=-np.ones(N)),
            ValueError,
            "weights",
        ),
        (dict(lam=0.1, penalty="weighted_l1"), TypeError, "weights"),
        (
            dict(lam=0.1, penalty="group_l1", groups=[np.arange(10), np.arange(5, N)]),
            ValueError,
            "partition",
        ),
        (
            dict(lam=0.1, penalty="group_l1", groups=[np.arange(N - 1)]),
            ValueError,
            "partition",
        ),
        (
            dict(lam=0.1, penalty="group_l1", groups=np.arange(N - 3)),
            ValueError,
            "partition",
        ),
        (dict(lam=0.1, penalty="box"), ValueError, "lam"),
        (dict(lam=0.1, penalty=L1(0.1)), ValueError, "lam"),
        (dict(penalty=L1(0.1), weights=np.ones(N)), ValueError, "weights"),
        (dict(penalty=3), TypeError, "penalty"),
        (dict(lam=0.1, restart="sometimes"), ValueError, "restart"),
        (dict(lam=0.1, backtracking="maybe"), ValueError, "backtracking"),
        (dict(lam=0.1, tol=-1.0), ValueError, "tol"),
        (dict(lam=0.1, max_iter=-1), ValueError, "max_iter"),
        (dict(lam=0.1, step=0.0), ValueError, "step"),
        (dict(lam=0.1, x0=np.ones(N - 1)), ValueError, "x0"),
        (dict(lam=0.1, x0=np.full(N, np.nan)), ValueError, "x0"),
        (dict(lam=0.1, callback=3), TypeError, "callback"),
        (dict(lam=0.1, penalty="elastic_net", l1_ratio=2.0), ValueError, "l1_ratio"),
    ],
)
def test_bad_input(rng, kwargs, err, match):
    A, y = _problem(rng)
    with pytest.raises(err, match=match):
        fista(A, y, **kwargs)


def test_bad_data(rng):
    A, y = _problem(rng)
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="y"):
        fista(A, bad, lam=0.1)
    badA = A.copy()
    badA[0, 0] = np.inf
    with pytest.raises(ValueError, match="A"):
        fista(badA, y, lam=0.1)
    with pytest.raises(ValueError, match="y"):
        fista(A, y[:-1], lam=0.1)
    with pytest.raises(ValueError, match="y"):
        ista(A, np.zeros((M, 0)), lam=0.1)
    with pytest.raises(TypeError, match="real"):
        fista(A.astype(complex), y, lam=0.1, penalty="nonneg_l1")
    with pytest.raises(TypeError):
        fista("matrix", y, lam=0.1)
    with pytest.raises(ValueError, match="lambda_max|penalty"):
        lambda_max(A, y, penalty="l0")


def test_dense_operator_paths_agree(rng):
    """Column-major, row-major and wrapped dense operators give the same iterates."""
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    kw = dict(lam=lam, tol=1e-10)
    ref = fista(A, y, **kw)
    for B in (np.asfortranarray(A), Dense(A), aslinearoperator(A).to_scipy()):
        res = fista(B, y, **kw)
        assert res.objective == pytest.approx(ref.objective, rel=1e-12)
        assert abs(res.n_iter - ref.n_iter) <= 2


def test_real_operator_complex_data(rng):
    """A real ``A`` with complex ``y``: complex problem, no cast warnings."""
    A = rng.standard_normal((M, N))
    y = random_array(rng, M, np.complex128)
    lam = 0.2 * lambda_max(A, y)
    ref = fista(A.astype(complex), y, lam=lam, tol=1e-11)
    for bt in ("auto", True, False):
        res = fista(A, y, lam=lam, tol=1e-11, backtracking=bt)
        assert res.x.dtype == np.complex128 and res.converged
        assert res.objective == pytest.approx(ref.objective, rel=1e-9)


def test_no_norm_estimate_falls_back_on_backtracking(rng):
    class NoNorm(_CountingDense):
        def norm_est(self, **kwargs):
            raise NotImplementedError

    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    ref = fista(A, y, lam=lam, tol=1e-10)
    res = fista(NoNorm(A), y, lam=lam, backtracking=False, tol=1e-10)
    assert res.converged
    assert res.objective == pytest.approx(ref.objective, rel=1e-9)


def test_mixed_precision_promotes(rng):
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    ref = fista(A, y, lam=lam, tol=1e-10)
    A32 = A.astype(np.float32)
    res = fista(A32, y, lam=lam, tol=1e-10)
    assert res.x.dtype == np.float64 and res.converged
    exact = fista(A32.astype(np.float64), y, lam=lam, tol=1e-10)
    assert res.objective == pytest.approx(exact.objective, rel=1e-9)
    assert res.objective == pytest.approx(ref.objective, rel=1e-5)


# ---- the skeleton: operators from SciPy, batches, per-signal lam, callbacks ---------
def _scipy_ops(A):
    """SciPy operators of ``A``: from the matrix, and from bare matvec/rmatvec."""
    return {
        "aslinearoperator": sla.aslinearoperator(A),
        "matvec_rmatvec": sla.LinearOperator(
            A.shape, matvec=lambda v: A @ v, rmatvec=lambda v: A.T @ v, dtype=A.dtype
        ),
    }


@pytest.mark.parametrize("solver", [ista, fista])
@pytest.mark.parametrize("which", ["aslinearoperator", "matvec_rmatvec"])
def test_scipy_linear_operator_gives_the_dense_answer(rng, solver, which):
    A, Y = _problem(rng, k=3)
    lam = 0.1 * lambda_max(A, Y)
    kw = dict(tol=1e-9, max_iter=50000)
    op = _scipy_ops(A)[which]
    for y, lam_y in ((Y[:, 0], float(lam[0])), (Y, lam)):
        ref = solver(A, y, lam=lam_y, **kw)
        res = solver(op, y, lam=lam_y, **kw)
        assert np.all(res.converged)
        np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-9)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    np.testing.assert_allclose(lambda_max(op, Y), lam / 0.1, rtol=1e-12)


@pytest.mark.parametrize("call", [ista, fista, lambda_max])
def test_operator_without_adjoint_is_refused(rng, call):
    A, y = _problem(rng)
    op = sla.LinearOperator(A.shape, matvec=lambda v: A @ v, dtype=A.dtype)
    kw = {} if call is lambda_max else {"lam": 0.1}
    with pytest.raises(TypeError, match="^A has no adjoint"):
        call(op, y, **kw)


def test_twenty_signals_match_sklearn_lasso(rng):
    """Every signal of a batch is its own lasso: scikit-learn's ``Lasso`` with
    ``alpha = lam / m`` (it minimises ``1/(2m) ||y - A x||^2 + alpha ||x||_1``)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    m, n, S = 40, 100, 20
    A = rng.standard_normal((m, n))
    X = np.zeros((n, S))
    supports = [np.sort(rng.choice(n, 4, replace=False)) for _ in range(S)]
    for j, s in enumerate(supports):
        X[s, j] = rng.choice([-1.0, 1.0], 4) * rng.uniform(1.0, 2.0, 4)
    Y = A @ X + 0.01 * rng.standard_normal((m, S))
    lam = 0.05 * lambda_max(A, Y)
    assert lam.shape == (S,)
    res = fista(A, Y, lam=lam, tol=1e-12)
    assert res.x.shape == (n, S)
    for name in ("converged", "status", "n_iter", "residual_norm", "objective", "gap",
                 "step"):  # fmt: skip
        assert np.shape(getattr(res, name)) == (S,), name
    assert np.all(res.converged) and np.all(res.status == 0)
    assert isinstance(res.support, list) and len(res.support) == S
    np.testing.assert_allclose(
        res.residual_norm, np.linalg.norm(A @ res.x - Y, axis=0), rtol=1e-10
    )
    for j in range(S):
        model = linear_model.Lasso(
            alpha=lam[j] / m, fit_intercept=False, tol=1e-14, max_iter=100000
        ).fit(A, Y[:, j])
        f_ref = _objective(A, Y[:, j], model.coef_, lam[j], "l1")
        assert res.objective[j] == pytest.approx(f_ref, rel=1e-9)
        assert res.objective[j] <= f_ref * (1 + 1e-10)
        np.testing.assert_allclose(res.x[:, j], model.coef_, atol=1e-6)
        np.testing.assert_array_equal(res.support[j], np.flatnonzero(res.x[:, j]))
        np.testing.assert_array_equal(res.support[j], np.flatnonzero(model.coef_))
        assert set(supports[j]) <= set(res.support[j].tolist())  # recovered
        assert np.linalg.norm(res.x[:, j] - X[:, j]) < 0.2 * np.linalg.norm(X[:, j])
    one = fista(A, Y[:, 0], lam=lam[0], tol=1e-12)
    assert isinstance(one.support, np.ndarray)
    np.testing.assert_array_equal(one.support, res.support[0])


@pytest.mark.parametrize("solver", [ista, fista])
@pytest.mark.parametrize("k", [None, 3])
def test_callback_stops_every_signal(rng, solver, k):
    A, y = _problem(rng, k=k)
    seen = []

    def stop_at_three(xk):
        seen.append(xk.copy())
        return len(seen) == 3

    res = solver(A, y, lam=0.01, tol=1e-14, callback=stop_at_three)
    want = (N,) if k is None else (N, k)
    assert len(seen) == 3 and all(x.shape == want for x in seen)
    np.testing.assert_array_equal(res.x, seen[-1])
    assert np.all(res.status == 3) and not np.any(res.converged)
    assert np.all(res.n_iter == 3)
    assert "callback" in res.message
    assert len(res.history["objective"]) == 3


@pytest.mark.parametrize(
    "kind, params",
    [("l1", {}), ("group_l1", {"groups": GROUPS}), ("elastic_net", {"l1_ratio": 0.4})],
    ids=["l1", "group_l1", "elastic_net"],
)
def test_per_signal_lam_equals_separate_solves(rng, kind, params):
    A, Y = _problem(rng, k=4)
    lmax = lambda_max(A, Y, penalty=kind, **params)
    lam = np.array([0.05, 0.1, 0.2, 0.4]) * lmax
    batch = fista(A, Y, lam=lam, penalty=kind, tol=1e-12, **params)
    assert np.all(batch.converged) and np.all(batch.gap <= 1e-12)
    for j in range(4):
        solo = fista(A, Y[:, j], lam=lam[j], penalty=kind, tol=1e-12, **params)
        assert batch.objective[j] == pytest.approx(solo.objective, rel=1e-11)
        np.testing.assert_allclose(batch.x[:, j], solo.x, rtol=1e-6, atol=1e-8)
        assert abs(int(batch.n_iter[j]) - solo.n_iter) <= 2
    # a scalar is the same weight for every signal
    same = fista(A, Y, lam=float(lam[1]), penalty=kind, tol=1e-12, **params)
    again = fista(A, Y, lam=np.full(4, lam[1]), penalty=kind, tol=1e-12, **params)
    np.testing.assert_array_equal(same.x, again.x)
    # one signal four times: more weight, fewer non-zeros
    rep = fista(A, np.tile(Y[:, :1], (1, 4)), lam=lam[0] * np.array([1, 2, 4, 8]),
                penalty=kind, tol=1e-12, **params)  # fmt: skip
    nnz = [np.count_nonzero(rep.x[:, j]) for j in range(4)]
    assert nnz == sorted(nnz, reverse=True) and nnz[0] > nnz[-1]


def test_per_signal_lam_without_dual_and_ista(rng):
    """Relative-change stopping (l0) and ISTA honour per-signal weights too."""
    A, Y = _problem(rng, k=2)
    lam = np.array([0.01, 0.2])
    for kw in (dict(penalty="l0", tol=1e-10), dict(penalty="l1", tol=1e-9)):
        solver = fista if kw["penalty"] == "l0" else ista
        batch = solver(A, Y, lam=lam, max_iter=20000, **kw)
        for j in range(2):
            solo = solver(A, Y[:, j], lam=lam[j], max_iter=20000, **kw)
            np.testing.assert_allclose(batch.x[:, j], solo.x, rtol=1e-6, atol=1e-8)


def test_lambda_max_per_signal(rng):
    A, Y = _problem(rng, k=3)
    Y[:, 2] *= 5.0
    for kind, params in CASES:
        lmax = lambda_max(A, Y, penalty=kind, **params)
        assert lmax.shape == (3,)
        for j in range(3):
            assert lmax[j] == pytest.approx(
                lambda_max(A, Y[:, j], penalty=kind, **params), rel=1e-14
            )
        at = fista(A, Y, lam=lmax * (1 + 1e-9), penalty=kind, **params)
        assert np.all(at.x == 0) and np.all(at.n_iter == 0) and np.all(at.converged)
        assert all(s.size == 0 for s in at.support)
        below = fista(A, Y, lam=0.9 * lmax, penalty=kind, **params)
        assert all(np.any(below.x[:, j] != 0) for j in range(3))
    np.testing.assert_allclose(lambda_max(A, Y), np.abs(A.T @ Y).max(axis=0))
    np.testing.assert_allclose(
        lambda_max(A, Y, penalty="nonneg_l1"), np.maximum((A.T @ Y).max(axis=0), 0)
    )


@pytest.mark.parametrize(
    "lam, err, match",
    [
        (np.full(3, 0.123456), ValueError, r"shape \(4,\).*got shape \(3,\)"),
        (np.full((4, 1), 0.123456), ValueError, r"shape \(4,\).*got shape \(4, 1\)"),
        (np.array([0.1, np.nan, 0.123456, 0.1]), ValueError, "lam must be finite"),
        (np.array([0.1, -0.123456, 0.1, 0.1]), ValueError, "lam must be >= 0"),
        (np.array(["a", "b", "c", "d"]), TypeError, "lam must be a real"),
        (np.array([True] * 4), TypeError, "lam must be a real"),
    ],
)
def test_bad_per_signal_lam(rng, lam, err, match):
    A, Y = _problem(rng, k=4)
    with pytest.raises(err, match=match) as info:
        fista(A, Y, lam=lam)
    assert "0.123456" not in str(info.value)  # the shape, never the values
    with pytest.raises(ValueError, match=r"shape \(1,\)"):
        fista(A, Y[:, 0], lam=np.ones(2))


def test_penalty_objects_keep_their_own_lam(rng):
    A, Y = _problem(rng, k=2)
    for g, kw in (
        (L1(0.3), dict(lam=0.3)),
        (GroupL1Penalty(0.5, groups=GROUPS), dict(lam=0.5, penalty="group_l1",
                                                groups=GROUPS)),
    ):  # fmt: skip
        inst = fista(A, Y, penalty=g, tol=1e-11)
        named = fista(A, Y, tol=1e-11, **kw)
        np.testing.assert_array_equal(inst.x, named.x)
        np.testing.assert_array_equal(inst.gap, named.gap)
    with pytest.raises(ValueError, match="lam must be None"):
        fista(A, Y, lam=np.ones(2), penalty=L1(0.3))


def test_subclass_overriding_prox_goes_through_its_prox(rng):
    """A subclass of a built-in that overrides ``prox`` is called, not bypassed."""
    A, y = _problem(rng)
    calls = []

    class CountedL1(L1):
        def prox(self, v, step):
            calls.append(np.shape(v))
            return super().prox(v, step)

    ref = fista(A, y, lam=0.2, tol=1e-10)
    res = fista(A, y, penalty=CountedL1(0.2), tol=1e-10)
    assert len(calls) >= res.n_iter and calls[0] == (N,)  # 1-D, as y was
    assert res.objective == pytest.approx(ref.objective, rel=1e-12)


def test_status_codes_are_the_shared_ones(rng):
    from sparsela import Status

    A, y = _problem(rng)
    assert fista(A, y, lam=0.1).status is Status.CONVERGED
    assert fista(A, y, lam=0.1, tol=0.0, max_iter=2).status is Status.MAX_ITER
    assert fista(A, y, lam=0.1, callback=lambda x: True).status is Status.CALLBACK
    batch = fista(A, np.column_stack([y, y]), lam=0.1, tol=0.0, max_iter=2)
    assert batch.status.dtype.kind == "i" and np.all(batch.status == Status.MAX_ITER)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(step=np.full(50, 0.123456)), TypeError, r"step .* shape \(50,\)"),
        (dict(tol=np.full(50, 0.123456)), TypeError, r"tol .* shape \(50,\)"),
        (dict(max_iter=np.arange(50)), TypeError, r"max_iter .* shape \(50,\)"),
        (dict(restart=np.full(50, 0.123456)), ValueError, "restart .* ndarray"),
        (dict(backtracking=np.full(50, 0.123456)), ValueError, "backtracking"),
        (dict(penalty="elastic_net", l1_ratio=np.full(50, 0.123456)), TypeError,
         "l1_ratio"),
        (dict(penalty=np.full(50, 0.123456)), TypeError, "penalty .* ndarray"),
    ],
)  # fmt: skip
def test_messages_name_shapes_not_values(rng, kwargs, err, match):
    A, y = _problem(rng)
    kwargs = {"lam": None if "penalty" in kwargs and "l1_ratio" not in kwargs
              else 0.1, **kwargs}  # fmt: skip
    with pytest.raises(err, match=match) as info:
        fista(A, y, **kwargs)
    assert "0.123456" not in str(info.value) and "49" not in str(info.value)
    with pytest.raises(ValueError, match="lambda_max, got an object") as info:
        lambda_max(A, y, penalty=np.full(50, 0.123456))
    assert "0.123456" not in str(info.value)


@pytest.mark.parametrize("fmt", ["CSR", "CSC", "COO", "BSR"])
def test_sparse_formats_match_dense(rng, fmt):
    """Every sparse format runs on the operator's CSC copy: the dense answer."""
    import sparsela.formats

    S = sp.random(40, 70, density=0.15, random_state=3, format="csr")
    S = S + sp.random(40, 70, density=0.05, random_state=5, format="csr")
    D = S.toarray()
    y = D[:, [2, 50]] @ np.array([1.0, -1.0]) + 0.01 * rng.standard_normal(40)
    lam = 0.1 * lambda_max(D, y)
    cls = getattr(sparsela.formats, fmt)
    A = cls.from_scipy(S.tobsr(blocksize=(2, 2)) if fmt == "BSR" else S)
    ref = fista(D, np.column_stack([y, 2 * y]), lam=lam, tol=1e-11)
    res = fista(A, np.column_stack([y, 2 * y]), lam=lam, tol=1e-11)
    assert np.all(res.converged)
    np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-10)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-8)


# ---- honest status (issue 13) ------------------------------------------------------
def test_float32_noiseless_default_tol_status_is_unambiguous():
    """30 seeded float32 runs on noiseless data at the default tol: 28 of 30
    ended with status 2 and a message that did not say whether x was fine.
    Now every run converges: either the gap meets tol, or it reached its
    float32 rounding floor (said in the message) with x optimal to float32
    precision, checked against a float64 solve."""
    from sparsela import Status

    at_floor = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        A = rng.standard_normal((100, 300)).astype(np.float32)
        x = np.zeros(300, dtype=np.float32)
        x[rng.choice(300, 10, replace=False)] = rng.standard_normal(10)
        y = A @ x
        lam = float(0.01 * lambda_max(A, y))
        res = fista(A, y, lam=lam)
        assert res.status == Status.CONVERGED, (seed, res.message)
        floor = "rounding floor" in res.message
        at_floor += floor
        if floor:
            assert "float32" in res.message and res.gap > 1e-6
            assert res.gap <= 1e4 * np.finfo(np.float32).eps
        else:
            assert res.message == "converged: relative duality gap <= tol"
            assert res.gap <= 1e-6
        A64, y64 = A.astype(np.float64), y.astype(np.float64)
        ref = fista(A64, y64, lam=lam, tol=1e-12)

        def F(z, A64=A64, y64=y64, lam=lam):
            return 0.5 * np.sum((A64 @ z - y64) ** 2) + lam * np.abs(z).sum()

        subopt = (F(res.x.astype(np.float64)) - ref.objective) / ref.objective
        assert subopt <= 1e-9, (seed, subopt)
    assert at_floor >= 10  # the case the issue is about does occur


def test_float32_elastic_net_gap_is_honest():
    """float32 elastic net at tol=1e-10 reported converged with gap 0 while its
    suboptimality was 1.6e-9: the gap cancelled below eps ||y||^2. The
    reported gap must bound the suboptimality measured against scikit-learn's
    float64 ElasticNet."""
    from sklearn.linear_model import ElasticNet as SkElasticNet

    from sparsela.datafits import Quadratic
    from sparsela.penalties import ElasticNet

    lam, a = 0.5, 0.5
    for seed in range(5):
        rng = np.random.default_rng(seed)
        m, n = 50, 100
        A = rng.standard_normal((m, n)).astype(np.float32)
        x = np.zeros(n, dtype=np.float32)
        x[rng.choice(n, 5, replace=False)] = rng.standard_normal(5)
        y = (A @ x + 0.01 * rng.standard_normal(m)).astype(np.float32)
        res = fista(A, y, lam=lam, penalty="elastic_net", l1_ratio=a, tol=1e-10,
                    max_iter=20000)  # fmt: skip
        A64, y64 = A.astype(np.float64), y.astype(np.float64)
        # scikit-learn minimises F / m with alpha = lam / m
        sk = SkElasticNet(alpha=lam / m, l1_ratio=a, fit_intercept=False,
                          tol=1e-14, max_iter=100000).fit(A64, y64)  # fmt: skip

        def F(w, A64=A64, y64=y64):
            pen = lam * (a * np.abs(w).sum() + 0.5 * (1 - a) * w @ w)
            return 0.5 * np.sum((A64 @ w - y64) ** 2) + pen

        F_star = F(sk.coef_)
        subopt = (F(res.x.astype(np.float64)) - F_star) / F_star
        assert res.gap > 0 and res.converged
        assert subopt <= 1.01 * res.gap + 1e-13, (seed, subopt, res.gap)
        # the public datafit computes the same honest gap
        f = Quadratic(A, y)
        g = ElasticNet(lam, l1_ratio=a)
        rel = f.duality_gap(res.x, g) / F(res.x.astype(np.float64))
        assert rel > 0 and subopt <= 1.01 * rel + 1e-13


def test_numerical_status_says_why(rng):
    """A non-finite objective is told apart from a stalled gap."""
    from sparsela import Status

    class Broken(Prox):
        def prox(self, v, step):
            return v

        def value(self, x):
            return np.inf

        def dual_scale(self, z):
            return np.ones(np.shape(z)[1:] or (1,)), np.zeros(np.shape(z)[1:] or 1)

        has_dual = True

    A, y = _problem(rng)
    res = fista(A, y, penalty=Broken())
    assert res.status == Status.NUMERICAL
    assert "non-finite" in res.message and "duality gap" not in res.message
