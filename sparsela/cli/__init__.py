"""The ``sparsela`` command (also ``python -m sparsela``).

``sparsela demo`` shows the library at work: it runs every panel of
:data:`sparsela.cli.panels.PANELS` in order, prints one line per panel and
writes one figure. It first compiles (or loads from the Numba cache) the
kernels its panels use, so that the times it prints are solve times.

``sparsela solve A y --method omp`` recovers a sparse ``x`` from files
(see :mod:`sparsela.cli.solve`).

``sparsela bench`` times sparsela against the installed peers and writes a
report (see :mod:`sparsela.cli.bench`).

``sparsela compile`` fills the Numba cache for every kernel and dtype ahead
of time, in parallel processes, so that no later first call pays for
compilation (see :func:`compile_kernels`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence

__all__ = ["compile_kernels", "demo", "main"]


def _warm_up_panels() -> None:
    """The calls of the demo panels on tiny inputs (float64), so that every
    kernel they run is compiled, or loaded from the cache, before any timing.
    """
    import numpy as np

    import sparsela
    from sparsela.kernels.cpu._warmup import parallel_everywhere

    rng = np.random.default_rng(0)
    x = rng.standard_normal(64)
    sparsela.fwht(x, normalized=True, ordering="sequency")  # fwht
    A = sparsela.CSR.from_dense(rng.standard_normal((8, 8)))  # csr: large, parallel
    with parallel_everywhere():
        A @ x[:8]
    sparsela.NM.from_dense(rng.standard_normal((4, 8)), 2, 4) @ x[:8]  # nm
    D = rng.standard_normal((12, 24))  # omp, lasso: dense dictionaries
    Y = D[:, :3] @ rng.standard_normal((3, 4))
    for precompute in ("auto", True):
        sparsela.omp(D, Y, n_nonzero=3, precompute=precompute)
        sparsela.omp(D, Y[:, 0], n_nonzero=3, precompute=precompute)
    with parallel_everywhere():
        sparsela.omp(D, Y, n_nonzero=3)
    lam = 0.05 * sparsela.lambda_max(D, Y[:, 0])
    sparsela.fista(D, Y[:, 0], lam=lam, tol=1e-8)
    sparsela.bcd(D, Y[:, 0], lam=lam, tol=1e-8)  # bcd
    N = 1 << 10  # sparse_wht: a signal given as a function, blind SPRIGHT
    X = np.zeros(N)
    X[[3, 100, 700]] = [2.0, -1.0, 0.5]
    signal = sparsela.fwht(X) / N
    sparsela.sparse_wht(lambda idx: signal[idx], N, sparsity=3, random_state=rng)
    P = rng.standard_normal((6, 40))  # dictionary: K-SVD on OMP codes
    sparsela.dictionary_learning(P, 8, n_nonzero=2, max_iter=2, random_state=0)
    from sparsela.nn import SparseLinear  # sparse_layer: float32, both kernels

    layer = SparseLinear.from_dense(rng.standard_normal((8, 8)).astype(np.float32))
    Xf = rng.standard_normal((4, 8)).astype(np.float32)
    layer.forward(Xf)
    with parallel_everywhere():
        layer.forward(Xf)


class _CompileTimer:
    """Numba event listener: wall seconds spent compiling (nested
    compilations of callees counted once, in their outermost one)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._depth = 0
        self._t0 = 0.0

    def on_start(self, ev) -> None:
        if self._depth == 0:
            self._t0 = time.perf_counter()
        self._depth += 1

    def on_end(self, ev) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.total += time.perf_counter() - self._t0


@contextlib.contextmanager
def _compile_time() -> Iterator[_CompileTimer]:
    """Time Numba spends compiling in the block (``.total``, in seconds): what
    a panel's time must not count."""
    from numba.core import event

    timer = type("Timer", (_CompileTimer, event.Listener), {})()
    event.register("numba:compile", timer)
    try:
        yield timer
    finally:
        event.unregister("numba:compile", timer)


def demo(output: str = "sparsela_demo.png") -> int:
    """Run every demo panel, print a line per panel and write one figure.

    The kernels the panels use are compiled (first run) or loaded from the
    Numba cache first, on tiny inputs, and that step is printed on a line of
    its own: the time printed for a panel is its run time, never compilation.

    Parameters
    ----------
    output : str, default="sparsela_demo.png"
        Path of the PNG figure.

    Returns
    -------
    int
        Exit status (0 on success).

    Examples
    --------
    >>> from sparsela.cli import demo
    >>> demo("/tmp/sparsela_demo_doctest.png")  # doctest: +SKIP
    0
    """
    from pathlib import Path

    out = Path(output)
    if out.suffix.lower() != ".png":
        raise ValueError(f"output must end in .png, got {output!r}")
    if not out.parent.is_dir():
        raise ValueError(f"output: no such folder: {out.parent}")
    if not os.access(out.parent, os.W_OK):
        raise ValueError(f"output: cannot write into {out.parent}")
    try:
        import matplotlib
    except ImportError:
        raise ValueError(
            "the demo draws its figure with matplotlib, which is not installed: "
            "pip install 'sparsela[plot]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .panels import PANELS

    t0 = time.perf_counter()
    with _compile_time() as compiling:
        _warm_up_panels()
    print(
        f"[{time.perf_counter() - t0:6.2f} s] Numba kernels of the panels: "
        + (
            f"compiled in {compiling.total:.1f} s (cached for the next runs; "
            "`sparsela compile` fills the cache for every kernel)"
            if compiling.total > 0.05
            else "loaded from the cache"
        )
    )
    ncols = 3
    nrows = -(-len(PANELS) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.8 * nrows))
    axes = axes.ravel()
    table = []
    for ax, panel in zip(axes, PANELS, strict=False):
        with _compile_time() as compiling:  # in case a panel needs more
            t0 = time.perf_counter()
            summary = panel.panel(ax)
            elapsed = time.perf_counter() - t0
        ax.set_title(panel.TITLE, fontsize=10)
        c = compiling.total
        extra = f" (+{c:.1f} s compiling)" if c > 0.05 else ""
        print(f"[{elapsed - c:6.2f} s] {panel.TITLE}: {summary.text}{extra}")
        table.append((panel.TITLE, summary, elapsed - c))
    for ax in axes[len(PANELS) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    _print_table(table)
    print(f"figure written to {output}")
    return 0


def _print_table(table: list) -> None:
    """The demo's closing table: method, the error it measured, solve time."""
    w = max(len(t) for t, _, _ in table)
    m = max(len(s.measure) for _, s, _ in table)
    print(f"{'method':<{w}}  {'error':>10}  {'(what)':<{m}}  {'time [s]':>8}")
    for title, s, seconds in table:
        print(f"{title:<{w}}  {s.error:>10.2e}  {s.measure:<{m}}  {seconds:8.3f}")


def _compile_job(
    topics: Sequence[str], dtypes: Sequence[str]
) -> tuple[dict[str, float], set[str]]:
    """One worker of :func:`compile_kernels`: seconds per topic, lock files."""
    from sparsela.kernels.cpu import _warmup

    _warmup.lock_cache_writes()
    out = {}
    for topic in topics:
        t0 = time.perf_counter()
        for dtype in dtypes:
            _warmup.run(topic, dtype)
        out[topic] = time.perf_counter() - t0
    return out, _warmup.LOCK_FILES


def compile_kernels(
    only: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    jobs: int | None = None,
    *,
    verbose: bool = True,
) -> dict[str, float]:
    """Fill the Numba cache for every kernel, in parallel processes.

    Each kernel topic (:data:`sparsela.kernels.cpu._warmup.TOPICS`: sparse
    format products, dense and sparse Walsh-Hadamard transforms, pursuits,
    proximal solvers) runs its kernels on tiny inputs of every dtype, in a
    fresh process; the compiled code lands in the Numba cache
    (``NUMBA_CACHE_DIR``, or ``__pycache__`` next to the kernel modules), where
    every later process finds it, so that their first calls load instead of
    compiling. Run it again after upgrading sparsela or Numba.

    Parameters
    ----------
    only : sequence of str, optional
        Topics to compile (default: all of them).
    dtypes : sequence of str, optional
        Dtypes to compile (default: float32, float64, complex64, complex128).
    jobs : int, optional
        Worker processes (default: the number of CPUs).
    verbose : bool, default=True
        Print one line per finished job.

    Returns
    -------
    dict
        Wall seconds per topic (the sum over its dtypes).

    Examples
    --------
    >>> from sparsela.cli import compile_kernels
    >>> compile_kernels(["wht"], ["float64"], verbose=False)  # doctest: +SKIP
    {'wht': 2.1}
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from sparsela.kernels.cpu import _warmup

    topics = list(_warmup.TOPICS) if not only else list(dict.fromkeys(only))
    unknown = [t for t in topics if t not in _warmup.TOPICS]
    if unknown:
        raise ValueError(
            f"only must name topics among {sorted(_warmup.TOPICS)}, got {unknown}"
        )
    dtypes = list(dtypes or _warmup.DTYPES)
    bad = [d for d in dtypes if d not in _warmup.DTYPES]
    if bad:
        raise ValueError(f"dtypes must be among {list(_warmup.DTYPES)}, got {bad}")
    if _warmup.can_lock_cache_writes():
        # one job per topic and kernel dtype, the costly topics first
        pairs = dict.fromkeys(
            (t, _warmup.work_dtype(t, d)) for t in topics for d in dtypes
        )
        work = [([t], [d]) for t, d in pairs]
    else:  # topics that share kernels in one process (see _warmup.GROUPS)
        groups = [[t for t in g if t in topics] for g in _warmup.GROUPS]
        work = [(g, dtypes) for g in groups if g]
    n_jobs = max(1, min(len(work), jobs or os.cpu_count() or 1))
    totals = dict.fromkeys(topics, 0.0)
    locks: set[str] = set()
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter per worker
    try:
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_compile_job, t, d): (t, d) for t, d in work}
            for fut in as_completed(futures):
                t, d = futures[fut]
                seconds, lock_files = fut.result()
                locks |= lock_files
                for topic, s in seconds.items():
                    totals[topic] += s
                if verbose:
                    done = time.perf_counter() - t0
                    print(f"[{done:6.1f} s] {', '.join(t)}: {', '.join(d)}", flush=True)
    finally:
        for path in locks:  # every worker is done with them
            with contextlib.suppress(OSError):
                os.remove(path)
    if verbose:
        import numba

        where = numba.config.CACHE_DIR or "__pycache__ next to the kernel modules"
        print(
            f"Numba cache filled in {time.perf_counter() - t0:.1f} s with "
            f"{n_jobs} process{'es' if n_jobs > 1 else ''} ({where})"
        )
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sparsela`` console script and of ``python -m sparsela``.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name; ``sys.argv[1:]``
        when omitted.

    Returns
    -------
    int
        Exit status (0 on success).

    Examples
    --------
    >>> from sparsela.cli import main
    >>> main(["--version"])  # doctest: +SKIP
    """
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="sparsela", description="Sparse linear algebra and sparse recovery."
    )
    parser.add_argument(
        "--version", action="version", version=f"sparsela {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="show operators, formats and solvers at work")
    p_demo.add_argument(
        "-o", "--output", default="sparsela_demo.png", help="figure path (PNG)"
    )
    p_compile = sub.add_parser(
        "compile",
        help="fill the Numba cache for every kernel (parallel processes)",
        description="Compile every Numba kernel of sparsela for the given dtypes "
        "into the Numba cache (NUMBA_CACHE_DIR or __pycache__), in parallel "
        "processes, so that first calls load compiled code.",
    )
    p_compile.add_argument(
        "--only",
        nargs="+",
        metavar="TOPIC",
        help="topics to compile: sparse, wht, sparse_wht, omp, prox, bcd, nn, "
        "dictionary (default: all)",
    )
    p_compile.add_argument(
        "--dtype",
        nargs="+",
        dest="dtypes",
        metavar="DTYPE",
        help="dtypes (default: float32 float64 complex64 complex128)",
    )
    p_compile.add_argument(
        "-j", "--jobs", type=int, help="worker processes (default: CPU count)"
    )
    from . import bench, solve

    solve.add_parser(sub)
    bench.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "bench":
        try:
            return bench.run(args)
        except ValueError as exc:
            print(f"sparsela bench: error: {exc}", file=sys.stderr)
            return 2
    if args.command == "solve":
        try:
            return solve.run(args)
        except ValueError as exc:  # bad files or options: one line, no traceback
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"sparsela solve: error: {msg}", file=sys.stderr)
            return 2
    if args.command == "demo":
        try:
            return demo(args.output)
        except ValueError as exc:  # checked before any work starts
            print(f"sparsela demo: error: {exc}", file=sys.stderr)
            return 2
    if args.command == "compile":
        try:
            compile_kernels(args.only, args.dtypes, args.jobs)
        except ValueError as exc:
            print(f"sparsela compile: error: {exc}", file=sys.stderr)
            return 2
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands
