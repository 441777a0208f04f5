"""Panel of ``sparsela demo``: orthogonal matching pursuit recovers a sparse signal."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import sparsela

from ._planted import K, M, N, draw_planted, planted_problem
from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "OMP: sparse recovery"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Recover an 8-sparse signal from 96 noisy Gaussian measurements with OMP.

    Draws the planted and recovered coefficients on ``ax`` (a matplotlib
    Axes; nothing is drawn when ``ax`` is None), then codes a batch of 2000
    such signals on the Gram path.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the dictionary, the signals and the noise.

    Returns
    -------
    Summary
        One-line summary.

    Examples
    --------
    >>> from sparsela.cli.panels import omp
    >>> omp.panel().text.startswith("n=256, m=96, k=8")
    True
    """
    rng = np.random.default_rng(random_state)
    n, m, k = N, M, K
    A, x, support, y = planted_problem(rng)
    res = sparsela.omp(A, y, n_nonzero=k)
    found = np.array_equal(np.sort(res.support), support)
    rel = np.linalg.norm(res.x - x) / np.linalg.norm(x)

    X = np.zeros((n, 2000))
    for j in range(X.shape[1]):
        X[rng.choice(n, k, replace=False), j] = rng.standard_normal(k)
    Y = A @ X + 0.01 * rng.standard_normal((m, X.shape[1]))
    sparsela.omp(A, Y[:, :10], n_nonzero=k, precompute=True)  # warm-up (Numba)
    t0 = time.perf_counter()
    batch = sparsela.omp(A, Y, n_nonzero=k)
    elapsed = time.perf_counter() - t0
    hits = np.mean([np.array_equal(np.sort(s), np.flatnonzero(X[:, j]))
                    for j, s in enumerate(batch.support)])  # fmt: skip

    if ax is not None:
        draw_planted(ax, x)
        ax.plot(res.support, res.x[res.support], "x", color="C3", label="OMP")
        ax.set_xlabel("atom")
        ax.set_ylabel("coefficient")
        ax.legend(fontsize=8, loc="upper right")
    text = (
        f"n={n}, m={m}, k={k}: support {'recovered' if found else 'missed'}, "
        f"relative error {rel:.1e}; 2000 signals in {elapsed * 1e3:.0f} ms "
        f"({hits:.0%} exact supports)"
    )
    return Summary(text, float(rel), "relative error of x")
