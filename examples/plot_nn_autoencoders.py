"""
Sparse autoencoders on digits: k-sparse and matching pursuit (MP-SAE)
=====================================================================

Two sparse autoencoders learn a dictionary of 128 features of scikit-learn's
8x8 digits:

* a k-sparse autoencoder (tied weights, the ``k = 24`` largest latent values
  kept, ``k`` annealed from 96 over the first half of training), whose codes
  feed a logistic regression;
* an MP-SAE, whose encoder runs ``k`` steps of matching pursuit over
  unit-norm atoms; its reconstruction error falls with every step, also past
  the number of steps it was trained with.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sparsela.nn import KSparseAutoencoder, MatchingPursuitAutoencoder

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
EPOCHS = 10 if FAST else 50

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def explained_variance(X, Xhat):
    return 1.0 - ((X - Xhat) ** 2).sum() / ((X - X.mean(axis=0)) ** 2).sum()


# %%
# k-sparse autoencoder
# --------------------

ae = KSparseAutoencoder(64, 128, 24, random_state=0)
ae.fit(Xtr, n_epochs=EPOCHS, lr=1e-2)
Hte = ae.encode(Xte)
with threadpool_limits(1):  # a small problem: BLAS threads only wait
    clf = LogisticRegression(max_iter=2000).fit(ae.encode(Xtr), ytr)
acc = clf.score(Hte, yte)
r2 = explained_variance(Xte, ae.decode(Hte))
print(f"k-sparse AE: explained variance {r2:.3f}, logistic regression {acc:.3f}")

# %%
# MP-SAE
# ------

sae = MatchingPursuitAutoencoder(64, 128, 8, random_state=0)
sae.fit(Xtr, n_epochs=EPOCHS)
steps = np.arange(1, 25)
errors = np.array([sae.reconstruction_error(Xte, n_steps=int(t)) for t in steps])
total = float(((Xte - Xte.mean(axis=0)) ** 2).sum() / Xte.shape[0])
print(
    f"MP-SAE: explained variance {1 - errors[7] / total:.3f} after 8 steps, "
    f"{1 - errors[-1] / total:.3f} after {steps[-1]}; "
    f"monotone: {bool((np.diff(errors) < 0).all())}"
)

# %%
# Learned features and the error against the number of steps
# ----------------------------------------------------------

fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for ax, atoms, title in [
    (axes[0], ae.W.T, "k-sparse AE: columns of W"),
    (axes[1], sae.D, "MP-SAE: atoms"),
]:
    grid = np.zeros((8 * 9, 8 * 9))
    for i, a in enumerate(atoms[:81]):
        r, c = divmod(i, 9)
        grid[8 * r : 8 * r + 8, 8 * c : 8 * c + 8] = a.reshape(8, 8) / np.abs(a).max()
    ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_title(title)
    ax.axis("off")
axes[2].plot(steps, 1 - errors / total, "o-")
axes[2].axvline(8, color="0.6", ls="--", label="steps in training")
axes[2].set_xlabel("matching-pursuit steps")
axes[2].set_ylabel("explained variance (test)")
axes[2].legend()
fig.tight_layout()
plt.show()
