"""Dictionary learning on image patches: sparsela against SPAMS and scikit-learn.

8x8 grayscale patches of ``china.jpg`` (scikit-learn's sample image), 20000
for training and 5000 held out, each with its mean removed; 256 atoms;
sparsity 5. Every learner runs on one thread and is scored the same way: the
relative error ``||Y - D X||_F / ||Y||_F`` of the held-out patches coded by
5-term OMP (:func:`sparsela.sparse_encode`) with its dictionary. Prints the
error against the learning time (scoring excluded) of

* sparsela ``"online"`` (Mairal's online method, OMP codes, batches of 256),
  timed through the callback after every epoch, and ``"ksvd"``;
* ``spams.trainDL`` (package ``spams-bin``; the L0 mode with 5 atoms, batches
  of 256), run for increasing numbers of iterations;
* scikit-learn's ``MiniBatchDictionaryLearning`` (OMP transform; lasso
  ``alpha`` fitting as it offers no L0 fit), one ``partial_fit`` per batch,

then the time each needs to reach the target error, and the ratios. A
script, not a test::

    python benchmarks/bench_dictionary.py               # the full study
    python benchmarks/bench_dictionary.py --quick       # a smoke run
    python benchmarks/bench_dictionary.py --memory      # partial_fit over 1e6 patches
    python benchmarks/bench_dictionary.py --recovery    # planted dictionaries

Numba kernels are compiled (and cached) by a warm-up call before timing; the
compile time is printed separately.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import sparsela  # noqa: E402

TARGET = 0.495
N_ATOMS, SPARSITY = 256, 5


def patches(n_train: int, n_test: int, seed: int = 0):
    """Mean-removed 8x8 patches of the grayscale photograph, in columns."""
    from sklearn.datasets import load_sample_image
    from sklearn.feature_extraction.image import extract_patches_2d

    image = load_sample_image("china.jpg").mean(axis=2) / 255.0
    P = extract_patches_2d(
        image, (8, 8), max_patches=n_train + n_test, random_state=seed
    )
    Y = P.reshape(len(P), -1).T
    Y = Y - Y.mean(axis=0)
    return np.ascontiguousarray(Y[:, :n_train]), np.ascontiguousarray(Y[:, n_train:])


def held_out_error(D: np.ndarray, Y_test: np.ndarray) -> float:
    D = D / np.linalg.norm(D, axis=0)
    X = sparsela.sparse_encode(Y_test, D, n_nonzero=SPARSITY)
    return float(np.linalg.norm(Y_test - D @ X) / np.linalg.norm(Y_test))


def run_sparsela(method, Y, Y_test, n_iter, **kw):
    """(time, error) after every iteration, scoring time excluded."""
    curve, spent = [], [0.0]
    mark = [time.perf_counter()]

    def callback(D):
        spent[0] += time.perf_counter() - mark[0]
        curve.append((spent[0], held_out_error(D, Y_test)))
        mark[0] = time.perf_counter()

    mark[0] = time.perf_counter()
    sparsela.dictionary_learning(
        Y,
        N_ATOMS,
        method=method,
        n_nonzero=SPARSITY,
        max_iter=n_iter,
        random_state=0,
        callback=callback,
        **kw,
    )
    return curve


def run_spams(Y, Y_test, iters):
    import spams

    curve = []
    X = np.asfortranarray(Y)
    for it in iters:
        t = time.perf_counter()
        D = spams.trainDL(
            X,
            K=N_ATOMS,
            lambda1=SPARSITY,
            mode=3,
            iter=it,
            batchsize=256,
            numThreads=1,
            verbose=False,
        )
        curve.append((time.perf_counter() - t, held_out_error(np.asarray(D), Y_test)))
    return curve


def run_sklearn(Y, Y_test, n_batches, every, alpha):
    from sklearn.decomposition import MiniBatchDictionaryLearning

    est = MiniBatchDictionaryLearning(
        N_ATOMS, alpha=alpha, batch_size=256, random_state=0
    )
    rng = np.random.default_rng(0)
    curve, spent = [], 0.0
    p = Y.shape[1]
    for b in range(n_batches):
        cols = rng.choice(p, 256, replace=False)
        t = time.perf_counter()
        est.partial_fit(Y[:, cols].T)
        spent += time.perf_counter() - t
        if (b + 1) % every == 0:
            curve.append((spent, held_out_error(est.components_.T, Y_test)))
    return curve


def time_to(curve, target=TARGET):
    for t, e in curve:
        if e <= target:
            return t
    return float("inf")


def show(name, curve):
    print(f"\n{name}: time (s) -> held-out error")
    for t, e in curve:
        print(f"  {t:8.2f}  {e:.4f}")


def _china_gray() -> np.ndarray:
    """The photograph in grayscale, read with Pillow from scikit-learn's data
    folder without importing scikit-learn (its import alone weighs ~100 MB)."""
    import importlib.util

    from PIL import Image

    root = importlib.util.find_spec("sklearn").submodule_search_locations[0]
    path = os.path.join(root, "datasets", "images", "china.jpg")
    return np.asarray(Image.open(path), dtype=np.float64).mean(axis=2) / 255.0


def memory(n_patches: int = 1_000_000, batch: int = 1000) -> None:
    """Peak memory of partial_fit over a stream of random patches."""
    image = _china_gray()
    windows = np.lib.stride_tricks.sliding_window_view(image, (8, 8))
    rows, cols = windows.shape[:2]
    learner = sparsela.OnlineDictionaryLearning(
        N_ATOMS, n_nonzero=SPARSITY, random_state=0
    )
    learner.partial_fit(np.zeros((64, 8)) + np.eye(64, 8))  # compile first
    learner = sparsela.OnlineDictionaryLearning(
        N_ATOMS, n_nonzero=SPARSITY, random_state=0
    )
    rng = np.random.default_rng(0)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    t = time.perf_counter()
    for _ in range(n_patches // batch):
        r, c = rng.integers(rows, size=batch), rng.integers(cols, size=batch)
        Y = windows[r, c].reshape(batch, 64).T
        learner.partial_fit(Y - Y.mean(axis=0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"partial_fit over {learner.n_samples_seen} patches in batches of "
        f"{batch}: {time.perf_counter() - t:.1f} s, peak traced memory "
        f"(arrays allocated while streaming) {peak / 2**20:.1f} MiB, peak RSS "
        f"of the process {rss:.0f} MiB (before streaming: {rss0:.0f} MiB, the "
        "interpreter with NumPy, SciPy, Numba, sparsela and the image)"
    )


def recovery(trials: int = 10) -> None:
    """Planted-dictionary recovery: the K-SVD paper's setup over ``trials``
    seeds, and the orthogonal setup (n = 50, Bernoulli-Gaussian 0.3)."""
    from sparsela.datasets import planted_dictionary
    from sparsela.solvers.dictionary import atom_recovery, orthogonal_recovery

    for method in ("ksvd", "mod", "online"):
        scores, times = [], []
        for seed in range(trials):
            Y, D, _, _ = planted_dictionary(random_state=seed)
            t = time.perf_counter()
            res = sparsela.dictionary_learning(
                Y, 50, method=method, n_nonzero=3, max_iter=80, random_state=seed
            )
            times.append(time.perf_counter() - t)
            scores.append(atom_recovery(D, res.dictionary))
        print(
            f"{method:6s} 20x50, 1500 signals, 3 atoms, 20 dB, 80 iterations: "
            f"recovered {100 * np.mean(scores):.1f} % of the atoms on average "
            f"(min {100 * min(scores):.0f} %, max {100 * max(scores):.0f} %, "
            f"{trials} seeds), {np.median(times):.2f} s per run (median)"
        )
    for seed in range(3):
        Y, D, _, _ = planted_dictionary(
            50, 50, 50_000, theta=0.3, orthogonal=True, snr_db=None, random_state=seed
        )
        t = time.perf_counter()
        res = sparsela.dictionary_learning(
            Y[:, :5000], 50, method="orthogonal", n_nonzero=15, random_state=seed
        )
        t_proc = time.perf_counter() - t
        learner = sparsela.OnlineDictionaryLearning(
            50, method="online_orthogonal", random_state=seed
        )
        t = time.perf_counter()
        for b in range(50):
            learner.partial_fit(Y[:, 1000 * b : 1000 * (b + 1)])
        t_fw = time.perf_counter() - t
        print(
            f"orthogonal n=50, theta=0.3, seed {seed}: Procrustes on 5000 signals "
            f"{orthogonal_recovery(D, res.dictionary):.4f} ({res.n_iter} "
            f"iterations, {t_proc:.2f} s); Frank-Wolfe over 50 batches of 1000 "
            f"{orthogonal_recovery(D, learner.dictionary):.4f} ({t_fw:.2f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--recovery", action="store_true")
    parser.add_argument("--alpha", type=float, default=0.1)
    args = parser.parse_args()
    with threadpool_limits(1):
        if args.recovery:
            recovery(3 if args.quick else 10)
            return
        if args.memory:
            memory(100_000 if args.quick else 1_000_000)
            return
        n_train, n_test = (4000, 1000) if args.quick else (20_000, 5000)
        Y, Y_test = patches(n_train, n_test)
        t = time.perf_counter()
        sparsela.dictionary_learning(
            Y[:, :512], 64, method="online", n_nonzero=SPARSITY, max_iter=1
        )
        held_out_error(Y[:, :64], Y_test[:, :10])
        print(f"warm-up (Numba compile or cache load): {time.perf_counter() - t:.1f} s")
        epochs = 2 if args.quick else 10
        curves = {
            "sparsela online": run_sparsela("online", Y, Y_test, epochs),
            "sparsela ksvd": run_sparsela("ksvd", Y, Y_test, 2 if args.quick else 15),
            "spams trainDL": run_spams(
                Y, Y_test, [20, 50, 100, 200, 400, 800] if not args.quick else [20, 50]
            ),
            "sklearn MiniBatch": run_sklearn(
                Y,
                Y_test,
                80 if args.quick else 240,
                20 if args.quick else 80,
                args.alpha,
            ),
        }
        for name, curve in curves.items():
            show(name, curve)
        print(f"\ntime to reach held-out error {TARGET} (s):")
        times = {name: time_to(c) for name, c in curves.items()}
        for name, t in times.items():
            best = min(e for _, e in curves[name])
            print(f"  {name:20s} {t:8.2f}   (best error {best:.4f})")
        ours = times["sparsela online"]
        for peer in ("spams trainDL", "sklearn MiniBatch"):
            print(f"  {peer} / sparsela online: {times[peer] / ours:.2f}x")


if __name__ == "__main__":
    main()
