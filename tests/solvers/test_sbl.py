"""Classic SBL, M-SBL and the fast marginal-likelihood method."""

import contextlib

import numpy as np
import pytest
import scipy.sparse

from sparsela.datasets import make_sparse_problem
from sparsela.metrics import nmse, nmse_db
from sparsela.operators import Dense
from sparsela.solvers.bayes._em import EStep as _EStep
from sparsela.solvers.bayes.sbl import sbl

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None


def _one_thread():
    # many tiny BLAS calls: threads only contend on a shared 2-core machine
    return threadpool_limits(1) if threadpool_limits else contextlib.nullcontext()


def _rand(rng, shape, cplx):
    out = rng.standard_normal(shape)
    if cplx:
        out = out + 1j * rng.standard_normal(shape)
    return out


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("m, k", [(8, 20), (20, 8)])  # Woodbury / coefficient form
@pytest.mark.parametrize("L", [1, 3])
def test_estep_matches_dense_posterior(rng, cplx, m, k, L):
    n = k + 5
    Phi = _rand(rng, (m, n), cplx)
    Y = _rand(rng, (m, L), cplx)
    active = np.sort(rng.choice(n, size=k, replace=False))
    g = rng.uniform(0.2, 2.0, k)
    s2 = 0.3
    P = Phi[:, active]
    Sigma = np.linalg.inv(P.conj().T @ P / s2 + np.diag(1 / g))
    mu_ref = Sigma @ P.conj().T @ Y / s2
    Sy = s2 * np.eye(m) + (P * g) @ P.conj().T
    mu, dsig, logdet, quad, res2 = _EStep(Phi, Y)(active, g, s2)
    np.testing.assert_allclose(mu, mu_ref, atol=1e-10)
    np.testing.assert_allclose(dsig, np.diag(Sigma).real, atol=1e-10)
    assert logdet == pytest.approx(np.linalg.slogdet(Sy)[1], abs=1e-10)
    quad_ref = np.trace(Y.conj().T @ np.linalg.solve(Sy, Y)).real / L
    assert quad == pytest.approx(quad_ref, rel=1e-10)
    assert res2 == pytest.approx(np.linalg.norm(Y - P @ mu_ref) ** 2 / L, rel=1e-9)


def test_em_decreases_the_sbl_cost(rng):
    A, y, _, nv = make_sparse_problem(30, 80, 5, snr_db=15, random_state=rng)
    res = sbl(A, y, noise_var=nv, prune=0.0, max_iter=60, tol=0.0)
    obj = np.array(res.history["objective"])
    assert obj.size == 60
    assert np.all(np.diff(obj) <= 1e-9 * np.abs(obj[:-1]))


def test_classic_problem_20_trials_against_ard():
    """Gaussian 100 x 400, 10-sparse, 20 dB (issue #5): SBL vs ARDRegression."""
    from sklearn.linear_model import ARDRegression

    rng = np.random.default_rng(20240501)
    ours, ard, oracle = [], [], []
    with _one_thread():
        for _ in range(20):
            A, y, x, _ = make_sparse_problem(100, 400, 10, snr_db=20, random_state=rng)
            res = sbl(A, y)
            assert res.converged
            ours.append(nmse_db(x, res.x))
            ard.append(nmse_db(x, ARDRegression(fit_intercept=False).fit(A, y).coef_))
            S = np.flatnonzero(x)
            x_or = np.zeros_like(x)
            x_or[S] = np.linalg.lstsq(A[:, S], y, rcond=None)[0]
            oracle.append(nmse_db(x, x_or))
    # the target; ARDRegression reaches about -15 dB here
    assert np.mean(ours) <= -25.0
    assert np.mean(ours) <= np.mean(ard) - 8.0
    assert np.mean(ours) >= np.mean(oracle)


def test_msbl_recovers_shared_support_single_vector_sbl_misses():
    """20 x 40 Gaussian, 10 shared non-zeros, 6 noiseless snapshots."""
    rng = np.random.default_rng(7)
    msbl_ok, single_ok = 0, 0
    n_problems = 8
    with _one_thread():
        for _ in range(n_problems):
            A, Y, X, _ = make_sparse_problem(
                20, 40, 10, n_signals=6, snr_db=None, random_state=rng
            )
            truth = set(np.flatnonzero(np.abs(X).sum(axis=1)).tolist())
            res = sbl(A, Y, joint=True)
            found = set(np.flatnonzero(np.abs(res.x).max(axis=1) > 1e-3).tolist())
            msbl_ok += found == truth
            for j in range(Y.shape[1]):
                r1 = sbl(A, Y[:, j])
                f1 = set(np.flatnonzero(np.abs(r1.x) > 1e-3).tolist())
                single_ok += f1 == truth
    # measured: M-SBL 8 / 8 supports, single-vector SBL 15 / 48
    assert msbl_ok >= n_problems - 1
    assert single_ok <= 0.4 * n_problems * 6


def test_msbl_result_shapes(rng):
    A, Y, X, nv = make_sparse_problem(
        25, 50, 4, n_signals=3, snr_db=25, random_state=rng
    )
    res = sbl(A, Y, noise_var=nv, joint=True)
    assert res.x.shape == (50, 3)
    assert res.residual_norm.shape == (3,)
    np.testing.assert_allclose(res.residual_norm, np.linalg.norm(Y - A @ res.x, axis=0))
    assert res.gamma.shape == (50,)


def test_fast_method_very_sparse_finishes_in_few_steps():
    A, y, x, _ = make_sparse_problem(200, 2000, 5, snr_db=None, random_state=1)
    res = sbl(A, y, method="fast")
    assert res.converged
    assert sorted(res.support.tolist()) == np.flatnonzero(x).tolist()
    assert res.n_iter <= 3 * 5  # one basis function added per iteration
    assert nmse(x, res.x) < 1e-12


def test_fast_matches_em_on_a_well_posed_problem(rng):
    A, y, x, nv = make_sparse_problem(60, 120, 4, snr_db=40, random_state=2)
    fast = sbl(A, y, method="fast", noise_var=nv)
    em = sbl(A, y, noise_var=nv)
    # both find the planted support; spurious noise-level entries are tiny
    big = np.abs(x) > 0.05 * np.abs(x).max()
    assert set(np.flatnonzero(big)) <= set(fast.support.tolist())
    assert nmse(x, fast.x) < 1e-3 and nmse(x, em.x) < 1e-3
    assert nmse(em.x, fast.x) < 1e-3


@pytest.mark.parametrize("method", ["em", "fast"])
def test_complex_recovery(method):
    A, y, x, nv = make_sparse_problem(
        50, 120, 5, snr_db=30, dtype=np.complex128, random_state=4
    )
    res = sbl(A, y, noise_var=nv, method=method)
    assert res.x.dtype == np.complex128
    assert nmse_db(x, res.x) < -20


def test_float32_in_float32_out():
    A, y, x, _ = make_sparse_problem(
        40, 80, 3, snr_db=30, dtype=np.float32, random_state=0
    )
    res = sbl(A, y)
    assert res.x.dtype == np.float32
    res64 = sbl(A.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(res.x, res64.x, rtol=1e-5, atol=1e-6)


def test_operator_and_sparse_inputs_agree(rng):
    A, y, _, nv = make_sparse_problem(30, 60, 3, snr_db=20, random_state=rng)
    ref = sbl(A, y, noise_var=nv).x
    np.testing.assert_allclose(sbl(Dense(A), y, noise_var=nv).x, ref, atol=1e-12)
    np.testing.assert_allclose(
        sbl(scipy.sparse.csr_array(A), y, noise_var=nv).x, ref, atol=1e-12
    )


def test_scale_equivariance(rng):
    A, y, _, _ = make_sparse_problem(30, 60, 3, snr_db=20, random_state=rng)
    r1 = sbl(A, y)
    r2 = sbl(A, 1e3 * y)
    np.testing.assert_allclose(r2.x, 1e3 * r1.x, rtol=1e-8, atol=1e-9)
    assert r2.noise_var == pytest.approx(1e6 * r1.noise_var, rel=1e-8)


def test_zero_measurements_give_zero():
    res = sbl(np.eye(3, 5), np.zeros(3))
    assert res.converged and not np.any(res.x)


def test_callback_can_stop(rng):
    A, y, _, _ = make_sparse_problem(20, 40, 3, random_state=rng)
    seen = []
    res = sbl(A, y, callback=lambda x: seen.append(x.shape) or len(seen) == 3)
    assert res.n_iter == 3 and res.status == 3 and not res.converged
    assert seen[0] == (40,)  # shaped as the result's x


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(noise_var=-1.0), "noise_var"),
        (dict(noise_var=0.0), "noise_var"),
        (dict(noise_var=float("nan")), "noise_var"),
        (dict(method="ard"), "method"),
        (dict(prune=1.5), "prune"),
    ],
)
def test_bad_options(rng, kwargs, match):
    A, y, _, _ = make_sparse_problem(10, 20, 2, random_state=rng)
    with pytest.raises(ValueError, match=match):
        sbl(A, y, **kwargs)


def test_bad_data(rng):
    A, y, _, _ = make_sparse_problem(10, 20, 2, random_state=rng)
    A_nan = A.copy()
    A_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="A"):
        sbl(A_nan, y)
    y_nan = y.copy()
    y_nan[1] = np.inf
    with pytest.raises(ValueError, match="y"):
        sbl(A, y_nan)
    with pytest.raises(ValueError, match="rows"):
        sbl(A, y[:-1])
    with pytest.raises(ValueError, match="A"):
        sbl(np.zeros((10, 20)), y)
    with pytest.raises(TypeError, match="y"):
        sbl(A, np.array(["a"] * 10))


def test_significance_test_removes_noise_fits():
    """Without the final test EM keeps columns that fit the noise (their
    evidence is maximal at a non-zero variance); the Bonferroni test drops
    most of them and lowers the error, on every one of 4 seeds."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        errs = {True: [], False: []}
        n_false = {True: 0, False: 0}
        for _ in range(10):
            A, y, x, _ = make_sparse_problem(100, 400, 10, snr_db=20, random_state=rng)
            S = set(np.flatnonzero(x))
            for test in (True, False):
                res = sbl(A, y, significance=0.05 if test else None)
                errs[test].append(nmse_db(x, res.x))
                n_false[test] += len(set(res.support) - S)
                assert set(np.flatnonzero(res.x)) <= set(res.support)
        assert np.mean(errs[True]) < np.mean(errs[False]) - 1.0
        assert n_false[True] < n_false[False] / 2


def test_significance_argument_checked():
    A, y, _, _ = make_sparse_problem(20, 40, 3, random_state=0)
    for bad in (0.0, 1.0, -0.1, 2.0):
        with pytest.raises(ValueError, match="significance"):
            sbl(A, y, significance=bad)


# ---------------------------------------------------------------------------
# the boundary: anything aslinearoperator accepts
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["em", "fast"])
def test_scipy_linear_operators_give_the_dense_answer(rng, method):
    import scipy.sparse.linalg as spla

    A, y, _, nv = make_sparse_problem(30, 60, 3, snr_db=30, random_state=rng)
    ref = sbl(A, y, noise_var=nv, method=method)
    ops = {
        "from a matrix": spla.aslinearoperator(A),
        "matvec and rmatvec": spla.LinearOperator(
            A.shape, matvec=lambda v: A @ v, rmatvec=lambda v: A.T @ v, dtype=A.dtype
        ),
        "matvec only": spla.LinearOperator(A.shape, matvec=lambda v: A @ v),
    }
    for name, op in ops.items():
        res = sbl(op, y, noise_var=nv, method=method)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_array_equal(res.support, ref.support, err_msg=name)
        assert res.n_iter == ref.n_iter, name


def test_operator_with_nan_is_rejected(rng):
    import scipy.sparse.linalg as spla

    A = rng.standard_normal((10, 20))
    for bad in (np.nan, np.inf):
        A[2, 3] = bad
        op = spla.LinearOperator(A.shape, matvec=lambda v: A @ v, dtype=float)
        with pytest.raises(ValueError, match="A contains NaN or Inf"):
            sbl(op, np.ones(10))


def test_bad_joint_and_callback(rng):
    A, y, _, _ = make_sparse_problem(10, 20, 2, random_state=rng)
    with pytest.raises(TypeError, match="joint"):
        sbl(A, y, joint="yes")
    with pytest.raises(TypeError, match="callback"):
        sbl(A, y, callback=3)


# ---------------------------------------------------------------------------
# 2-D y: independent signals by default, joint sparsity with joint=True
# ---------------------------------------------------------------------------
def _independent_signals(seed, m=100, n=200, k=10, n_signals=20):
    """Gaussian A; every signal its own random support of k entries."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    X = np.zeros((n, n_signals))
    supports = []
    for j in range(n_signals):
        s = np.sort(rng.choice(n, k, replace=False))
        X[s, j] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 1.5, k)
        supports.append(s)
    return A, X, supports


@pytest.mark.parametrize("method", ["em", "fast"])
def test_twenty_independent_signals(method):
    """100 x 200, 20 noiseless signals with 10 non-zeros each, all supports
    different: each is recovered on its own (measured relative error <= 1e-6;
    M-SBL, joint=True, gets 0.8 on the same data)."""
    A, X, supports = _independent_signals(123)
    Y = A @ X
    with _one_thread():
        res = sbl(A, Y, method=method)
    S = Y.shape[1]
    assert res.x.shape == (200, S)
    for name in ("converged", "status", "n_iter", "residual_norm", "noise_var"):
        assert np.shape(getattr(res, name)) == (S,), name
    assert res.gamma.shape == (200, S)
    assert isinstance(res.support, list) and len(res.support) == S
    np.testing.assert_array_equal(res.status, 0)
    assert res.converged.all()
    for j in range(S):
        np.testing.assert_array_equal(res.support[j], supports[j])
        np.testing.assert_array_equal(np.flatnonzero(res.gamma[:, j]), supports[j])
    err = np.linalg.norm(res.x - X, axis=0) / np.linalg.norm(X, axis=0)
    assert err.max() < 1e-4
    # noiseless: residuals at round-off (1e-12), compared at that level
    np.testing.assert_allclose(
        res.residual_norm,
        np.linalg.norm(Y - A @ res.x, axis=0),
        rtol=1e-7,
        atol=1e-14 * np.linalg.norm(Y, axis=0).max(),
    )
    # each column is the solution of its signal alone
    for j in (0, 7, 19):
        one = sbl(A, Y[:, j], method=method)
        np.testing.assert_allclose(res.x[:, j], one.x, rtol=1e-9, atol=1e-12)
        assert res.n_iter[j] == one.n_iter
        assert res.noise_var[j] == pytest.approx(one.noise_var, rel=1e-9)
    # independent is the default: sharing one support is much worse here
    joint = sbl(A, Y, method=method, joint=True)
    assert np.linalg.norm(joint.x - X) > 100 * np.linalg.norm(res.x - X)


def test_independent_signals_at_40db():
    A, X, supports = _independent_signals(124, n_signals=8)
    rng = np.random.default_rng(1)
    Y0 = A @ X
    Y = Y0 + np.sqrt(np.mean(Y0**2) / 1e4) * rng.standard_normal(Y0.shape)
    res = sbl(A, Y)
    # measured: largest relative error 5e-3, every support exact
    err = np.linalg.norm(res.x - X, axis=0) / np.linalg.norm(X, axis=0)
    assert err.max() < 2e-2
    for s, truth in zip(res.support, supports, strict=True):
        np.testing.assert_array_equal(s, truth)


def test_zero_column_among_independent_signals(rng):
    A, X, _ = _independent_signals(3, m=30, n=60, k=3, n_signals=3)
    Y = A @ X
    Y[:, 1] = 0.0
    for method in ("em", "fast"):
        res = sbl(A, Y, method=method)
        assert not np.any(res.x[:, 1]) and res.support[1].size == 0
        assert res.status[1] == 0 and res.n_iter[1] == 0
        assert res.n_iter[0] > 0 and res.n_iter[2] > 0


def test_history_of_independent_signals(rng):
    A, X, _ = _independent_signals(4, m=30, n=60, k=3, n_signals=3)
    res = sbl(A, A @ X)
    obj = np.array(res.history["objective"])
    assert obj.shape == (res.n_iter.max(), 3)
    for j in range(3):  # values while the signal runs, NaN afterwards
        assert np.all(np.isfinite(obj[: res.n_iter[j], j]))
        assert np.all(np.isnan(obj[res.n_iter[j] :, j]))


def _msbl_reference(A, Y, n_iter, prune, gamma0):
    """M-SBL EM with a learned noise variance, dense NumPy formulas."""
    m, n = A.shape
    L = Y.shape[1]
    s2 = 0.1 * np.var(Y)
    gamma = np.full(n, gamma0)
    active = np.arange(n)
    for _ in range(n_iter):
        g = gamma[active]
        active = active[g >= prune * g.max()]
        P, g = A[:, active], gamma[active]
        Sy = s2 * np.eye(m) + (P * g) @ P.T
        mu = g[:, None] * (P.T @ np.linalg.solve(Sy, Y))
        dsig = g - g**2 * np.einsum("ij,ji->i", P.T, np.linalg.solve(Sy, P))
        R = Y - P @ mu
        s2 = (np.sum(R**2) / L + s2 * np.sum(1 - dsig / g)) / m
        gamma = np.zeros(n)
        gamma[active] = np.mean(mu**2, axis=1) + dsig
    g = gamma[active]
    active = active[g >= prune * g.max()]
    P, g = A[:, active], gamma[active]
    Sy = s2 * np.eye(m) + (P * g) @ P.T
    x = np.zeros((n, L))
    x[active] = g[:, None] * (P.T @ np.linalg.solve(Sy, Y))
    return x, gamma, s2


def test_joint_is_msbl_against_numpy_reference():
    A, Y, _, _ = make_sparse_problem(20, 50, 4, n_signals=3, snr_db=25, random_state=9)
    g0 = float(np.sum(Y**2) / (3 * np.sum(A**2)))  # sbl's flat start
    for n_iter in (1, 5, 40):
        ref_x, ref_g, ref_s2 = _msbl_reference(A, Y, n_iter, 1e-3, g0)
        res = sbl(A, Y, joint=True, max_iter=n_iter, tol=0.0, significance=None)
        assert res.status == 1 and res.n_iter == n_iter  # one status for all
        np.testing.assert_allclose(res.x, ref_x, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(res.noise_var, ref_s2, rtol=1e-8)
        np.testing.assert_array_equal(res.support, np.flatnonzero(ref_x[:, 0]))


def test_joint_reproduces_the_previous_msbl():
    """The M-SBL code before ``joint`` existed (2-D y was joint): the same
    support, and (EM without the significance test) the iterates of the NumPy
    reference. The stopping rule now also waits for the learned noise
    variance (17 -> 20 iterations)."""
    A, Y, _, _ = make_sparse_problem(30, 60, 5, n_signals=4, snr_db=25, random_state=3)
    res = sbl(A, Y, joint=True)
    assert res.support.tolist() == [6, 22, 33, 43, 47]
    assert res.status == 0 and res.converged is True
    assert res.noise_var == pytest.approx(0.0004437546728976672, rel=1e-2)
    # without the significance test (EM as published): the reference's iterates
    plain = sbl(A, Y, joint=True, significance=None)
    g0 = float(np.sum(Y**2) / (4 * np.sum(A**2)))
    ref_x, _, ref_s2 = _msbl_reference(A, Y, plain.n_iter, 1e-3, g0)
    np.testing.assert_allclose(plain.x, ref_x, rtol=1e-7, atol=1e-12)
    assert plain.noise_var == pytest.approx(ref_s2, rel=1e-8)
    np.testing.assert_allclose(
        res.residual_norm, np.linalg.norm(Y - A @ res.x, axis=0), rtol=1e-9
    )
    assert res.gamma.shape == (60,)
    A, Y, _, _ = make_sparse_problem(
        30, 60, 5, n_signals=4, snr_db=None, random_state=3
    )
    res = sbl(A, Y, joint=True, method="fast")
    assert res.support.tolist() == [6, 22, 33, 43, 47] and res.n_iter == 11
    assert np.linalg.norm(res.x) == pytest.approx(4.05283851355545, rel=1e-9)
    assert res.noise_var == pytest.approx(1.3893276863475084e-07, rel=1e-7)


# ---------------------------------------------------------------------------
# callbacks
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["em", "fast"])
@pytest.mark.parametrize("joint", [False, True])
def test_callback_stops_every_signal(method, joint):
    A, X, _ = _independent_signals(5, m=30, n=60, k=3, n_signals=3)
    seen = []
    res = sbl(
        A,
        A @ X,
        method=method,
        joint=joint,
        callback=lambda x: seen.append(x.copy()) or len(seen) == 2,
    )
    assert all(x.shape == (60, 3) for x in seen)
    if joint:
        assert res.status == 3 and res.n_iter == 2 and not res.converged
    else:
        np.testing.assert_array_equal(res.status, 3)
        np.testing.assert_array_equal(res.n_iter, 2)
        assert not res.converged.any()
    assert "callback" in res.message


@pytest.mark.parametrize("method", ["em", "fast"])
def test_callback_sees_the_current_estimate(rng, method):
    A, y, x, _ = make_sparse_problem(40, 80, 3, snr_db=None, random_state=rng)
    seen = []
    res = sbl(A, y, method=method, callback=lambda xk: seen.append(xk.copy()))
    assert len(seen) == res.n_iter and seen[0].shape == (80,)
    # the last iterate is the posterior mean before the final refit
    assert np.linalg.norm(seen[-1] - res.x) < 1e-3 * np.linalg.norm(res.x)


# --- issue 13: scale equivariance (internal power-of-two units) -------------


@pytest.mark.parametrize("method", ["em", "fast"])
@pytest.mark.parametrize(
    "a, b",
    [(1.0, 1e100), (1.0, 1e-100), (1e100, 1.0), (1e-100, 1.0), (1.0, 1e150),
     (1.0, 1e-150), (1e-300, 1.0), (1.0, 1e-300), (1e200, 1.0)],
)  # fmt: skip
def test_sbl_scale_equivariant_at_extreme_scales(method, a, b):
    from sparsela.datasets import make_sparse_problem

    A, y, x, _ = make_sparse_problem(50, 120, 5, snr_db=30, random_state=0)
    ref = sbl(A, y, method=method)
    res = sbl(A * a, y * b, method=method)
    assert res.support.tolist() == ref.support.tolist()
    assert bool(res.converged) == bool(ref.converged)
    # x -> x b / a, σ² -> σ² b², residual -> residual b (compared in unit scale)
    np.testing.assert_allclose(res.x * (a / b), ref.x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.residual_norm / b, ref.residual_norm, rtol=1e-8)
    # σ² b² and γ (b/a)² where they are representable
    if 1e-290 < b * b < 1e290:
        np.testing.assert_allclose(res.noise_var / b / b, ref.noise_var, rtol=1e-9)
    if abs(np.log10(b / a)) < 145:
        np.testing.assert_allclose(res.gamma * (a / b) * (a / b), ref.gamma, rtol=1e-9)


def _basis_pursuit(A, y):
    """``min ||x||_1`` s.t. ``A x = y``: the independent l1 reference (HiGHS LP)."""
    from scipy.optimize import linprog

    n = A.shape[1]
    res = linprog(
        np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=y, bounds=(0, None),
        method="highs",
    )  # fmt: skip
    assert res.status == 0
    return res.x[:n] - res.x[n:]


def _rel_err(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize(("k", "at_least"), [(25, 10), (45, 7)])
def test_default_em_recovers_noiseless_signals_at_least_as_often_as_l1(k, at_least):
    # issue 13: Gaussian A of 100 x 200, k coefficients N(0, 1), noiseless, the
    # default call (noise learned). Before: one small true coefficient pruned
    # relative to the largest variance in 19 of 20 trials at k = 25. k = 45 is
    # past the l1 threshold (rho = 0.45 > rho_W(0.5) = 0.386)
    em = l1 = 0
    for seed in range(10):
        A, y, x, _ = make_sparse_problem(100, 200, k, snr_db=None, random_state=seed)
        em += _rel_err(sbl(A, y).x, x) < 1e-3
        l1 += _rel_err(_basis_pursuit(A, y), x) < 1e-3
    assert em >= l1
    assert em >= at_least


def test_a_small_pruned_coefficient_comes_back():
    # seed 1: the true coefficient 0.0045 (max 2.1) is pruned early, while the
    # learned noise variance is still large; the score test brings it back
    A, y, x, _ = make_sparse_problem(100, 200, 25, snr_db=None, random_state=1)
    res = sbl(A, y)
    assert res.support.tolist() == np.flatnonzero(x).tolist()
    assert _rel_err(res.x, x) < 1e-6
    # without the significance test nothing is re-admitted: EM as published
    plain = sbl(A, y, significance=None)
    assert set(plain.support) < set(np.flatnonzero(x))
