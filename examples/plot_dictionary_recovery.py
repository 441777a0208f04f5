"""
Recovering a planted dictionary
===============================

Signals built from a known dictionary show how fast each learner finds it
again.

1. The K-SVD paper's experiment (Aharon, Elad and Bruckstein, 2006): a
   random 20 x 50 dictionary, 1500 signals of 3 atoms each, noise at 20 dB.
   An atom counts as recovered when a learned atom matches it with
   ``|<d, d_hat>| > 0.99`` (atoms matched one to one). K-SVD, MOD and the
   online method (Mairal et al.) are compared.
2. A complete (orthogonal) 50 x 50 dictionary with Bernoulli-Gaussian codes
   (each entry non-zero with probability 0.3), learned by the Procrustes
   alternation and by online Frank-Wolfe l4 maximisation (Xue and Lau),
   scored by ``||D_hatᵀ D||_4^4 / n``, which is 1 exactly at the planted
   dictionary up to signed permutations.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version and
``SPARSELA_SAVE_FIGURES=<dir>`` to write the figure as PNG.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import sparsela
from sparsela.datasets import planted_dictionary
from sparsela.solvers.dictionary import atom_recovery, orthogonal_recovery

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
SAVE = os.environ.get("SPARSELA_SAVE_FIGURES")

# %%
# Overcomplete: K-SVD, MOD and online learning
# --------------------------------------------
# The callback sees the dictionary after every iteration (every epoch of
# mini-batches for the online method).

n_iter = 15 if FAST else 80
trials = 1 if FAST else 5
curves = {}
for method in ("ksvd", "mod", "online"):
    runs = []
    for seed in range(trials):
        Y, D, X, _ = planted_dictionary(
            20, 50, 1500, n_nonzero=3, snr_db=20, random_state=seed
        )
        scores = []
        sparsela.dictionary_learning(
            Y,
            50,
            method=method,
            n_nonzero=3,
            max_iter=n_iter,
            tol=0,  # every run does n_iter iterations: curves of one length
            random_state=seed,
            callback=lambda Dk, D=D, s=scores: s.append(atom_recovery(D, Dk)),
        )
        runs.append(scores)
    curves[method] = np.mean(runs, axis=0)
    print(
        f"{method}: {100 * curves[method][-1]:.1f} % of the atoms recovered "
        f"after {n_iter} iterations (mean of {trials} trials)"
    )

# %%
# Complete: orthogonal dictionaries
# ---------------------------------
# The Procrustes alternation runs on 5000 stored signals; the Frank-Wolfe
# learner sees a stream of batches of 1000 fresh signals, one
# ``partial_fit`` each, and keeps only two 50 x 50 matrices.

n = 50
n_batches = 10 if FAST else 40
Y, D, X, _ = planted_dictionary(
    n, n, 1000 * n_batches, theta=0.3, orthogonal=True, snr_db=None, random_state=0
)
procrustes = []
res = sparsela.dictionary_learning(
    Y[:, :5000],
    n,
    method="orthogonal",
    n_nonzero=15,
    max_iter=30,
    random_state=0,
    callback=lambda Dk: procrustes.append(orthogonal_recovery(D, Dk)),
)
print(
    f"orthogonal (Procrustes): recovery {procrustes[-1]:.4f} after "
    f"{res.n_iter} iterations ({res.message.split(':')[0]})"
)

learner = sparsela.OnlineDictionaryLearning(
    n, method="online_orthogonal", random_state=0
)
frank_wolfe = []
for b in range(n_batches):
    learner.partial_fit(Y[:, 1000 * b : 1000 * (b + 1)])
    frank_wolfe.append(orthogonal_recovery(D, learner.dictionary))
print(
    f"online orthogonal (Frank-Wolfe): recovery {frank_wolfe[-1]:.4f} after "
    f"{n_batches} batches of 1000 signals"
)

# %%
# Recovery against iterations
# ---------------------------

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for method, curve in curves.items():
    ax1.plot(np.arange(1, curve.size + 1), 100 * curve, label=method)
ax1.axhline(95, color="0.7", ls=":")
ax1.set_xlabel("iteration (epoch for online)")
ax1.set_ylabel("atoms recovered (%)")
ax1.set_title("20 x 50 dictionary, 1500 signals, 20 dB")
ax1.legend()
ax2.plot(np.arange(1, len(procrustes) + 1), procrustes, label="Procrustes")
ax2.plot(np.arange(1, n_batches + 1), frank_wolfe, label="Frank-Wolfe (batches)")
ax2.axhline(0.99, color="0.7", ls=":")
ax2.set_xlabel("iteration / batch of 1000")
ax2.set_ylabel(r"$\|\hat D^T D\|_4^4 / n$")
ax2.set_title("orthogonal 50 x 50, Bernoulli-Gaussian (0.3)")
ax2.legend()
fig.tight_layout()
if SAVE:
    fig.savefig(os.path.join(SAVE, "dictionary_recovery.png"), dpi=120)
