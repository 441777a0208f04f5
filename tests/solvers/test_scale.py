"""Scale equivariance: results must not depend on the units of A and y.

Every solve at ``A * c`` or ``y * c`` (``c`` = 1e±200, 1e-300) is compared
with the unscaled solve, scaled: the same support, coefficients scaled by
``c`` or ``1 / c``. Before the fix, squared norms over- or underflowed and the
solvers answered ``x = 0`` as converged (or refused a non-finite step).
"""

import numpy as np
import pytest
import scipy.sparse as sp

from sparsela.penalties import Prox
from sparsela.solvers.proximal import fista, ista
from sparsela.solvers.pursuit import mp, mp_gram, omp, omp_gram
from sparsela.transforms.fwht import fwht
from sparsela.transforms.sparse_wht import sparse_wht

PATHS = [True, False]  # precompute: Gram path / operator path
PURSUITS = [omp, mp]
RTOL = 1e-9  # y * 1e200 is itself rounded: a relative 1e-16 perturbation


@pytest.fixture
def problem():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((30, 60))
    X = np.zeros((60, 4))
    for j in range(4):
        X[rng.choice(60, 3, replace=False), j] = rng.standard_normal(3)
    return A, X, A @ X


def _same(res, ref, scale):
    """``res`` is ``ref`` with ``x`` times ``scale``: same supports."""
    for a, b in zip(res.support, ref.support, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(res.converged == ref.converged)
    np.testing.assert_allclose(res.x / scale, ref.x, rtol=RTOL, atol=1e-12)


# ---- pursuit ---------------------------------------------------------------------
@pytest.mark.parametrize("solver", PURSUITS)
@pytest.mark.parametrize("precompute", PATHS)
@pytest.mark.parametrize("c", [1e200, 1e-300])
def test_pursuit_scaled_y(problem, solver, precompute, c):
    A, _, Y = problem
    ref = solver(A, Y, n_nonzero=3, precompute=precompute)
    res = solver(A, Y * c, n_nonzero=3, precompute=precompute)
    _same(res, ref, c)
    np.testing.assert_allclose(res.residual_norm / c, ref.residual_norm,
                               rtol=1e-6, atol=1e-13)  # fmt: skip
    assert np.all(res.converged)


@pytest.mark.parametrize("solver", PURSUITS)
@pytest.mark.parametrize("precompute", PATHS)
@pytest.mark.parametrize("c", [1e200, 1e-300])
def test_pursuit_scaled_A(problem, solver, precompute, c):
    """``omp(A * 1e-300, y)`` claimed every column had norm 0."""
    A, _, Y = problem
    ref = solver(A, Y, n_nonzero=3, precompute=precompute)
    res = solver(A * c, Y, n_nonzero=3, precompute=precompute)
    _same(res, ref, 1.0 / c)


@pytest.mark.parametrize("solver", PURSUITS)
@pytest.mark.parametrize("precompute", PATHS)
def test_pursuit_one_scaled_column_in_a_batch(problem, solver, precompute):
    A, _, Y = problem
    scales = np.array([1.0, 1e200, 1e-300, 1.0])
    ref = solver(A, Y, n_nonzero=3, precompute=precompute)
    res = solver(A, Y * scales, n_nonzero=3, precompute=precompute)
    _same(res, ref, scales)


@pytest.mark.parametrize("solver", PURSUITS)
@pytest.mark.parametrize("precompute", PATHS)
def test_pursuit_tol_in_a_batch_of_scales(problem, solver, precompute):
    """One ``tol`` for signals of very different scales: each signal is
    normalised with its own ``tol`` (in its own units)."""
    A, _, Y = problem
    Y = Y + 1e-3 * np.random.default_rng(1).standard_normal(Y.shape)
    tol = 0.01 * float(np.min(np.sum(Y**2, axis=0)))
    ref = solver(A, Y, tol=tol, precompute=precompute)
    c = 2.0**-300  # exact: tol scales by c^2 with the signal
    res = solver(A, np.column_stack([Y, Y * c]), tol=tol, precompute=precompute)
    for j in range(Y.shape[1]):
        np.testing.assert_array_equal(res.support[j], ref.support[j])
        np.testing.assert_allclose(res.x[:, j], ref.x[:, j], rtol=1e-12, atol=0)
        # the scaled signal meets tol at once: x = 0
        assert res.n_iter[Y.shape[1] + j] == 0
    # the same tol scaled with the signals gives the same supports
    res = solver(A, Y * c, tol=tol * c * c, precompute=precompute)
    _same(res, ref, c)


@pytest.mark.parametrize("precompute", PATHS)
@pytest.mark.parametrize("c", [1e200, 1e-300])
def test_pursuit_sparse_and_operator_A(problem, precompute, c):
    """Column norms and the Gram matrix of a sparse matrix (the operator's own
    ``column_norms``/``gram`` square its entries)."""
    A, _, Y = problem
    ref = omp(A, Y, n_nonzero=3, precompute=precompute)
    res = omp(sp.csc_matrix(A * c), Y, n_nonzero=3, precompute=precompute)
    _same(res, ref, 1.0 / c)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_pursuit_scaled_single_precision(problem, dtype):
    A, _, Y = problem
    rng = np.random.default_rng(2)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal(A.shape)
        Y = A @ np.where(np.abs(problem[1]) > 0, 1.0 + 1j, 0.0)
    A, Y = A.astype(dtype), Y.astype(dtype)
    ref = omp(A, Y, n_nonzero=3)
    for c in (np.float32(1e25), np.float32(1e-25)):
        res = omp(A, Y * c, n_nonzero=3)
        assert res.x.dtype == dtype
        _same_rtol(res, ref, float(c), 1e-5)


def _same_rtol(res, ref, scale, rtol):
    for a, b in zip(res.support, ref.support, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(res.x / scale, ref.x, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("core", [omp_gram, mp_gram])
def test_gram_cores_scaled(problem, core):
    A, _, Y = problem
    G, AhY = A.T @ A, A.T @ Y
    ref = core(G, AhY, n_nonzero=3)
    for G_, AhY_, scale in [(G, AhY * 1e200, 1e200), (G, AhY * 1e-300, 1e-300),
                            (G * 1e200, AhY * 1e100, 1e-100),
                            (G * 1e-300, AhY * 1e-150, 1e150)]:  # fmt: skip
        _same(core(G_, AhY_, n_nonzero=3), ref, scale)
    # ||y||^2 given at a scale where it underflows no more than it must
    n2 = np.sum(Y**2, axis=0)
    ref = core(G, AhY, n_nonzero=3, norms_squared=n2)
    res = core(G, AhY * 1e-100, n_nonzero=3, norms_squared=n2 * 1e-200)
    _same(res, ref, 1e-100)
    # from the recursion ||y||^2 - ||z||^2: known to about sqrt(eps) ||y||
    atol = 1e-7 * np.sqrt(n2.max())
    np.testing.assert_allclose(res.residual_norm / 1e-100, ref.residual_norm,
                               rtol=0, atol=atol)  # fmt: skip


@pytest.mark.parametrize("solver", PURSUITS)
def test_pursuit_not_representable_raises(problem, solver):
    """x of 1e500 cannot be returned: a clear error, not inf or 0."""
    A, _, Y = problem
    with pytest.raises(ValueError, match="not representable"):
        solver(A * 1e-300, Y * 1e200, n_nonzero=3)
    with pytest.raises(ValueError, match="not representable"):
        solver(A * 1e200, Y * 1e-300, n_nonzero=3)


# ---- proximal --------------------------------------------------------------------
@pytest.fixture
def lasso():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((30, 60))
    x = np.zeros(60)
    x[[3, 17, 41]] = [1.0, -2.0, 0.5]
    return A, A @ x


@pytest.mark.parametrize("solver", [fista, ista])
@pytest.mark.parametrize("c", [1e200, 1e-300])
def test_proximal_scaled_y_and_lam(lasso, solver, c):
    """``fista(A, y * 1e-300, lam=.5e-300)`` returned 0 as converged; with
    ``y * 1e200`` both raised "step must be finite" (no step was passed)."""
    A, y = lasso
    ref = solver(A, y, lam=0.5, tol=1e-10, max_iter=20000)
    res = solver(A, y * c, lam=0.5 * c, tol=1e-10, max_iter=20000)
    assert res.converged and ref.converged
    np.testing.assert_array_equal(res.support, ref.support)
    np.testing.assert_allclose(res.x / c, ref.x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.residual_norm / c, ref.residual_norm, rtol=1e-6)
    if abs(np.log10(c)) > 150:  # F is a square of y's units: not representable
        assert res.objective in (0.0, np.inf)
    else:
        assert res.objective / c**2 == pytest.approx(ref.objective, rel=1e-9)


@pytest.mark.parametrize("solver", [fista, ista])
def test_proximal_scaled_y_exact(lasso, solver):
    """By a power of two the scaled solve is the unscaled one, bit for bit,
    also with a weight that is negligible at the scale of y."""
    A, y = lasso
    c = 2.0**665
    for lam in (0.5, 0.5 * c):
        ref = solver(A, y, lam=lam / c, max_iter=50)
        res = solver(A, y * c, lam=lam, max_iter=50)
        np.testing.assert_array_equal(res.x / c, ref.x)
        assert res.n_iter == ref.n_iter and res.step == ref.step


@pytest.mark.parametrize("backtracking", ["auto", True, False])
@pytest.mark.parametrize("c", [1e200, 1e-200, 1e100, 1e-100])
@pytest.mark.parametrize("sparse", [False, True])
def test_proximal_scaled_A(lasso, backtracking, c, sparse):
    """``1/2 ||c A x - y||^2 + c lam ||x||_1`` is solved by ``x* / c``."""
    A, y = lasso
    ref = fista(A, y, lam=0.5, tol=1e-10, backtracking=backtracking)
    As = sp.csc_matrix(A * c) if sparse else A * c
    res = fista(As, y, lam=0.5 * c, tol=1e-10, backtracking=backtracking)
    assert res.converged
    np.testing.assert_array_equal(res.support, ref.support)
    np.testing.assert_allclose(res.x * c, ref.x, rtol=1e-8, atol=1e-12)
    if abs(np.log10(c)) > 150:  # the step 1 / L ~ 1 / c^2 is not representable
        assert res.step in (0.0, np.inf)
        return
    # the constant step comes from the norm estimate, which scales exactly; an
    # adaptive one depends on the path (the same to a factor)
    rel = 1e-6 if backtracking is False else 0.5
    assert res.step * c * c == pytest.approx(ref.step, rel=rel)
    # a given step is in the caller's units
    again = fista(As, y, lam=0.5 * c, tol=1e-10, step=res.step, x0=res.x)
    assert again.converged and again.n_iter <= 2


def test_proximal_one_scaled_column_in_a_batch(lasso):
    A, y = lasso
    scales = np.array([1.0, 1e200, 1e-300])
    Y = y[:, None] * scales
    res = fista(A, Y, lam=0.5 * scales, tol=1e-10)
    ref = fista(A, y, lam=0.5, tol=1e-10)
    assert np.all(res.converged)
    np.testing.assert_allclose(res.x / scales, np.tile(ref.x[:, None], 3),
                               rtol=1e-9, atol=1e-12)  # fmt: skip
    # objective: a square of y's units (1e400 is inf in float64)
    assert res.objective[0] == pytest.approx(ref.objective, rel=1e-12)
    assert res.objective[1] == np.inf and res.objective[2] == 0.0


_PENALTIES = [
    ("weighted_l1", {"weights": np.linspace(0.5, 2.0, 60)}, 1),
    ("group_l1", {"groups": np.arange(60) // 3}, 1),
    ("nonneg_l1", {}, 1),
    ("l0", {}, 2),
    ("box", {"lower": -1.5, "upper": 0.8}, None),
]
# squares of y * 2**±520 over- and underflow; lam * c**2 of l0 at 2**520 is
# itself not representable
_CASES = [(*p, c) for p in _PENALTIES for c in (2.0**-520, 2.0**520)
          if not (p[0] == "l0" and c > 1)]  # fmt: skip


@pytest.mark.parametrize(("penalty", "params", "lam_power", "c"), _CASES)
def test_proximal_scaled_penalties(lasso, penalty, params, lam_power, c):
    A, y = lasso
    lam = None if lam_power is None else 0.05
    ref = fista(A, y, lam=lam, penalty=penalty, tol=1e-10, max_iter=20000, **params)
    if lam_power is None:  # the bounds move with x
        params = {"lower": params["lower"] * c, "upper": params["upper"] * c}
    else:
        lam = lam * c**lam_power
    res = fista(A, y * c, lam=lam, penalty=penalty, tol=1e-10, max_iter=20000,
                **params)  # fmt: skip
    assert res.status == ref.status
    np.testing.assert_allclose(res.x / c, ref.x, rtol=1e-12, atol=1e-14)


def test_proximal_scaled_elastic_net(lasso):
    """Elastic net at y * c: the l1 weight scales with c, the ridge weight not
    (so l1_ratio changes); c = 2**-900 leaves both representable."""
    A, y = lasso
    lam, a, c = 0.5, 0.7, 2.0**-900
    ref = fista(A, y, lam=lam, penalty="elastic_net", l1_ratio=a, tol=1e-10)
    l1, l2 = lam * a * c, lam * (1 - a)
    res = fista(A, y * c, lam=l1 + l2, penalty="elastic_net",
                l1_ratio=l1 / (l1 + l2), tol=1e-10)  # fmt: skip
    assert res.converged
    np.testing.assert_allclose(res.x / c, ref.x, rtol=1e-9, atol=1e-12)


def test_proximal_callback_sees_caller_units(lasso):
    A, y = lasso
    seen = []
    res = fista(A, y * 1e200, lam=0.5e200, callback=lambda xk: seen.append(xk))
    np.testing.assert_array_equal(seen[-1], res.x)
    assert np.abs(seen[-1]).max() > 1e199


def test_proximal_penalty_object_cannot_be_rescaled(lasso):
    class Soft(Prox):
        def prox(self, v, step):
            return np.sign(v) * np.maximum(np.abs(v) - np.asarray(step), 0.0)

        def value(self, x):
            return np.abs(x).sum(axis=0)

    A, y = lasso
    with pytest.raises(ValueError, match="y .* prox protocol"):
        fista(A, y * 1e200, penalty=Soft())
    # within range it runs as given
    assert fista(A, y * 1e50, penalty=Soft(), max_iter=50).n_iter > 0


def test_proximal_common_scale_out_of_reach(lasso):
    A, y = lasso
    Y = np.column_stack([y * 1e-300, y * 1e300])
    with pytest.raises(ValueError, match="differ in scale"):
        fista(A, Y, lam=1.0, penalty="elastic_net", l1_ratio=0.5)


# ---- sparse Walsh-Hadamard transform ---------------------------------------------
@pytest.mark.parametrize("method", ["spright", "sparsefht"])
@pytest.mark.parametrize("c", [1e200, 1e-300])
def test_sparse_wht_scaled(method, c):
    """``sparse_wht(x * 1e200)`` and ``x * 1e-300`` found nothing, converged."""
    N = 2**12
    X = np.zeros(N)
    X[[3, 1000, 4000]] = [2.0, -1.0, 0.5]
    x = fwht(X) / N
    ref = sparse_wht(x, sparsity=3, method=method, random_state=0)
    res = sparse_wht(x * c, sparsity=3, method=method, random_state=0)
    assert res.converged and ref.converged
    np.testing.assert_array_equal(res.support, ref.support)
    np.testing.assert_allclose(res.coefficients / c, ref.coefficients, rtol=1e-12)
    np.testing.assert_allclose(res.coefficients / c, [2.0, -1.0, 0.5], rtol=1e-12)
    # a function of the index, complex data: the same
    resf = sparse_wht(lambda i: (1 + 1j) * c * x[i], N, sparsity=3, method=method,
                      random_state=0)  # fmt: skip
    np.testing.assert_array_equal(resf.support, ref.support)
    np.testing.assert_allclose(resf.coefficients / c, (1 + 1j) * ref.coefficients,
                               rtol=1e-12)  # fmt: skip


def test_sparse_wht_scaled_float32():
    N = 2**12
    X = np.zeros(N)
    X[[3, 1000, 4000]] = [2.0, -1.0, 0.5]
    x = (fwht(X) / N).astype(np.float32)
    for c in (np.float32(2.0**100), np.float32(2.0**-110)):
        res = sparse_wht(x * c, sparsity=3, random_state=0)
        assert res.converged and res.coefficients.dtype == np.float32
        np.testing.assert_allclose(res.coefficients / c, [2.0, -1.0, 0.5], rtol=1e-6)


def test_sparse_wht_not_representable_raises():
    N = 2**12
    x = np.zeros(N)
    x[:] = 1e306  # X[0] = N * 1e306 overflows float64; orthonormal it does not
    res = sparse_wht(x, sparsity=1, normalized=True, random_state=0)
    assert res.converged and res.support.tolist() == [0]
    assert res.coefficients[0] == pytest.approx(np.sqrt(N) * 1e306, rel=1e-12)
    with pytest.raises(ValueError, match="not representable"):
        sparse_wht(x, sparsity=1, random_state=0)
