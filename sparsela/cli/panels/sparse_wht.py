"""Panel of ``sparsela demo``: a sparse Walsh-Hadamard transform of 2**30 points."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import sparsela

from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "Sparse WHT: SPRIGHT on 2^30 points"


def _parity(v: np.ndarray) -> np.ndarray:
    for shift in (32, 16, 8, 4, 2, 1):
        v = v ^ (v >> shift)
    return v & 1


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Recover 20 Walsh coefficients of a signal of 2**30 samples with SPRIGHT.

    The signal is given as a function of the sample index, so it is never
    formed: :func:`sparsela.sparse_wht` evaluates it only where it samples.
    Draws the true and recovered coefficients on ``ax`` (a matplotlib Axes;
    nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the planted coefficients and of the transform's sampling.

    Returns
    -------
    Summary
        One-line summary.

    Examples
    --------
    >>> from sparsela.cli.panels import sparse_wht
    >>> out = sparse_wht.panel()
    >>> out.text.startswith("N=2^30 samples given as a function, K=20: exact")
    True
    """
    n, K = 30, 20
    N = 1 << n
    rng = np.random.default_rng(random_state)
    support = np.sort(rng.choice(N, K, replace=False))
    coefs = rng.choice([-1.0, 1.0], K) * rng.uniform(0.5, 2.0, K)

    def signal(idx):  # x = H X / N, evaluated where SPRIGHT asks
        out = np.zeros(idx.shape)
        for k, a in zip(support, coefs, strict=True):
            out += a * (1.0 - 2.0 * _parity(idx & k))
        return out / N

    t0 = time.perf_counter()
    res = sparsela.sparse_wht(signal, N, sparsity=K, random_state=rng)
    elapsed = time.perf_counter() - t0
    exact = (
        res.converged
        and np.array_equal(res.support, support)
        and np.allclose(res.coefficients, coefs, atol=1e-8)
    )

    if ax is not None:
        ax.vlines(support, 0.0, coefs, color="0.7")
        ax.plot(support, coefs, "o", mfc="none", ms=8, color="0.4", label="true X")
        ax.plot(res.support, res.coefficients, "x", color="C3", ms=7, label="SPRIGHT")
        ax.axhline(0.0, color="0.8", lw=0.8)
        ax.set_ylim(-2.6, 2.6)
        ax.set_xlabel(f"Walsh index k (N = 2^{n})")
        ax.legend(fontsize=8, loc="lower right", ncols=2)
    keys = np.union1d(support, res.support)
    dense = np.zeros((2, keys.size))
    dense[0, np.searchsorted(keys, support)] = coefs
    dense[1, np.searchsorted(keys, res.support)] = res.coefficients
    err = float(np.linalg.norm(dense[1] - dense[0]) / np.linalg.norm(dense[0]))
    text = (
        f"N=2^{n} samples given as a function, K={K}: "
        f"{'exact' if exact else 'NOT exact'} recovery from {res.n_samples} samples "
        f"({res.n_samples / N:.1e} of N) in {elapsed:.3f} s"
    )
    return Summary(text, err, "rel. error of the K coefficients")
