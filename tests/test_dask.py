"""Solvers over Dask arrays of signals, on a local multi-process cluster:
every call equals the in-memory result; A is sent once; coupled solves refuse
column chunks."""

import numpy as np
import pytest

import sparsela

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((30, 60))
    A /= np.linalg.norm(A, axis=0)
    X = np.zeros((60, 23))
    for j in range(X.shape[1]):
        X[rng.choice(60, 3, replace=False), j] = rng.standard_normal(3) + 2.0
    Y = A @ X + 1e-3 * rng.standard_normal((30, 23))
    return A, X, Y


CALLS = {
    "omp": (sparsela.omp, dict(n_nonzero=3)),
    "mp": (sparsela.mp, dict(n_nonzero=6)),
    "fista": (sparsela.fista, dict(lam=0.02, tol=1e-10)),
    "ista": (sparsela.ista, dict(lam=0.02, tol=1e-8)),
    "sbl": (sparsela.sbl, dict(noise_var=1e-6)),
    "bcd": (sparsela.bcd, dict(lam=0.02, tol=1e-10)),
}


def _blockwise(func, A, Y, kw, widths):
    """The in-memory solver on the same column chunks, concatenated."""
    parts, start = [], 0
    for w in widths:
        parts.append(func(A, Y[:, start : start + w], **kw))
        start += w
    return parts


@pytest.mark.parametrize("name", list(CALLS))
def test_chunked_signals_match_in_memory(client, problem, name):
    func, kw = CALLS[name]
    A, X, Y = problem
    ref = func(A, Y, **kw)  # in memory, all signals at once (compiles here)
    Yd = da.from_array(Y, chunks=(10, 7))  # rows chunked too: made whole
    res = func(A, Yd, **kw)
    assert isinstance(res.x, da.Array) and res.x.shape == X.shape
    assert isinstance(res.status, da.Array) and res.status.shape == (23,)
    x, status, n_iter, resid, support = client.compute(
        [res.x, res.status, res.n_iter, res.residual_norm, res.support], sync=True
    )
    parts = _blockwise(func, A, Y, kw, (7, 7, 7, 2))
    # each chunk is the in-memory solver on those columns: the same results
    # up to rounding (a worker's BLAS runs on one thread)
    np.testing.assert_allclose(x, np.hstack([p.x for p in parts]), rtol=1e-12)
    np.testing.assert_array_equal(status, np.concatenate([p.status for p in parts]))
    np.testing.assert_array_equal(n_iter, np.concatenate([p.n_iter for p in parts]))
    np.testing.assert_allclose(
        resid, np.concatenate([p.residual_norm for p in parts]), rtol=1e-10
    )
    assert [s.tolist() for s in support] == [
        s.tolist() for p in parts for s in p.support
    ]
    # and the same answers as one in-memory call over every signal
    np.testing.assert_allclose(x, ref.x, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(status, ref.status)
    if name in ("omp", "sbl"):
        assert [s.tolist() for s in support] == [s.tolist() for s in ref.support]
        np.testing.assert_allclose(x, X, atol=5e-3)


@pytest.mark.parametrize("name", ["fista", "bcd"])
def test_per_signal_lam_is_split_with_the_chunks(client, problem, name):
    func = CALLS[name][0]
    A, X, Y = problem
    lam = 0.05 * sparsela.lambda_max(A, Y)  # one per signal
    ref = func(A, Y, lam=lam, tol=1e-10)
    res = func(A, da.from_array(Y, chunks=(30, 6)), lam=lam, tol=1e-10)
    np.testing.assert_allclose(res.x.compute(), ref.x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.objective.compute(), ref.objective, rtol=1e-7)


def test_operator_is_scattered_once_not_embedded_per_task(client, problem):
    A, X, Y = problem
    res = sparsela.omp(A, da.from_array(Y, chunks=(30, 5)), n_nonzero=3)
    graph = dict(res.x.__dask_graph__())
    embedded = [
        v for v in graph.values() if isinstance(v, np.ndarray) and v.shape == A.shape
    ]
    assert not embedded  # A reaches the tasks as one scattered Future
    futures = {k for k, v in client.who_has().items() if len(v) == 2}
    assert futures, "A should be held by both workers"
    np.testing.assert_allclose(res.x.compute(), sparsela.omp(A, Y, n_nonzero=3).x)


def test_one_signal_and_fwht(client, problem):
    A, X, Y = problem
    res = sparsela.omp(A, da.from_array(Y[:, 0], chunks=10), n_nonzero=3)
    ref = sparsela.omp(A, Y[:, 0], n_nonzero=3)
    assert res.x.shape == (60,)
    np.testing.assert_array_equal(res.x.compute(), ref.x)
    assert int(res.status.compute()) == ref.status
    assert res.support.compute().tolist() == ref.support.tolist()
    S = np.random.default_rng(1).standard_normal((64, 9)).astype(np.float32)
    out = sparsela.fwht(da.from_array(S, chunks=(16, 4)), axis=0, normalized=True)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(
        out.compute(), sparsela.fwht(S, axis=0, normalized=True)
    )


def test_joint_sbl_refuses_column_chunks_and_runs_on_one():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((20, 40))
    Y = A[:, [3, 9]] @ rng.standard_normal((2, 6))
    with pytest.raises(ValueError, match="joint=True couples the signals"):
        sparsela.sbl(A, da.from_array(Y, chunks=(20, 3)), joint=True)
    res = sparsela.sbl(A, da.from_array(Y, chunks=(10, 6)), joint=True)
    ref = sparsela.sbl(A, Y, joint=True)
    np.testing.assert_array_equal(res.x, ref.x)


def test_bad_dask_input_is_refused_before_any_task():
    A = np.eye(4)
    y = da.ones((4, 3), chunks=(4, 1))
    with pytest.raises(ValueError, match="callback is not supported"):
        sparsela.fista(A, y, lam=0.1, callback=lambda xk: False)
    with pytest.raises(ValueError, match="return_path"):
        sparsela.omp(A, y, n_nonzero=1, return_path=True)
    with pytest.raises(ValueError, match="y must have 4 rows"):
        sparsela.omp(A, da.ones((5, 3)), n_nonzero=1)
    with pytest.raises(ValueError, match="power-of-two"):
        sparsela.fwht(da.ones((6, 2)), axis=0)


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(11)
    D = rng.standard_normal((16, 32))
    D /= np.linalg.norm(D, axis=0)
    X = np.zeros((32, 900))
    for j in range(900):
        X[rng.choice(32, 3, replace=False), j] = rng.standard_normal(3)
    return D, X, D @ X


@pytest.mark.parametrize("signals", ["columns", "rows"])
def test_sparse_encode_chunks_match_in_memory(client, planted, signals):
    D, X, Y = planted
    rows = signals == "rows"
    Yin, Din = (Y.T, D.T) if rows else (Y, D)
    ref = sparsela.sparse_encode(Yin, Din, n_nonzero=3, signals=signals)
    Yd = da.from_array(Yin, chunks=(250, 8) if rows else (8, 250))
    codes = sparsela.sparse_encode(Yd, Din, n_nonzero=3, signals=signals)
    assert isinstance(codes, da.Array) and codes.shape == ref.shape
    np.testing.assert_allclose(codes.compute(), ref, rtol=1e-12, atol=1e-12)


def test_online_learning_streams_the_chunks(planted):
    D, X, Y = planted
    Yd = da.from_array(Y, chunks=(16, 300))
    streamed = sparsela.OnlineDictionaryLearning(32, n_nonzero=3, random_state=0)
    streamed.partial_fit(Yd)  # three chunks, one batch each
    batches = sparsela.OnlineDictionaryLearning(32, n_nonzero=3, random_state=0)
    for lo in range(0, 900, 300):
        batches.partial_fit(Y[:, lo : lo + 300])
    np.testing.assert_array_equal(streamed.dictionary, batches.dictionary)

    res = sparsela.dictionary_learning(
        Yd, 32, method="online", n_nonzero=3, max_iter=2, batch_size=100,
        random_state=0,
    )  # fmt: skip
    manual = sparsela.OnlineDictionaryLearning(32, n_nonzero=3, random_state=0)
    for _ in range(2):
        for lo in range(0, 900, 100):
            manual.partial_fit(Y[:, lo : lo + 100])
    np.testing.assert_array_equal(res.dictionary, manual.dictionary)
    assert isinstance(res.codes, da.Array) and res.codes.shape == (32, 900)
    np.testing.assert_allclose(
        res.codes.compute(), sparsela.sparse_encode(Y, res.dictionary, n_nonzero=3)
    )
    assert res.n_iter == 2 and "streamed over 3 Dask chunk" in res.message
    with pytest.raises(ValueError, match="needs every signal at once"):
        sparsela.dictionary_learning(Yd, 32, method="ksvd")
