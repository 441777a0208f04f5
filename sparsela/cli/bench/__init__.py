"""``sparsela bench``: sparsela against the installed peers, as a report.

Every family of :data:`~sparsela.cli.bench._cases.FAMILIES` is timed at each
of its sizes for sparsela and for each installed peer (scikit-learn, SPAMS,
PyLops, skglm, celer, SciPy), in this process, one after the other, so that
the ratios compare like with like. Each contender runs once untimed first
(Numba compilation, warm caches: sparsela's first call is reported on its
own), then the best of several runs is kept. The report (``report.md``) has a
table of times and ratios per family, the machine's copy bandwidth and GEMM
rate for context, and the versions; one PNG per family plots time against
problem size.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..._progress import progress
from ._cases import FAMILIES, PEERS, Family, installed

__all__ = ["add_parser", "machine", "run", "run_bench", "time_call"]


def time_call(
    fn: Callable[[], Any], *, budget: float = 0.3
) -> tuple[float, float, Any]:
    """``(first, best, answer)``: the first call's seconds (compilation
    included), the best of the later calls, and the answer.

    Runs at least 3 (1 when the first call took over a second) and at most
    20 timed calls, stopping once ``budget`` seconds are spent.

    Examples
    --------
    >>> first, best, out = time_call(lambda: sum(range(1000)))
    >>> out, best <= first + 1.0
    (499500, True)
    """
    t0 = time.perf_counter()
    answer = fn()
    first = time.perf_counter() - t0
    best, spent, runs = np.inf, 0.0, 0
    least = 1 if first > 1.0 else 3  # a slow contender: one timed run is enough
    while runs < least or (spent < budget and runs < 20):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, spent, runs = min(best, dt), spent + dt, runs + 1
    return first, float(best), answer


def machine(quick: bool = False) -> dict[str, Any]:
    """The machine's context: CPUs, copy bandwidth (GB/s) and GEMM (GFLOP/s).

    Examples
    --------
    >>> info = machine(quick=True)
    >>> info["copy GB/s"] > 0 and info["GEMM GFLOP/s"] > 0
    True
    """
    mb = 64 if quick else 256
    a = np.ones(mb * 2**20 // 8)
    b = np.empty_like(a)
    _, t_copy, _ = time_call(lambda: np.copyto(b, a), budget=0.2)
    n = 500 if quick else 2000
    M = np.random.default_rng(0).standard_normal((n, n))
    _, t_gemm, _ = time_call(lambda: M @ M, budget=0.3)
    return {
        "CPUs": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "copy GB/s": 2 * a.nbytes / t_copy / 1e9,  # read + write
        "GEMM GFLOP/s": 2 * n**3 / t_gemm / 1e9,
        "GEMM size": n,
    }


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for name in ("sparsela", "numpy", "scipy", "numba"):
        out[name] = md.version(name)
    dists = {
        "scikit-learn": "scikit-learn",
        "SPAMS": "spams-bin",
        "PyLops": "pylops",
        "skglm": "skglm",
        "celer": "celer",
        "SciPy": "scipy",
    }
    for peer, dist in dists.items():
        if installed(peer):
            try:
                out[peer] = md.version(dist)
            except md.PackageNotFoundError:
                out[peer] = getattr(__import__(PEERS[peer]), "__version__", "?")
    return out


def run_bench(
    out: str | Path,
    *,
    quick: bool = False,
    only: str | None = None,
    verbose: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Run the benchmark families and write ``report.md`` and PNG plots.

    Parameters
    ----------
    out : str or Path
        Folder for the report (created if missing).
    quick : bool, default=False
        Fewer, smaller sizes (a few minutes at most).
    only : str, optional
        Run only the families whose name matches this pattern (``fnmatch``
        wildcards; a plain word matches names that contain it).
    verbose : bool, default=True
        Show progress: a bar on a terminal (tqdm when installed), else one
        line per timed contender.

    Returns
    -------
    dict
        Family name -> rows (size, library, first, best, difference).

    Examples
    --------
    >>> import tempfile
    >>> rows = run_bench(tempfile.mkdtemp(), quick=True, only="csr",
    ...                  verbose=False)  # doctest: +SKIP
    """
    out = Path(out)
    families = _select(only)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    info = machine(quick)
    results: dict[str, list[dict[str, Any]]] = {}
    # a bar on a terminal (tqdm when installed); off a terminal the bar is
    # silent and each timing is printed on a line of its own
    on_terminal = bool(getattr(sys.stderr, "isatty", lambda: False)())
    bar = progress(
        sum(len(f.quick if quick else f.full) for f in families),
        "sparsela bench",
        verbose,
    )
    lines = verbose and not on_terminal
    for fam in families:
        rows = results.setdefault(fam.name, [])
        for size in fam.quick if quick else fam.full:
            contenders = fam.make(size, np.random.default_rng(size))
            ref = None
            for lib, fn in contenders.items():
                first, best, answer = time_call(fn)
                if lib == "sparsela":
                    ref = answer
                diff = 0.0 if lib == "sparsela" else fam.check(answer, ref)
                rows.append(
                    {"size": size, "library": lib, "first": first, "best": best,
                     "difference": diff}
                )  # fmt: skip
                if lines:
                    print(
                        f"{fam.name:>10} {fam.size_label} = {size:<8} {lib:<22} "
                        f"{best * 1e3:10.3f} ms",
                        flush=True,
                    )
            bar.update()
    bar.close()
    plots = _plots(out, families, results)
    report = _report(
        families, results, info, plots, quick, time.perf_counter() - t_start
    )
    (out / "report.md").write_text(report)
    if verbose:
        print(f"report written to {out / 'report.md'} ({len(plots)} figures)")
    return results


def _select(only: str | None) -> list[Family]:
    if not only:
        return list(FAMILIES)
    pattern = only if any(c in only for c in "*?[") else f"*{only}*"
    chosen = [f for f in FAMILIES if fnmatch.fnmatch(f.name, pattern)]
    if not chosen:
        raise ValueError(
            f"--only {only!r} matches no family; families: "
            + ", ".join(f.name for f in FAMILIES)
        )
    return chosen


def _plots(out: Path, families: Sequence[Family], results: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for fam in families:
        rows = results[fam.name]
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        for lib in dict.fromkeys(r["library"] for r in rows):
            pts = [(r["size"], r["best"]) for r in rows if r["library"] == lib]
            xs, ts = zip(*pts, strict=True)
            style = "o-" if lib == "sparsela" else "s--"
            ax.plot(
                xs,
                np.asarray(ts) * 1e3,
                style,
                label=lib,
                lw=2 if lib == "sparsela" else 1,
            )
        ax.set_xscale("log" if fam.size_label != "log2 N" else "linear")
        ax.set_yscale("log")
        ax.set_xlabel(fam.size_label)
        ax.set_ylabel("best time (ms)")
        ax.set_title(fam.title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"{fam.name}.png"
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
        names.append(name)
    return names


def _report(families, results, info, plots, quick, elapsed) -> str:
    lines = [
        "# sparsela benchmark report",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {'quick' if quick else 'full'} run, "
        f"{elapsed:.0f} s. Times are the best of several runs after one untimed "
        "call; *ratio* is the peer's time over sparsela's (above 1: sparsela is "
        "faster); *first call* is sparsela's first call, Numba compilation or "
        "cache load included.",
        "",
        "## Machine",
        "",
        f"- {info['CPUs']} CPUs ({info['processor']})",
        f"- copy bandwidth {info['copy GB/s']:.1f} GB/s (`np.copyto`, read + write)",
        f"- GEMM {info['GEMM GFLOP/s']:.1f} GFLOP/s (float64, "
        f"{info['GEMM size']} x {info['GEMM size']})",
        "",
        "## Versions",
        "",
        *[f"- {k} {v}" for k, v in _versions().items()],
        "",
    ]
    missing = sorted({p for f in families for p in f.peers if not installed(p)})
    if missing:
        lines += [f"Not installed, skipped: {', '.join(missing)}.", ""]
    for fam, plot in zip(families, plots, strict=True):
        rows = results[fam.name]
        libs = list(dict.fromkeys(r["library"] for r in rows))
        peers = [lib for lib in libs if lib != "sparsela"]
        lines += [f"## {fam.title}", "", f"![{fam.name}]({plot})", ""]
        head = [fam.size_label, "sparsela", "first call"]
        for p in peers:
            head += [p, "ratio", "difference"]
        lines += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        for size in dict.fromkeys(r["size"] for r in rows):
            at = {r["library"]: r for r in rows if r["size"] == size}
            s = at["sparsela"]
            cells = [str(size), _ms(s["best"]), _ms(s["first"])]
            for p in peers:
                if p in at:
                    r = at[p]
                    cells += [_ms(r["best"]), f"{r['best'] / s['best']:.2f}x",
                              f"{r['difference']:.1e}"]  # fmt: skip
                else:
                    cells += ["", "", ""]
            lines.append("| " + " | ".join(cells) + " |")
        lines += [
            "",
            "*difference*: " + (
                "relative excess of the peer's objective over sparsela's"
                if fam.name == "lasso"
                else "relative norm of the peer's answer minus sparsela's"
            ) + ".",
            "",
        ]  # fmt: skip
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` sub-command to the ``sparsela`` argument parser."""
    p = sub.add_parser(
        "bench",
        help="time sparsela against the installed peers; write a report",
        description="Time every problem family for sparsela and the installed "
        "peers (scikit-learn, SPAMS, PyLops, skglm, celer, SciPy) in one process "
        "and write report.md with PNG plots into --out.",
    )
    p.add_argument("--quick", action="store_true", help="small sizes (minutes)")
    p.add_argument("--out", default="sparsela_bench", help="report folder")
    p.add_argument(
        "--only",
        metavar="PATTERN",
        help="families to run: " + ", ".join(f.name for f in FAMILIES),
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``sparsela bench`` for parsed arguments; 0 on success."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError(
            "the report's plots need matplotlib: pip install 'sparsela[plot]'"
        ) from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder")
    run_bench(out, quick=args.quick, only=args.only)
    return 0
