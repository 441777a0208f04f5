"""
Image denoising with a learned dictionary
=========================================

A dictionary of 8x8 patches learned by K-SVD from a *noisy* photograph
removes the noise: every patch is coded with as few atoms as it takes to
explain it down to the noise level (error-constrained OMP), and the
overlapping denoised patches are averaged back into the image (Elad and
Aharon, 2006).

The photograph is ``china.jpg``, shipped with scikit-learn, in grayscale.
Signals are columns: the patches form a ``64 x n_patches`` matrix.

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version and
``SPARSELA_SAVE_FIGURES=<dir>`` to write the figure as PNG.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.feature_extraction.image import (
    extract_patches_2d,
    reconstruct_from_patches_2d,
)

import sparsela

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
SAVE = os.environ.get("SPARSELA_SAVE_FIGURES")
rng = np.random.default_rng(0)

# %%
# A noisy photograph
# ------------------
# Grayscale in ``[0, 1]``, every other pixel (a 214 x 320 image; a 64 x 64
# crop in fast mode), and white Gaussian noise of standard deviation 0.1.

image = load_sample_image("china.jpg").mean(axis=2)[::2, ::2] / 255.0
if FAST:
    image = image[60:124, 100:164]
sigma = 0.1
noisy = image + sigma * rng.standard_normal(image.shape)


def psnr(estimate):
    """Peak signal-to-noise ratio in dB (peak value 1)."""
    return 10 * np.log10(1.0 / np.mean((estimate - image) ** 2))


print(f"image {image.shape[0]} x {image.shape[1]}, noise sigma = {sigma}")
print(f"PSNR of the noisy image: {psnr(noisy):.2f} dB")

# %%
# Learning the dictionary on noisy patches
# ----------------------------------------
# All overlapping 8x8 patches, one per column, with their means removed (the
# mean goes back in after denoising). K-SVD learns 256 atoms (64 in fast
# mode) from a random subset, each patch coded with 4 atoms.

patches = extract_patches_2d(noisy, (8, 8))
Y = patches.reshape(len(patches), -1).T  # 64 x n_patches: signals in columns
means = Y.mean(axis=0)
Y = Y - means

n_train, n_atoms, n_iter = (1000, 64, 5) if FAST else (10_000, 256, 15)
train = Y[:, rng.choice(Y.shape[1], n_train, replace=False)]
res = sparsela.dictionary_learning(
    train, n_atoms, method="ksvd", n_nonzero=4, max_iter=n_iter, random_state=0
)
print(res.message)
print(
    f"{n_atoms} atoms from {n_train} patches, {res.n_iter} iterations in "
    f"{res.history['time'][-1]:.1f} s; training error "
    f"{res.history['representation_error'][-1]:.3f}"
)

# %%
# Denoising
# ---------
# Each patch is coded until its residual falls below the noise energy,
# ``||y - D x||^2 <= 64 (1.15 sigma)^2``, and rebuilt from its atoms.

codes = sparsela.sparse_encode(Y, res.dictionary, tol=64 * (1.15 * sigma) ** 2)
denoised_patches = (res.dictionary @ codes + means).T.reshape(patches.shape)
denoised = reconstruct_from_patches_2d(denoised_patches, image.shape)
atoms_per_patch = np.count_nonzero(codes, axis=0).mean()
print(f"mean atoms per patch: {atoms_per_patch:.2f}")
print(f"PSNR after denoising: {psnr(denoised):.2f} dB")

# %%
# The learned atoms and the images
# --------------------------------

fig, axes = plt.subplots(1, 4, figsize=(14, 4))
side = int(np.sqrt(n_atoms))
tiles = np.ones((side * 9 + 1, side * 9 + 1))
for k in range(side * side):
    atom = res.dictionary[:, k].reshape(8, 8)
    atom = (atom - atom.min()) / (np.ptp(atom) or 1.0)
    r, c = divmod(k, side)
    tiles[1 + 9 * r : 9 + 9 * r, 1 + 9 * c : 9 + 9 * c] = atom
axes[0].imshow(tiles, cmap="gray")
axes[0].set_title(f"{n_atoms} learned atoms")
for ax, img, title in zip(
    axes[1:],
    (image, noisy, denoised),
    ("original", f"noisy, {psnr(noisy):.1f} dB", f"denoised, {psnr(denoised):.1f} dB"),
    strict=True,
):
    ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
if SAVE:
    fig.savefig(os.path.join(SAVE, "dictionary_denoising.png"), dpi=120)
