"""
Sparse recovery with orthogonal matching pursuit
================================================

Orthogonal matching pursuit (OMP) recovers a sparse vector ``x`` from
``y = A x + noise`` one atom (column of ``A``) at a time. This example

1. recovers one sparse signal from noisy Gaussian measurements, and
2. draws OMP's *phase transition*: the fraction of exactly recovered signals
   over the undersampling ratio ``delta = m / n`` and the sparsity ratio
   ``rho = k / m``, with the Donoho-Tanner curve of l1 minimisation (basis
   pursuit) drawn for reference.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from sparsela import omp

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
rng = np.random.default_rng(0)

# %%
# Recovering one sparse signal
# ----------------------------
# A Gaussian matrix with ``m = 80`` rows and ``n = 256`` columns, a signal
# with ``k = 10`` non-zeros, and 30 dB of measurement noise.

n, m, k = 256, 80, 10
A = rng.standard_normal((m, n)) / np.sqrt(m)
x = np.zeros(n)
x[rng.choice(n, k, replace=False)] = rng.choice([-1, 1], k) * rng.uniform(1, 2, k)
clean = A @ x
noise = rng.standard_normal(m)
noise *= np.linalg.norm(clean) / np.linalg.norm(noise) * 10 ** (-30 / 20)
y = clean + noise

res = omp(A, y, n_nonzero=k)
print(res.message)
print("support found:", np.array_equal(np.sort(res.support), np.flatnonzero(x)))
print(f"relative error: {np.linalg.norm(res.x - x) / np.linalg.norm(x):.2e}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.stem(x, linefmt="0.7", markerfmt="o", basefmt=" ", label="planted")
ax.plot(res.support, res.x[res.support], "x", color="C3", ms=8, label="OMP")
ax.set_xlabel("index")
ax.set_ylabel("coefficient")
ax.legend()
fig.tight_layout()

# %%
# The Donoho-Tanner curve
# -----------------------
# For Gaussian ``A`` and large ``n``, basis pursuit (l1 minimisation)
# recovers most ``k``-sparse signals exactly when ``rho = k / m`` lies below
# the weak threshold ``rho_W(delta)`` of the cross-polytope (Donoho and
# Tanner, 2009). We compute it from the formula of Donoho, Maleki and
# Montanari (PNAS 2009), whose phase transition of soft thresholding coincides
# with that threshold::
#
#     rho(delta) = max_{z >= 0} [1 - (2 / delta) M(z)] / [1 + z^2 - 2 M(z)],
#     M(z) = (1 + z^2) Phi(-z) - z phi(z),
#
# with ``Phi`` and ``phi`` the standard normal distribution and density.
# Stojnic's characterisation of the same weak threshold (2009) gives identical
# values (to 1e-12 in this package's tests); at ``delta = 1/2``,
# ``rho = 0.3857``.


def donoho_tanner_rho(delta):
    """Weak l1 phase-transition curve ``rho_W(delta)`` for signed signals."""

    def neg(z):
        M = (1 + z * z) * norm.cdf(-z) - z * norm.pdf(z)
        return -(1 - 2 / delta * M) / (1 + z * z - 2 * M)

    return -minimize_scalar(neg, bounds=(0.0, 12.0), method="bounded").fun


# %%
# OMP's phase transition
# ----------------------
# For each cell of a grid of ``(delta, rho)`` we draw a Gaussian ``A`` with
# unit-norm columns and a batch of noiseless ``k``-sparse signals with
# random-sign coefficients, run OMP with ``n_nonzero = k`` on the whole batch
# at once (signals are columns of ``Y``), and count the signals recovered to a
# relative error below ``1e-6``. Equal-magnitude (random sign) coefficients
# are the hardest case for greedy selection: OMP, although it is told ``k``,
# stays well below the l1 curve here, while each cell costs milliseconds.

n = 40 if FAST else 200
trials = 10 if FAST else 100
deltas = np.linspace(0.1, 0.9, 4 if FAST else 9)
rhos = np.linspace(0.05, 0.65, 5 if FAST else 13)
success = np.zeros((rhos.size, deltas.size))
for j, delta in enumerate(deltas):
    m = int(round(delta * n))
    for i, rho in enumerate(rhos):
        k = max(1, int(round(rho * m)))
        A = rng.standard_normal((m, n))
        A /= np.linalg.norm(A, axis=0)
        X = np.zeros((n, trials))
        for t in range(trials):
            X[rng.choice(n, k, replace=False), t] = rng.choice([-1.0, 1.0], k)
        res = omp(A, A @ X, n_nonzero=k)
        err = np.linalg.norm(res.x - X, axis=0) / np.linalg.norm(X, axis=0)
        success[i, j] = np.mean(err < 1e-6)

curve_delta = np.linspace(0.02, 0.98, 60)
curve_rho = [donoho_tanner_rho(d) for d in curve_delta]

fig, ax = plt.subplots(figsize=(6, 4.5))
step_d = deltas[1] - deltas[0]
step_r = rhos[1] - rhos[0]
extent = [deltas[0] - step_d / 2, deltas[-1] + step_d / 2,
          rhos[0] - step_r / 2, rhos[-1] + step_r / 2]  # fmt: skip
im = ax.imshow(success, origin="lower", extent=extent, aspect="auto",
               cmap="viridis", vmin=0, vmax=1)  # fmt: skip
ax.plot(curve_delta, curve_rho, "--", color="C3", lw=2, label="Donoho-Tanner (l1)")
ax.set_xlim(0, 1)
ax.set_ylim(0, rhos[-1] + step_r / 2)
ax.set_xlabel(r"$\delta = m / n$")
ax.set_ylabel(r"$\rho = k / m$")
ax.set_title(f"OMP exact recovery rate (n={n}, {trials} signals per cell)")
ax.legend(loc="upper left")
fig.colorbar(im, ax=ax, label="success rate")
fig.tight_layout()

print("success rate at the smallest rho:", success[0].round(2).tolist())
print("success rate at the largest rho: ", success[-1].round(2).tolist())

if not FAST:
    plt.show()
