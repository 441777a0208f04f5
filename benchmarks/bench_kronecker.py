"""Kronecker matvec: sparsela vs PyLops ``Kronecker`` vs the dense product.

Three 15x15 factors (N = 3375) as the issue asks, plus 4 factors of 8x8 and a
batched (matmat) case.

    python -m pytest benchmarks/bench_kronecker.py --benchmark-enable
"""

import numpy as np
import pytest

from sparsela.operators import Kronecker

pylops = pytest.importorskip("pylops")


def _factors(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((p, p)) for p in sizes]


def _pylops_kron(factors):
    op = pylops.MatrixMult(factors[0])
    for f in factors[1:]:
        op = pylops.Kronecker(op, pylops.MatrixMult(f))
    return op


CASES = {"3x15": (15, 15, 15), "4x8": (8, 8, 8, 8)}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", ["sparsela", "pylops", "dense"])
def test_kron_matvec(benchmark, case, impl):
    factors = _factors(CASES[case])
    K = Kronecker(*factors)
    x = np.random.default_rng(1).standard_normal(K.shape[1])
    ref = K @ x
    if impl == "sparsela":
        fn = lambda: K @ x
    elif impl == "pylops":
        P = _pylops_kron(factors)
        fn = lambda: P.matvec(x)
    else:
        D = K.todense()
        fn = lambda: D @ x
    np.testing.assert_allclose(fn(), ref, rtol=1e-9, atol=1e-9)
    benchmark.group = f"kron matvec {case}"
    benchmark(fn)


@pytest.mark.parametrize("impl", ["sparsela", "pylops"])
def test_kron_adjoint(benchmark, impl):
    factors = _factors(CASES["3x15"])
    K = Kronecker(*factors)
    y = np.random.default_rng(2).standard_normal(K.shape[0])
    if impl == "sparsela":
        fn = lambda: K.H @ y
    else:
        P = _pylops_kron(factors)
        fn = lambda: P.rmatvec(y)
    np.testing.assert_allclose(fn(), K.todense().T @ y, rtol=1e-9, atol=1e-9)
    benchmark.group = "kron rmatvec 3x15"
    benchmark(fn)


@pytest.mark.parametrize("impl", ["sparsela", "pylops"])
def test_kron_matmat(benchmark, impl):
    factors = _factors(CASES["3x15"])
    K = Kronecker(*factors)
    X = np.random.default_rng(3).standard_normal((K.shape[1], 16))
    if impl == "sparsela":
        fn = lambda: K @ X
    else:
        P = _pylops_kron(factors)
        fn = lambda: P.matmat(X)
    benchmark.group = "kron matmat 3x15, 16 columns"
    benchmark(fn)
