"""Panel of ``sparsela demo``: block coordinate descent against FISTA on a lasso."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import sparsela

from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "BCD: greedy coordinate descent on a lasso"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Solve a 200 x 1000 lasso (``lam = 0.05 lam_max``) with :func:`sparsela.bcd`
    (greedy Gauss-Southwell-Lipschitz working sets) and with
    :func:`sparsela.fista`, both to a relative duality gap of ``1e-8``.

    Each solver runs once untimed (compilation, caches), then once timed.
    Draws the relative duality gap of each against its iterations on ``ax``
    (nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the problem.

    Returns
    -------
    Summary
        One-line summary: iterations and times of both, and the relative
        difference of their objectives.

    Examples
    --------
    >>> from sparsela.cli.panels import bcd
    >>> bcd.panel().text.startswith("bcd: ")
    True
    """
    rng = np.random.default_rng(random_state)
    m, n, k = 200, 1000, 20
    A = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    y = A @ x + 0.01 * rng.standard_normal(m)
    lam = 0.05 * float(sparsela.lambda_max(A, y))
    runs = {}
    for name, solver in (("bcd", sparsela.bcd), ("fista", sparsela.fista)):
        solver(A, y, lam=lam, tol=1e-8)
        t0 = time.perf_counter()
        res = solver(A, y, lam=lam, tol=1e-8)
        runs[name] = (res, time.perf_counter() - t0)
    (rb, tb), (rf, tf) = runs["bcd"], runs["fista"]
    diff = abs(rb.objective - rf.objective) / rf.objective
    if ax is not None:
        for name, (res, _) in runs.items():
            gap = np.asarray(res.history["gap"], dtype=float)
            ax.semilogy(np.arange(1, gap.size + 1), gap, "o-" if name == "bcd" else "-",
                        label=name, ms=3)  # fmt: skip
        ax.set_xlabel("iteration (bcd: one working-set solve)")
        ax.set_ylabel("relative duality gap")
        ax.legend()
    text = (
        f"bcd: {rb.n_iter} working sets in {tb * 1e3:.1f} ms, fista: {rf.n_iter} "
        f"iterations in {tf * 1e3:.1f} ms (objectives differ by {diff:.1e})"
    )
    return Summary(text, float(diff), "rel. objective difference vs FISTA")
