"""Sparse WHT (SPRIGHT, SparseFHT) vs the dense FWHT on the full vector.

N = 2**24, K = 64 random coefficients, exact samples. ``sparse_wht`` reads its
samples from a callable (``idx -> x[idx]``, the cheapest possible sampler, so
the time is the algorithm's) or from the array; the dense peer is ``fwht(x)``
on all N samples. Samples used are recorded in ``extra_info``.

    python -m pytest benchmarks/bench_sparse_wht.py --benchmark-enable \
        --benchmark-columns=median,iqr,rounds
"""

import numpy as np
import pytest

from sparsela import fwht, sparse_wht

N_BITS, K = 24, 64


@pytest.fixture(scope="module")
def problem():
    N = 1 << N_BITS
    rng = np.random.default_rng(0)
    supp = np.sort(rng.choice(N, K, replace=False))
    X = np.zeros(N)
    X[supp] = rng.standard_normal(K)
    x = fwht(X) / N
    return x, supp, X[supp]


@pytest.mark.parametrize(
    "impl",
    [
        "spright-callable",
        "spright5-callable",
        "sparsefht-callable",
        "spright-array",
        "sparsefht-array",
        "fwht-dense",
    ],
)
def test_sparse_wht_vs_dense(benchmark, problem, impl):
    x, supp, amp = problem
    N = x.size
    if impl == "fwht-dense":
        fn = lambda: fwht(x)
        fn()
    else:
        method, source = impl.split("-")
        signal = (lambda idx: x[idx]) if source == "callable" else x
        n_arg = N if source == "callable" else None
        # "spright5": the full robust design (5 chains) read at once, as for
        # noisy samples; plain "spright" reads one chain first and stops there
        # on these exact samples
        kw = {"delays": 5} if method == "spright5" else {}
        method = method.removesuffix("5")
        fn = lambda: sparse_wht(
            signal, n_arg, sparsity=K, method=method, random_state=1, **kw
        )
        res = fn()
        assert res.converged
        np.testing.assert_array_equal(res.support, supp)
        np.testing.assert_allclose(res.coefficients, amp, atol=1e-8)
        benchmark.extra_info["n_samples"] = res.n_samples
        benchmark.extra_info["samples_over_N"] = res.n_samples / N
    benchmark.group = f"sparse WHT N=2^{N_BITS} K={K}"
    rounds = 7 if impl == "fwht-dense" else 50
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)
