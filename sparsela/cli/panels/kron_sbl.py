"""Panel of ``sparsela demo``: a small KroSBL recovery."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import sparsela
from sparsela.datasets import make_kron_problem
from sparsela.metrics import nmse_db, support_recovery

from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "KroSBL: Kronecker-sparse recovery"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Recover a Kronecker-supported vector with SVD-KroSBL.

    The problem is the headline setting of the KroSBL synthetic study
    (:func:`sparsela.datasets.make_kron_problem`: three modes, 27 non-zeros
    among 3375, 1440 measurements at 25 dB). Draws the true and recovered
    coefficients on ``ax`` (a matplotlib Axes; nothing is drawn when ``ax``
    is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the problem.

    Returns
    -------
    Summary
        One-line summary.

    Examples
    --------
    >>> from sparsela.cli.panels import kron_sbl
    >>> kron_sbl.panel().text.startswith("N=3375, M=1440, 27 non-zeros at 25 dB: NMSE")
    True
    """
    p = make_kron_problem(
        ((8, 15), (12, 15), (15, 15)), 3, snr_db=25, random_state=random_state
    )
    t0 = time.perf_counter()
    res = sparsela.kron_sbl(p.factors, p.y, method="svd", noise_var=p.noise_var)
    elapsed = time.perf_counter() - t0
    err = nmse_db(p.x, res.x)
    srr = support_recovery(p.x, res.x)

    if ax is not None:
        idx = np.arange(p.x.size)
        ax.plot(idx, p.x, "o", ms=6, mfc="none", color="0.4", label="true x")
        shown = np.flatnonzero(res.x)
        ax.plot(shown, res.x[shown], ".", ms=4, color="C0", label="SVD-KroSBL")
        ax.set_xlabel(f"index (N = {p.x.size}, M = {p.y.size})")
        ax.legend(fontsize=8, loc="upper right")
    text = (
        f"N={p.x.size}, M={p.y.size}, 27 non-zeros at 25 dB: NMSE {err:.1f} dB, "
        f"support recovery {srr:.2f}, {res.n_iter} iterations in {elapsed:.3f} s"
    )
    return Summary(text, float(err), "NMSE of x [dB]")
