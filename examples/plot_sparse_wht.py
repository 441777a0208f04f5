"""
Sparse Walsh-Hadamard transform: SPRIGHT and SparseFHT
======================================================

:func:`sparsela.sparse_wht` recovers a ``K``-sparse Walsh-Hadamard spectrum
from ``O(K log N)`` samples of the signal. Three experiments:

1. success probability of the noiseless SparseFHT design against the load
   ``K / B`` (coefficients per bin) for 3 and 4 stages, with the
   density-evolution thresholds of the peeling decoder (2.455 and 3.089);
2. SPRIGHT under noise (``N = 2**14``, ``K = 10``, 5 delay chains): exact
   support probability and NMSE against the SNR;
3. run time and samples against ``N`` compared with the dense
   :func:`sparsela.fwht` of the full vector.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a quick run with small sizes and few
trials, and ``SPARSELA_SAVE_FIGURES=<dir>`` to write the figures as PNG.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from sparsela import fwht, sparse_wht

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
SAVE = os.environ.get("SPARSELA_SAVE_FIGURES")


def sparse_signal(rng, N, K, kind="real"):
    """Random support, amplitudes, and the time signal ``x`` with
    ``fwht(x) == X`` (unnormalised convention)."""
    supp = np.sort(rng.choice(N, K, replace=False))
    if kind == "real":
        amp = rng.standard_normal(K) * 10.0
    else:  # unit modulus, random phase
        amp = np.exp(2j * np.pi * rng.random(K))
    X = np.zeros(N, dtype=amp.dtype)
    X[supp] = amp
    return supp, amp, X


def exact(res, supp, amp):
    return (
        bool(res.converged)
        and np.array_equal(res.support, supp)
        and np.allclose(res.coefficients, amp, atol=1e-8)
    )


def save(fig, name):
    if SAVE:
        os.makedirs(SAVE, exist_ok=True)
        fig.savefig(os.path.join(SAVE, name), dpi=120, bbox_inches="tight")


# %%
# 1. Load threshold of the peeling decoder
# ----------------------------------------
# With ``C`` stages of ``B`` bins, peeling succeeds with high probability while
# the load ``K / B`` stays below the density-evolution threshold ``beta*``
# (``(1 - exp(-beta p))**(C - 1) < p`` for all ``p``): 2.455 for 3 stages and
# 3.089 for 4. Above it the decoder stalls with multi-tons left and says so
# (``converged=False``). At finite size, 3 stages also fail now and then below
# their threshold: four coefficients with ``k1 ^ k2 ^ k3 ^ k4 = 0`` can alias
# in pairs in every stage, a stopping set that any linear subsampling hash
# has. A fourth stage makes it negligible, hence 4 stages by default.

if FAST:
    n, b, loads, trials = 14, 8, [1.5, 2.8, 3.6], 2
else:
    n, b, loads, trials = 20, 13, np.round(np.arange(1.6, 4.01, 0.2), 2), 10
N, B = 1 << n, 1 << b
success = {3: [], 4: []}
rng = np.random.default_rng(0)
for load in loads:
    K = int(round(load * B))
    wins = {3: 0, 4: 0}
    for _ in range(trials):
        supp, amp, X = sparse_signal(rng, N, K)
        x = fwht(X) / N
        for C in wins:
            res = sparse_wht(
                x, sparsity=K, method="sparsefht", bins=B, stages=C, random_state=rng
            )
            wins[C] += exact(res, supp, amp)
    for C in wins:
        success[C].append(wins[C] / trials)
    print(
        f"K/B = {load:.2f}: success C=3 {success[3][-1]:.2f}, C=4 {success[4][-1]:.2f}"
    )

fig, ax = plt.subplots(figsize=(6, 3.5))
for C, thr, color in [(3, 2.455, "C0"), (4, 3.089, "C1")]:
    ax.plot(loads, success[C], "o-", color=color, label=f"{C} stages")
    ax.axvline(thr, color=color, ls="--", lw=1)
    ax.text(thr, 0.5, f" {thr}", color=color)
ax.set_xlabel("load K / B")
ax.set_ylabel("exact recovery rate")
ax.set_title(f"SparseFHT, N = 2^{n}, B = 2^{b}, {trials} trials per point")
ax.legend()
save(fig, "sparse_wht_load.png")

# %%
# 2. Noise: SPRIGHT with 5 delay chains
# -------------------------------------
# ``|X[k]| = 1`` with random phases and circular Gaussian noise ``w`` on the
# samples; ``SNR = |X[k]|^2 / E||w||^2`` in the orthonormal convention (the
# time-domain SNR divided by ``K``, as in the SPRIGHT C++ experiments). The
# noise level is estimated blindly from the bins.

if FAST:
    snrs, trials = [30, 10, -10], 3
else:
    snrs, trials = list(range(30, -26, -5)), 100
n, K = 14, 10
N = 1 << n
p_exact, nmse = [], []
rng = np.random.default_rng(1)
for snr in snrs:
    hits, err = 0, []
    for trial in range(trials):
        supp, amp, X = sparse_signal(rng, N, K, "phase")
        w = rng.standard_normal(N) + 1j * rng.standard_normal(N)
        x = fwht(X, normalized=True) + np.sqrt(10 ** (-snr / 10) / (2 * N)) * w
        res = sparse_wht(x, sparsity=K, normalized=True, delays=5, random_state=trial)
        hits += np.array_equal(res.support, supp)
        Xh = np.zeros(N, dtype=complex)
        Xh[res.support] = res.coefficients
        err.append(np.sum(np.abs(Xh - X) ** 2) / K)
    p_exact.append(hits / trials)
    nmse.append(np.mean(err))
    print(f"SNR {snr:+3d} dB: P(exact support) {p_exact[-1]:.2f}, NMSE {nmse[-1]:.2e}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(snrs, p_exact, "o-", label="P(exact support)")
ax.set_xlabel("SNR per coefficient (dB)")
ax.set_ylabel("P(exact support)")
ax2 = ax.twinx()
ax2.semilogy(snrs, nmse, "s--", color="C3", label="NMSE")
ax2.set_ylabel("NMSE", color="C3")
ax.set_title(f"SPRIGHT, N = 2^{n}, K = {K}, 5 chains, {trials} trials")
save(fig, "sparse_wht_snr.png")

# %%
# 3. Samples and run time against N
# ---------------------------------
# The signal is read through a callable (``idx -> x[idx]``), so that only the
# samples are touched; the dense transform reads all ``N``.

sizes = [10, 12, 14] if FAST else list(range(10, 25, 2))
K = 64
rows = []
rng = np.random.default_rng(2)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


for n in sizes:
    N = 1 << n
    supp, amp, X = sparse_signal(rng, N, K)
    x = fwht(X) / N
    row = {"n": n, "fwht": median_time(lambda: fwht(x), 3)}  # noqa: B023
    for method in ("spright", "sparsefht"):

        def run(method=method, x=x, N=N):
            return sparse_wht(
                lambda idx: x[idx], N, sparsity=K, method=method, random_state=0
            )

        res = run()
        assert exact(res, supp, amp), res.message
        row[method] = median_time(run, 5)
        row[method + "_samples"] = res.n_samples
    rows.append(row)
    print(
        f"N = 2^{n}: fwht {row['fwht'] * 1e3:8.2f} ms | "
        f"SPRIGHT {row['spright'] * 1e3:6.2f} ms, {row['spright_samples']} samples | "
        f"SparseFHT {row['sparsefht'] * 1e3:6.2f} ms, "
        f"{row['sparsefht_samples']} samples"
    )

ns = np.array([r["n"] for r in rows])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
ax1.semilogy(ns, [r["fwht"] for r in rows], "o-", label="dense fwht")
ax1.semilogy(ns, [r["spright"] for r in rows], "s-", label="SPRIGHT (5 chains)")
ax1.semilogy(ns, [r["sparsefht"] for r in rows], "^-", label="SparseFHT")
ax1.set_xlabel("log2 N")
ax1.set_ylabel("time (s)")
ax1.legend()
ax2.semilogy(ns, [r["spright_samples"] / 2.0 ** r["n"] for r in rows], "s-")
ax2.semilogy(ns, [r["sparsefht_samples"] / 2.0 ** r["n"] for r in rows], "^-")
ax2.set_xlabel("log2 N")
ax2.set_ylabel("samples / N")
fig.suptitle(f"K = {K}")
save(fig, "sparse_wht_scaling.png")

if not FAST:
    plt.show()
