"""Warm timings of fwht, omp/mp and sparse_wht, best (and median) of R, in ms.

Compares two trees when run once per tree (``PYTHONPATH`` picks the tree), in
the same session, interleaved::

    PYTHONPATH=/path/to/old python benchmarks/warm_timings.py fwht 25 2
    python benchmarks/warm_timings.py fwht 25 2

Arguments: topic (``fwht``, ``omp`` or ``sparse_wht``), rounds, threads.
"""

import json
import sys
import time

import numba
import numpy as np

import sparsela
from sparsela.kernels.reference import fwht_reference


def best(fn, rounds, setup=None):
    """(best, median) of ``rounds`` timed calls after two warm-up calls, ms."""
    fn()
    fn()
    ts = []
    for _ in range(rounds):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return round(ts[0] * 1e3, 4), round(ts[len(ts) // 2] * 1e3, 4)


def fwht_cases(R, rng):
    res = {}
    for e in (18, 20, 22):
        x = rng.standard_normal(1 << e)
        res[f"fwht 2^{e}"] = best(lambda x=x: sparsela.fwht(x), R)
        y = x.copy()
        res[f"in place 2^{e}"] = best(
            lambda y=y: sparsela.fwht(y, overwrite_x=True),
            R,
            setup=lambda x=x, y=y: np.copyto(y, x),
        )
    X = rng.standard_normal((256, 4096))
    res["fwht 256x4096"] = best(lambda: sparsela.fwht(X), R)
    x = rng.standard_normal(1024)
    res["fwht 1024"] = best(lambda: sparsela.fwht(x), 3000)
    x16 = rng.standard_normal(1 << 16)
    res["fwht 2^16"] = best(lambda: sparsela.fwht(x16), 500)
    xc = rng.standard_normal(1 << 20) + 1j * rng.standard_normal(1 << 20)
    xc = xc.astype(np.complex64)
    res["fwht 2^20 complex64"] = best(lambda: sparsela.fwht(xc), R)
    return res


def omp_cases(R, rng):
    A = rng.standard_normal((256, 1024))
    Y = A[:, :16] @ rng.standard_normal((16, 2000))
    A2 = rng.standard_normal((100, 256))
    Y3 = A2[:, :8] @ rng.standard_normal((8, 16))
    return {
        "omp 256x1024 2000 signals T=16": best(
            lambda: sparsela.omp(A, Y, n_nonzero=16), R
        ),
        "omp 256x1024 16 signals T=8": best(
            lambda: sparsela.omp(A, Y[:, :16], n_nonzero=8), 100
        ),
        "mp 256x1024 2000 signals": best(lambda: sparsela.mp(A, Y, n_nonzero=16), R),
        "omp 100x256 16 signals": best(lambda: sparsela.omp(A2, Y3, n_nonzero=8), 300),
    }


def sparse_wht_cases(R, rng):
    Xs = np.zeros(2**16)
    Xs[[3, 1000, 40000]] = [2.0, -1.0, 0.5]
    xs = fwht_reference(Xs) / 2**16
    N = 2**20
    Xb = np.zeros(N)
    Xb[rng.choice(N, 200, replace=False)] = rng.standard_normal(200)
    xb = fwht_reference(Xb) / N
    return {
        "sparse_wht 2^16 K=3": best(
            lambda: sparsela.sparse_wht(xs, sparsity=3, random_state=0), 200
        ),
        "sparse_wht 2^20 K=200": best(
            lambda: sparsela.sparse_wht(xb, sparsity=200, random_state=0), R
        ),
    }


if __name__ == "__main__":
    topic = sys.argv[1] if len(sys.argv) > 1 else "fwht"
    R = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    numba.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    cases = {"fwht": fwht_cases, "omp": omp_cases, "sparse_wht": sparse_wht_cases}
    print(json.dumps(cases[topic](R, np.random.default_rng(0))))
