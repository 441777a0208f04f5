"""The ``sparsela`` command (also ``python -m sparsela``).

``sparsela demo`` shows the library at work: it runs every panel of
:data:`sparsela.cli.panels.PANELS` in order, prints one line per panel and
writes one figure.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

__all__ = ["demo", "main"]


def demo(output: str = "sparsela_demo.png") -> int:
    """Run every demo panel, print a line per panel and write one figure.

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

    from .panels import PANELS

    ncols = 3
    nrows = -(-len(PANELS) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.8 * nrows))
    axes = axes.ravel()
    for ax, panel in zip(axes, PANELS, strict=False):
        t0 = time.perf_counter()
        summary = panel.panel(ax)
        ax.set_title(panel.TITLE, fontsize=10)
        print(f"[{time.perf_counter() - t0:6.2f} s] {panel.TITLE}: {summary}")
    for ax in axes[len(PANELS) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print(f"figure written to {output}")
    return 0


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
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.output)
    return 2  # pragma: no cover - argparse rejects unknown commands
