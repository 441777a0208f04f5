"""Panel of ``sparsela demo``: N:M (2:4) structured sparsity."""

from __future__ import annotations

from typing import Any

import numpy as np

import sparsela

from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "N:M (2:4) structured sparsity"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Prune a random 16 x 32 matrix to 2:4 sparsity and multiply by it.

    :meth:`sparsela.NM.from_dense` keeps the two largest entries of every
    group of four in a row; the product with the pruned matrix is compared
    with the dense product. Draws the kept magnitudes on ``ax`` (a matplotlib
    Axes; nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the matrix and the vector.

    Returns
    -------
    Summary
        One-line summary.

    Examples
    --------
    >>> from sparsela.cli.panels import nm
    >>> nm.panel().text.startswith("2:4 pruning keeps 256/512 weights")
    True
    """
    rng = np.random.default_rng(random_state)
    W = rng.standard_normal((16, 32))
    P = sparsela.NM.from_dense(W, 2, 4)
    kept = P.todense()
    x = rng.standard_normal(32)
    err = np.abs(P @ x - kept @ x).max()

    if ax is not None:
        ax.imshow(np.abs(kept), cmap="Blues", aspect="auto")
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    text = f"2:4 pruning keeps {P.nnz}/{W.size} weights; product error {err:.1e}"
    return Summary(text, float(err), "max product error vs dense")
