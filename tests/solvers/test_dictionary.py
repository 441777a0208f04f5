"""Dictionary learning and sparse coding against scikit-learn, textbook
references and planted dictionaries."""

import sys

import numpy as np
import pytest
from _utils import random_array
from sklearn.decomposition import sparse_encode as sk_sparse_encode

import sparsela
from sparsela import (
    OnlineDictionaryLearning,
    Status,
    dictionary_learning,
    sparse_encode,
)
from sparsela.datasets import planted_dictionary
from sparsela.solvers.dictionary import atom_recovery, orthogonal_recovery

# (signals, dictionary) of the K-SVD paper's synthetic experiment
KSVD_SETUP = dict(n_features=20, n_atoms=50, n_signals=1500, n_nonzero=3, snr_db=20)


def unit(rng, n, K, dtype=np.float64):
    D = random_array(rng, (n, K), dtype)
    return D / np.linalg.norm(D, axis=0)


def small_problem(dtype=np.float64, seed=0, snr_db=30.0):
    return planted_dictionary(
        12, 24, 600, n_nonzero=2, snr_db=snr_db, dtype=dtype, random_state=seed
    )


# ---------------------------------------------------------------------------
# sparse_encode
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_encode_omp_matches_sklearn(rng, dtype):
    D = unit(rng, 20, 50, dtype)
    Y = random_array(rng, (20, 300), dtype)
    X = sparse_encode(Y, D, method="omp", n_nonzero=4)
    ref = sk_sparse_encode(Y.T, D.T, algorithm="omp", n_nonzero_coefs=4).T
    assert X.dtype == dtype and X.shape == (50, 300)
    atol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(X, ref, atol=atol)
    # scikit-learn's layout gives the transpose
    X_rows = sparse_encode(Y.T, D.T, n_nonzero=4, signals="rows")
    np.testing.assert_allclose(X_rows, X.T, atol=atol)
    # a precomputed Gram matrix changes nothing
    X_gram = sparse_encode(Y, D, n_nonzero=4, gram=D.T @ D)
    np.testing.assert_allclose(X_gram, X, atol=atol)


def test_sparse_encode_lasso_and_threshold_match_sklearn(rng):
    D = unit(rng, 20, 50)
    Y = rng.standard_normal((20, 40))
    X = sparse_encode(Y, D, method="fista", lam=0.2, tol=1e-10)
    ref = sk_sparse_encode(Y.T, D.T, algorithm="lasso_cd", alpha=0.2, max_iter=20000)
    np.testing.assert_allclose(X, ref.T, atol=1e-5)
    X = sparse_encode(Y, D, method="threshold", lam=0.2)
    ref = sk_sparse_encode(Y.T, D.T, algorithm="threshold", alpha=0.2)
    np.testing.assert_allclose(X, ref.T, atol=1e-12)


def test_sparse_encode_complex_exact_codes(rng):
    D = unit(rng, 20, 50, np.complex128)
    X = np.zeros((50, 10), complex)
    for j in range(10):
        X[rng.choice(50, 3, replace=False), j] = random_array(rng, 3, np.complex128)
    for dtype, atol in ((np.complex128, 1e-12), (np.complex64, 1e-4)):
        codes = sparse_encode((D @ X).astype(dtype), D.astype(dtype), n_nonzero=3)
        assert codes.dtype == dtype
        np.testing.assert_allclose(codes, X, atol=atol)
    # one signal: a 1-D code; threshold keeps the largest correlations
    code = sparse_encode(D @ X[:, 0], D, method="threshold", n_nonzero=5)
    Z = D.conj().T @ (D @ X[:, 0])
    keep = np.argsort(np.abs(Z))[-5:]
    np.testing.assert_allclose(code[keep], Z[keep])
    assert np.count_nonzero(code) == 5


# ---------------------------------------------------------------------------
# K-SVD and MOD
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["ksvd", "mod"])
def test_planted_dictionary_recovered(method):
    """The K-SVD paper's experiment (20 x 50, 1500 signals, 3 atoms, 20 dB):
    >= 95 % of the atoms (|<d, d_hat>| > 0.99 after matching) in 80
    iterations."""
    Y, D, X, _ = planted_dictionary(**KSVD_SETUP, random_state=0)
    res = dictionary_learning(
        Y, 50, method=method, n_nonzero=3, max_iter=80, random_state=0
    )
    assert atom_recovery(D, res.dictionary) >= 0.95
    h = res.history
    assert len(h["objective"]) == res.n_iter == 80
    assert res.status == Status.MAX_ITER and not res.converged
    assert "iteration limit" in res.message
    # the noise floor: 20 dB is a relative error of 0.1 for the true D
    assert 0.1 < h["representation_error"][-1] < 0.2
    assert h["representation_error"][-1] < 0.5 * h["representation_error"][0]
    np.testing.assert_allclose(
        res.residual_norm, np.linalg.norm(Y - res.dictionary @ res.codes)
    )
    assert np.all(np.diff(h["time"]) >= 0)


def _textbook_ksvd_sweep(Y, D, X):
    """Aharon et al.'s atom update, the residual E_k formed in full."""
    D, X = D.copy(), X.copy()
    for k in range(D.shape[1]):
        w = np.flatnonzero(X[k])
        if w.size == 0:
            continue
        E = Y - D @ X + np.outer(D[:, k], X[k])
        U, s, Vh = np.linalg.svd(E[:, w])
        sign = np.sign(U[:, 0] @ D[:, k]) or 1.0
        D[:, k] = sign * U[:, 0]
        X[k, w] = sign * s[0] * Vh[0]
    return D, X


def test_one_ksvd_and_mod_iteration_match_textbook(rng):
    Y = rng.standard_normal((10, 200))
    D0 = unit(rng, 10, 20)
    X0 = sk_sparse_encode(Y.T, D0.T, algorithm="omp", n_nonzero_coefs=3).T
    D1, _ = _textbook_ksvd_sweep(Y, D0, X0)
    res = dictionary_learning(Y, 20, n_nonzero=3, max_iter=1, dict_init=D0)
    np.testing.assert_allclose(res.dictionary, D1, atol=1e-10)
    # MOD: the least-squares dictionary for the codes, normalised
    D_ls = np.linalg.lstsq(X0.T, Y.T, rcond=None)[0].T
    D_ls /= np.linalg.norm(D_ls, axis=0)
    res = dictionary_learning(
        Y, 20, method="mod", n_nonzero=3, max_iter=1, dict_init=D0
    )
    np.testing.assert_allclose(res.dictionary, D_ls, atol=1e-8)
    # the returned codes are OMP's with the final dictionary
    np.testing.assert_allclose(
        res.codes,
        sk_sparse_encode(Y.T, res.dictionary.T, algorithm="omp", n_nonzero_coefs=3).T,
        atol=1e-10,
    )


@pytest.mark.parametrize("method", ["ksvd", "mod", "online"])
def test_complex_and_float32(method):
    ref = None
    for dtype in (np.complex128, np.complex64):
        Y, D, X, _ = planted_dictionary(**KSVD_SETUP, dtype=dtype, random_state=0)
        res = dictionary_learning(
            Y, 50, method=method, n_nonzero=3, max_iter=40, random_state=0
        )
        assert res.dictionary.dtype == dtype and res.codes.dtype == dtype
        if method != "online":
            assert atom_recovery(D, res.dictionary) >= 0.95
        err = res.history["representation_error"][-1]
        if ref is None:
            ref = (res.dictionary, err)
        else:  # single precision follows the double-precision run
            assert abs(err - ref[1]) < 1e-3 * ref[1]
            assert atom_recovery(ref[0], res.dictionary, threshold=0.999) >= 0.95
    Y, D, X, _ = small_problem(np.float32)
    kw = dict(method=method, n_nonzero=2, max_iter=30, batch_size=100)
    res32 = dictionary_learning(Y, 24, **kw, random_state=0)
    res64 = dictionary_learning(Y.astype(np.float64), 24, **kw, random_state=0)
    assert res32.dictionary.dtype == np.float32 and res32.codes.dtype == np.float32
    assert res64.dictionary.dtype == np.float64
    assert atom_recovery(res64.dictionary, res32.dictionary, threshold=0.999) == 1.0


def test_rows_layout_is_the_transpose():
    Y, D, X, _ = small_problem()
    a = dictionary_learning(Y, 24, n_nonzero=2, max_iter=5, random_state=1)
    b = dictionary_learning(
        Y.T, 24, n_nonzero=2, max_iter=5, random_state=1, signals="rows"
    )
    assert b.dictionary.shape == (24, 12) and b.codes.shape == (600, 24)
    np.testing.assert_allclose(b.dictionary, a.dictionary.T)
    np.testing.assert_allclose(b.codes, a.codes.T)
    assert b.x is b.dictionary


# ---------------------------------------------------------------------------
# Orthogonal dictionaries
# ---------------------------------------------------------------------------
def orthogonal_problem(n_signals, seed=0, dtype=np.float64):
    return planted_dictionary(
        50,
        50,
        n_signals,
        theta=0.3,
        orthogonal=True,
        snr_db=None,
        dtype=dtype,
        random_state=seed,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_orthogonal_procrustes_recovers(dtype):
    Y, D, X, _ = orthogonal_problem(5000, dtype=dtype)
    start = orthogonal_recovery(
        D,
        sparsela.datasets.planted_dictionary(
            50, 50, 1, orthogonal=True, random_state=9, dtype=dtype
        ).D,
    )
    res = dictionary_learning(Y, 50, method="orthogonal", n_nonzero=15, random_state=0)
    assert start < 0.2
    assert orthogonal_recovery(D, res.dictionary) >= 0.99
    assert res.converged and res.status == Status.CONVERGED
    Dh = res.dictionary
    np.testing.assert_allclose(Dh.conj().T @ Dh, np.eye(50), atol=1e-10)
    # the alternation never increases the objective
    obj = np.array(res.history["objective"])
    assert np.all(np.diff(obj) <= 1e-9 * obj[0])
    # soft thresholding (the l1 objective) recovers it as well
    res = dictionary_learning(Y, 50, method="orthogonal", lam=0.5, random_state=0)
    assert orthogonal_recovery(D, res.dictionary) >= 0.99


def test_online_orthogonal_frank_wolfe_recovers():
    """Streaming: 50 batches of 1000 fresh signals (n = 50, theta = 0.3)."""
    Y, D, X, _ = orthogonal_problem(50_000)
    init = planted_dictionary(50, 50, 1, orthogonal=True, random_state=9).D
    learner = OnlineDictionaryLearning(50, method="online_orthogonal", dict_init=init)
    start = orthogonal_recovery(D, learner.dictionary)
    scores = []
    for b in range(50):
        learner.partial_fit(Y[:, 1000 * b : 1000 * (b + 1)])
        scores.append(orthogonal_recovery(D, learner.dictionary))
    assert start < 0.2
    assert scores[-1] >= 0.99
    assert scores[-1] > scores[4]  # it keeps improving
    # the Frank-Wolfe iterate stays in the spectral-norm ball
    assert np.linalg.norm(learner._A, 2) <= 1 + 1e-12
    np.testing.assert_allclose(
        learner.dictionary.T @ learner.dictionary, np.eye(50), atol=1e-10
    )
    # the same from stored data, one epoch
    res = dictionary_learning(
        Y, 50, method="online_orthogonal", max_iter=1, batch_size=1000, random_state=0
    )
    assert orthogonal_recovery(D, res.dictionary) >= 0.99
    assert {"objective", "fw_gap", "representation_error"} <= set(res.history)


# ---------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["online", "online_orthogonal"])
def test_partial_fit_is_the_batch_online_method(method):
    """The same batches in the same order give the same dictionary."""
    n = 12
    Y, D, X, _ = planted_dictionary(
        n, n, 800, theta=0.3, orthogonal=True, random_state=3
    )
    init = np.linalg.qr(np.random.default_rng(1).standard_normal((n, n)))[0]
    res = dictionary_learning(
        Y,
        n,
        method=method,
        n_nonzero=3,
        max_iter=1,
        batch_size=100,
        shuffle=False,
        dict_init=init,
    )
    learner = OnlineDictionaryLearning(n, method=method, n_nonzero=3, dict_init=init)
    for b in range(8):
        learner.partial_fit(Y[:, 100 * b : 100 * (b + 1)])
    np.testing.assert_allclose(learner.dictionary, res.dictionary, atol=1e-12)
    np.testing.assert_allclose(learner.encode(Y), res.codes, atol=1e-10)
    assert learner.n_samples_seen == 800 and learner.n_batches == 8
    # sufficient statistics only: no array grows with the stream
    sizes = {k: v.size for k, v in vars(learner).items() if isinstance(v, np.ndarray)}
    assert max(sizes.values()) <= n * n


def test_streaming_close_to_batch_online():
    """A stream of fresh signals learns as well as epochs over stored ones."""
    setup = dict(KSVD_SETUP, snr_db=30)
    Y, D, X, _ = planted_dictionary(**setup, random_state=0)
    rng = np.random.default_rng(7)

    def fresh(p):  # more signals from the same planted dictionary
        Xf = np.zeros((50, p))
        rows = np.argsort(rng.random((50, p)), axis=0)[:3]
        Xf[rows, np.arange(p)] = rng.standard_normal((3, p))
        return D @ Xf

    held_out = fresh(2000)

    def error(Dh):
        codes = sparse_encode(held_out, Dh, n_nonzero=3)
        return np.linalg.norm(held_out - Dh @ codes) / np.linalg.norm(held_out)

    batch = dictionary_learning(
        Y, 50, method="online", n_nonzero=3, max_iter=10, random_state=0
    )
    learner = OnlineDictionaryLearning(50, n_nonzero=3, random_state=0)
    for _ in range(60):  # the same number of signals as 10 epochs
        learner.partial_fit(fresh(250))
    e_batch, e_stream = error(batch.dictionary), error(learner.dictionary)
    e_init = error(planted_dictionary(**setup, random_state=5).D)
    assert e_stream < 0.5 * e_init and e_batch < 0.5 * e_init
    assert abs(e_stream - e_batch) < 0.25 * e_batch


# ---------------------------------------------------------------------------
# Driver: callback, progress, status
# ---------------------------------------------------------------------------
def test_callback_stops_and_sees_the_dictionary():
    Y, D, X, _ = small_problem()
    seen = []

    def cb(Dk):
        seen.append(Dk.shape)
        return len(seen) == 3

    res = dictionary_learning(Y, 24, n_nonzero=2, max_iter=20, callback=cb)
    assert res.status == Status.CALLBACK and res.n_iter == 3
    assert seen == [(12, 24)] * 3
    assert "callback" in res.message


def test_verbose_progress_with_and_without_tqdm(capsys, monkeypatch):
    Y, D, X, _ = small_problem()
    dictionary_learning(Y, 24, n_nonzero=2, max_iter=3, verbose=True)
    assert capsys.readouterr().err == ""  # not a terminal: no bar in logs
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    dictionary_learning(Y, 24, n_nonzero=2, max_iter=3, verbose=True)
    err = capsys.readouterr().err
    assert "dictionary_learning(ksvd)" in err and "3/3" in err
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    dictionary_learning(Y, 24, n_nonzero=2, max_iter=2, verbose=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("dictionary_learning(ksvd): 2/2 objective=")
    dictionary_learning(Y, 24, n_nonzero=2, max_iter=2)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------
def test_bad_input_names_the_argument():
    Y, D, X, _ = small_problem()
    bad = Y.copy()
    bad[0, 0] = np.nan
    cases = [
        (ValueError, "Y contains NaN", dict(Y=bad)),
        (ValueError, "n_atoms must be >= 1", dict(n_atoms=0)),
        (TypeError, "n_atoms must be a", dict(n_atoms=2.5)),
        (ValueError, "n_nonzero must be <= n_atoms=24", dict(n_nonzero=25)),
        (ValueError, "method must be one of", dict(method="lars")),
        (ValueError, r"dict_init must have shape \(12, 24\)", dict(dict_init=D.T)),
        (ValueError, "lam is not used by method='ksvd'", dict(lam=0.1)),
        (ValueError, "n_atoms must equal n_features=12", dict(method="orthogonal")),
        (ValueError, "signals must be", dict(signals="cols")),
        (TypeError, "callback must be callable", dict(callback=3)),
        (TypeError, "random_state must be", dict(random_state="x")),
        (ValueError, "batch_size must be >= 1", dict(batch_size=0)),
    ]
    for err, match, kw in cases:
        args = dict(Y=Y, n_atoms=24, n_nonzero=2) | kw
        with pytest.raises(err, match=match):
            dictionary_learning(args.pop("Y"), args.pop("n_atoms"), **args)
    for method in ("orthogonal", "online_orthogonal"):
        with pytest.raises(ValueError, match="dict_init must be an orthogonal"):
            dictionary_learning(Y, 12, method=method, dict_init=D[:, :12])
    with pytest.raises(ValueError, match="dict_init must be an orthogonal"):
        OnlineDictionaryLearning(12, method="online_orthogonal", dict_init=D[:, :12])


def test_bad_input_streaming_and_encode():
    learner = OnlineDictionaryLearning(24, n_nonzero=2, random_state=0)
    with pytest.raises(AttributeError, match="partial_fit first"):
        _ = learner.dictionary
    learner.partial_fit(np.ones((12, 30)) + np.eye(12, 30))
    with pytest.raises(ValueError, match="signals of length n_features=12"):
        learner.partial_fit(np.ones((10, 30)))
    with pytest.raises(ValueError, match="Y contains NaN"):
        learner.partial_fit(np.full((12, 3), np.nan))
    with pytest.raises(TypeError, match="complex"):
        learner.partial_fit(np.ones((12, 3), complex))
    with pytest.raises(ValueError, match="n_nonzero must be <= n_atoms"):
        OnlineDictionaryLearning(5, n_nonzero=6)
    with pytest.raises(ValueError, match="n_atoms must be >= 1"):
        OnlineDictionaryLearning(0)
    with pytest.raises(ValueError, match="method must be one of"):
        OnlineDictionaryLearning(5, method="ksvd")
    with pytest.raises(ValueError, match="n_atoms must equal"):
        OnlineDictionaryLearning(5, method="online_orthogonal").partial_fit(
            np.ones((6, 3))
        )
    rng = np.random.default_rng(0)
    D = unit(rng, 8, 16)
    Y = rng.standard_normal((8, 5))
    for kw, err, match in [
        (dict(method="fista"), ValueError, "lam is required"),
        (dict(method="threshold"), ValueError, "needs n_nonzero or lam"),
        (dict(method="lars"), ValueError, "method must be one of"),
        (dict(n_nonzero=17), ValueError, "n_nonzero must be <= n_atoms=16"),
        (dict(lam=-1.0, method="fista"), ValueError, "lam must be >= 0"),
        (dict(gram=np.eye(3)), ValueError, "gram must have shape"),
    ]:
        with pytest.raises(err, match=match):
            sparse_encode(Y, D, **kw)
    with pytest.raises(ValueError, match="D must have shape"):
        sparse_encode(Y, D[:7])
    with pytest.raises(ValueError, match="D has a zero atom"):
        sparse_encode(Y, np.zeros((8, 3)))
    with pytest.raises(ValueError, match="Y contains NaN"):
        sparse_encode(np.full((8, 2), np.inf), D)


# ---------------------------------------------------------------------------
# The planted-dictionary generator
# ---------------------------------------------------------------------------
def test_planted_dictionary_generator():
    Y, D, X, noise_var = planted_dictionary(random_state=0)
    assert Y.shape == (20, 1500) and D.shape == (20, 50) and X.shape == (50, 1500)
    np.testing.assert_allclose(np.linalg.norm(D, axis=0), 1.0)
    assert (np.count_nonzero(X, axis=0) == 3).all()
    # 20 dB: the noise power is 1 % of the clean signal power
    snr = 10 * np.log10(np.mean((D @ X) ** 2) / np.mean((Y - D @ X) ** 2))
    assert abs(snr - 20) < 0.3
    assert noise_var == pytest.approx(np.mean((D @ X) ** 2) / 100)
    again = planted_dictionary(random_state=0)
    np.testing.assert_array_equal(again.Y, Y)
    Y, D, X, noise_var = planted_dictionary(
        30,
        30,
        4000,
        theta=0.2,
        orthogonal=True,
        snr_db=None,
        dtype=np.complex64,
        random_state=1,
    )
    assert Y.dtype == D.dtype == np.complex64 and noise_var == 0.0
    np.testing.assert_allclose(D.conj().T @ D, np.eye(30), atol=1e-5)
    assert abs(np.mean(X != 0) - 0.2) < 0.01
    with pytest.raises(ValueError, match="n_atoms must equal n_features"):
        planted_dictionary(10, 12, 5, orthogonal=True)
    with pytest.raises(ValueError, match="n_nonzero must be <= n_atoms"):
        planted_dictionary(10, 12, 5, n_nonzero=13)
    with pytest.raises(ValueError, match="theta must be <= 1"):
        planted_dictionary(theta=1.5)


def test_online_lasso_codes_and_rows_layout():
    Y, D, X, _ = small_problem()
    res = dictionary_learning(
        Y, 24, method="online", lam=0.05, max_iter=2, batch_size=200, random_state=0
    )
    # the codes are the lasso solutions for the final dictionary
    lasso = sk_sparse_encode(
        Y.T, res.dictionary.T, algorithm="lasso_cd", alpha=0.05, max_iter=20000
    ).T
    np.testing.assert_allclose(res.codes, lasso, atol=1e-4)
    h = res.history
    l1 = 0.05 * np.abs(res.codes).sum()
    assert h["objective"][-1] > 0.5 * res.residual_norm**2 + 0.5 * l1
    # streaming in scikit-learn's layout gives the transposes
    cols = OnlineDictionaryLearning(24, n_nonzero=2, random_state=0)
    rows = OnlineDictionaryLearning(24, n_nonzero=2, random_state=0, signals="rows")
    for b in range(3):
        cols.partial_fit(Y[:, 200 * b : 200 * (b + 1)])
        rows.partial_fit(Y[:, 200 * b : 200 * (b + 1)].T)
    assert rows.dictionary.shape == (24, 12)
    np.testing.assert_allclose(rows.dictionary, cols.dictionary.T)
    np.testing.assert_allclose(rows.encode(Y.T), cols.encode(Y).T)


@pytest.mark.parametrize(
    "method", ["ksvd", "mod", "online", "orthogonal", "online_orthogonal"]
)
def test_results_do_not_depend_on_units(method):
    """Data scaled by 2^-300 or 2^300 (exact in binary) give the same
    dictionary and scaled codes, with no over- or underflow."""
    if "orthogonal" in method:
        Y = planted_dictionary(
            12, 12, 2000, theta=0.3, orthogonal=True, random_state=0
        ).Y
        K = 12
    else:
        Y, K = small_problem().Y[:, :400], 24
    kw = dict(method=method, n_nonzero=2, max_iter=5, random_state=0)
    ref = dictionary_learning(Y, K, **kw)
    for c in (2.0**-300, 2.0**300):
        res = dictionary_learning(Y * c, K, **kw)
        np.testing.assert_allclose(res.dictionary, ref.dictionary, atol=1e-12)
        np.testing.assert_allclose(res.codes / c, ref.codes, atol=1e-11)
        assert res.residual_norm / c == pytest.approx(ref.residual_norm, rel=1e-10)
