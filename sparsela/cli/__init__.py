"""The ``sparsela`` command: ``sparsela demo`` shows the library at work."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

__all__ = ["main"]


def _demo_steps() -> list[tuple[str, Callable]]:
    from . import _panel_foundation

    steps = list(_panel_foundation.STEPS)
    # each solver family contributes one panel
    from . import _panel_omp, _panel_prox, _panel_sbl, _panel_swht

    steps += [
        ("OMP: sparse recovery", _panel_omp._demo),
        ("FISTA: lasso recovery", _panel_prox._demo),
        ("KroSBL: Kronecker-sparse recovery", _panel_sbl._demo),
        ("Sparse WHT: SPRIGHT on 2^30 points", _panel_swht._demo),
    ]
    return steps


def demo(output: str = "sparsela_demo.png") -> int:
    """Run every demo step, print a line per step and write one figure.

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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = _demo_steps()
    ncols = 3
    nrows = -(-len(steps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.8 * nrows))
    axes = axes.ravel()
    for ax, (title, fn) in zip(axes, steps, strict=False):
        t0 = time.perf_counter()
        summary = fn(ax)
        ax.set_title(title, fontsize=10)
        print(f"[{time.perf_counter() - t0:6.2f} s] {title}: {summary}")
    for ax in axes[len(steps) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print(f"figure written to {output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sparsela`` console script.

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
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.output)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
