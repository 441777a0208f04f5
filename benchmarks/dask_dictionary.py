"""Online dictionary learning over a Dask array of 1,000,000 image patches.

A script, not a test (it measures)::

    python benchmarks/dask_dictionary.py [--patches 1000000] [--chunk 20000]

The patches are 8 x 8 windows of scikit-learn's ``china.jpg`` (grayscale) at
seeded random positions, centred, generated chunk by chunk (a lazy Dask
array of shape (64, n_patches): signals in columns). One epoch of
``sparsela.dictionary_learning(Y, 100, method="online", n_nonzero=5)``
streams over the chunks: one chunk in memory at a time. Prints the time,
the patches per second, the peak resident memory of this process (sampled
every 0.1 s) against the size the patches would take in memory, and the
representation error of the learned dictionary on a held-out chunk.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np


def _image() -> np.ndarray:
    from sklearn.datasets import load_sample_image

    img = load_sample_image("china.jpg").astype(np.float64).mean(axis=2) / 255.0
    return img


def _patches(block_info=None):
    info = block_info[None]
    j, width = info["chunk-location"][1], info["chunk-shape"][1]
    img = _image()
    rng = np.random.default_rng(7 + j)
    r = rng.integers(0, img.shape[0] - 8, width)
    c = rng.integers(0, img.shape[1] - 8, width)
    P = np.stack([img[r + i, c + k] for i in range(8) for k in range(8)])
    return P - P.mean(axis=0)


class _Peak:
    def __init__(self) -> None:
        import psutil

        self.proc, self.peak = psutil.Process(), 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss / 2**20)
            self._stop.wait(0.1)

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        return self.peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patches", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    args = parser.parse_args()

    import dask
    import dask.array as da

    import sparsela

    dask.config.set(scheduler="synchronous")  # the learner streams in order
    n_chunks = args.patches // args.chunk
    Y = da.map_blocks(
        _patches, chunks=((64,), (args.chunk,) * n_chunks), dtype=np.float64
    )
    held_out = np.asarray(Y[:, : args.chunk].compute())
    # warm up: Numba kernels compiled or loaded before timing
    sparsela.dictionary_learning(
        Y[:, : 2 * 512], 100, method="online", n_nonzero=5, max_iter=1,
        batch_size=512, random_state=0,
    )  # fmt: skip
    import psutil

    base = psutil.Process().memory_info().rss / 2**20
    peak = _Peak()
    t0 = time.perf_counter()
    res = sparsela.dictionary_learning(
        Y, 100, method="online", n_nonzero=5, max_iter=1, batch_size=512,
        random_state=0,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    top = peak.stop()
    D = res.dictionary
    X = sparsela.sparse_encode(held_out, D, n_nonzero=5)
    err = np.linalg.norm(held_out - D @ X) / np.linalg.norm(held_out)
    print(
        f"online dictionary learning, 100 atoms, 5 per patch, batches of 512: "
        f"{args.patches:,} patches in {n_chunks} Dask chunks of {args.chunk:,}, "
        f"one epoch in {elapsed:.1f} s ({args.patches / elapsed:,.0f} patches/s)"
    )
    print(
        f"  peak RSS {top:.0f} MB (before the run {base:.0f} MB: "
        f"+{top - base:.0f} MB); the patches would take "
        f"{64 * args.patches * 8 / 2**20:,.0f} MB in memory"
    )
    print(f"  held-out representation error ||Y - D X|| / ||Y|| = {err:.3f}")
    print(f"  {res.message}")


if __name__ == "__main__":
    main()
