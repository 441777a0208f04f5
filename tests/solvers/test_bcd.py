"""Block coordinate descent against cvxpy and scikit-learn, monotonicity,
batching, statuses and bad input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sparsela import Status, bcd
from sparsela.penalties import L1, GroupL1
from sparsela.solvers.proximal import lambda_max

cp = pytest.importorskip("cvxpy")
linear_model = pytest.importorskip("sklearn.linear_model")

M, N = 40, 60
GROUPS = np.arange(N) // 4
RULES = ["gsl", "gs", "gsd", "gsq", "gsr", "cyclic", "permutation", "random",
         "lipschitz"]  # fmt: skip


def _problem(rng, dtype=np.float64, m=M, n=N):
    A = rng.standard_normal((m, n))
    y = rng.standard_normal(m)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((m, n))
        y = y + 1j * rng.standard_normal(m)
    return A.astype(dtype), y.astype(dtype)


def _labels(rng, A):
    return (A @ rng.standard_normal(A.shape[1]) + 0.5 * rng.standard_normal(A.shape[0])
            > 0).astype(float)  # fmt: skip


def _solve(prob):
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)


def _group_pen(x):
    return sum(
        np.sqrt(4.0) * np.linalg.norm(x[GROUPS == g]) for g in range(GROUPS.max() + 1)
    )


def _ls_objective(A, y, x, lam, kind):
    fit = 0.5 * np.linalg.norm(A @ x - y) ** 2
    if kind == "group_l1":
        return fit + lam * _group_pen(x)
    return fit + lam * (np.sum(x) if kind == "nonneg_l1" else np.abs(x).sum())


def _cvx_ls(A, y, lam, kind):
    x = cp.Variable(A.shape[1], complex=np.iscomplexobj(A), nonneg=kind == "nonneg_l1")
    if kind == "l1":
        pen = cp.norm1(x)
    elif kind == "nonneg_l1":
        pen = cp.sum(x)
    else:
        pen = sum(2.0 * cp.norm(x[GROUPS == g], 2) for g in range(GROUPS.max() + 1))
    _solve(cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ x - y) + lam * pen)))
    return x.value


def _log_objective(A, labels, x, lam):
    s = np.where(labels > 0, 1.0, -1.0)
    return np.logaddexp(0, -s * (A @ x)).sum() + lam * np.abs(x).sum()


# ---- optimum against independent solvers ------------------------------------------
@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("kind", ["l1", "nonneg_l1", "group_l1"])
def test_least_squares_matches_cvxpy(rng, kind, fmt):
    A, y = _problem(rng)
    extra = {"blocks": GROUPS} if kind == "group_l1" else {}
    groups = {"groups": GROUPS} if kind == "group_l1" else {}
    lam = 0.2 * lambda_max(A, y, penalty=kind, **groups)
    A_in = sp.csc_matrix(A) if fmt == "csc" else A
    res = bcd(A_in, y, lam=lam, penalty=kind, tol=1e-12, **extra)
    assert res.converged and res.status == Status.CONVERGED and res.gap <= 1e-12
    f = _ls_objective(A, y, res.x, lam, kind)
    f_ref = _ls_objective(A, y, _cvx_ls(A, y, lam, kind), lam, kind)
    assert f == pytest.approx(res.objective, rel=1e-12)
    assert abs(f - f_ref) <= 1e-7 * f_ref and f <= f_ref * (1 + 1e-10)
    assert 0 < len(res.support) < N
    np.testing.assert_array_equal(res.support, np.flatnonzero(res.x))


def test_complex_least_squares_matches_cvxpy(rng):
    A, y = _problem(rng, np.complex128)
    lam = 0.2 * lambda_max(A, y)
    res = bcd(A, y, lam=lam, tol=1e-12)
    f_ref = _ls_objective(A, y, _cvx_ls(A, y, lam, "l1"), lam, "l1")
    assert res.x.dtype == np.complex128 and res.converged
    assert abs(res.objective - f_ref) <= 1e-7 * f_ref
    assert np.abs(res.x.imag).max() > 0


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_lasso_matches_sklearn(rng, fmt):
    """sklearn's Lasso minimises ``||y - A x||^2 / (2 m) + alpha ||x||_1``."""
    A, y = _problem(rng, m=80, n=200)
    A_in = sp.csc_matrix(A * (rng.random(A.shape) < 0.3)) if fmt == "csc" else A
    A_d = A_in.toarray() if fmt == "csc" else A
    lam = 0.1 * lambda_max(A_d, y)
    ref = linear_model.Lasso(alpha=lam / 80, fit_intercept=False, tol=1e-15,
                             max_iter=200_000).fit(A_in, y)  # fmt: skip
    res = bcd(A_in, y, lam=lam, tol=1e-14)
    assert res.converged
    np.testing.assert_allclose(
        res.x, ref.coef_, rtol=0, atol=1e-7 * np.abs(ref.coef_).max()
    )
    f_ref = _ls_objective(A_d, y, ref.coef_, lam, "l1")
    assert abs(res.objective - f_ref) <= 1e-7 * f_ref


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_l1_logistic_matches_sklearn_and_cvxpy(rng, fmt):
    """sklearn minimises ``C sum log(1 + exp(-y a^T x)) + ||x||_1``: ``lam = 1/C``."""
    A, _ = _problem(rng, m=100, n=30)
    labels = _labels(rng, A)
    A_in = sp.csc_matrix(A) if fmt == "csc" else A
    lam = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # penalty= is deprecated in recent sklearn
        ref = linear_model.LogisticRegression(
            penalty="l1", C=1 / lam, solver="liblinear", fit_intercept=False,
            tol=1e-14, max_iter=100_000,
        ).fit(A_in, labels)  # fmt: skip
    res = bcd(A_in, labels, lam=lam, loss="logistic", tol=1e-13)
    assert res.converged and res.gap <= 1e-13
    x = cp.Variable(30)
    s = np.where(labels > 0, 1.0, -1.0)
    _solve(cp.Problem(cp.Minimize(
        cp.sum(cp.logistic(-cp.multiply(s, A @ x))) + lam * cp.norm1(x))))  # fmt: skip
    f_cvx = _log_objective(A, labels, x.value, lam)
    f_sk = _log_objective(A, labels, ref.coef_[0], lam)
    f = _log_objective(A, labels, res.x, lam)
    assert f == pytest.approx(res.objective, rel=1e-12)
    assert abs(f - f_cvx) <= 1e-7 * f_cvx and abs(f - f_sk) <= 1e-7 * f_sk
    assert f <= min(f_cvx, f_sk) * (1 + 1e-10)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(res.x, ref.coef_[0], rtol=0, atol=1e-6 * scale)
    # labels in {-1, 1} are the same problem
    res2 = bcd(A_in, 2 * labels - 1, lam=lam, loss="logistic", tol=1e-13)
    np.testing.assert_allclose(res2.x, res.x, rtol=0, atol=1e-9 * scale)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_quadratic_form(rng, fmt):
    n = 50
    B = sp.random(n, n, density=0.1, random_state=1)
    Q = (B + B.T + sp.diags(np.full(n, 6.0))).tocsc()
    b = rng.standard_normal(n)
    Q_in = Q if fmt == "csc" else Q.toarray()
    res = bcd(Q_in, b, loss="quadratic", penalty=None, tol=1e-12)
    assert res.converged and res.gap is None
    np.testing.assert_allclose(res.x, np.linalg.solve(Q.toarray(), b), atol=1e-10)
    # with an l1 weight: against cvxpy
    res = bcd(Q_in, b, loss="quadratic", lam=0.5, tol=1e-12)
    x = cp.Variable(n)
    _solve(cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, Q.toarray(), assume_PSD=True)
                                  - b @ x + 0.5 * cp.norm1(x))))  # fmt: skip

    def F(v):
        return 0.5 * v @ (Q @ v) - b @ v + 0.5 * np.abs(v).sum()

    assert res.converged and abs(F(res.x) - F(x.value)) <= 1e-7 * abs(F(x.value))


def test_lattice_label_propagation_dataset_d():
    """Dataset D of Nutini et al., drawn as their code draws it: its minimum
    is their constant ``f* = -1045999575.2270696``, and BCD reaches it."""
    from scipy.sparse.linalg import spsolve

    from sparsela.datasets import lattice_label_propagation

    p = lattice_label_propagation()
    f_star = -1045999575.2270696
    x = spsolve(p.Q, p.b)
    assert float(0.5 * x @ (p.Q @ x) - p.b @ x) == pytest.approx(f_star, rel=1e-12)
    assert p.Q.shape == (2400, 2400) and p.labelled.size == 100
    res = bcd(p.Q, p.b, loss="quadratic", penalty=None, tol=1e-12, max_iter=10_000)
    assert res.converged
    assert res.objective == pytest.approx(f_star, rel=1e-9)


def test_nonneg_l1_on_the_dataset_a_recipe_identifies_the_support():
    """A-L1 of Nutini et al. at 200 x 1000: the optimum against cvxpy, and the
    iteration after which each update's support is the optimal one (GSQ
    selection of variable blocks; projected gradient vs projected Newton)."""
    from sparsela.datasets import badly_scaled_least_squares

    p = badly_scaled_least_squares(200, 1000, random_state=0)
    A, y = p.A, p.y
    lam = 0.3 * max(float((A.T @ y).max()), 0.0)
    ref = bcd(A, y, lam=lam, penalty="nonneg_l1", tol=1e-13)
    assert ref.converged and 0 < len(ref.support) < 100
    x = cp.Variable(A.shape[1], nonneg=True)
    _solve(cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ x - y) + lam * cp.sum(x))))
    f_cvx = _ls_objective(A, y, x.value, lam, "nonneg_l1")
    assert abs(ref.objective - f_cvx) <= 1e-7 * f_cvx
    optimal = set(ref.support.tolist())
    found = {}
    for update in ["lipschitz", "matrix"]:
        for tau in [5, 50]:
            supports = []

            def record(v, out=supports):
                out.append(set(np.flatnonzero(v)))

            res = bcd(A, y, lam=lam, penalty="nonneg_l1", rule="gsq",
                      blocks="variable", block_size=tau, update=update, tol=1e-8,
                      max_iter=3000, callback=record)  # fmt: skip
            assert res.objective == pytest.approx(ref.objective, rel=1e-12)
            same = [s == optimal for s in supports]
            found[update, tau] = next(k + 1 for k in range(len(same)) if all(same[k:]))
    for tau in [5, 50]:  # the Newton update identifies the support no later
        assert found["matrix", tau] <= found["lipschitz", tau]
    assert found["matrix", 50] <= 3


@pytest.mark.parametrize("rule", RULES)
def test_rules_and_fixed_blocks_reach_the_optimum(rng, rule):
    A, y = _problem(rng)
    lam = 0.1 * lambda_max(A, y)
    ref = bcd(A, y, lam=lam, tol=1e-13)
    for blocks, size in [(None, 1), ("sorted", 3), ("balanced", 4)]:
        res = bcd(A, y, lam=lam, rule=rule, blocks=blocks, block_size=size,
                  tol=1e-9, max_iter=20_000, random_state=0)  # fmt: skip
        assert res.converged, (blocks, res.message)
        assert res.objective == pytest.approx(ref.objective, rel=1e-8)


@pytest.mark.parametrize("update", ["adaptive", "matrix"])
@pytest.mark.parametrize("kind", ["l1", "nonneg_l1"])
def test_one_block_updates_reach_the_optimum(rng, update, kind):
    A, y = _problem(rng)
    lam = 0.2 * lambda_max(A, y, penalty=kind)
    ref = bcd(A, y, lam=lam, penalty=kind, tol=1e-13)
    res = bcd(A, y, lam=lam, penalty=kind, update=update, blocks="sorted",
              block_size=4, tol=1e-10, max_iter=50_000)  # fmt: skip
    assert res.converged
    assert res.objective == pytest.approx(ref.objective, rel=1e-9)


# ---- monotonicity -----------------------------------------------------------------
@pytest.mark.parametrize("loss", ["squared", "logistic", "quadratic"])
@pytest.mark.parametrize("rule", RULES)
def test_objective_never_increases(rng, loss, rule):
    """Coordinate steps at ``1 / L`` minimise an upper bound of ``F``: ``F``
    decreases at every iteration (Anderson steps are kept only if it does)."""
    A, y = _problem(rng)
    if loss == "logistic":
        y = _labels(rng, A)
    if loss == "quadratic":
        A = A.T @ A + 0.1 * np.eye(N)
        y = rng.standard_normal(N)
    for blocks, size in [(None, 1), ("contiguous", 5)]:
        res = bcd(A, y, lam=0.5, loss=loss, rule=rule, blocks=blocks, block_size=size,
                  tol=1e-12, max_iter=60, random_state=1)  # fmt: skip
        obj = np.array(res.history["objective"])
        F0 = bcd(A, y, lam=0.5, loss=loss, max_iter=0).objective
        steps = np.diff(np.concatenate([[F0], obj]))
        assert np.all(steps <= 1e-12 * np.abs(obj).max()), steps.max()
        assert obj[-1] < F0


@pytest.mark.parametrize("loss", ["squared", "logistic", "quadratic"])
@pytest.mark.parametrize("update", ["lipschitz", "adaptive", "matrix"])
def test_one_block_per_iteration_never_increases(rng, loss, update):
    """One block per iteration, gradient or matrix step on the block's upper
    bound: ``F`` decreases at every iteration, for every rule."""
    A, y = _problem(rng)
    if loss == "logistic":
        y = _labels(rng, A)
    if loss == "quadratic":
        A = A.T @ A + 0.1 * np.eye(N)
        y = rng.standard_normal(N)
    F0 = bcd(A, y, lam=0.5, loss=loss, max_iter=0).objective
    for rule in RULES:
        for blocks in ["variable", "sorted"]:
            res = bcd(A, y, lam=0.5, loss=loss, rule=rule, blocks=blocks,
                      block_size=5, update=update, working_set=False, tol=1e-12,
                      max_iter=40, random_state=2)  # fmt: skip
            obj = np.concatenate([[F0], res.history["objective"]])
            scale = np.abs(obj).max()  # rounding of F (F0 = 0 for Q)
            assert np.all(np.diff(obj) <= 1e-12 * scale), (rule, blocks)
            assert obj[-1] < F0


def test_paper_ordering_of_rules_and_updates(rng):
    """Nutini et al.: greedy variable blocks beat cyclic and random ones, GSL
    beats GS, matrix updates beat gradient updates (least squares, the
    recipe of their dataset A at a small size, 300 iterations, blocks of 5)."""
    m, n = 100, 300
    A = (rng.standard_normal((m, n)) + 1) * (10 * rng.standard_normal(n))
    A *= rng.random((m, n)) < 0.3
    y = A @ (rng.standard_normal(n) * (rng.random(n) < 0.1)) + rng.standard_normal(m)
    f_star = bcd(A, y, penalty=None, rule="cyclic", tol=1e-13, max_iter=100_000)
    assert f_star.converged

    def gap(rule, update="lipschitz", blocks="variable"):
        res = bcd(A, y, penalty=None, rule=rule, blocks=blocks, block_size=5,
                  update=update, working_set=False, tol=0, max_iter=300,
                  random_state=0)  # fmt: skip
        return res.objective - f_star.objective

    greedy = gap("gsl")
    for rule in ["cyclic", "permutation", "random", "lipschitz", "gs"]:
        assert greedy < 0.01 * gap(rule), rule
    assert gap("gsl", "matrix") < 0.01 * greedy
    assert gap("gsl", "adaptive") < gap("cyclic", "adaptive")
    assert gap("gsl", blocks="sorted") > greedy  # variable beats fixed blocks


# ---- batching, precision, statuses ------------------------------------------------
def test_several_signals_match_one_at_a_time(rng):
    A, _ = _problem(rng)
    Y = rng.standard_normal((M, 3))
    lams = 0.2 * lambda_max(A, Y)
    res = bcd(A, Y, lam=lams, tol=1e-12)
    assert res.x.shape == (N, 3) and res.n_iter.shape == (3,) and len(res.support) == 3
    for j in range(3):
        one = bcd(A, Y[:, j], lam=lams[j], tol=1e-12)
        np.testing.assert_allclose(res.x[:, j], one.x, atol=1e-12)
        assert res.objective[j] == pytest.approx(one.objective, rel=1e-13)
        assert res.n_iter[j] == one.n_iter
    assert np.all(res.converged) and len(res.history["gap"]) == res.n_iter.max()


def test_float32_agrees_with_float64(rng):
    A, y = _problem(rng)
    lam = 0.2 * lambda_max(A, y)
    r64 = bcd(A, y, lam=lam, tol=1e-10)
    r32 = bcd(A.astype(np.float32), y.astype(np.float32), lam=lam, tol=1e-5)
    assert r32.x.dtype == np.float32 and r32.converged
    assert abs(r32.objective - r64.objective) <= 1e-5 * r64.objective


def test_group_penalty_instance_and_x0(rng):
    A, y = _problem(rng)
    g = GroupL1(1.0, groups=GROUPS)
    ref = bcd(A, y, lam=1.0, penalty="group_l1", blocks=GROUPS, tol=1e-12)
    res = bcd(A, y, penalty=g, tol=1e-10, x0=ref.x)
    assert res.n_iter == 0 and res.converged  # x0 is optimal already
    np.testing.assert_array_equal(res.x, ref.x)
    assert bcd(A, y, penalty=L1(1.0), tol=1e-10).objective == pytest.approx(
        bcd(A, y, lam=1.0, tol=1e-10).objective, rel=1e-9
    )


def test_statuses_and_callback(rng):
    A, y = _problem(rng)
    res = bcd(A, y, lam=0.1, rule="cyclic", max_iter=2, tol=1e-14)
    assert res.status == Status.MAX_ITER and not res.converged and res.n_iter == 2
    assert "iteration limit" in res.message
    seen = []
    res = bcd(A, y, lam=0.1, callback=lambda x: seen.append(x.copy()) or len(seen) == 2)
    assert res.status == Status.CALLBACK and len(seen) == 2 and seen[0].shape == (N,)
    res = bcd(A, y, lam=0.1, tol=1e-8)
    assert res.converged and "duality gap" in res.message
    assert set(res.history) == {"objective", "gap", "kkt", "time"}
    res = bcd(A, y, penalty=None, tol=1e-8, max_iter=5000)
    assert res.gap is None and "KKT" in res.message
    assert res.converged and np.linalg.norm(A.T @ (A @ res.x - y)) <= 1e-6 * np.abs(
        A.T @ y
    ).max() * np.sqrt(N)


# ---- bad input --------------------------------------------------------------------
def test_bad_input(rng):
    A, y = _problem(rng)
    with pytest.raises(ValueError, match="y must hold two classes"):
        bcd(A, np.arange(M) % 3, loss="logistic", lam=1.0)
    with pytest.raises(ValueError, match="y must hold two classes"):
        bcd(A, np.ones(M), loss="logistic", lam=1.0)
    overlap = [np.arange(0, 31), np.arange(30, N)]
    missing = [np.arange(0, 30), np.arange(31, N)]
    for bad in (overlap, missing):
        with pytest.raises(ValueError, match="blocks"):
            bcd(A, y, lam=1.0, blocks=bad)
        with pytest.raises(ValueError, match="blocks"):
            bcd(A, y, lam=1.0, penalty="group_l1", blocks=bad)
    with pytest.raises(ValueError, match="blocks"):
        bcd(A, y, lam=1.0, blocks="zigzag")
    Q = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="A must be symmetric positive definite"):
        bcd(Q, np.ones(2), loss="quadratic")
    with pytest.raises(ValueError, match="A must be symmetric"):
        bcd(np.array([[2.0, 1.0], [0.0, 2.0]]), np.ones(2), loss="quadratic")
    with pytest.raises(ValueError, match="square"):
        bcd(A, y, loss="quadratic")
    bad_A = A.copy()
    bad_A[0, 0] = np.nan
    for fmt in (np.asarray, sp.csc_matrix, sp.csr_matrix):
        with pytest.raises(ValueError, match="A contains NaN"):
            bcd(fmt(bad_A), y, lam=1.0)
    bad_y = y.copy()
    bad_y[0] = np.nan
    with pytest.raises(ValueError, match="y"):
        bcd(A, bad_y, lam=1.0)
    with pytest.raises(ValueError, match="lam"):
        bcd(A, y, lam=-1.0)
    for name, value in [("loss", "hinge"), ("rule", "best"), ("update", "magic"),
                        ("penalty", "l0")]:  # fmt: skip
        with pytest.raises(ValueError, match=name):
            bcd(A, y, lam=1.0, **{name: value})
    with pytest.raises(ValueError, match="lam must be 0"):
        bcd(A, y, lam=1.0, penalty=None)
    with pytest.raises(TypeError, match="needs real data"):
        bcd(A + 1j, y, lam=1.0, penalty="nonneg_l1")
    with pytest.raises(ValueError, match="x0"):
        bcd(A, y, lam=1.0, x0=np.ones(3))
    with pytest.raises(ValueError, match="working_set"):
        bcd(A, y, lam=1.0, update="matrix", working_set=True)


# ---- warm-up coverage -------------------------------------------------------------
_COUNT = """
import collections
from numba.core import event
compiled = collections.Counter()
class Count(event.Listener):
    def on_start(self, ev):
        func = ev.data["dispatcher"].py_func
        if func.__module__.startswith("sparsela"):
            compiled[func.__qualname__] += 1
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())
import numpy as np, scipy.sparse as sp
from sparsela import bcd
rng = np.random.default_rng(0)
A = rng.standard_normal((30, 40)); y = rng.standard_normal(30)
bcd(A, y, lam=1.0)
bcd(sp.csc_matrix(A), y, lam=1.0, rule="cyclic")
bcd(A, (y > 0).astype(float), lam=1.0, loss="logistic")
bcd(A, y, lam=1.0, penalty="group_l1", blocks=np.arange(40) // 4)
print(sum(compiled.values()), dict(compiled))
"""


def test_compile_topic_covers_the_solver(tmp_path):
    """``sparsela compile --only bcd`` fills the cache that first calls read."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    run = [sys.executable, "-m", "sparsela", "compile", "--only", "bcd", "--dtype",
           "float64"]  # fmt: skip
    proc = subprocess.run(run, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-c", _COUNT], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "0", proc.stdout
