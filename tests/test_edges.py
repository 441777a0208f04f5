"""Regression tests of issue 13, "Non-finite values and dtypes": one per defect.

Each test is named after the defect it pins down and compares with an
independent reference (NumPy/SciPy dense computations).
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import tol
from scipy.linalg import hadamard

import sparsela
from sparsela import BSR, COO, CSC, CSR, NM, Dense, SparseMatrix, fwht
from sparsela._validation import check_array, result_dtype
from sparsela.metrics import estimated_support, nmse, nmse_db
from sparsela.penalties import L0, L1, Box, ElasticNet, GroupL1, NonNegL1, WeightedL1
from sparsela.testing import dottest

NAN, INF = np.nan, np.inf


def _soft(v, t):  # independent reference of the soft threshold
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def _problem(m=12, n=24, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[[2, 7, 11]] = [1.0, -2.0, 0.5]
    return A, A @ x


# ---- fwht -------------------------------------------------------------------
def test_fwht_overflow_of_finite_input_is_not_silent():
    # fwht(np.full(16, 1e308)) returned inf/NaN: its check read output row 0
    with pytest.raises(ValueError, match="transform of x overflows"):
        fwht(np.full(16, 1e308))
    # the overflow may land away from row 0 (row 0 of signal 1 is 0 here)
    x = np.zeros((3, 8))
    x[1, :2] = [1e308, -1e308]
    with pytest.raises(ValueError, match="transform of x overflows"):
        fwht(x)
    with pytest.raises(ValueError, match="transform of x overflows"):
        fwht(x.T, axis=0, ordering="dyadic")


def test_fwht_large_output_whose_sum_overflows_is_fine():
    # the whole-output check sums large outputs: a sum that overflows while
    # every entry is finite must not be reported
    x = np.zeros((64, 2048))
    x[:, 0] = 1e305  # every transform is 1e305 * ones: finite
    out = fwht(x)
    np.testing.assert_array_equal(out, np.full((64, 2048), 1e305))
    x[5, 3] = np.nan
    with pytest.raises(ValueError, match="x contains NaN or Inf"):
        fwht(x)


def test_fwht_intermediate_overflow_returns_the_representable_transform():
    x = np.array([1e308, 1e308, -1e308, 0.5e308] * 2)
    want = hadamard(8) @ (x / 8.0) * (8.0 / np.sqrt(8.0))
    np.testing.assert_allclose(fwht(x, normalized=True), want, rtol=1e-14)


# ---- prox: NaN, integers, steps ----------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: L1(0.5),
        lambda: L0(0.5),
        lambda: NonNegL1(0.5),
        lambda: ElasticNet(0.5, l1_ratio=0.5),
        lambda: WeightedL1(0.5, weights=[1.0, 2.0]),
        lambda: GroupL1(0.5, groups=[[0], [1]]),
        lambda: Box(0.0, 1.0),
    ],
)
@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_prox_and_value_reject_nan_and_inf(make, bad):
    # soft/hard thresholds mapped NaN to 0 (L1(.5).prox([nan, 1.]) gave
    # [0, .5]), NaN/inf passed through L1 and GroupL1, value(NaN) was NaN
    g = make()
    v = np.array([bad, 1.0])
    with pytest.raises(ValueError, match="v contains NaN or Inf"):
        g.prox(v, 1.0)
    with pytest.raises(ValueError, match="x contains NaN or Inf"):
        g.value(v)
    assert np.isnan(v[0]) or np.isinf(v[0])  # not modified


def test_threshold_kernels_keep_nan_instead_of_zeroing_it():
    # below the public check (the solvers' trusted path) a NaN must stay
    # visible: the kernels used to write 0
    from sparsela.kernels.cpu import prox as k

    v = np.array([[NAN], [2.0], [-0.1]])
    out = np.empty_like(v)
    k.soft_threshold(v, np.array([0.5]), np.zeros(0), out)
    np.testing.assert_array_equal(out[1:, 0], [1.5, 0.0])
    assert np.isnan(out[0, 0])
    k.hard_threshold(v, np.array([0.5]), out)
    assert np.isnan(out[0, 0]) and out[1, 0] == 2.0 and out[2, 0] == 0.0
    k.nonneg_soft_threshold(v, np.array([0.5]), out)
    assert np.isnan(out[0, 0]) and out[1, 0] == 1.5
    vc = v.astype(complex)
    outc = np.empty_like(vc)
    k.soft_threshold_complex(vc, np.array([0.5]), np.zeros(0), outc)
    assert np.isnan(outc[0, 0])
    b = np.array([NAN, 2.0])
    k.l0_prox_block(b, 0.125, np.array([1.0]), 0)
    assert np.isnan(b[0]) and b[1] == 2.0


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint16, np.bool_])
def test_prox_of_integers_is_floating(dtype):
    # L1(.5).prox(np.array([1, 2, 3]), 1.) gave integers [0 1 2]
    v = np.array([1, 2, 3, 0]).astype(dtype)
    out = L1(0.5).prox(v, 1.0)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, _soft(v.astype(np.float64), 0.5))
    assert L1(0.5).value(v) == 0.5 * np.abs(v.astype(float)).sum()
    out0 = L0(0.5).prox(v, 1.0)  # keeps |v| > sqrt(2 * 0.5)
    assert out0.dtype == np.float64
    np.testing.assert_array_equal(out0, np.where(v.astype(float) > 1.0, v, 0.0))


def test_box_prox_checks_step_and_shape():
    # Box.prox ignored step: any step and a 3-D v were accepted
    g = Box(0.0, 1.0)
    np.testing.assert_array_equal(g.prox(np.array([-1.0, 0.5, 2.0]), 3.0), [0, 0.5, 1])
    for step in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="step"):
            g.prox(np.ones(3), step)
    with pytest.raises(ValueError, match="step"):
        g.prox(np.ones((3, 2)), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="v must be 1 or 2-dimensional"):
        g.prox(np.ones((2, 2, 2)), 1.0)


@pytest.mark.parametrize("step", ["1", b"1", "abc", True, 1j, [1j], object()])
def test_prox_refuses_a_non_numeric_step(step):
    # a string step was accepted (converted by np.asarray(step, float))
    for g in (L1(0.5), Box(0.0, 1.0), GroupL1(0.5, groups=[[0, 1]])):
        with pytest.raises(TypeError, match="step must be a real number"):
            g.prox(np.ones(2), step)


# ---- dtypes: longdouble, big-endian, float16 --------------------------------
def test_check_array_converts_valid_storage_dtypes():
    x = np.array([1.5, -2.0, 3.25])
    for dt, want in (
        (">f8", np.float64),
        (">f4", np.float32),
        (">c16", np.complex128),
        (np.float16, np.float32),
        (np.longdouble, np.float64),
        (np.clongdouble, np.complex128),
    ):
        out = check_array(x.astype(dt), "y")
        assert out.dtype == want and out.dtype.isnative
        np.testing.assert_array_equal(out, x)
    big = np.array([np.finfo(np.longdouble).max])
    if big.dtype.itemsize > 8:  # x86 extended precision: beyond float64
        with pytest.raises(ValueError, match="y holds .* beyond the float64 range"):
            check_array(big, "y")
    ro = x.copy()
    ro.setflags(write=False)
    assert check_array(ro, "y") is ro  # read-only: accepted, not copied
    assert result_dtype(np.longdouble) == np.float64
    assert result_dtype(np.float16) == np.float32
    assert result_dtype(np.dtype(">c8")) == np.complex64


@pytest.mark.parametrize("solver", ["omp", "mp", "fista", "ista"])
@pytest.mark.parametrize("where", ["A", "y"])
def test_longdouble_into_solvers_equals_float64(solver, where):
    # longdouble A or y leaked a Numba TypingError
    A, y = _problem()
    fn = getattr(sparsela, solver)
    kw = {"n_nonzero": 3} if solver in ("omp", "mp") else {"lam": 0.1}
    ref = fn(A, y, **kw)
    Al = A.astype(np.longdouble) if where == "A" else A
    yl = y.astype(np.longdouble) if where == "y" else y
    res = fn(Al, yl, **kw)
    assert res.x.dtype == np.float64
    np.testing.assert_array_equal(res.x, ref.x)


def test_clongdouble_and_big_endian_into_solvers():
    A, y = _problem()
    ref = sparsela.ista(A.astype(complex), y, lam=0.1)
    res = sparsela.ista(A.astype(np.clongdouble), y, lam=0.1)
    assert res.x.dtype == np.complex128
    np.testing.assert_array_equal(res.x, ref.x)
    ref = sparsela.omp(A, y, n_nonzero=3)
    res = sparsela.omp(A.astype(">f8"), y.astype(">f8"), n_nonzero=3)
    np.testing.assert_array_equal(res.x, ref.x)


@pytest.mark.parametrize("dt", [np.longdouble, np.clongdouble, ">f8", ">c16", ">f4"])
def test_prox_of_other_storage_dtypes(dt):
    # longdouble and big-endian float64 into a prox leaked a TypingError
    v = np.array([2.0, -0.25, -1.0, 0.75])
    out = L1(0.5).prox(v.astype(dt), 1.0)
    assert out.dtype.isnative and out.dtype.kind == np.dtype(dt).kind
    np.testing.assert_allclose(out.real, _soft(v, 0.5), rtol=tol(out.dtype))
    g = GroupL1(1.0, groups=[[0, 1], [2, 3]], weights=[1.0, 1.0])
    scale = np.maximum(0.0, 1.0 - 1.0 / np.linalg.norm(v.reshape(2, 2), axis=1))
    want = (v.reshape(2, 2) * scale[:, None]).ravel()
    np.testing.assert_allclose(g.prox(v.astype(dt), 1.0).real, want, rtol=1e-6)


def test_float16_and_big_endian_into_sparse_wht():
    # float16 raised NotImplementedError; big-endian float64 a TypingError
    N = 64
    X = np.zeros(N)
    X[[3, 40]] = [4.0, -2.0]
    x = fwht(X) / N  # inverse transform: exact in float16 too (multiples of 1/32)
    for dt in (np.float16, ">f8", np.longdouble):
        res = sparsela.sparse_wht(x.astype(dt), sparsity=2, random_state=0)
        np.testing.assert_array_equal(res.support, [3, 40])
        np.testing.assert_allclose(res.coefficients, [4.0, -2.0], rtol=1e-3)


def test_big_endian_into_formats():
    # valid big-endian float64 into a format constructor was refused
    D = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 4.0]])
    x = np.array([1.0, -1.0, 2.0, 0.5])
    be, xbe = D.astype(">f8"), x.astype(">f8")
    for M in (
        CSR.from_dense(be),
        CSC.from_dense(be),
        COO.from_dense(be),
        BSR.from_dense(be, (1, 2)),
        NM.from_dense(be, 2, 4),
    ):
        assert M.dtype == np.float64 and M.dtype.isnative
        np.testing.assert_array_equal(M.todense(), D)
        np.testing.assert_array_equal(M @ xbe, D @ x)
        np.testing.assert_array_equal(M.rmatvec(xbe[:2]), D.T @ x[:2])
    S = sp.csr_array(D)
    Mc = CSR(
        S.data.astype(">f8"), S.indices.astype(">i4"), S.indptr.astype(">i8"), D.shape
    )
    np.testing.assert_array_equal(Mc.todense(), D)
    np.testing.assert_array_equal(SparseMatrix(Mc) @ xbe, D @ x)


def test_operators_take_other_storage_dtypes():
    D = np.arange(6.0).reshape(2, 3)
    for op in (Dense(D), SparseMatrix(CSR.from_dense(D))):
        for dt in (">f8", np.float16, np.longdouble):
            out = op @ np.ones(3, dtype=dt)
            assert out.dtype == np.float64
            np.testing.assert_array_equal(out, D @ np.ones(3))


# ---- scaled operators keep single precision --------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_scaled_operator_adjoint_keeps_single_precision(dtype):
    # (2 * A).H and (A / 2).T @ y upcast to float64 (np.conj of a Python scalar)
    rng = np.random.default_rng(1)
    D = rng.standard_normal((3, 4)).astype(dtype)
    if np.dtype(dtype).kind == "c":
        D = D + 1j * rng.standard_normal((3, 4)).astype(np.float32)
    A = Dense(D)
    y = np.ones(3, dtype=dtype)
    for op, dense in (
        ((2 * A).H, 2 * D.conj().T),
        ((A / 2).T, D.T / 2),
        ((2j * A).H, (2j * D).conj().T),
        ((-A).H, -D.conj().T),
    ):
        assert dense.dtype in (np.complex64, dtype)  # NumPy's own promotion
        assert op.dtype == dense.dtype
        out = op @ y
        assert out.dtype == dense.dtype
        np.testing.assert_allclose(out, dense @ y, rtol=tol(dtype))
    assert ((2 * A).H.H @ np.ones(4, dtype=dtype)).dtype == dtype
    # a NumPy float64 scalar is not weak in NumPy's promotion: float64, as NumPy
    assert (np.float64(2.0) * A).dtype == np.result_type(dtype, np.float64)


# ---- pickling ---------------------------------------------------------------
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_format_pickles_with_every_protocol(protocol):
    # COO, BSR and NM could not be pickled with protocols 0 and 1: their own
    # non-empty __slots__ without __getstate__ (CSR/CSC's __slots__ is empty)
    D = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 4.0]], dtype=np.complex64)
    for M in (
        CSR.from_dense(D),
        CSC.from_dense(D),
        COO.from_dense(D),
        BSR.from_dense(D, (1, 2)),
        NM.from_dense(D, 2, 4),
    ):
        B = pickle.loads(pickle.dumps(M, protocol=protocol))
        assert type(B) is type(M) and B.dtype == M.dtype and B.shape == M.shape
        np.testing.assert_array_equal(B.todense(), D)
        np.testing.assert_array_equal(B @ np.ones(4, np.complex64), D @ np.ones(4))
        with pytest.raises(AttributeError, match="immutable"):
            B._shape = (1, 1)  # still frozen


# ---- metrics, testing, datasets ---------------------------------------------
def test_estimated_support_rejects_nan():
    # estimated_support([nan, 1, 2]) returned []
    for bad in ([NAN, 1.0, 2.0], [1.0, INF]):
        with pytest.raises(ValueError, match="x_hat contains NaN or Inf"):
            estimated_support(bad)
    np.testing.assert_array_equal(estimated_support([0.0, 1.0, 2.0]), [1, 2])


@pytest.mark.parametrize("c", [1e300, 1e-300, 2.0**1000, 2.0**-990])
def test_nmse_does_not_depend_on_units(c):
    # metrics.nmse overflowed/underflowed at 1e+-300
    rng = np.random.default_rng(2)
    t = rng.standard_normal((6, 3))
    h = t + 0.1 * rng.standard_normal((6, 3))
    want = np.sum((h - t) ** 2) / np.sum(t**2)
    want_cols = np.sum((h - t) ** 2, axis=0) / np.sum(t**2, axis=0)
    rtol = 1e-12
    np.testing.assert_allclose(nmse(c * t, c * h), want, rtol=rtol)
    np.testing.assert_allclose(
        nmse(c * t, c * h, per_signal=True), want_cols, rtol=rtol
    )
    np.testing.assert_allclose(nmse_db(c * t, c * h), 10 * np.log10(want), rtol=rtol)


def test_dottest_fails_on_a_nan_operator():
    # testing.dottest passed an all-NaN operator (every comparison False)
    class NaNOperator(sparsela.LinearOperator):
        def __init__(self):
            super().__init__((3, 3))

        def _matvec(self, x):
            return np.full(3, np.nan)

        _rmatvec = _matvec

    with pytest.raises(AssertionError, match="NaN or Inf"):
        dottest(NaNOperator())
    # at 1e+-300 the reference norms are computed without overflow
    for c in (1e300, 1e-300):
        assert dottest(Dense(c * np.arange(6.0).reshape(2, 3)))
    with pytest.raises(ValueError, match="n_vectors"):
        dottest(Dense(np.eye(2)), n_vectors=0)


def test_norm_est_max_iter_zero_is_an_error():
    # norm_est returned 0 for max_iter=0
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        Dense(np.eye(3)).norm_est(max_iter=0)
    with pytest.raises(ValueError, match="tol"):
        Dense(np.eye(3)).norm_est(tol=-1.0)


def test_norm_est_restarts_from_a_start_in_the_null_space():
    # norm_est returned 0 for a start vector in the null space
    D = np.diag([3.0, 0.0, 1.0])
    est = Dense(D).norm_est(x0=np.array([0.0, 1.0, 0.0]), tol=1e-12)
    np.testing.assert_allclose(est, np.linalg.norm(D, 2), rtol=1e-6)
    assert Dense(np.zeros((2, 3))).norm_est() == 0.0  # a zero operator: 0


@pytest.mark.parametrize("c", [1e300, 1e-300, 1e200, 1e-200])
def test_norm_est_at_extreme_scales(c):
    # norm_est gave inf at 1e300 and 0 at 1e-300 (||A^H A x|| = ||A||^2)
    rng = np.random.default_rng(3)
    D = rng.standard_normal((8, 5))
    want = np.linalg.norm(D, 2)
    est = Dense(D * c).norm_est(tol=1e-12, max_iter=500)
    np.testing.assert_allclose(est / c, want, rtol=1e-6)
    est_s = SparseMatrix(CSR.from_dense(D * c)).norm_est(tol=1e-12, max_iter=500)
    np.testing.assert_allclose(est_s / c, want, rtol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda s: sparsela.datasets.make_sparse_problem(
            20, 40, 3, snr_db=s, random_state=0
        ),
        lambda s: sparsela.datasets.make_kron_problem(
            ((3, 4), (3, 4)), 1, snr_db=s, random_state=0
        ),
        lambda s: sparsela.datasets.irs_mimo_channel(snr_db=s, random_state=0),
    ],
)
def test_datasets_at_extreme_snr(make):
    # snr_db=+1e6 raised OverflowError, -1e6 ZeroDivisionError
    p = make(1e6)
    assert p.noise_var == 0.0  # noiseless to working precision
    clean = sparsela.Kronecker(*p.factors) @ p.x if hasattr(p, "factors") else p.A @ p.x
    np.testing.assert_allclose(p.y, clean, rtol=1e-12, atol=1e-12 * np.abs(clean).max())
    with pytest.raises(ValueError, match="snr_db"):
        make(-1e6)
    # the usual range: noise_var = mean(|A x|^2) / 10^(snr_db / 10), as before
    p20 = make(20.0)
    np.testing.assert_allclose(p20.noise_var, np.mean(np.abs(clean) ** 2) / 100.0)


# ---- group penalties at extreme scales (found with the fuzz suite) ----------
@pytest.mark.parametrize("c", [1e200, 1e-200, 1e300, 1e-300])
def test_group_l1_prox_and_value_at_extreme_scales(c):
    # the group norm summed plain squares: inf at 1e200, 0 at 1e-200, so the
    # group prox returned v unshrunk (or 0) and value inf (or 0)
    v = np.array([3.0, 4.0, 0.5, -0.25])
    g = GroupL1(1.0, groups=[[0, 1], [2, 3]], weights=[1.0, 1.0])
    gc = GroupL1(c, groups=[[0, 1], [2, 3]], weights=[1.0, 1.0])
    np.testing.assert_allclose(gc.prox(v * c, 1.0) / c, g.prox(v, 1.0), rtol=1e-12)
    np.testing.assert_allclose(g.value(v * c) / c, g.value(v), rtol=1e-12)
    want = 5.0 + np.hypot(0.5, 0.25)
    np.testing.assert_allclose(g.value(v), want, rtol=1e-15)
    e = ElasticNet(1.0, l1_ratio=0.0)  # ridge part: 1/2 ||x||^2
    sq = e.value(v * np.sqrt(c)) / c
    np.testing.assert_allclose(sq, 0.5 * np.sum(v**2), rtol=1e-12)


# ---- messages name the argument ---------------------------------------------
def test_kronecker_and_block_parts_are_named_by_position():
    # a bad Kronecker factor was reported as "A", whichever it was
    good, bad = np.eye(2), np.array([[np.nan, 1.0]])
    with pytest.raises(ValueError, match=r"factors\[1\] contains NaN or Inf"):
        sparsela.Kronecker(good, bad)
    with pytest.raises(TypeError, match=r"factors\[0\] must have a floating"):
        sparsela.Kronecker([np.array([["a"]]), good])
    with pytest.raises(ValueError, match=r"ops\[1\] must be 2-dimensional"):
        sparsela.BlockDiag(good, np.ones(3))
    with pytest.raises(TypeError, match="operands must be numeric: x has dtype"):
        Dense(good) @ np.array(["a", "b"], dtype=object)
    K = sparsela.Kronecker(good, 2 * good)
    np.testing.assert_array_equal(K @ np.ones(4), np.kron(good, 2 * good) @ np.ones(4))


def test_box_with_an_infinite_bound_on_the_wrong_side_is_refused():
    # Box(upper=-inf) was accepted and projected everything to -inf
    with pytest.raises(ValueError, match="upper must not be -inf"):
        Box(upper=[-np.inf, 1.0])
    with pytest.raises(ValueError, match=r"lower must not be \+inf"):
        Box(lower=np.inf)
    out = Box(lower=-np.inf, upper=np.inf).prox(np.array([-3.0, 4.0]), 1.0)
    np.testing.assert_array_equal(out, [-3.0, 4.0])


def test_penalty_size_mismatch_names_the_input():
    g = WeightedL1(1.0, weights=np.ones(3))
    with pytest.raises(ValueError, match="v has 4 coefficients: weights must"):
        g.prox(np.ones(4), 1.0)
    with pytest.raises(ValueError, match="x has 2 coefficients"):
        g.value(np.ones(2))
    with pytest.raises(TypeError, match="Box needs real data, got v of dtype"):
        Box(0.0, 1.0).prox(np.ones(2, dtype=complex), 1.0)


def test_dataset_options_are_named():
    with pytest.raises(TypeError, match="dtype must be a floating"):
        sparsela.datasets.make_kron_problem(((2, 3),), 1, dtype=1e6)
    with pytest.raises(TypeError, match="n_nonzero must be an integer"):
        sparsela.datasets.make_kron_problem(((2, 3),), np.complex64)
    p = sparsela.datasets.make_sparse_problem(6, 8, 2, dtype=">f8", random_state=0)
    assert p.A.dtype == np.float64 and p.A.dtype.isnative
