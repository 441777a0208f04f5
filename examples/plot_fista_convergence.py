"""
ISTA, FISTA and FISTA with restart
==================================

The lasso ``min 1/2 ||A x - y||^2 + lam ||x||_1`` on a random Gaussian
problem, solved four ways with the same stopping rule:

* ISTA with the constant step ``1/L``, ``L = ||A||_2^2``: ``F(x_k) - F*``
  decays like ``1/k`` in the worst case, and linearly here once the support
  is found (the lasso is then strongly convex on it);
* FISTA with the same step (Beck & Teboulle): like ``1/k^2``, under the bound
  ``2 L ||x_0 - x*||^2 / (k+1)^2``, but with ripples that let ISTA catch up
  at high accuracy;
* FISTA with adaptive restart (O'Donoghue & Candès): the momentum is reset
  when it points uphill, which removes the ripples and makes the decay linear
  once the support is found;
* the default of :func:`~sparsela.solvers.proximal._solvers.fista`: restart plus
  adaptive backtracking, whose steps follow the curvature of ``A`` along the
  (sparse) iterates, which is far below ``||A||_2^2``.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from sparsela import fista, ista, lambda_max

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
rng = np.random.default_rng(0)

m, n, k = (100, 400, 10) if FAST else (200, 1000, 20)
A = rng.standard_normal((m, n))
x_true = np.zeros(n)
x_true[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
y = A @ x_true + 0.01 * rng.standard_normal(m)
lam = 0.1 * lambda_max(A, y)

# %%
# Runs
# ----
# ``F*`` comes from a long run to a relative duality gap of 1e-14.

star = fista(A, y, lam=lam, tol=1e-14, max_iter=20000)
L = np.linalg.norm(A, 2) ** 2
fixed = dict(lam=lam, step=1.0 / L, backtracking=False, tol=1e-10)
max_iter = 300 if FAST else 1000
runs = {
    "ISTA": ista(A, y, max_iter=max_iter, **fixed),
    "FISTA": fista(A, y, restart=False, max_iter=max_iter, **fixed),
    "FISTA + restart": fista(A, y, restart=True, max_iter=max_iter, **fixed),
    "FISTA default (restart + adaptive step)": fista(A, y, lam=lam, tol=1e-10),
}
for name, res in runs.items():
    print(f"{name:40s} {res.n_iter:5d} iterations, gap {res.gap:.1e}")

# %%
# Suboptimality and duality gap per iteration
# -------------------------------------------

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for name, res in runs.items():
    F = np.asarray(res.history["objective"])
    it = np.arange(1, F.size + 1)
    ax1.semilogy(it, np.maximum(F - star.objective, 1e-16) / star.objective, label=name)
    ax2.semilogy(it, res.history["gap"], label=name)
it = np.arange(1, max(r.n_iter for r in runs.values()) + 1)
bound = 2 * L * np.sum(star.x**2) / (it + 1) ** 2 / star.objective
ax1.semilogy(it, bound, "k--", lw=1, label="FISTA bound")
ax1.set_ylim(1e-14, 10)
ax1.set_xlabel("iteration")
ax1.set_ylabel("(F(x_k) - F*) / F*")
ax2.set_xlabel("iteration")
ax2.set_ylabel("relative duality gap")
ax1.legend(fontsize=8)
fig.tight_layout()

# %%
# The gap certifies the suboptimality (``F(x_k) - F* <= gap * F(x_k)``) and is
# what the solvers stop on; it lags behind the true suboptimality because the
# dual point is only a rescaled residual.

if not FAST:
    plt.show()
