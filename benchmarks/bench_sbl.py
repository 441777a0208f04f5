"""Sparse Bayesian learning: sparsela ``sbl`` / ``kron_sbl`` against peers.

* classic problem (issue #5): Gaussian 100 x 400, 10-sparse, 20 dB, 20 trials
  per round: ``sbl`` (EM) against scikit-learn's ``ARDRegression`` (same
  problems, same process); the mean NMSE is stored in ``extra_info``;
* a very sparse noiseless problem (200 x 2000, 5-sparse): the fast
  marginal-likelihood method against EM;
* KroSBL synthetic study (K = 3, m1 = 8, 25 dB; N = 3375, M = 1440): SVD- and
  AM-KroSBL against classic SBL (``sbl``) on the explicit 1440 x 3375 matrix.

    python -m pytest benchmarks/bench_sbl.py --benchmark-enable \
        --benchmark-columns=median,iqr,rounds

Nothing here needs Numba; BLAS threads follow the environment
(``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``).
"""

from functools import reduce

import numpy as np
import pytest

from sparsela import kron_sbl, sbl
from sparsela.datasets import make_kron_problem, make_sparse_problem
from sparsela.metrics import nmse, nmse_db, support_recovery

sklearn_lm = pytest.importorskip("sklearn.linear_model")

N_TRIALS = 20


def _classic_problems():
    rng = np.random.default_rng(0)
    return [
        make_sparse_problem(100, 400, 10, snr_db=20, random_state=rng)
        for _ in range(N_TRIALS)
    ]


CLASSIC = {
    "sbl-em": lambda A, y: sbl(A, y).x,
    "ARDRegression": lambda A, y: (
        sklearn_lm.ARDRegression(fit_intercept=False).fit(A, y).coef_
    ),
}


@pytest.mark.parametrize("impl", list(CLASSIC))
def test_classic_20_trials(benchmark, impl):
    problems = _classic_problems()
    solve = CLASSIC[impl]

    def run():
        return [solve(A, y) for A, y, _, _ in problems]

    estimates = run()  # warm-up (and the accuracy of this implementation)
    errs = [nmse_db(p.x, xh) for p, xh in zip(problems, estimates, strict=True)]
    benchmark.extra_info["mean NMSE dB"] = float(np.mean(errs))
    benchmark.group = f"classic 100x400, 10-sparse, 20 dB, {N_TRIALS} solves"
    benchmark.pedantic(run, rounds=3, iterations=1)


VERY_SPARSE = {
    "sbl-fast": lambda A, y: sbl(A, y, method="fast").x,
    "sbl-em": lambda A, y: sbl(A, y).x,
}


@pytest.mark.parametrize("impl", list(VERY_SPARSE))
def test_very_sparse_noiseless(benchmark, impl):
    A, y, x, _ = make_sparse_problem(200, 2000, 5, snr_db=None, random_state=1)
    solve = VERY_SPARSE[impl]
    benchmark.extra_info["NMSE dB"] = float(nmse_db(x, solve(A, y)))
    benchmark.group = "very sparse 200x2000, 5-sparse, noiseless"
    benchmark.pedantic(lambda: solve(A, y), rounds=5, iterations=1)


def _kron_problem():
    return make_kron_problem(snr_db=25, random_state=2024)


KRON = {
    "svd-krosbl": lambda p, H: (
        kron_sbl(p.factors, p.y, method="svd", noise_var=p.noise_var).x
    ),
    "am-krosbl": lambda p, H: (
        kron_sbl(p.factors, p.y, method="am", noise_var=p.noise_var).x
    ),
    "sbl (classic, 1440x3375)": lambda p, H: (
        sbl(H, p.y, noise_var=p.noise_var, max_iter=150).x
    ),
}


@pytest.mark.parametrize("impl", list(KRON))
def test_krosbl_synthetic(benchmark, impl):
    p = _kron_problem()
    H = reduce(np.kron, p.factors)
    solve = KRON[impl]
    x_hat = solve(p, H)
    benchmark.extra_info["NMSE"] = float(nmse(p.x, x_hat))
    benchmark.extra_info["SRR"] = float(support_recovery(p.x, x_hat))
    benchmark.group = "KroSBL synthetic K=3, m1=8, 25 dB (N=3375, M=1440)"
    slow = impl.startswith("sbl")
    benchmark.pedantic(lambda: solve(p, H), rounds=1 if slow else 5, iterations=1)
