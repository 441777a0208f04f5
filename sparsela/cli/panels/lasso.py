"""Panel of ``sparsela demo``: FISTA recovers a sparse signal (lasso)."""

from __future__ import annotations

from typing import Any

import numpy as np

import sparsela

from ._planted import K, M, N, draw_planted, planted_problem
from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "FISTA: lasso recovery"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Recover an 8-sparse signal from 96 noisy Gaussian measurements by the lasso.

    Solves ``min 1/2 ||A x - y||^2 + lam ||x||_1`` with FISTA at
    ``lam = 0.05 lam_max`` to a relative duality gap of 1e-8, keeps the
    coefficients above 5 % of the largest as the support and debiases them by
    least squares. Draws the planted and recovered coefficients on ``ax`` (a
    matplotlib Axes; nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the dictionary, the signal and the noise.

    Returns
    -------
    Summary
        One-line summary.

    Examples
    --------
    >>> from sparsela.cli.panels import lasso
    >>> lasso.panel().text.startswith("lasso n=256, m=96, k=8: support recovered")
    True
    """
    rng = np.random.default_rng(random_state)
    n, m, k = N, M, K
    A, x, support, y = planted_problem(rng)
    lam = 0.05 * sparsela.lambda_max(A, y)
    res = sparsela.fista(A, y, lam=lam, tol=1e-8)
    found = np.flatnonzero(np.abs(res.x) > 0.05 * np.abs(res.x).max())
    debiased = np.zeros(n)
    debiased[found] = np.linalg.lstsq(A[:, found], y, rcond=None)[0]
    rel = np.linalg.norm(debiased - x) / np.linalg.norm(x)
    ok = np.array_equal(found, support)

    if ax is not None:
        draw_planted(ax, x)
        ax.plot(found, res.x[found], "x", color="C3", label="lasso (FISTA)")
        ax.plot(found, debiased[found], "+", color="C2", label="debiased")
        ax.set_xlabel("index")
        ax.set_ylabel("coefficient")
        ax.legend(fontsize=8, loc="upper right")
    text = (
        f"lasso n={n}, m={m}, k={k}: support {'recovered' if ok else 'missed'} "
        f"in {res.n_iter} FISTA iterations (gap {res.gap:.0e}), "
        f"debiased relative error {rel:.1e}"
    )
    return Summary(text, float(rel), "debiased relative error of x")
