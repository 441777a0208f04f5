"""Batch OMP against SPAMS and scikit-learn (issue #3).

Problem: Gaussian ``A`` of shape 256 x 1024 with unit-norm columns, 2000
exactly 16-sparse signals, 40 dB noise, ``n_nonzero = 16``. Every solver codes
all 2000 signals per round, in float64. One thread means one Numba thread and
one BLAS thread (``threadpoolctl``) for sparsela, ``numThreads=1`` (and one
BLAS thread) for SPAMS; two threads means two of each.

Run::

    python -m pytest benchmarks/bench_omp.py --benchmark-enable -q \\
        --benchmark-columns=median,iqr,rounds
"""

import numba
import numpy as np
import pytest

from sparsela import omp

threadpoolctl = pytest.importorskip("threadpoolctl")

M, N, S, K, SNR_DB = 256, 1024, 2000, 16, 40.0


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((M, N))
    A /= np.linalg.norm(A, axis=0)
    X = np.zeros((N, S))
    for j in range(S):
        X[rng.choice(N, K, replace=False), j] = rng.standard_normal(K)
    Y0 = A @ X
    noise = rng.standard_normal(Y0.shape)
    noise *= np.linalg.norm(Y0, axis=0) / np.linalg.norm(noise, axis=0)
    Y = Y0 + noise * 10 ** (-SNR_DB / 20)
    return A, Y


def _limit(threads):
    numba.set_num_threads(threads)
    return threadpoolctl.threadpool_limits(threads)


@pytest.mark.parametrize("threads", [1, 2])
def test_sparsela_omp(benchmark, problem, threads):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("fewer cores than threads")
    A, Y = problem
    before = numba.get_num_threads()
    try:
        with _limit(threads):
            omp(A, Y[:, :50], n_nonzero=K)  # warm-up: Numba compilation/cache load
            res = benchmark.pedantic(
                omp, args=(A, Y), kwargs=dict(n_nonzero=K), rounds=15, warmup_rounds=2
            )
    finally:
        numba.set_num_threads(before)
    assert res.converged.all() and (res.n_iter == K).all()


@pytest.mark.parametrize("threads", [1, 2])
def test_spams_omp(benchmark, problem, threads):
    spams = pytest.importorskip("spams")
    A, Y = problem
    Af, Yf = np.asfortranarray(A), np.asfortranarray(Y)
    with threadpoolctl.threadpool_limits(threads):
        X = benchmark.pedantic(
            spams.omp, args=(Yf, Af), kwargs=dict(L=K, numThreads=threads),
            rounds=15, warmup_rounds=2,
        )  # fmt: skip
    ours = omp(A, Y, n_nonzero=K).x
    same = np.mean(np.abs(X.toarray() - ours).max(axis=0) < 1e-8)
    benchmark.extra_info["fraction_equal_to_sparsela"] = float(same)
    assert same > 0.95


def test_sklearn_orthogonal_mp(benchmark, problem):
    sklearn_omp = pytest.importorskip("sklearn.linear_model").orthogonal_mp
    A, Y = problem
    with threadpoolctl.threadpool_limits(1):
        X = benchmark.pedantic(
            sklearn_omp, args=(A, Y), kwargs=dict(n_nonzero_coefs=K), rounds=3
        )
    ours = omp(A, Y, n_nonzero=K).x
    same = np.mean(np.abs(X - ours).max(axis=0) < 1e-8)
    benchmark.extra_info["fraction_equal_to_sparsela"] = float(same)
    assert same > 0.95
