"""OMP on 1,000,000 signals over a local Dask cluster, with bounded memory.

A script, not a test (it measures)::

    python benchmarks/dask_omp.py [--signals 1000000] [--chunk 20000]

``A`` is 64 x 256 (unit-norm Gaussian columns), every signal has k = 8
coefficients. The signals are generated chunk by chunk on the workers and
kept there, solved by ``sparsela.omp`` where they live, and only reductions
come back: the worst residual and the fraction of signals given their k
atoms; ``x`` (2 GB) is never held whole. Prints the wall time, signals per
second and the peak resident memory of each worker (sampled every 0.2 s),
next to the in-memory run on 100,000 signals in this process (the same two
cores).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

M, N, K = 64, 256, 8


def dictionary() -> np.ndarray:
    A = np.random.default_rng(0).standard_normal((M, N))
    return A / np.linalg.norm(A, axis=0)


def codes(block_id: int, width: int) -> np.ndarray:
    """The true codes of chunk ``block_id``: seeded, so any worker makes them."""
    rng = np.random.default_rng(1000 + block_id)
    X = np.zeros((N, width))
    rows = np.argsort(rng.random((N, width)), axis=0)[:K]
    X[rows, np.arange(width)] = rng.choice([-1.0, 1.0], (K, width)) * (
        1.0 + rng.random((K, width))
    )
    return X


def _codes_block(block_info=None):
    info = block_info[None]
    return codes(info["chunk-location"][1], info["chunk-shape"][1])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--in-memory", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import dask.array as da
    import distributed
    import numba

    import sparsela

    A = dictionary()
    # in memory, one process, all cores
    X0 = np.hstack([codes(b, args.chunk) for b in range(args.in_memory // args.chunk)])
    Y0 = A @ X0
    sparsela.omp(A, Y0[:, :100], n_nonzero=K)  # compile / load the kernels
    t0 = time.perf_counter()
    r0 = sparsela.omp(A, Y0, n_nonzero=K)
    t_mem = time.perf_counter() - t0
    ok0 = np.mean(np.all((r0.x != 0) == (X0 != 0), axis=0))
    print(
        f"in memory: {Y0.shape[1]:,} signals in {t_mem:.2f} s "
        f"({Y0.shape[1] / t_mem:,.0f} signals/s, Numba threads: "
        f"{numba.get_num_threads()}), supports exact {ok0:.4f}, "
        f"peak RSS of this process {peak_rss_mb():.0f} MB"
    )

    cluster = distributed.LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True,
        dashboard_address=None,
    )  # fmt: skip
    with distributed.Client(cluster) as client:
        client.run(_one_thread)  # one Numba thread per worker process
        chunks = ((N,), (args.chunk,) * (args.signals // args.chunk))
        Xt = da.map_blocks(_codes_block, chunks=chunks, dtype=np.float64)
        t0 = time.perf_counter()
        Y = (da.from_array(A, chunks=(M, N)) @ Xt).persist()  # generated on workers
        distributed.wait(Y)
        t_gen = time.perf_counter() - t0
        # warm the workers (Numba cache load), then time the solve
        client.compute(sparsela.omp(A, Y[:, :100], n_nonzero=K).x.sum()).result()
        sampler = _Sampler(client)
        t0 = time.perf_counter()
        res = sparsela.omp(A, Y, n_nonzero=K)
        nnz = (res.x != 0).sum(axis=0)
        worst, full, conv = client.compute(
            [res.residual_norm.max(), (nnz == K).mean(), res.converged.all()],
            sync=True,
        )
        t_dask = time.perf_counter() - t0
        peaks = sampler.stop()
    cluster.close()
    print(
        f"dask ({args.workers} worker processes x 1 thread, chunks of "
        f"{args.chunk:,}): signals generated on the workers in {t_gen:.1f} s; "
        f"OMP of {args.signals:,} signals in {t_dask:.2f} s "
        f"({args.signals / t_dask:,.0f} signals/s); all converged {bool(conv)}, "
        f"{K} atoms in {full:.4f} of signals, worst residual {worst:.1e}"
    )
    for w, mb in peaks.items():
        print(f"  worker {w}: peak RSS {mb:.0f} MB during the solve")
    print(
        f"held by the workers: Y {M * args.signals * 8 / 2**20:,.0f} MB (persisted); "
        f"x ({N * args.signals * 8 / 2**20:,.0f} MB) never held whole"
    )


def _one_thread() -> None:
    import numba

    numba.set_num_threads(1)


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class _Sampler:
    """Peak resident memory of every worker, sampled every 0.2 s."""

    def __init__(self, client) -> None:
        import threading

        self.client, self.peaks, self._stop = client, {}, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for w, mb in self.client.run(_rss_mb).items():
                self.peaks[w] = max(mb, self.peaks.get(w, 0.0))
            self._stop.wait(0.2)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return self.peaks


if __name__ == "__main__":
    main()
