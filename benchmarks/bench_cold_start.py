"""First-use latency: import time and first calls with an empty Numba cache.

Every case runs in a fresh Python process whose ``NUMBA_CACHE_DIR`` is a new
empty directory, so the first call pays for every Numba compilation it needs
(nothing is read from an earlier run). Times per case:

* ``import``: ``import sparsela`` alone;
* ``resolve``: ``sparsela.<function>``, which imports the modules behind it
  on first access (nothing before the lazy imports of issue 13: everything
  was imported by ``import sparsela``);
* ``first``: the first call (compilation included), the inputs built before;
  ``cpu`` is its process CPU time (compilation is single-threaded: on a
  machine shared with other work, the figure that does not depend on them);
* ``second``: the same call again (compiled code, the run time proper);
* ``cached``: the first call in a second fresh process that reuses the cache
  directory the first process filled (what every later session pays);
* ``total``: import + resolve + first, what a script pays before its first
  result.

The demo case times ``python -m sparsela demo`` as a whole, cold and then
with the cache it filled. This is a script, not a test (timings are never
asserted)::

    python benchmarks/bench_cold_start.py                 # every case
    python benchmarks/bench_cold_start.py fwht omp        # some cases
    python benchmarks/bench_cold_start.py --src /path/to/other/checkout

``--src`` puts another checkout first on ``PYTHONPATH`` (to compare two
revisions in one session); ``--json FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# Inputs are built with NumPy before the timed call; every case prints one
# JSON line with its times.
_PRELUDE = """
import json, sys, time
t0 = time.perf_counter()
import sparsela
t_import = time.perf_counter() - t0
import numpy as np
rng = np.random.default_rng(0)
"""

_TIMED = """
t0 = time.perf_counter()
f = sparsela.NAME
t_resolve = time.perf_counter() - t0
t0, c0 = time.perf_counter(), time.process_time()
CALL
t_first, c_first = time.perf_counter() - t0, time.process_time() - c0
t0 = time.perf_counter()
CALL
t_second = time.perf_counter() - t0
print(json.dumps({"import": t_import, "resolve": t_resolve, "first": t_first,
                  "first_cpu": c_first, "second": t_second}))
"""

CASES = {
    "fwht": (
        "fwht, float64, N = 1024",
        "x = rng.standard_normal(1024)",
        "fwht",
        "f(x)",
    ),
    "fwht-large": (
        "fwht, float64, N = 2^20 (the parallel passes)",
        "x = rng.standard_normal(1 << 20)",
        "fwht",
        "f(x)",
    ),
    "omp": (
        "omp, 100 x 256 float64, 16 signals, 8 atoms",
        "A = rng.standard_normal((100, 256))\n"
        "Y = A[:, :8] @ rng.standard_normal((8, 16))",
        "omp",
        "f(A, Y, n_nonzero=8)",
    ),
    "omp-large": (
        "omp, 256 x 1024 float64, 2000 signals, 16 atoms (parallel)",
        "A = rng.standard_normal((256, 1024))\n"
        "Y = A[:, :16] @ rng.standard_normal((16, 2000))",
        "omp",
        "f(A, Y, n_nonzero=16)",
    ),
    "fista-dense": (
        "fista, dense 50 x 100 float64",
        "A = rng.standard_normal((50, 100))\ny = rng.standard_normal(50)",
        "fista",
        "f(A, y, lam=0.1)",
    ),
    "fista-sparse": (
        "fista, CSC 50 x 100 float64 (10% dense)",
        "import scipy.sparse as sp\n"
        "A = sparsela.CSC.from_scipy(sp.random(50, 100, density=0.1, "
        "random_state=0))\ny = rng.standard_normal(50)",
        "fista",
        "f(A, y, lam=0.1)",
    ),
    "sparse_wht": (
        "sparse_wht, N = 2^16, 3 coefficients",
        "X = np.zeros(2**16)\nX[[3, 1000, 40000]] = [2.0, -1.0, 0.5]\n"
        "from sparsela.kernels.reference import fwht_reference\n"
        "x = fwht_reference(X) / 2**16  # NumPy: nothing compiled here",
        "sparse_wht",
        "f(x, sparsity=3, random_state=0)",
    ),
    "sbl": (
        "sbl, 50 x 100 float64, 5 coefficients",
        "A = rng.standard_normal((50, 100))\ny = A[:, :5] @ rng.standard_normal(5)",
        "sbl",
        "f(A, y)",
    ),
    "kron_sbl": (
        "kron_sbl, factors (8, 15) and (12, 15)",
        "F = [rng.standard_normal((8, 15)), rng.standard_normal((12, 15))]\n"
        "y = rng.standard_normal(96)",
        "kron_sbl",
        "f(F, y, noise_var=0.01)",
    ),
}

_IMPORT = (
    "import time\nt0 = time.perf_counter()\nimport sparsela\n"
    "print(time.perf_counter() - t0)"
)


def _env(cache_dir: str, src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = cache_dir
    env.setdefault("MPLBACKEND", "Agg")
    if src:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, env.get("PYTHONPATH")) if p
        )
    return env


def _python(code: str, env: dict[str, str], cwd: str) -> tuple[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"case failed:\n{code}\n{proc.stderr}")
    return proc.stdout, wall


def run_case(name: str, src: str | None, workdir: str) -> dict[str, float]:
    """Cold and cached times of one case, each in fresh processes."""
    _, setup, attr, call = CASES[name]
    code = _PRELUDE + setup + _TIMED.replace("NAME", attr).replace("CALL", call)
    cache = tempfile.mkdtemp(prefix="numba-cold-", dir=workdir)
    try:
        out, wall = _python(code, _env(cache, src), workdir)
        cold = json.loads(out.strip().splitlines()[-1])
        out, _ = _python(code, _env(cache, src), workdir)
        warm = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {**cold, "cached": warm["first"], "process": wall}


def run_import(src: str | None, workdir: str, repeat: int = 5) -> dict[str, float]:
    """Best and median of ``repeat`` fresh ``import sparsela``."""
    times = []
    cache = tempfile.mkdtemp(prefix="numba-cold-", dir=workdir)
    try:
        for _ in range(repeat):
            out, _ = _python(_IMPORT, _env(cache, src), workdir)
            times.append(float(out.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    times.sort()
    return {"best": times[0], "median": times[len(times) // 2]}


def run_demo(src: str | None, workdir: str) -> dict[str, float]:
    """``python -m sparsela demo``: wall time cold, then with its cache."""
    cache = tempfile.mkdtemp(prefix="numba-cold-", dir=workdir)
    out = {}
    try:
        for key in ("cold", "cached"):
            env = _env(cache, src)
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "sparsela", "demo", "-o", "demo.png"],
                env=env,
                cwd=workdir,
                capture_output=True,
                text=True,
                check=False,
            )
            out[key] = time.perf_counter() - t0
            if proc.returncode:
                raise RuntimeError(f"demo failed:\n{proc.stderr}")
            out[key + "_log"] = proc.stdout
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cases", nargs="*", help=f"among {sorted(CASES)}, 'import', 'demo'"
    )
    parser.add_argument("--src", help="checkout to put first on PYTHONPATH")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    names = args.cases or ["import", *CASES, "demo"]
    unknown = set(names) - set(CASES) - {"import", "demo"}
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="sparsela-cold-") as workdir:
        print(f"python {sys.version.split()[0]}, src={args.src or '(installed)'}")
        hdr = "case", "import", "resolve", "first", "cpu", "second", "cached", "total"
        print("{:<14} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7}   (s)".format(*hdr))
        for name in names:
            if name == "import":
                r = run_import(args.src, workdir)
                print(f"{'import':<14} best {r['best']:.3f}  median {r['median']:.3f}")
            elif name == "demo":
                r = run_demo(args.src, workdir)
                print(f"{'demo':<14} cold {r['cold']:.2f}  cached {r['cached']:.2f}")
                print("  " + r["cold_log"].strip().replace("\n", "\n  "))
            else:
                r = run_case(name, args.src, workdir)
                r["total"] = r["import"] + r["resolve"] + r["first"]
                print(
                    f"{name:<14} {r['import']:7.3f} {r['resolve']:7.3f} "
                    f"{r['first']:7.3f} {r['first_cpu']:7.3f} {r['second']:8.4f} "
                    f"{r['cached']:7.3f} {r['total']:7.2f}"
                )
            sys.stdout.flush()
            results[name] = r
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
