"""Sparse layers: ``SparseLinear`` forward and backward vs dense NumPy/BLAS.

Layers 768 -> 3072 and 3072 -> 768 (weights ``(out, in)``), batches of 64
and 256 samples (rows), float32, weights pruned by magnitude to

* 90% unstructured (CSR),
* 90% in 1x4 blocks (BSR, blocks along the input axis),
* 2:4 (N:M, 50%),

against the dense layer: forward ``X @ W.T`` and backward ``dY @ W`` plus
``dY.T @ X`` (BLAS). The sparse backward is ``layer.backward(dY)``: the
input gradient and the gradient of the kept weights. Inputs are C-ordered
(batch, features) arrays for both; the sparse layer transposes them
internally, and its Fortran-ordered outputs are not copied. Numba and BLAS
get the same number of threads (1 and 2).

Two ways to run it::

    python benchmarks/bench_nn.py            # table of medians and ratios
    python benchmarks/bench_nn.py --slab-ab  # forward with/without slabs
    python -m pytest benchmarks/bench_nn.py --benchmark-enable \\
        --benchmark-columns=median,iqr,rounds

The script interleaves the implementations round by round (so that load from
other processes hits all of them alike) and prints medians and
dense/sparse ratios; compile time is excluded (one warm-up call each) and
printed separately.
"""

from __future__ import annotations

import time
import warnings

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sparsela.nn import SparseLinear, prune_magnitude

SHAPES = [(768, 3072), (3072, 768)]  # (in_features, out_features)
BATCHES = [64, 256]
KINDS = ["csr90", "bsr1x4-90", "nm2:4"]


def make_case(n_in, n_out, batch, kind, seed=0):
    """Dense weight, the sparse layer of ``kind``, an input and an upstream grad."""
    rng = np.random.default_rng(seed)
    W = (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
    X = rng.standard_normal((batch, n_in)).astype(np.float32)
    G = rng.standard_normal((batch, n_out)).astype(np.float32)
    if kind == "csr90":
        layer = SparseLinear.from_dense(W, mask=prune_magnitude(W, 0.9))
    elif kind == "bsr1x4-90":
        mask = prune_magnitude(W, 0.9, structure=(1, 4))
        layer = SparseLinear.from_dense(W, format="bsr", mask=mask, blocksize=(1, 4))
    else:
        layer = SparseLinear.from_dense(W, format="nm", n=2, m=4)
    return W, layer, X, G


def dense_forward(W, X):
    return X @ W.T


def dense_backward(W, X, G):
    return G @ W, G.T @ X


def sparse_backward(layer, X, G):
    layer.forward(X)  # untimed in the table: backward needs the cached input
    return layer.backward(G)


# ---------------------------------------------------------------------------
# pytest-benchmark suite
# ---------------------------------------------------------------------------
IMPLS = ["dense", *KINDS]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}to{s[1]}")
@pytest.mark.parametrize("op", ["forward", "backward"])
def test_layer(benchmark, op, shape, batch, impl, threads):
    W, layer, X, G = make_case(*shape, batch, "csr90" if impl == "dense" else impl)
    saved = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        with threadpool_limits(threads):
            if impl == "dense":
                fn, args = (
                    (dense_forward, (W, X))
                    if op == "forward"
                    else (dense_backward, (W, X, G))
                )
            elif op == "forward":
                fn, args = layer.forward, (X,)
            else:
                layer.forward(X)
                fn, args = layer.backward, (G,)
            fn(*args)
            benchmark.extra_info["threads"] = threads
            benchmark.pedantic(fn, args=args, rounds=15, iterations=1, warmup_rounds=1)
    finally:
        numba.set_num_threads(saved)


# ---------------------------------------------------------------------------
# script: interleaved rounds, medians and ratios
# ---------------------------------------------------------------------------
def _time(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def run_table(rounds=21):
    """Print one markdown row per (op, shape, batch, threads): medians in ms."""
    t0 = time.perf_counter()
    for kind in KINDS:  # compile (or load from the cache) every kernel used
        _, layer, X, G = make_case(8, 8, 4, kind)
        layer.backward(layer.forward(X) * 0 + G[:, :8])
    print(f"warm-up (compile or cache load): {time.perf_counter() - t0:.2f} s\n")
    cols = " | ".join(f"{k} ms (x)" for k in KINDS)
    print(f"| op | in->out | batch | threads | dense ms | {cols} |")
    print("|" + " --- |" * (5 + len(KINDS)))
    for op in ("forward", "backward"):
        for shape in SHAPES:
            for batch in BATCHES:
                cases = {k: make_case(*shape, batch, k) for k in KINDS}
                W, _, X, G = cases[KINDS[0]]
                for threads in (1, 2):
                    numba.set_num_threads(threads)
                    with threadpool_limits(threads):
                        fns = {"dense": (dense_forward, (W, X))}
                        if op == "backward":
                            fns["dense"] = (dense_backward, (W, X, G))
                        for k, (_, layer, _, _) in cases.items():
                            if op == "forward":
                                fns[k] = (layer.forward, (X,))
                            else:
                                layer.forward(X)
                                fns[k] = (layer.backward, (G,))
                        times = {k: [] for k in fns}
                        for _ in range(2):  # warm caches and threads
                            for fn, args in fns.values():
                                fn(*args)
                        for _ in range(rounds):
                            for k, (fn, args) in fns.items():
                                times[k].append(_time(fn, *args))
                    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
                    cells = " | ".join(
                        f"{med[k]:.2f} ({med['dense'] / med[k]:.1f}x)" for k in KINDS
                    )
                    print(
                        f"| {op} | {shape[0]}->{shape[1]} | {batch} | {threads} | "
                        f"{med['dense']:.2f} | {cells} |",
                        flush=True,
                    )


def run_torch_table(rounds=21):
    """Forward of the 90% CSR layer through the torch adapter, against
    ``torch.sparse.mm`` with a CSR tensor and the dense ``torch.nn.Linear``
    (F.linear), same threads; medians in ms."""
    try:
        import torch
    except ImportError:
        print("\ntorch not installed: adapter table skipped")
        return
    from sparsela.nn.torch import SparseLinear as TorchSparseLinear

    print(f"\ntorch {torch.__version__}, forward, 90% unstructured (CSR), float32\n")
    print(
        "| in->out | batch | threads | nn.Linear ms | torch.sparse.mm ms (x) "
        "| sparsela adapter ms (x) |"
    )
    print("|" + " --- |" * 6)
    saved = torch.get_num_threads()
    with torch.no_grad():
        for shape in SHAPES:
            for batch in BATCHES:
                W, layer, X, _ = make_case(*shape, batch, "csr90")
                Wm = torch.from_numpy(layer.to_dense())
                with warnings.catch_warnings():  # "CSR support is in beta"
                    warnings.simplefilter("ignore", UserWarning)
                    Wcsr = Wm.to_sparse_csr()
                Xt = torch.from_numpy(X)
                mod = TorchSparseLinear(layer)
                for threads in (1, 2):
                    torch.set_num_threads(threads)
                    numba.set_num_threads(threads)
                    with threadpool_limits(threads):
                        fns = {
                            "linear": lambda X=Xt, W=Wm: torch.nn.functional.linear(
                                X, W
                            ),
                            "spmm": lambda X=Xt, W=Wcsr: torch.sparse.mm(W, X.T).T,
                            "adapter": lambda X=Xt, m=mod: m(X),
                        }
                        times = {k: [] for k in fns}
                        for _ in range(2):
                            for fn in fns.values():
                                fn()
                        for _ in range(rounds):
                            for k, fn in fns.items():
                                times[k].append(_time(fn))
                    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
                    print(
                        f"| {shape[0]}->{shape[1]} | {batch} | {threads} | "
                        f"{med['linear']:.2f} | "
                        f"{med['spmm']:.2f} ({med['linear'] / med['spmm']:.1f}x) | "
                        f"{med['adapter']:.2f} "
                        f"({med['linear'] / med['adapter']:.1f}x) |",
                        flush=True,
                    )
    torch.set_num_threads(saved)


def run_slab_ab(rounds=15):
    """Forward on 1 thread: dense vs the layer with and without the slab
    blocking of the input rows (same run, interleaved); medians in ms."""
    import sparsela.nn._linear as linear

    saved = linear._SLAB_BYTES
    numba.set_num_threads(1)
    print("\n| in->out | batch | kind | dense ms | slabs ms (x) | no slabs ms (x) |")
    print("|" + " --- |" * 6)
    with threadpool_limits(1):
        for shape in SHAPES:
            for batch in BATCHES:
                for kind in KINDS[:2]:
                    W, layer, X, _ = make_case(*shape, batch, kind)
                    times = {"dense": [], "slabs": [], "none": []}
                    for _ in range(rounds):
                        times["dense"].append(_time(dense_forward, W, X))
                        for name, nbytes in (("slabs", saved), ("none", 1 << 62)):
                            linear._SLAB_BYTES = nbytes
                            layer._slab_cache.clear()
                            layer.forward(X)  # builds the pointers, untimed
                            times[name].append(_time(layer.forward, X))
                    linear._SLAB_BYTES = saved
                    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
                    print(
                        f"| {shape[0]}->{shape[1]} | {batch} | {kind} | "
                        f"{med['dense']:.2f} | "
                        f"{med['slabs']:.2f} ({med['dense'] / med['slabs']:.1f}x) | "
                        f"{med['none']:.2f} ({med['dense'] / med['none']:.1f}x) |",
                        flush=True,
                    )


if __name__ == "__main__":
    import sys

    if "--slab-ab" in sys.argv:
        run_slab_ab()
    else:
        run_table()
        run_torch_table()
