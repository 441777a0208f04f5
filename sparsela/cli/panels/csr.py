"""Panel of ``sparsela demo``: CSR sparse matrix-vector product against SciPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse

import sparsela

from ._summary import Summary
from ._timing import best_time

__all__ = ["TITLE", "panel"]

TITLE = "CSR sparse matrix-vector product"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Time ``A @ x`` for a random 200000 x 200000 CSR matrix, 10 entries a row.

    The same arrays back a :class:`sparsela.CSR` and a ``scipy.sparse``
    array; each product is timed as the best of five after a warm-up call.
    Draws the two times as bars on ``ax`` (a matplotlib Axes; nothing is
    drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the matrix and the vector.

    Returns
    -------
    Summary
        One-line summary: the ratio of the times and the largest difference
        between the two products.

    Examples
    --------
    >>> from sparsela.cli.panels import csr
    >>> csr.panel().text.startswith("scipy.sparse time / sparsela time = ")
    True
    """
    n, per_row = 200_000, 10
    rng = np.random.default_rng(random_state)
    cols = rng.integers(0, n, size=n * per_row).astype(np.int32)
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int32)
    data = rng.standard_normal(n * per_row)
    S = scipy.sparse.csr_array((data, cols, indptr), shape=(n, n))
    A = sparsela.CSR(data, cols, indptr, (n, n))
    x = rng.standard_normal(n)
    err = np.abs(A @ x - S @ x).max()
    t_ours = best_time(lambda: A @ x)
    t_scipy = best_time(lambda: S @ x)

    if ax is not None:
        ax.bar(
            ["scipy.sparse", "sparsela CSR"],
            [t_scipy * 1e3, t_ours * 1e3],
            color=["0.6", "C0"],
        )
        ax.set_ylabel("SpMV time [ms]")
        ax.set_xlabel(f"{n}x{n}, {per_row} nnz/row")
    ratio = t_scipy / t_ours
    text = f"scipy.sparse time / sparsela time = {ratio:.2f} (max diff {err:.1e})"
    return Summary(text, float(err), "max |A x - SciPy A x|")
