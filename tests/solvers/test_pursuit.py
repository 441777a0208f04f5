"""OMP and MP against scikit-learn, naive NumPy references and each other."""

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import random_array, tol
from sklearn.linear_model import orthogonal_mp

from sparsela.kernels import reference as ref
from sparsela.operators import Kronecker, Restriction, WalshHadamard, aslinearoperator
from sparsela.solvers.pursuit import _atoms as atoms_module
from sparsela.solvers.pursuit import mp, omp

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
    # selection is reported in selection order: compare with sklearn's path
    path = orthogonal_mp(A, Y[:, 0], n_nonzero_coefs=8, return_path=True)
    order = [np.flatnonzero(path[:, t] != 0) for t in range(8)]
    first = [np.setdiff1d(order[t], order[t - 1])[0] if t else order[0][0]
             for t in range(8)]  # fmt: skip
    np.testing.assert_array_equal(res.selection[0], first)


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
        np.testing.assert_array_equal(res.selection[j], support)
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
    monkeypatch.setattr(atoms_module, "_CHUNK_BYTES", 4000)  # a few signals a chunk
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
    assert set(np.unique(res.status)) <= {1, 2, 4}
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
    assert not res.converged and res.status in (1, 4)
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
        np.testing.assert_array_equal(res.selection[j], chosen[np.sort(first)])
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
    use_gram, Atoms = atoms_module.use_gram, atoms_module.Atoms
    atoms = Atoms(aslinearoperator(A), np.float64)
    assert use_gram("auto", atoms, 2000, 16, mp=False)
    assert not use_gram("auto", atoms, 1, 16, mp=False)
    assert use_gram(True, atoms, 1, 16, mp=False)
    op_atoms = Atoms(Kronecker(A[:16, :32], A[:16, :32]), np.float64)
    assert not op_atoms.dense and op_atoms.op.nnz is None
    assert not use_gram("auto", op_atoms, 10**6, 16, mp=False)
    assert use_gram(True, op_atoms, 1, 16, mp=False)


# ---- any operator through check_problem --------------------------------------------
def _scipy_operators(A):
    import scipy.sparse.linalg as spla

    bare = spla.LinearOperator(
        A.shape, matvec=lambda v: A @ v, rmatvec=lambda v: A.conj().T @ v,
        dtype=A.dtype,
    )  # fmt: skip
    return {"aslinearoperator": spla.aslinearoperator(A), "matvec/rmatvec": bare}


@pytest.mark.parametrize("precompute", PATHS + ["auto"])
def test_scipy_linear_operator(rng, precompute):
    A, _, Y = sparse_problem(rng, m=30, n=50, s=4, k=3, unit=False)
    dense_omp = omp(A, Y, n_nonzero=4, precompute=False)
    dense_mp = mp(A, Y, max_iter=6, precompute=False)
    for name, op in _scipy_operators(A).items():
        res = omp(op, Y, n_nonzero=4, precompute=precompute)
        for a, b in zip(res.support, dense_omp.support, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)
        np.testing.assert_allclose(res.x, dense_omp.x, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(res.residual_norm, dense_omp.residual_norm,
                                   rtol=1e-10)  # fmt: skip
        res = mp(op, Y, max_iter=6, precompute=precompute)
        np.testing.assert_allclose(res.x, dense_mp.x, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(res.n_iter, dense_mp.n_iter)


def test_scipy_operator_without_adjoint_is_refused(rng):
    import scipy.sparse.linalg as spla

    A = rng.standard_normal((10, 20))
    op = spla.LinearOperator(A.shape, matvec=lambda v: A @ v, dtype=A.dtype)
    for solver in (omp, mp):
        with pytest.raises(TypeError, match="A has no adjoint"):
            solver(op, A[:, 3], n_nonzero=2)


@pytest.mark.parametrize("precompute", PATHS + ["auto"])
@pytest.mark.parametrize("fmt", ["CSR", "CSC"])
def test_sparsela_csr_csc_give_the_dense_answer(rng, precompute, fmt):
    import sparsela

    S = sp.random_array((40, 70), density=0.3, rng=rng, format="csr")
    A = S.toarray()
    X = np.zeros((70, 6))
    for j in range(6):
        X[rng.choice(70, 3, replace=False), j] = rng.standard_normal(3)
    Y = A @ X + 1e-3 * rng.standard_normal((40, 6))
    A_fmt = getattr(sparsela, fmt).from_scipy(S)
    for solver, kw in ((omp, dict(n_nonzero=4)), (mp, dict(max_iter=7))):
        dense = solver(A, Y, precompute=False, **kw)
        res = solver(A_fmt, Y, precompute=precompute, **kw)
        for a, b in zip(res.support, dense.support, strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(res.x, dense.x, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(res.residual_norm, dense.residual_norm,
                                   rtol=1e-9)  # fmt: skip


# ---- independent signals: per-signal results ------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
def test_twenty_independent_signals(rng, precompute):
    m, n, S = 40, 100, 20
    A = rng.standard_normal((m, n))
    planted, X = [], np.zeros((n, S))
    for j in range(S):
        sup = np.sort(rng.choice(n, 1 + j % 4, replace=False))  # 1 to 4 atoms
        planted.append(sup)
        X[sup, j] = rng.choice([-1.0, 1.0], sup.size) * rng.uniform(1, 2, sup.size)
    assert len({tuple(s) for s in planted}) == S  # different supports
    res = omp(A, A @ X, n_nonzero=6, precompute=precompute)
    for field in ("converged", "status", "n_iter", "residual_norm"):
        assert getattr(res, field).shape == (S,), field
    assert res.converged.all() and (res.status == 0).all()
    np.testing.assert_array_equal(res.n_iter, [s.size for s in planted])
    assert isinstance(res.support, list) and len(res.support) == S
    for got, exp in zip(res.support, planted, strict=True):
        np.testing.assert_array_equal(got, exp)
    np.testing.assert_allclose(res.x, X, atol=1e-10)
    assert (res.residual_norm < 1e-10).all()


# ---- callbacks -------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["omp", "mp"])
@pytest.mark.parametrize("several", [False, True])
def test_callback_stops(rng, solver, several):
    from sparsela import Status

    A, _, Y = sparse_problem(rng, m=30, n=60, s=3, k=4)
    y = Y if several else Y[:, 0]
    calls = []

    def stop_after_two(xk):
        calls.append(xk.copy())
        return len(calls) == 2

    run = omp if solver == "omp" else mp
    budget = dict(n_nonzero=5) if solver == "omp" else dict(max_iter=5)
    res = run(A, y, callback=stop_after_two, **budget)
    assert len(calls) == 2
    assert calls[0].shape == res.x.shape == ((60, 3) if several else (60,))
    if several:
        assert (res.status == Status.CALLBACK).all() and not res.converged.any()
        assert (res.n_iter == 2).all()
    else:
        assert res.status == Status.CALLBACK and res.n_iter == 2
    assert "callback" in res.message
    np.testing.assert_array_equal(res.x, calls[-1])
    # xk after one and two atoms (steps): the x of runs with that budget
    for t, xk in enumerate(calls, start=1):
        short = dict(n_nonzero=t) if solver == "omp" else dict(max_iter=t)
        np.testing.assert_allclose(xk, run(A, y, **short).x, atol=1e-12)


@pytest.mark.parametrize("solver", ["omp", "mp"])
def test_callback_that_never_stops_changes_nothing(rng, solver):
    A, _, Y = sparse_problem(rng, m=30, n=60, s=5, k=4)
    run = omp if solver == "omp" else mp
    tol_ = 0.2 * float(np.median(np.sum(Y**2, axis=0)))
    calls = []
    res = run(A, Y, tol=tol_, callback=lambda xk: calls.append(1))
    ref_res = run(A, Y, tol=tol_, precompute=False)
    np.testing.assert_allclose(res.x, ref_res.x, atol=1e-12)
    np.testing.assert_array_equal(res.status, ref_res.status)
    np.testing.assert_array_equal(res.n_iter, ref_res.n_iter)
    assert len(calls) == res.n_iter.max()
    with pytest.raises(TypeError, match="callback"):
        run(A, Y, callback=3)


# ---- status codes -----------------------------------------------------------------
@pytest.mark.parametrize("precompute", PATHS)
def test_mp_unreachable_tol_status(rng, precompute):
    from sparsela import Status

    # m > n: the part of y outside range(A) is never fitted; MP converges to
    # the least-squares fit, then its residual is orthogonal to every atom
    A = np.linalg.qr(rng.standard_normal((20, 5)))[0]
    y = rng.standard_normal(20)
    res = mp(A, y, tol=1e-6, max_iter=50, precompute=precompute)
    assert res.status == Status.TOL_UNREACHABLE and not res.converged
    np.testing.assert_allclose(res.x, A.T @ y, atol=1e-12)
    assert "tol is unreachable" in res.message


# ---- Gram cores -------------------------------------------------------------------
def test_omp_gram_matches_sklearn_and_omp(rng):
    from sklearn.linear_model import orthogonal_mp_gram

    from sparsela.solvers.pursuit import omp_gram

    A, _, Y = sparse_problem(rng, m=48, n=96, s=25, k=5)
    G, AhY = A.T @ A, A.T @ Y
    norms2 = np.sum(Y**2, axis=0)
    res = omp_gram(G, AhY, n_nonzero=5, norms_squared=norms2)
    expected = orthogonal_mp_gram(G, AhY, n_nonzero_coefs=5)
    np.testing.assert_allclose(res.x, expected, rtol=0, atol=1e-10)
    direct = omp(A, Y, n_nonzero=5)
    np.testing.assert_allclose(res.x, direct.x, rtol=0, atol=1e-10)
    for a, b, c in zip(res.support, res.selection, direct.selection, strict=True):
        np.testing.assert_array_equal(b, c)
        np.testing.assert_array_equal(a, np.sort(c))
    np.testing.assert_allclose(res.residual_norm, direct.residual_norm, rtol=1e-6)
    # tol mode, one signal, the path
    tol_ = 0.05 * float(np.median(norms2))
    res = omp_gram(G, AhY, tol=tol_, norms_squared=norms2)
    expected = orthogonal_mp_gram(G, AhY, tol=tol_, norms_squared=norms2)
    np.testing.assert_allclose(res.x, expected, rtol=0, atol=1e-10)
    one = omp_gram(G, AhY[:, 0], n_nonzero=4, return_path=True)
    path = orthogonal_mp_gram(G, AhY[:, 0], n_nonzero_coefs=4, return_path=True)
    np.testing.assert_allclose(one.path, path, rtol=0, atol=1e-10)
    assert np.isnan(one.residual_norm)  # no ||y||^2 given


def test_omp_gram_non_unit_atoms_equals_omp(rng, dtype):
    from sparsela.solvers.pursuit import omp_gram

    A, _, Y = sparse_problem(rng, dtype, m=32, n=60, s=7, k=4, unit=False)
    G = A.conj().T @ A
    AhY = A.conj().T @ Y
    res = omp_gram(G, AhY, n_nonzero=5)
    direct = omp(A, Y, n_nonzero=5)
    for a, b in zip(res.selection, direct.selection, strict=True):
        np.testing.assert_array_equal(a, b)
    scale = np.abs(direct.x).max()
    np.testing.assert_allclose(res.x, direct.x, rtol=0, atol=10 * tol(dtype) * scale)
    assert res.x.dtype == np.dtype(dtype)


def test_mp_gram_equals_mp(rng):
    from sparsela.solvers.pursuit import mp_gram

    A, _, Y = sparse_problem(rng, m=24, n=40, s=6, k=3, unit=False)
    norms2 = np.sum(Y**2, axis=0)
    for kw in (dict(max_iter=12), dict(n_nonzero=3, max_iter=20),
               dict(max_iter=10, positive=True)):  # fmt: skip
        res = mp_gram(A.T @ A, A.T @ Y, norms_squared=norms2, **kw)
        direct = mp(A, Y, precompute=False, **kw)
        np.testing.assert_allclose(res.x, direct.x, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(res.n_iter, direct.n_iter)
        np.testing.assert_allclose(res.residual_norm, direct.residual_norm,
                                   rtol=1e-6)  # fmt: skip


def test_gram_core_validation(rng):
    from sparsela.solvers.pursuit import mp_gram, omp_gram

    A = rng.standard_normal((10, 20))
    G, AhY = A.T @ A, A.T @ rng.standard_normal((10, 3))
    with pytest.raises(ValueError, match="norms_squared"):
        omp_gram(G, AhY, tol=0.1)
    with pytest.raises(ValueError, match="norms_squared"):
        omp_gram(G, AhY, norms_squared=np.ones(2))
    with pytest.raises(ValueError, match="G must be"):
        omp_gram(G[:, :5], AhY)
    with pytest.raises(ValueError, match="AhY must have 20 rows"):
        omp_gram(G, AhY[:5])
    G0 = G.copy()
    G0[4, 4] = 0.0
    with pytest.raises(ValueError, match="positive diagonal"):
        omp_gram(G0, AhY)
    with pytest.raises(ValueError, match="n_nonzero"):
        omp_gram(G, AhY, n_nonzero=21)
    with pytest.raises(ValueError, match="positive"):
        mp_gram(G + 0j, AhY, positive=True)
    with pytest.raises(ValueError, match="G contains NaN"):
        omp_gram(np.full((20, 20), np.nan), AhY)


# ---- honest status with tol = 0 (issue 13) ---------------------------------------
def _exactly_sparse(rng, m=30, n=60, s=20, k=3):
    A = rng.standard_normal((m, n))
    X = np.zeros((n, s))
    for j in range(s):
        X[rng.choice(n, k, replace=False), j] = rng.standard_normal(k)
    return A, X, A @ X


def test_omp_tol_zero_paths_agree(rng):
    """tol=0 on exactly sparse signals: the residual (about 1e-29 squared) is
    zero to working precision. The Gram path reported status 0 or 4 as the
    rounding of its recursion fell, the operator path always 4."""
    from sparsela import Status

    A, X, Y = _exactly_sparse(rng)
    gram = omp(A, Y, tol=0.0, precompute=True)
    oper = omp(A, Y, tol=0.0, precompute=False)
    for res in (gram, oper):
        assert np.all(res.status == Status.CONVERGED)
        assert "working precision" in res.message
        np.testing.assert_allclose(res.x, X, rtol=0, atol=1e-12)
        exact = np.linalg.norm(Y - A @ res.x, axis=0)
        assert np.all(exact <= 1e-13 * np.linalg.norm(Y, axis=0))
    np.testing.assert_array_equal(gram.n_iter, oper.n_iter)
    np.testing.assert_array_equal(gram.status, oper.status)
    for a, b in zip(gram.support, oper.support, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", [omp, mp])
def test_tiny_tol_paths_agree(rng, solver):
    """A tol below the accuracy of the Gram recursion (about eps ||y||^2) is
    decided on exact residuals by both paths: the same atoms, the same status."""
    A, X, Y = _exactly_sparse(rng, s=8)
    Y = Y + 1e-9 * rng.standard_normal(Y.shape)
    gram = solver(A, Y, tol=1e-20, precompute=True)
    oper = solver(A, Y, tol=1e-20, precompute=False)
    np.testing.assert_array_equal(gram.n_iter, oper.n_iter)
    np.testing.assert_array_equal(gram.status, oper.status)
    np.testing.assert_allclose(gram.x, oper.x, rtol=0, atol=1e-10)
    reached = gram.residual_norm**2 <= 1e-20
    np.testing.assert_array_equal(gram.converged, reached)


@pytest.mark.parametrize("precompute", PATHS)
def test_tol_zero_unreachable_is_said(rng, precompute):
    """y outside the range of A (m > n): tol=0 cannot be met, the residual is
    far above the rounding level: every atom is used (MAX_ITER), or with a
    duplicated atom the residual becomes orthogonal first (TOL_UNREACHABLE)."""
    from sparsela import Status

    A = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    res = omp(A, y, tol=0.0, precompute=precompute)
    assert res.status == Status.MAX_ITER and not res.converged
    dup = omp(np.column_stack([A, A[:, :2]]), y, tol=0.0, precompute=precompute)
    assert dup.status == Status.TOL_UNREACHABLE and not dup.converged
    np.testing.assert_allclose(dup.residual_norm, res.residual_norm, rtol=1e-10)
    lsq = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(res.x, lsq, atol=1e-12)


def test_omp_gram_tol_zero_is_honest(rng):
    """The public Gram core knows the residual only from its recursion
    (accurate to about eps ||y||^2): tol=0 on exactly sparse signals is met to
    that precision, said in the message; never status 0 by the luck of
    rounding and 4 otherwise."""
    from sparsela import Status
    from sparsela.solvers.pursuit import omp_gram

    A, X, Y = _exactly_sparse(rng)
    A = A / np.linalg.norm(A, axis=0)
    Y = A @ X
    n2 = np.sum(Y**2, axis=0)
    res = omp_gram(A.T @ A, A.T @ Y, tol=0.0, norms_squared=n2)
    assert np.all(res.status == Status.CONVERGED)
    np.testing.assert_allclose(res.x, X, rtol=0, atol=1e-10)
    assert np.all(res.residual_norm <= 1e-6 * np.sqrt(n2))
