"""The planted sparse problem and its drawing, shared by the recovery panels."""

from __future__ import annotations

from typing import Any

import numpy as np

# n atoms, m noisy Gaussian measurements, k planted coefficients
N, M, K = 256, 96, 8


def planted_problem(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``(A, x, support, y)``: a ``k``-sparse ``x`` seen through ``y = A x + e``.

    The coefficients have random signs and magnitudes in [1, 2]; ``A`` has
    unit-variance columns scaled by ``1 / sqrt(m)``; the noise is 0.01 per
    entry.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.cli.panels._planted import planted_problem
    >>> A, x, support, y = planted_problem(np.random.default_rng(0))
    >>> A.shape, support.size, y.shape
    ((96, 256), 8, (96,))
    """
    A = rng.standard_normal((M, N)) / np.sqrt(M)
    x = np.zeros(N)
    support = np.sort(rng.choice(N, K, replace=False))
    x[support] = rng.choice([-1.0, 1.0], K) * rng.uniform(1.0, 2.0, K)
    y = A @ x + 0.01 * rng.standard_normal(M)
    return A, x, support, y


def draw_planted(ax: Any, x: np.ndarray) -> None:
    """Stems of the planted coefficients, in grey, for the estimates on top."""
    markers, _, _ = ax.stem(x, linefmt="0.6", markerfmt="o", basefmt=" ")
    markers.set_markerfacecolor("none")
    markers.set_markeredgecolor("0.4")
    markers.set_label("planted")
