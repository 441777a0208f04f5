"""Panel of ``sparsela demo``: a 90%-sparse layer against the dense product."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._summary import Summary
from ._timing import best_time

__all__ = ["TITLE", "panel"]

TITLE = "Sparse layer (90% pruned, CSR)"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Forward of a 768 -> 3072 float32 layer pruned to 90% by magnitude.

    A dense weight is pruned with :func:`sparsela.nn.prune_magnitude` and held
    as a CSR :class:`sparsela.nn.SparseLinear`; its forward on a batch of 64
    samples (rows) is timed against NumPy's ``X @ W.T`` with the pruned dense
    weight (the same result), best of five after a warm-up call. Draws the
    two times as bars on ``ax`` (nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the weight and the batch.

    Returns
    -------
    Summary
        One-line summary: the ratio of the times and the largest relative
        difference between the two outputs.

    Examples
    --------
    >>> from sparsela.cli.panels import sparse_layer
    >>> sparse_layer.panel().text.startswith("dense time / sparse time = ")
    True
    """
    from sparsela.nn import SparseLinear, prune_magnitude

    rng = np.random.default_rng(random_state)
    W = rng.standard_normal((3072, 768)).astype(np.float32)
    W = np.where(prune_magnitude(W, 0.9), W, np.float32(0.0))
    layer = SparseLinear.from_dense(W, format="csr")
    X = rng.standard_normal((64, 768)).astype(np.float32)
    dense = X @ W.T
    err = float(np.abs(layer.forward(X) - dense).max() / np.abs(dense).max())
    t_sparse = best_time(lambda: layer.forward(X))
    t_dense = best_time(lambda: X @ W.T)
    if ax is not None:
        ax.bar(
            ["dense X @ W.T", "SparseLinear (CSR)"],
            [t_dense * 1e3, t_sparse * 1e3],
            color=["0.6", "C0"],
        )
        ax.set_ylabel("forward time [ms]")
        ax.set_xlabel("768 -> 3072, batch 64, float32, 10% of weights kept")
    ratio = t_dense / t_sparse
    text = f"dense time / sparse time = {ratio:.2f} (max rel. diff {err:.1e})"
    return Summary(text, err, "max rel. difference vs dense")
