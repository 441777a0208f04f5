"""OMP and MP against scikit-learn, naive NumPy references and each other."""

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import random_array, tol
from sklearn.linear_model import orthogonal_mp

from sparsela.kernels import reference as ref
from sparsela.operators import Kronecker, Restriction, WalshHadamard
from sparsela.solvers.pursuit import _omp as omp_module
from sparsela.solvers.pursuit._omp import mp, omp

PATHS = [True, False]  # precompute: Gram path / operator path


def sparse_problem(rng, dtype=np.float64, m=64, n=128, s=30, k=8, snr_db=40.0,
                   unit=True):  # fmt: skip
    """Gaussian A, exactly k-sparse columns of X, noise at ``snr_db``."""
    A = random_array(rng, (m, n), dtype)
    if unit:
        A = A / np.linalg.norm(A, axis=0)
    else:
        A = A * rng.uniform(0.2, 5.0, n).astype(np.finfo(dtype).dtype)
    X = np.zeros((n, s), dtype=dtype)
    for j in range(s):
        X[rng.choice(n, k, replace=False), j] = random_array(rng, k, dtype)
    Y0 = A @ X
    noise = random_array(rng, Y0.shape, dtype)
    scale = np.linalg.norm(Y0, axis=0) / np.linalg.norm(noise, axis=0)
    Y = (Y0 + noise * scale * 10 ** (-snr_db / 20)).astype(dtype)
    return A.astype(dtype), X, Y


def supports(x):
    return [np.flatnonzero(col) for col in np.atleast_2d(x.T)]


# ---- scikit-learn ------------------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
def test_matches_sklearn_n_nonzero(rng, precompute):
    A, _, Y = sparse_problem(rng)
    res = omp(A, Y, n_nonzero=8, precompute=precompute)
    expected = orthogonal_mp(A, Y, n_nonzero_coefs=8)
    for got, exp in zip(supports(res.x), supports(expected), strict=True):
        np.testing.assert_array_equal(got, exp)
    np.testing.assert_allclose(res.x, expected, rtol=0, atol=1e-8)
    assert res.converged.all() and (res.n_iter == 8).all()
    # support is reported in selection order: compare with sklearn's path
    path = orthogonal_mp(A, Y[:, 0], n_nonzero_coefs=8, return_path=True)
    order = [np.flatnonzero(path[:, t] != 0) for t in range(8)]
    first = [np.setdiff1d(order[t], order[t - 1])[0] if t else order[0][0]
             for t in range(8)]  # fmt: skip
    np.testing.assert_array_equal(res.support[0], first)


@pytest.mark.parametrize("precompute", PATHS)
def test_matches_sklearn_tol(rng, precompute):
    A, _, Y = sparse_problem(rng)
    tol_ = 0.05 * float(np.median(np.sum(Y**2, axis=0)))
    res = omp(A, Y, tol=tol_, precompute=precompute)
    expected = orthogonal_mp(A, Y, tol=tol_)
    for got, exp in zip(supports(res.x), supports(expected), strict=True):
        np.testing.assert_array_equal(got, exp)
    np.testing.assert_allclose(res.x, expected, rtol=0, atol=1e-8)
    assert (res.residual_norm**2 <= tol_ * (1 + 1e-10)).all()
    assert res.converged.all()
    assert len(set(res.n_iter.tolist())) > 1  # per-signal stopping


@pytest.mark.parametrize("precompute", PATHS)
def test_matches_sklearn_non_unit_columns(rng, precompute):
    # the selection rule |a_i^T r| / ||a_i|| is sklearn's on normalised columns
    A, _, Y = sparse_problem(rng, unit=False)
    norms = np.linalg.norm(A, axis=0)
    res = omp(A, Y, n_nonzero=6, precompute=precompute)
    expected = orthogonal_mp(A / norms, Y, n_nonzero_coefs=6) / norms[:, None]
    np.testing.assert_allclose(res.x, expected, rtol=0, atol=1e-8)
    res = omp(A, Y, tol=1.0, precompute=precompute)
    expected = orthogonal_mp(A / norms, Y, tol=1.0) / norms[:, None]
    np.testing.assert_allclose(res.x, expected, rtol=0, atol=1e-8)


# ---- naive reference (complex) --------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
@pytest.mark.parametrize("mode", ["n_nonzero", "tol", "both"])
def test_matches_naive(rng, dtype, precompute, mode):
    A, _, Y = sparse_problem(rng, dtype, m=32, n=60, s=12, k=4, unit=False)
    kw = {"n_nonzero": dict(n_nonzero=5), "tol": dict(tol=0.5),
          "both": dict(n_nonzero=3, tol=0.5)}[mode]  # fmt: skip
    res = omp(A, Y, precompute=precompute, **kw)
    A64 = A.astype(np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    for j in range(Y.shape[1]):
        x, support = ref.omp_naive(A64, Y[:, j].astype(A64.dtype), **kw)
        np.testing.assert_array_equal(res.support[j], support)
        scale = np.abs(x).max()
        np.testing.assert_allclose(res.x[:, j], x, rtol=0, atol=tol(dtype) * scale)
    assert res.x.dtype == np.dtype(dtype)
    assert res.residual_norm.dtype == np.finfo(dtype).dtype


def test_both_stop_whichever_first(rng):
    A, _, Y = sparse_problem(rng, s=20)
    tol_ = 0.3 * float(np.median(np.sum(Y**2, axis=0)))
    by_tol = omp(A, Y, tol=tol_)
    both = omp(A, Y, tol=tol_, n_nonzero=3)
    np.testing.assert_array_equal(both.n_iter, np.minimum(by_tol.n_iter, 3))
    assert both.converged.all()


# ---- batch, precision, paths -----------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
def test_batch_equals_single(rng, dtype, precompute):
    A, _, Y = sparse_problem(rng, dtype, m=32, n=60, s=7, k=4)
    batch = omp(A, Y, n_nonzero=5, precompute=precompute)
    for j in range(Y.shape[1]):
        one = omp(A, Y[:, j], n_nonzero=5, precompute=precompute)
        np.testing.assert_array_equal(one.support, batch.support[j])
        np.testing.assert_allclose(one.x, batch.x[:, j], rtol=tol(dtype), atol=0)
        assert one.n_iter == batch.n_iter[j]
        assert one.residual_norm == pytest.approx(
            batch.residual_norm[j], rel=tol(dtype)
        )
        assert isinstance(one.converged, bool) and isinstance(one.status, int)


def test_gram_and_operator_paths_agree(rng, dtype):
    A, _, Y = sparse_problem(rng, dtype, m=32, n=60, s=9, k=4)
    g = omp(A, Y, n_nonzero=6, precompute=True)
    o = omp(A, Y, n_nonzero=6, precompute=False)
    for a, b in zip(g.support, o.support, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(g.x, o.x, rtol=tol(dtype), atol=tol(dtype))
    np.testing.assert_allclose(g.residual_norm, o.residual_norm, rtol=tol(dtype))


@pytest.mark.parametrize("kind", ["real", "complex"])
def test_float32_agrees_with_float64(rng, kind):
    d64, d32 = (
        (np.float64, np.float32) if kind == "real" else (np.complex128, np.complex64)
    )
    A, X, Y = sparse_problem(rng, d64, m=48, n=96, s=40, k=5, snr_db=60)
    r64 = omp(A, Y, n_nonzero=5)
    r32 = omp(A.astype(d32), Y.astype(d32), n_nonzero=5)
    assert r32.x.dtype == d32 and r64.x.dtype == d64
    for a, b in zip(r32.support, r64.support, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(r32.x, r64.x, rtol=0, atol=tol(d32) * np.abs(X).max())
    np.testing.assert_allclose(r32.residual_norm, r64.residual_norm, rtol=2e-3)


@pytest.mark.parametrize("precompute", PATHS)
def test_residual_norm_is_exact(rng, dtype, precompute):
    A, _, Y = sparse_problem(rng, dtype, m=32, n=60, s=6, k=4)
    res = omp(A, Y, n_nonzero=4, precompute=precompute)
    expected = np.linalg.norm(Y - A @ res.x, axis=0)
    np.testing.assert_allclose(res.residual_norm, expected, rtol=10 * tol(dtype))


@pytest.mark.parametrize("precompute", PATHS)
def test_return_path(rng, precompute):
    A, _, Y = sparse_problem(rng, m=32, n=60, s=3, k=4)
    res = omp(A, Y, n_nonzero=5, precompute=precompute, return_path=True)
    for j in range(3):
        P = res.path[j]
        assert P.shape == (60, 5)
        expected = orthogonal_mp(A, Y[:, j], n_nonzero_coefs=5, return_path=True)
        np.testing.assert_allclose(P, expected, rtol=0, atol=1e-10)
        np.testing.assert_allclose(P[:, -1], res.x[:, j])
    single = omp(A, Y[:, 0], n_nonzero=5, precompute=precompute, return_path=True)
    np.testing.assert_allclose(single.path, res.path[0])


def test_chunking_does_not_change_results(rng, monkeypatch):
    A, _, Y = sparse_problem(rng, m=32, n=60, s=25, k=4)
    full = omp(A, Y, n_nonzero=5, precompute=True)
    full_op = omp(A, Y, n_nonzero=5, precompute=False)
    monkeypatch.setattr(omp_module, "_CHUNK_BYTES", 4000)  # a few signals a chunk
    chunked = omp(A, Y, n_nonzero=5, precompute=True)
    chunked_op = omp(A, Y, n_nonzero=5, precompute=False)
    # BLAS may round a product of fewer columns differently: compare to 1e-12
    for a, b in ((full, chunked), (full_op, chunked_op)):
        for sa, sb in zip(a.support, b.support, strict=True):
            np.testing.assert_array_equal(sa, sb)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(a.residual_norm, b.residual_norm, rtol=1e-12)


def test_thread_count_does_not_change_results(rng):
    numba = pytest.importorskip("numba")
    A, _, Y = sparse_problem(rng, m=32, n=60, s=40, k=4)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = omp(A, Y, n_nonzero=5, precompute=True)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = omp(A, Y, n_nonzero=5, precompute=True)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.x, many.x)


# ---- A in other forms ---------------------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS + ["auto"])
def test_sparse_matrix_input(rng, precompute):
    S = sp.random_array((40, 70), density=0.3, rng=rng, format="csr")
    A = S.toarray()
    X = np.zeros((70, 5))
    for j in range(5):
        X[rng.choice(70, 3, replace=False), j] = rng.standard_normal(3)
    Y = A @ X
    dense = omp(A, Y, n_nonzero=3)
    for obj in (S, S.tocsc(), S.tocoo()):
        res = omp(obj, Y, n_nonzero=3, precompute=precompute)
        np.testing.assert_allclose(res.x, dense.x, rtol=1e-10, atol=1e-12)


def test_sparsela_format_input(rng):
    formats = pytest.importorskip("sparsela.formats")
    S = sp.random_array((30, 50), density=0.3, rng=rng, format="csr")
    y = S @ np.where(np.arange(50) % 17 == 0, 1.0, 0.0)
    dense = omp(S.toarray(), y, n_nonzero=3)
    res = omp(formats.CSR.from_scipy(S), y, n_nonzero=3)
    np.testing.assert_allclose(res.x, dense.x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("precompute", PATHS + ["auto"])
def test_kronecker_operator(rng, dtype, precompute):
    A1 = random_array(rng, (6, 9), dtype)
    A2 = random_array(rng, (5, 8), dtype)
    op = Kronecker(A1, A2)
    dense = np.kron(A1, A2)
    x = np.zeros(72, dtype=dtype)
    x[[4, 30, 61]] = random_array(rng, 3, dtype)
    Y = np.stack([dense @ x, dense @ np.roll(x, 5)], axis=1)
    res = omp(op, Y, n_nonzero=3, precompute=precompute)
    ref_res = omp(dense, Y, n_nonzero=3, precompute=False)
    for a, b in zip(res.support, ref_res.support, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(res.x, ref_res.x, rtol=tol(dtype), atol=tol(dtype))


@pytest.mark.parametrize("precompute", PATHS)
def test_subsampled_hadamard_recovers_sparse_signal(rng, precompute):
    N, M = 256, 96
    rows = np.sort(rng.choice(N, M, replace=False))
    op = Restriction(N, rows) @ WalshHadamard(N)
    x = np.zeros(N)
    x[rng.choice(N, 6, replace=False)] = rng.choice([-1.0, 1.0], 6) * rng.uniform(
        1, 2, 6
    )
    res = omp(op, op @ x, n_nonzero=6, precompute=precompute)
    np.testing.assert_allclose(res.x, x, atol=1e-10)
    assert res.converged


# ---- stopping, status, robustness --------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
def test_exactly_sparse_stops_with_fewer_atoms(rng, precompute):
    A = rng.standard_normal((30, 50))
    x = np.zeros(50)
    x[[3, 9, 27]] = [1.0, -2.0, 0.5]
    res = omp(A, A @ x, n_nonzero=10, precompute=precompute)
    assert res.n_iter == 3 and res.converged and res.status == 0
    np.testing.assert_allclose(res.x, x, atol=1e-12)
    assert "fewer atoms" in res.message


@pytest.mark.parametrize("precompute", PATHS)
def test_zero_signal(rng, precompute):
    A = rng.standard_normal((10, 20))
    Y = np.zeros((10, 2))
    Y[:, 1] = A[:, 4]
    res = omp(A, Y, n_nonzero=2, precompute=precompute)
    np.testing.assert_array_equal(res.x[:, 0], 0.0)
    assert res.n_iter[0] == 0 and res.converged.all()
    res = omp(A, Y, tol=0.0, precompute=precompute)
    assert res.n_iter[0] == 0 and res.converged[0]


@pytest.mark.parametrize("precompute", PATHS)
def test_duplicate_atoms_never_nan(rng, precompute):
    m, n = 12, 30
    A = rng.standard_normal((m, n))
    A[:, 10:20] = A[:, :10]  # exact duplicates
    A[:, 20:30] = A[:, :10] * (1 + 1e-13) + 1e-10 * rng.standard_normal((m, 10))
    Y = rng.standard_normal((m, 40))
    res = omp(A, Y, tol=1e-20, precompute=precompute)
    assert np.isfinite(res.x).all() and np.isfinite(res.residual_norm).all()
    # at most 10 independent directions: never more than 10 atoms
    assert (res.n_iter <= 10).all()
    assert not res.converged.any()
    assert set(np.unique(res.status)) <= {1, 2, 3}
    assert "stopped early" in res.message
    np.testing.assert_allclose(
        res.residual_norm, np.linalg.norm(Y - A @ res.x, axis=0), rtol=1e-6
    )
    # every support is made of distinct base atoms
    for s in res.support:
        assert len(np.unique(s % 10)) == len(s)


def test_dependent_atom_status_and_message(rng):
    m = 10
    a0 = rng.standard_normal(m)
    a0 /= np.linalg.norm(a0)
    v = rng.standard_normal(m)
    v -= (v @ a0) * a0
    v /= np.linalg.norm(v)
    A = np.stack([a0, a0 + 1e-9 * v, rng.standard_normal(m) * 1e-3], axis=1)
    A[:, 2] -= (A[:, 2] @ a0) * a0 + (A[:, 2] @ v) * v  # orthogonal to a0 and v
    for precompute in PATHS:
        res = omp(A, 2.0 * a0 + v, n_nonzero=2, precompute=precompute)
        assert res.status == 2 and not res.converged and res.n_iter == 1
        assert "linearly dependent" in res.message
        assert np.isfinite(res.x).all()


@pytest.mark.parametrize("precompute", PATHS)
def test_unreachable_tol(rng, precompute):
    # m > n: the part of y outside range(A) can never be fitted
    A = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    res = omp(A, y, tol=1e-6, precompute=precompute)
    assert not res.converged and res.status in (1, 3)
    assert res.n_iter == 5
    lsq = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(res.x, lsq, atol=1e-10)
    assert "stopped early" in res.message


def test_default_n_nonzero_as_sklearn(rng):
    A, _, Y = sparse_problem(rng, m=40, n=90, s=4)
    res = omp(A, Y)
    assert (res.n_iter == 9).all()
    np.testing.assert_allclose(res.x, orthogonal_mp(A, Y), atol=1e-8)


def test_empty_batch(rng):
    res = omp(rng.standard_normal((5, 8)), np.zeros((5, 0)), n_nonzero=2)
    assert res.x.shape == (8, 0) and res.support == []


# ---- validation -----------------------------------------------------------------
def test_validation_errors(rng):
    A = rng.standard_normal((10, 20))
    y = rng.standard_normal(10)
    with pytest.raises(ValueError, match="n_nonzero"):
        omp(A, y, n_nonzero=11)  # more than the rows
    with pytest.raises(ValueError, match="n_nonzero"):
        omp(A[:, :5], y, n_nonzero=6)  # more than the atoms
    with pytest.raises(ValueError, match="n_nonzero"):
        omp(A, y, n_nonzero=0)
    with pytest.raises(TypeError, match="n_nonzero"):
        omp(A, y, n_nonzero=2.5)
    with pytest.raises(ValueError, match="tol"):
        omp(A, y, tol=-1.0)
    with pytest.raises(ValueError, match="y must have 10 rows"):
        omp(A, rng.standard_normal(11))
    with pytest.raises(ValueError, match="y must be"):
        omp(A, rng.standard_normal((10, 2, 2)))
    with pytest.raises(ValueError, match="precompute"):
        omp(A, y, precompute="yes")
    A0 = A.copy()
    A0[:, 7] = 0.0
    with pytest.raises(ValueError, match="zero-norm column.*7"):
        omp(A0, y)
    with pytest.raises(ValueError, match="zero-norm"):
        omp(sp.csr_array(A0), y)
    for bad in (np.nan, np.inf):
        An = A.copy()
        An[2, 3] = bad
        with pytest.raises(ValueError, match="A contains NaN or Inf"):
            omp(An, y)
        with pytest.raises(ValueError, match="A contains NaN or Inf"):
            omp(sp.csr_array(An), y)
        yn = y.copy()
        yn[4] = bad
        with pytest.raises(ValueError, match="y contains NaN or Inf"):
            omp(A, yn)
    with pytest.raises(TypeError, match="y"):
        omp(A, np.array(["a"] * 10))
    with pytest.raises(TypeError, match="A"):
        omp("not a matrix", y)
    with pytest.raises(ValueError, match="n_nonzero"):
        mp(A, y, n_nonzero=21)
    with pytest.raises(ValueError, match="max_iter"):
        mp(A, y, max_iter=0)
    with pytest.raises(ValueError, match="positive"):
        mp(A + 0j, y, positive=True)


# ---- matching pursuit --------------------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
@pytest.mark.parametrize("tol_", [None, 0.5])
def test_mp_matches_naive(rng, dtype, precompute, tol_):
    A, _, Y = sparse_problem(rng, dtype, m=24, n=40, s=6, k=3, unit=False)
    steps = 15
    res = mp(A, Y, max_iter=steps, tol=tol_, precompute=precompute)
    A64 = A.astype(np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    for j in range(Y.shape[1]):
        x, chosen = ref.mp_naive(A64, Y[:, j].astype(A64.dtype), steps, tol=tol_)
        assert res.n_iter[j] == chosen.size
        _, first = np.unique(chosen, return_index=True)
        np.testing.assert_array_equal(res.support[j], chosen[np.sort(first)])
        np.testing.assert_allclose(
            res.x[:, j], x, rtol=0, atol=tol(dtype) * np.abs(x).max()
        )
    np.testing.assert_allclose(
        res.residual_norm, np.linalg.norm(Y - A @ res.x, axis=0), rtol=10 * tol(dtype)
    )
    assert res.x.dtype == np.dtype(dtype)


@pytest.mark.parametrize("precompute", PATHS)
def test_mp_positive(rng, precompute):
    A, _, Y = sparse_problem(rng, m=24, n=40, s=5, k=3)
    res = mp(A, Y, max_iter=12, positive=True, precompute=precompute)
    assert (res.x >= 0).all()
    for j in range(Y.shape[1]):
        x, chosen = ref.mp_naive(A, Y[:, j], 12, positive=True)
        np.testing.assert_allclose(res.x[:, j], x, atol=1e-12)


@pytest.mark.parametrize("precompute", PATHS)
def test_mp_stops_and_path(rng, precompute):
    A, _, Y = sparse_problem(rng, m=24, n=40, s=5, k=3)
    # default: n_nonzero steps, at most n_nonzero atoms
    res = mp(A, Y, n_nonzero=4, precompute=precompute, return_path=True)
    assert (res.n_iter == 4).all() and res.converged.all()
    for j in range(5):
        assert res.path[j].shape == (40, 4)
        np.testing.assert_allclose(res.path[j][:, -1], res.x[:, j], atol=1e-14)
        for t in range(4):
            short = mp(A, Y[:, j], max_iter=t + 1, precompute=precompute)
            np.testing.assert_allclose(res.path[j][:, t], short.x, atol=1e-12)
    # an atom cap below the step budget
    capped = mp(A, Y, n_nonzero=2, max_iter=30, precompute=precompute)
    assert all(len(s) <= 2 for s in capped.support)
    assert capped.converged.all()
    # tol unreachable within max_iter -> status 1
    res = mp(A, Y, tol=1e-12, max_iter=3, precompute=precompute)
    assert (res.status == 1).all() and not res.converged.any()
    # MP converges towards the least-squares fit: residual decreases with steps
    r = [mp(A, Y[:, 0], max_iter=t, precompute=precompute).residual_norm
         for t in (1, 5, 20, 80)]  # fmt: skip
    assert all(a > b for a, b in zip(r, r[1:], strict=False))


def test_mp_orthonormal_dictionary_equals_omp(rng):
    Q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    Y = rng.standard_normal((30, 4))
    a = mp(Q, Y, n_nonzero=6)
    b = omp(Q, Y, n_nonzero=6)
    np.testing.assert_allclose(a.x, b.x, atol=1e-12)


def test_auto_precompute_choice(rng):
    # many signals on an explicit A: Gram path; one signal or an operator: not
    A = rng.standard_normal((256, 1024))
    atoms, _, _ = omp_module._setup(A, np.zeros(256))
    assert omp_module._use_gram("auto", atoms, 2000, 16, mp=False)
    assert not omp_module._use_gram("auto", atoms, 1, 16, mp=False)
    assert omp_module._use_gram(True, atoms, 1, 16, mp=False)
    op_atoms, _, _ = omp_module._setup(
        Kronecker(A[:16, :32], A[:16, :32]), np.zeros(256)
    )
    assert op_atoms.kind == "operator"
    assert not omp_module._use_gram("auto", op_atoms, 10**6, 16, mp=False)
    assert omp_module._use_gram(True, op_atoms, 1, 16, mp=False)
