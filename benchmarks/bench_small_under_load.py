"""Small problems under load: sparse FISTA on a 50 x 100 CSC matrix.

Every product of this problem has a few hundred stored entries. Run on the
Numba threads, each product wakes a second thread and waits for it; when
other processes keep every core busy, that thread is often descheduled and
each product waits for a time slice. Below
:data:`sparsela.kernels.cpu.sparse.PARALLEL_MIN_WORK` stored-entry updates
the products now run serially on the calling thread.

The script times ``fista(A, y, lam=0.02 * lambda_max, tol=1e-9)`` (83
iterations; best, median, mean and worst of several runs after a warm-up,
each configuration in a fresh process):

* ``serial path``: the products as shipped (serial at this size);
* ``parallel path``: the same code with the threshold set to 0, so that
  every product runs on the Numba threads (the behaviour before issue 13);

each on a machine as idle as it gets and while ``--procs`` processes (default:
the number of CPUs) compete for the cores: ``--load parallel`` (the default)
runs a Numba parallel loop over and over in each, as another numerical job
would; ``--load blas`` multi-threaded matrix products; ``--load busy`` plain
busy loops. ``--sweep`` also times one CSR product serial vs parallel over a
range of sizes, the measurement behind the threshold (medians: a product
that waits for a descheduled thread is slow in most calls, not in the best
one). A script, not a test (nothing is asserted)::

    python benchmarks/bench_small_under_load.py
    python benchmarks/bench_small_under_load.py --load blas --procs 4 --sweep
    python benchmarks/bench_small_under_load.py --src /path/to/old/checkout

``--src`` times another checkout instead (its products as it ships them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

_FISTA = """
import json, time
import numpy as np
import scipy.sparse as sp
import sparsela
if FORCE_PARALLEL:
    from sparsela.kernels.cpu import sparse as ks
    ks.PARALLEL_MIN_WORK = 0
rng = np.random.default_rng(0)
A = sparsela.CSC.from_scipy(sp.random(50, 100, density=0.1, random_state=0))
y = A @ np.where(rng.random(100) < 0.05, rng.standard_normal(100), 0.0)
y = y + 0.01 * rng.standard_normal(50)
lam = 0.02 * float(sparsela.lambda_max(A, y))
res = sparsela.fista(A, y, lam=lam, tol=1e-9)  # warm-up: compilation, cache
times = []
for _ in range(REPEAT):
    t0 = time.perf_counter()
    res = sparsela.fista(A, y, lam=lam, tol=1e-9)
    times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"best": times[0], "median": times[len(times) // 2],
                  "mean": sum(times) / len(times), "worst": times[-1],
                  "n_iter": int(res.n_iter)}))
"""

_SWEEP = """
import json, time
import numpy as np
import numba
from sparsela.kernels.cpu import sparse as ks
out = {}
rng = np.random.default_rng(0)
for e in range(8, 21):
    rows = max(1, (1 << e) // 10)
    indices = rng.integers(0, rows, 10 * rows).astype(np.int32)
    indptr = np.arange(0, 10 * rows + 1, 10, dtype=np.int32)
    data = rng.standard_normal(10 * rows)
    args = (data, ks.unsigned_view(indices), ks.unsigned_view(indptr))
    x = rng.standard_normal(rows)
    row = {}
    for parallel in (False, True):
        o = np.zeros(rows)
        ks.csr_matvec(*args, x, o, parallel=parallel)
        reps = max(20, min(2000, (1 << 22) >> e))
        times = []
        for _ in range(reps):
            o[:] = 0.0
            t0 = time.perf_counter()
            ks.csr_matvec(*args, x, o, parallel=parallel)
            times.append(time.perf_counter() - t0)
        row["parallel" if parallel else "serial"] = float(np.median(times))
    out[int(data.size)] = row
print(json.dumps({"threads": numba.get_num_threads(), "sizes": out}))
"""

# The competing work: busy loops, or (the default) what shares a machine with
# a numerical job in practice, other parallel numerical jobs: a Numba
# reduction on all the cores, over and over (their threads spin between
# parallel loops, as OpenMP threads do).
_LOADS = {
    "busy": "while True:\n    pass\n",
    "blas": ("import numpy as np\na = np.ones((300, 300))\nwhile True:\n    a @ a\n"),
    "parallel": (
        "import numba, numpy as np\n"
        "@numba.njit(parallel=True)\n"
        "def work(x):\n"
        "    s = 0.0\n"
        "    for i in numba.prange(x.size):\n"
        "        s += x[i] * x[i]\n"
        "    return s\n"
        "x = np.ones(1 << 22)\n"
        "while True:\n"
        "    work(x)\n"
    ),
}


@contextlib.contextmanager
def competing_load(n: int, kind: str = "parallel") -> Iterator[None]:
    """``n`` CPU-bound processes (``kind`` among :data:`_LOADS`) for the
    duration of the block."""
    code = _LOADS[kind]
    cache = tempfile.mkdtemp(prefix="numba-load-")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(n)]
    try:
        time.sleep(0.5 if kind == "busy" else 3.0)  # let them get going
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
        shutil.rmtree(cache, ignore_errors=True)


def _python(code: str, src: str | None, timeout: float) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, env.get("PYTHONPATH")) if p
        )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fista_times(
    force_parallel: bool,
    load: contextlib.AbstractContextManager,
    src: str | None,
    repeat: int,
) -> dict:
    """Best and median FISTA time of one configuration, in a fresh process."""
    code = _FISTA.replace("FORCE_PARALLEL", str(force_parallel)).replace(
        "REPEAT", str(repeat)
    )
    with load:
        return _python(code, src, timeout=600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", help="time this checkout instead (as it ships)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case")
    parser.add_argument(
        "--sweep", action="store_true", help="also time CSR SpMV serial vs parallel"
    )
    parser.add_argument(
        "--load",
        choices=sorted(_LOADS),
        default="parallel",
        help="competing processes: Numba parallel loops (default) or busy loops",
    )
    parser.add_argument(
        "--procs",
        type=int,
        default=os.cpu_count() or 1,
        help="competing processes (default: the number of CPUs)",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    def load(loaded: bool) -> contextlib.AbstractContextManager:
        if not loaded:
            return contextlib.nullcontext()
        return competing_load(args.procs, args.load)

    results: dict = {"load_average_before": os.getloadavg()}
    paths = (
        [("as shipped", False)]
        if args.src
        else [
            ("serial path", False),
            ("parallel path", True),
        ]
    )
    print(
        f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
        f"competing load: {args.procs} x {args.load}"
    )
    cols = "configuration", "best", "median", "mean", "worst"
    print("{:<34} {:>9} {:>9} {:>9} {:>9}  iterations".format(*cols))
    for label, force in paths:
        for loaded in (False, True):
            r = fista_times(force, load(loaded), args.src, args.repeat)
            name = f"{label}, {'loaded' if loaded else 'idle'}"
            results[name] = r
            print(
                f"{name:<34} {r['best']:8.3f}s {r['median']:8.3f}s "
                f"{r['mean']:8.3f}s {r['worst']:8.3f}s  {r['n_iter']}",
                flush=True,
            )
    if args.sweep:
        for loaded in (False, True):
            with load(loaded):
                r = _python(_SWEEP, args.src, timeout=600)
            results[f"sweep, {'loaded' if loaded else 'idle'}"] = r
            print(
                f"\nCSR SpMV, 10 entries a row, {r['threads']} Numba threads, "
                f"{'loaded' if loaded else 'idle'}: median time (us)"
            )
            print(f"{'nnz':>9} {'serial':>10} {'parallel':>10} {'ratio':>7}")
            for nnz, row in r["sizes"].items():
                s, p = row["serial"] * 1e6, row["parallel"] * 1e6
                print(f"{nnz:>9} {s:10.1f} {p:10.1f} {s / p:7.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
