"""Panel of ``sparsela demo``: a sparse Walsh-Hadamard transform of 2**30 points."""

from __future__ import annotations

import time

import numpy as np


def _parity(v: np.ndarray) -> np.ndarray:
    for shift in (32, 16, 8, 4, 2, 1):
        v = v ^ (v >> shift)
    return v & 1


def _demo(ax) -> str:
    """Recover 20 Walsh coefficients of a signal of 2**30 samples, given as a
    function of the index, with SPRIGHT, and draw them.

    Returns a one-line summary.
    """
    from ..transforms import sparse_wht

    n, K = 30, 20
    N = 1 << n
    rng = np.random.default_rng(3)
    support = np.sort(rng.choice(N, K, replace=False))
    coefs = rng.choice([-1.0, 1.0], K) * rng.uniform(0.5, 2.0, K)

    def signal(idx):  # x = H X / N, evaluated where SPRIGHT asks
        out = np.zeros(idx.shape)
        for k, a in zip(support, coefs, strict=True):
            out += a * (1.0 - 2.0 * _parity(idx & k))
        return out / N

    t0 = time.perf_counter()
    res = sparse_wht(signal, N, sparsity=K, random_state=0)
    elapsed = time.perf_counter() - t0
    ax.vlines(support, 0.0, coefs, color="0.7")
    ax.plot(support, coefs, "o", mfc="none", ms=8, color="0.4", label="true X")
    ax.plot(res.support, res.coefficients, "x", color="C3", ms=7, label="SPRIGHT")
    ax.axhline(0.0, color="0.8", lw=0.8)
    ax.set_ylim(-2.6, 2.6)
    ax.set_xlabel(f"Walsh index k (N = 2^{n})")
    ax.legend(fontsize=8, loc="lower right", ncols=2)
    exact = (
        res.converged
        and np.array_equal(res.support, support)
        and np.allclose(res.coefficients, coefs, atol=1e-8)
    )
    return (
        f"N=2^{n} samples given as a function, K={K}: "
        f"{'exact' if exact else 'NOT exact'} recovery from {res.n_samples} samples "
        f"({res.n_samples / N:.1e} of N) in {elapsed:.3f} s"
    )
