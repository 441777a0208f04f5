"""
l1, l0 and group sparsity on the same problem
=============================================

One block-sparse signal, one set of Gaussian measurements, three penalties
solved by :func:`~sparsela.solvers.proximal._solvers.fista`:

* the lasso ``lam ||x||_1`` (soft threshold): selects single coefficients and
  shrinks every kept coefficient by the same amount;
* ``lam ||x||_0`` (hard threshold): keeps the coefficients it selects
  unshrunk, but is non-convex, so FISTA finds a stationary point that depends
  on where it starts (here: the lasso solution at the same weight);
* the group lasso ``lam sum_g sqrt(|g|) ||x_g||_2`` over the blocks of 8
  coefficients: selects whole blocks, the structure of the signal.

Each penalty is solved along a path of weights ``lam`` (warm-started from the
previous solution and its step), and we compare the best normalised error
``||x_hat - x||^2 / ||x||^2`` each penalty reaches.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from sparsela import fista, lambda_max

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
rng = np.random.default_rng(1)

# %%
# A block-sparse signal
# ---------------------
# ``n`` coefficients in blocks of 8, a few blocks active, and ``m`` noisy
# Gaussian measurements, fewer than the coefficients.

n, m, block, active = (128, 56, 8, 3) if FAST else (512, 160, 8, 4)
groups = np.arange(n) // block
x = np.zeros(n)
for g in rng.choice(n // block, active, replace=False):
    x[groups == g] = rng.standard_normal(block)
A = rng.standard_normal((m, n)) / np.sqrt(m)
y = A @ x + 0.02 * rng.standard_normal(m)


def nmse(x_hat):
    return np.sum((x_hat - x) ** 2) / np.sum(x**2)


# %%
# A path of weights per penalty
# -----------------------------
# Weights are fractions of each penalty's ``lam_max`` (the smallest weight
# for which ``x = 0`` is optimal). The l0 weight is chosen so that its hard
# threshold ``sqrt(2 step lam0)`` equals the lasso's soft threshold
# ``step lam``.

fractions = np.logspace(-0.3, -2.5, 8 if FAST else 12)
lmax_l1 = lambda_max(A, y)
lmax_group = lambda_max(A, y, penalty="group_l1", groups=groups)
paths = {"l1 (lasso)": [], "l0 (hard threshold)": [], "group l1 (blocks)": []}
x_l1 = x_group = step_l1 = step_group = None
for f in fractions:
    lasso = fista(A, y, lam=f * lmax_l1, x0=x_l1, step=step_l1, tol=1e-8)
    x_l1, step_l1 = lasso.x, lasso.step
    group = fista(A, y, lam=f * lmax_group, penalty="group_l1", groups=groups,
                  x0=x_group, step=step_group, tol=1e-8)  # fmt: skip
    x_group, step_group = group.x, group.step
    lam0 = 0.5 * (f * lmax_l1) ** 2 * lasso.step
    l0 = fista(A, y, lam=lam0, penalty="l0", x0=lasso.x, tol=1e-8)
    for name, res in zip(paths, (lasso, l0, group), strict=True):
        paths[name].append(res)

errors = {name: np.array([nmse(r.x) for r in rs]) for name, rs in paths.items()}
best = {name: paths[name][int(np.argmin(e))] for name, e in errors.items()}
for name, e in errors.items():
    r = best[name]
    print(
        f"{name:20s} best NMSE {e.min():.2e} at lam/lam_max = "
        f"{fractions[int(np.argmin(e))]:.3f}: {np.count_nonzero(r.x)} non-zeros, "
        f"{r.n_iter} iterations"
    )

# %%
# The best reconstructions and the error along the path
# ------------------------------------------------------

fig, axes = plt.subplots(4, 1, figsize=(8, 9))
for ax, (name, r) in zip(axes, best.items(), strict=False):
    ax.plot(x, color="0.6", lw=2, label="planted")
    ax.plot(r.x, color="C3", lw=1, label=name)
    ax.set_title(f"{name}: NMSE {errors[name].min():.1e}", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("coefficient index")
for name, e in errors.items():
    axes[-1].loglog(fractions, e, "o-", label=name)
axes[-1].set_xlabel("lam / lam_max")
axes[-1].set_ylabel("NMSE")
axes[-1].legend(fontsize=8)
fig.tight_layout()

# %%
# Both structured alternatives beat the plain lasso here: the group penalty
# because it matches the block structure, the l0 penalty because it does not
# shrink the coefficients it keeps.

if not FAST:
    plt.show()
