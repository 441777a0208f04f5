"""Panels of ``sparsela demo`` that show the operators, formats and the FWHT."""

from __future__ import annotations

import time

import numpy as np


def _best_time(fn, repeat=5):
    fn()  # warm-up (Numba compilation, caches)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def demo_fwht(ax) -> str:
    from ..transforms import fwht

    N = 1024
    rng = np.random.default_rng(0)
    support = np.array([3, 40, 200, 777])
    coefs = np.zeros(N)
    coefs[support] = [4.0, -3.0, 2.5, 2.0]
    # time signal whose sequency-ordered orthonormal spectrum is `coefs`
    signal = fwht(coefs, normalized=True, ordering="sequency") + 0.05 * (
        rng.standard_normal(N)
    )
    spectrum = fwht(signal, normalized=True, ordering="sequency")
    ax.plot(signal, lw=0.6, color="0.6", label="signal")
    markers, _, _ = ax.stem(spectrum, linefmt="C0-", markerfmt=" ", basefmt=" ")
    markers.set_label("sequency spectrum")
    ax.set_xlabel("index / sequency")
    ax.legend(fontsize=8, loc="upper right")
    found = np.sort(np.argsort(np.abs(spectrum))[-4:])
    return f"N={N}: largest sequencies {found.tolist()} (planted {support.tolist()})"


def demo_formats(ax) -> str:
    import scipy.sparse

    from ..formats import CSR

    n, per_row = 200_000, 10
    rng = np.random.default_rng(0)
    cols = rng.integers(0, n, size=n * per_row).astype(np.int32)
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int32)
    data = rng.standard_normal(n * per_row)
    S = scipy.sparse.csr_array((data, cols, indptr), shape=(n, n))
    A = CSR(data, cols, indptr, (n, n))
    x = rng.standard_normal(n)
    err = np.abs(A @ x - S @ x).max()
    t_ours = _best_time(lambda: A @ x)
    t_scipy = _best_time(lambda: S @ x)
    ax.bar(
        ["scipy.sparse", "sparsela CSR"],
        [t_scipy * 1e3, t_ours * 1e3],
        color=["0.6", "C0"],
    )
    ax.set_ylabel("SpMV time [ms]")
    ax.set_xlabel(f"{n}x{n}, {per_row} nnz/row")
    ratio = t_scipy / t_ours
    return f"scipy.sparse time / sparsela time = {ratio:.2f} (max diff {err:.1e})"


def demo_nm(ax) -> str:
    from ..formats import NM

    rng = np.random.default_rng(1)
    W = rng.standard_normal((16, 32))
    P = NM.from_dense(W, 2, 4)
    kept = P.todense()
    ax.imshow(np.abs(kept), cmap="Blues", aspect="auto")
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    x = rng.standard_normal(32)
    err = np.abs(P @ x - kept @ x).max()
    return f"2:4 pruning keeps {P.nnz}/{W.size} weights; product error {err:.1e}"


def demo_kronecker(ax) -> str:
    from ..operators import Kronecker

    sizes = [4, 6, 8, 10, 12, 15]
    t_kron, t_dense = [], []
    rng = np.random.default_rng(2)
    for p in sizes:
        factors = [rng.standard_normal((p, p)) for _ in range(3)]
        K = Kronecker(*factors)
        D = np.kron(np.kron(factors[0], factors[1]), factors[2])
        x = rng.standard_normal(K.shape[1])
        t_kron.append(_best_time(lambda K=K, x=x: K @ x))
        t_dense.append(_best_time(lambda D=D, x=x: D @ x))
    N = [p**3 for p in sizes]
    ax.loglog(N, t_dense, "o-", color="0.5", label="dense product")
    ax.loglog(N, t_kron, "o-", color="C0", label="Kronecker (mode products)")
    ax.set_xlabel("N = p^3 (three p x p factors)")
    ax.set_ylabel("matvec time [s]")
    ax.legend(fontsize=8)
    return f"N={N[-1]}: {t_dense[-1] / t_kron[-1]:.0f}x faster than the dense product"


STEPS = [
    ("Walsh-Hadamard transform (sequency order)", demo_fwht),
    ("CSR sparse matrix-vector product", demo_formats),
    ("N:M (2:4) structured sparsity", demo_nm),
    ("Kronecker operator vs dense matrix", demo_kronecker),
]
