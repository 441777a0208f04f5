"""Panel of ``sparsela demo``: a Kronecker operator against its dense matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

import sparsela

from ._summary import Summary
from ._timing import best_time

__all__ = ["TITLE", "panel"]

TITLE = "Kronecker operator vs dense matrix"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Time the product with three ``p x p`` Kronecker factors for growing ``p``.

    :class:`sparsela.Kronecker` applies the factors by mode products and
    never forms ``A_1 ⊗ A_2 ⊗ A_3``; the dense product uses the formed
    matrix. Draws both times against ``N = p**3`` on ``ax`` (a matplotlib
    Axes; nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the factors and the vectors.

    Returns
    -------
    Summary
        One-line summary: the speed-up at the largest size.

    Examples
    --------
    >>> from sparsela.cli.panels import kronecker
    >>> kronecker.panel().text.startswith("N=3375: ")
    True
    """
    sizes = [4, 6, 8, 10, 12, 15]
    t_kron, t_dense = [], []
    rng = np.random.default_rng(random_state)
    for p in sizes:
        factors = [rng.standard_normal((p, p)) for _ in range(3)]
        K = sparsela.Kronecker(*factors)
        D = np.kron(np.kron(factors[0], factors[1]), factors[2])
        x = rng.standard_normal(K.shape[1])
        err = float(np.abs(K @ x - D @ x).max() / np.abs(D @ x).max())
        t_kron.append(best_time(lambda K=K, x=x: K @ x))
        t_dense.append(best_time(lambda D=D, x=x: D @ x))
    N = [p**3 for p in sizes]

    if ax is not None:
        ax.loglog(N, t_dense, "o-", color="0.5", label="dense product")
        ax.loglog(N, t_kron, "o-", color="C0", label="Kronecker (mode products)")
        ax.set_xlabel("N = p^3 (three p x p factors)")
        ax.set_ylabel("matvec time [s]")
        ax.legend(fontsize=8)
    text = f"N={N[-1]}: {t_dense[-1] / t_kron[-1]:.0f}x faster than the dense product"
    return Summary(text, err, "max rel. error vs dense product")
