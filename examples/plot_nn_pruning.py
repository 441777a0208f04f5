"""
Pruning a small MLP: unstructured, 1x4 blocks and 2:4 (SR-STE)
==============================================================

A two-layer ReLU network (64 -> 128 -> 10) classifies scikit-learn's 8x8
digits. Starting from the same initial weights we train

1. the dense network;
2. networks pruned gradually by magnitude (cubic schedule, masks recomputed
   every few steps) to several sparsities, either entry by entry or in 1x4
   blocks along the input axis, then deployed as
   :class:`sparsela.nn.SparseLinear` layers (CSR or BSR weights);
3. a 2:4 network trained from scratch with SR-STE (dense shadow weights,
   N:M-sparse forward), deployed with N:M weights.

The accuracy of each deployed network is plotted against its sparsity, and
the time of one training epoch through the sparse layers is printed beside
the dense one (at this size the layers are far too small for sparsity to
pay: the benchmarks use 768 x 3072 layers).

Set ``SPARSELA_FAST_EXAMPLES=1`` for a small, quick version.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numba
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sparsela.nn import SGD, GradualPruning, SparseLinear, SRSTELinear

FAST = os.environ.get("SPARSELA_FAST_EXAMPLES", "0") == "1"
EPOCHS = 8 if FAST else 40
SPARSITIES = [0.75, 0.9] if FAST else [0.5, 0.75, 0.9, 0.95]

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
rng = np.random.default_rng(0)
init = [
    (rng.standard_normal((o, i)) * np.sqrt(2.0 / i)).astype(np.float32)
    for i, o in [(64, 128), (128, 10)]
]


# %%
# Layers and the training loop
# ----------------------------
# Every layer offers ``forward``, ``backward``, ``parameters`` and ``grads``;
# the dense (optionally masked) layer below is written with NumPy.


class MaskedDense:
    """Dense layer ``X @ (W * mask).T + b``; the mask is set from outside."""

    def __init__(self, W):
        self.W, self.b = W.copy(), np.zeros(W.shape[0], np.float32)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        self.mask = np.ones(W.shape, dtype=bool)

    def forward(self, X):
        self.X = X
        return X @ (self.W * self.mask).T + self.b

    def backward(self, dY):
        np.matmul(dY.T, self.X, out=self.dW)
        self.dW *= self.mask  # pruned weights stay pruned until re-masked
        self.db[:] = dY.sum(axis=0)
        return dY @ (self.W * self.mask)

    def parameters(self):
        return [self.W, self.b]

    def grads(self):
        return [self.dW, self.db]


def run_epoch(layers, opt, order, on_step=None):
    for s in range(0, order.size, 64):
        idx = order[s : s + 64]
        H = np.asarray(layers[0].forward(Xtr[idx]))
        Z = np.asarray(layers[1].forward(np.maximum(H, 0)))
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(idx.size), ytr[idx]] -= 1
        dA = np.asarray(layers[1].backward(P / idx.size))
        layers[0].backward(dA * (H > 0))
        opt.step([g for lay in layers for g in lay.grads()])
        if on_step is not None:
            on_step()


def train(layers, epochs=EPOCHS, on_step=None):
    order_rng = np.random.default_rng(1)
    opt = SGD([p for lay in layers for p in lay.parameters()], 0.05, momentum=0.9)
    for _ in range(epochs):
        run_epoch(layers, opt, order_rng.permutation(Xtr.shape[0]), on_step)
    return layers


def accuracy(layers):
    H = np.maximum(np.asarray(layers[0].forward(Xte)), 0)
    return float((np.asarray(layers[1].forward(H)).argmax(axis=1) == yte).mean())


def epoch_time(layers):
    opt = SGD([p for lay in layers for p in lay.parameters()], 0.0)
    order = np.arange(Xtr.shape[0])
    run_epoch(layers, opt, order)  # warm-up
    t = time.perf_counter()
    run_epoch(layers, opt, order)
    return time.perf_counter() - t


# the mini-batch products are tiny: one BLAS and one Numba thread (more
# threads only wait for each other, above all on a busy machine)
blas = threadpool_limits(1, user_api="blas")
numba_threads = numba.get_num_threads()
numba.set_num_threads(1)

# %%
# Dense baseline
# --------------

dense = train([MaskedDense(W) for W in init])
acc_dense = accuracy(dense)
t_dense = epoch_time(dense)
print(f"dense: test accuracy {acc_dense:.3f}, {1e3 * t_dense:.0f} ms per epoch")

# %%
# Gradual magnitude pruning, unstructured and 1x4 blocks
# ------------------------------------------------------
# The mask follows the cubic schedule over the first 60% of training and is
# recomputed from the magnitudes every 10 steps (a pruned weight may come
# back while its shadow value is kept). The trained weights are then
# deployed as sparse layers: CSR for single entries, BSR with 1x4 blocks.

steps_per_epoch = -(-Xtr.shape[0] // 64)
results = {}
for structure, fmt in [(None, "csr"), ((1, 4), "bsr")]:
    name = "unstructured" if structure is None else "1x4 blocks"
    for s in SPARSITIES:
        layers = [MaskedDense(W) for W in init]
        pruners = [
            GradualPruning(
                s,
                begin_step=0,
                end_step=int(0.6 * EPOCHS * steps_per_epoch),
                frequency=10,
                structure=structure,
            )
            for _ in layers
        ]
        step = [0]

        def remask(layers=layers, pruners=pruners, step=step):
            step[0] += 1
            for lay, pruner in zip(layers, pruners, strict=True):
                lay.mask = pruner.mask(lay.W, step[0])

        train(layers, on_step=remask)
        kw = {} if structure is None else {"blocksize": structure}
        deployed = [
            SparseLinear.from_dense(
                lay.W * lay.mask, lay.b, format=fmt, mask=lay.mask, **kw
            )
            for lay in layers
        ]
        acc = accuracy(deployed)
        density = deployed[0].weight.density
        results.setdefault(name, []).append((1 - density, acc))
        t = epoch_time(deployed)
        print(
            f"{name} {100 * s:.0f}%: test accuracy {acc:.3f} "
            f"(first layer density {density:.3f}), {1e3 * t:.0f} ms per epoch"
        )

# %%
# 2:4 sparsity with SR-STE
# ------------------------
# Dense shadow weights, the 2:4 mask recomputed at every step, the refined
# straight-through gradient. Deployed with N:M weights.

srste = train([SRSTELinear(W, np.zeros(W.shape[0], np.float32)) for W in init])
deployed = [lay.to_sparse() for lay in srste]
acc_nm = accuracy(deployed)
t_nm = epoch_time(srste)
print(
    f"2:4 SR-STE: test accuracy {acc_nm:.3f} ({100 * (acc_nm - acc_dense):+.1f} "
    f"points vs dense), {1e3 * t_nm:.0f} ms per epoch"
)
blas.unregister()
numba.set_num_threads(numba_threads)

# %%
# Accuracy against sparsity
# -------------------------

fig, ax = plt.subplots(figsize=(6, 4))
ax.axhline(acc_dense, color="0.5", ls="--", label="dense")
for name, pts in results.items():
    sp, acc = np.array(pts).T
    ax.plot(sp, acc, "o-", label=name)
ax.plot([0.5], [acc_nm], "s", color="C3", ms=8, label="2:4 (SR-STE)")
ax.set_xlabel("sparsity of the weights")
ax.set_ylabel("test accuracy")
ax.set_title("64-128-10 MLP on digits")
ax.legend()
fig.tight_layout()
plt.show()
