"""Dense FWHT: sparsela vs a NumPy butterfly vs a plain Numba butterfly vs a copy.

N = 2**24 float64 (one vector) and a batch of 256 x 4096. Each implementation
returns a new array, so ``np.copy`` (allocation included) is the natural unit:
``passes = time / time(np.copy)``. ``np.copyto`` into a preallocated array
(pure read + write bandwidth) is reported too.

    python -m pytest benchmarks/bench_fwht.py --benchmark-enable \
        --benchmark-columns=median,iqr,rounds

``python benchmarks/bench_fwht.py`` prints the memory passes (:func:`passes`);
``python benchmarks/bench_fwht.py --check-cost`` the cost of the finiteness
check of :func:`sparsela.fwht` (:func:`check_cost`).
"""

import numba
import numpy as np
import pytest
from numba import njit

from sparsela import fwht
from sparsela.kernels.reference import fwht_reference


def numpy_butterfly(x):
    """Straightforward NumPy FWHT along the last axis: one reshape per stage."""
    y = np.array(x, dtype=np.float64)
    n = y.shape[-1]
    lead = y.shape[:-1]
    h = 1
    while h < n:
        v = y.reshape(lead + (n // (2 * h), 2, h))
        a = v[..., 0, :].copy()
        v[..., 0, :] += v[..., 1, :]
        np.subtract(a, v[..., 1, :], out=v[..., 1, :])
        h *= 2
    return y


@njit
def _plain_inplace(a):
    n = a.shape[-1]
    for r in range(a.shape[0]):
        h = 1
        while h < n:
            for i in range(0, n, 2 * h):
                for j in range(i, i + h):
                    u = a[r, j]
                    v = a[r, j + h]
                    a[r, j] = u + v
                    a[r, j + h] = u - v
            h *= 2


def numba_plain(x):
    """Textbook triple-loop butterfly compiled with Numba (one pass per stage)."""
    y = np.array(x, dtype=np.float64)
    _plain_inplace(y.reshape(-1, y.shape[-1]))
    return y


def _copyto(dst):
    return lambda x: np.copyto(dst, x)


CASES = {"N=2^24": (1 << 24,), "256x4096": (256, 4096)}
IMPLS = [
    "sparsela",
    "sparsela-1thread",
    "sparsela-overwrite_x",
    "sparsela-overwrite_x-1thread",
    "numba-plain",
    "numpy-butterfly",
]


@pytest.fixture(params=list(CASES))
def case(request):
    x = np.random.default_rng(0).standard_normal(CASES[request.param])
    return request.param, x


@pytest.mark.parametrize("impl", IMPLS)
def test_fwht(benchmark, case, impl):
    name, x = case
    in_place = "overwrite_x" in impl
    fn = {
        "sparsela": fwht,
        "numba-plain": numba_plain,
        "numpy-butterfly": numpy_butterfly,
    }.get(impl.removesuffix("-1thread"), lambda y: fwht(y, overwrite_x=True))
    small = x.reshape(-1, x.shape[-1])[:2, :4096]
    # warm up and check (on a copy: the overwrite_x variants destroy their input)
    np.testing.assert_allclose(fn(small.copy()), fwht_reference(small), atol=1e-9)
    threads = numba.get_num_threads()
    if impl.endswith("-1thread"):
        numba.set_num_threads(1)
    try:
        fn(x.copy())  # warm the parallel driver and the page cache of the result
        benchmark.group = f"fwht {name} float64"
        benchmark.extra_info["threads"] = numba.get_num_threads()
        rounds = 3 if impl in ("numba-plain", "numpy-butterfly") else 15
        # overwrite_x destroys its input: a fresh copy per round, not timed
        benchmark.pedantic(
            fn,
            setup=(lambda: ((x.copy(),), {})) if in_place else None,
            args=None if in_place else (x,),
            rounds=rounds,
            iterations=1,
            warmup_rounds=1,
        )
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("impl", ["np.copy", "np.copyto"])
def test_copy(benchmark, case, impl):
    name, x = case
    fn = np.copy if impl == "np.copy" else _copyto(np.empty_like(x))
    benchmark.group = f"fwht {name} float64"
    benchmark.pedantic(fn, args=(x,), rounds=15, iterations=1, warmup_rounds=1)


def passes(repeats=15):
    """Best-of-``repeats`` times at N = 2**24 expressed as memory passes.

    ``python benchmarks/bench_fwht.py`` prints them for 1 and 2 threads: the
    in-place kernel against ``np.copyto`` (pure read + write bandwidth) and
    the public out-of-place ``fwht`` against ``np.copy`` (allocation
    included, as for ``fwht``).
    """
    import time

    from sparsela.kernels.cpu.wht import fwht_rows_inplace

    x = np.random.default_rng(0).standard_normal(1 << 24)
    y = x.copy()
    fwht(x)
    fwht_rows_inplace(y.reshape(1, -1))
    lines = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        best = {"copyto": [], "copy": [], "inplace": [], "fwht": [], "overwrite": []}
        for _ in range(repeats):
            for key, fn in (
                ("copyto", lambda: np.copyto(y, x)),
                ("copy", lambda: np.copy(x)),
                ("inplace", lambda: fwht_rows_inplace(y.reshape(1, -1))),
                ("fwht", lambda: fwht(x)),
                ("overwrite", lambda: fwht(y, overwrite_x=True)),
            ):
                t0 = time.perf_counter()
                fn()
                best[key].append(time.perf_counter() - t0)
                if key == "overwrite":
                    np.copyto(y, x)  # keep y finite
        b = {k: min(v) * 1e3 for k, v in best.items()}
        lines.append(
            f"threads={threads}: copyto {b['copyto']:.1f} ms, np.copy "
            f"{b['copy']:.1f} ms, in-place kernel {b['inplace']:.1f} ms "
            f"({b['inplace'] / b['copyto']:.2f} copyto passes), "
            f"fwht(overwrite_x=True) {b['overwrite']:.1f} ms "
            f"({b['overwrite'] / b['copyto']:.2f} copyto passes), fwht "
            f"{b['fwht']:.1f} ms ({b['fwht'] / b['copyto']:.2f} copyto, "
            f"{b['fwht'] / b['copy']:.2f} np.copy passes); fresh pages of a "
            f"new result: np.copy - np.copyto {b['copy'] - b['copyto']:.1f} ms, "
            f"fwht - fwht(overwrite_x=True) {b['fwht'] - b['overwrite']:.1f} ms"
        )
    return lines


def check_cost(n_bits=22, repeats=30, threads=(1, None)):
    """Cost of the finiteness check of :func:`sparsela.fwht` at ``N = 2**n_bits``.

    Interleaved rounds in one process, best and median of ``repeats`` (ms),
    of the transform with no check, with the check folded into the kernel's
    last pass (what ``fwht`` does) and with the check as a separate pass over
    the result (what ``fwht`` did before: one sum, see
    ``sparsela.transforms.fwht._all_finite``); in place (``overwrite_x``, no
    page faults of a new result) and out of place, on 1 thread and on all
    (``None``).
    """
    import time

    from sparsela.kernels.cpu.wht import fwht_checked
    from sparsela.transforms.fwht import _all_finite

    x = np.random.default_rng(0).standard_normal(1 << n_bits)
    y = x.copy()
    variants = {
        "no check": lambda a, ow: fwht_checked(a, -1, False, "natural", ow, False),
        "in the kernel": lambda a, ow: fwht_checked(a, -1, False, "natural", ow, True),
        "separate pass": lambda a, ow: _all_finite(
            fwht_checked(a, -1, False, "natural", ow, False)[0], np
        ),
    }
    lines = []
    saved = numba.get_num_threads()
    try:
        for nt in threads:
            numba.set_num_threads(nt or numba.config.NUMBA_NUM_THREADS)
            for ow in (True, False):
                times = {k: [] for k in variants}
                for fn in variants.values():  # warm-up
                    fn(y, ow)
                    np.copyto(y, x)
                for _ in range(repeats):
                    for k, fn in variants.items():
                        a = y if ow else x
                        t0 = time.perf_counter()
                        fn(a, ow)
                        times[k].append(time.perf_counter() - t0)
                        np.copyto(y, x)
                desc = ", ".join(
                    f"{k} {min(v) * 1e3:.2f} / {np.median(v) * 1e3:.2f}"
                    for k, v in times.items()
                )
                lines.append(
                    f"N=2^{n_bits}, threads={numba.get_num_threads()}, "
                    f"{'in place' if ow else 'out of place'} (best / median ms): "
                    + desc
                )
    finally:
        numba.set_num_threads(saved)
    return lines


if __name__ == "__main__":
    import sys

    print("\n".join(check_cost() if "--check-cost" in sys.argv else passes()))
