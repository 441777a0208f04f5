"""Representative calls of every Numba kernel, one topic at a time (private).

Each topic function runs the public entry points of its kernels (the format
products, :func:`sparsela.fwht`, :func:`sparsela.sparse_wht`, the pursuits,
the proximal solvers and penalties) on tiny inputs of one dtype, through
every code path that compiles something of its own: serial and parallel
products, 1-D and 2-D operands, 32- and 64-bit indices, block and tile passes,
real and complex layouts. With ``cache=True`` on every kernel, running a topic
once fills the Numba cache with exactly the specialisations that later calls
of that dtype look up (same argument types: the calls go through the same
code). ``sparsela compile`` runs the topics in parallel processes; the demo
runs the few it needs in-process before it times anything.

Products that mix dtypes (a float32 matrix times a float64 vector) compile
their own specialisation on first use; they are not warmed here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "DTYPES",
    "GROUPS",
    "TOPICS",
    "can_lock_cache_writes",
    "lock_cache_writes",
    "parallel_everywhere",
    "run",
    "work_dtype",
]

#: the dtypes ``sparsela compile`` warms by default
DTYPES = ("float32", "float64", "complex64", "complex128")


@contextlib.contextmanager
def parallel_everywhere() -> Iterator[None]:
    """Lower every serial/parallel threshold to 0, so that tiny inputs take
    the parallel paths too (restored on exit)."""
    from . import omp, sparse, wht

    saved = (sparse.PARALLEL_MIN_WORK, omp.PARALLEL_MIN_WORK, wht.PARALLEL_MIN_SIZE)
    sparse.PARALLEL_MIN_WORK = omp.PARALLEL_MIN_WORK = wht.PARALLEL_MIN_SIZE = 0
    try:
        yield
    finally:
        sparse.PARALLEL_MIN_WORK, omp.PARALLEL_MIN_WORK, wht.PARALLEL_MIN_SIZE = saved


def _random(rng: np.random.Generator, shape, dtype: np.dtype) -> np.ndarray:
    out = rng.standard_normal(shape)
    if dtype.kind == "c":
        out = out + 1j * rng.standard_normal(shape)
    return out.astype(dtype)


def _paths() -> Iterator[None]:
    """The serial paths, then the parallel ones."""
    yield
    with parallel_everywhere():
        yield


def sparse(dtype: np.dtype) -> None:
    """CSR, CSC, COO, BSR and N:M products and SDDMM, 32- and 64-bit indices."""
    from ...formats import BSR, COO, CSC, CSR, NM

    rng = np.random.default_rng(0)
    D = _random(rng, (8, 8), dtype)  # dense: enough entries for 2 scatter chunks
    x, X = _random(rng, 8, dtype), _random(rng, (8, 3), dtype)
    L, R = _random(rng, (8, 2), dtype), _random(rng, (2, 8), dtype)
    mats = []
    for cls in (CSR, CSC):
        A = cls.from_dense(D)
        wide = (A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64))
        mats += [A, cls(*wide, A.shape, check=False)]
    C = COO.from_dense(D)
    mats += [C, COO(C.data, C.row.astype(np.int64), C.col.astype(np.int64),
                    C.shape, check=False)]  # fmt: skip
    B = BSR.from_dense(D, blocksize=(2, 2))
    mats += [B, BSR(B.data, B.indices.astype(np.int64), B.indptr.astype(np.int64),
                    B.shape, check=False)]  # fmt: skip
    mats.append(NM.from_dense(D, 2, 4))
    for _ in _paths():
        for A in mats:
            A @ x, A @ X, A.T @ x, A.T @ X, A.sddmm(L, R)


def wht(dtype: np.dtype) -> None:
    """Dense FWHT: block pass only, block and tile passes, other column counts."""
    from ...transforms import fwht

    rng = np.random.default_rng(0)
    for _ in _paths():
        for n in (1 << 6, 1 << 14):  # 2**14 needs tile passes in every dtype
            fwht(_random(rng, n, dtype))
        fwht(_random(rng, (64, 3), dtype), axis=0)  # q = 3: the generic passes
        if dtype.kind != "c":  # two real columns: the (re, im) pair layout
            fwht(_random(rng, (64, 2), dtype), axis=0)


def sparse_wht(dtype: np.dtype) -> None:
    """SPRIGHT and SparseFHT, blind and with a given SNR, on arrays and callables
    (the decoder works in float64 or complex128: both precisions warm the same
    kernels)."""
    from ...transforms import fwht
    from ...transforms import sparse_wht as swht

    N = 1 << 10
    X = np.zeros(N, dtype=np.complex128 if dtype.kind == "c" else np.float64)
    X[[3, 100, 700]] = [2.0, -1.0, 0.5]
    x = (fwht(X) / N).astype(dtype)
    for method in ("spright", "sparsefht"):
        swht(x, sparsity=3, method=method, random_state=0)
    swht(x, sparsity=3, snr_db=40.0, random_state=0)
    swht(lambda idx: x[idx], N, sparsity=3, random_state=0)


def omp(dtype: np.dtype) -> None:
    """OMP and MP on the Gram and the operator paths, with and without the
    path and the tolerance; the Gram-matrix functions."""
    from ...solvers.pursuit import mp, mp_gram, omp, omp_gram

    rng = np.random.default_rng(0)
    A = _random(rng, (12, 24), dtype)
    Y = A[:, :3] @ _random(rng, (3, 4), dtype)
    for _ in _paths():
        for precompute in (True, False):
            for y in (Y, Y[:, 0]):
                omp(A, y, n_nonzero=3, precompute=precompute)
                omp(A, y, tol=1e-3, precompute=precompute, return_path=True)
                mp(A, y, n_nonzero=3, precompute=precompute, return_path=True)
                if dtype.kind != "c":
                    mp(A, y, n_nonzero=3, precompute=precompute, positive=True)
        An = A / np.linalg.norm(A, axis=0)
        G = An.conj().T @ An
        omp_gram(G, An.conj().T @ Y, n_nonzero=3)
        mp_gram(G, An.conj().T @ Y, n_nonzero=3)


def prox(dtype: np.dtype) -> None:
    """ISTA and FISTA with every penalty on a dense and a sparse matrix, and
    the penalties' prox on one and several columns."""
    from ...formats import CSC
    from ...penalties import PENALTIES
    from ...solvers.proximal import fista, ista, lambda_max

    rng = np.random.default_rng(0)
    A = _random(rng, (10, 16), dtype)
    y = _random(rng, 10, dtype)
    Y = _random(rng, (10, 2), dtype)
    options = {
        "l1": {},
        "weighted_l1": {"weights": np.linspace(0.5, 1.5, 16)},
        "l0": {},
        "nonneg_l1": {},
        "elastic_net": {"l1_ratio": 0.5},
        "box": {"lower": -1.0, "upper": 1.0},
        "group_l1": {"groups": np.repeat(np.arange(4), 4)},
    }
    for M in (A, CSC.from_dense(A)):
        lam = 0.1 * float(np.max(lambda_max(M, y)))
        for name, kwargs in options.items():
            if PENALTIES[name].real_only and dtype.kind == "c":
                continue
            pen_lam = None if name == "box" else lam
            for solver in (fista, ista):
                for b in (y, Y):
                    solver(M, b, lam=pen_lam, penalty=name, max_iter=5, **kwargs)


def bcd(dtype: np.dtype) -> None:
    """Block coordinate descent: every loss and penalty the dtype allows, single
    coordinates and fixed blocks, greedy and cyclic rules, dense and CSC."""
    from ...formats import CSC
    from ...solvers.bcd import bcd as solve

    rng = np.random.default_rng(0)
    A = _random(rng, (12, 16), dtype)
    Y = _random(rng, (12, 2), dtype)
    Q = (A.conj().T @ A).real + 16 * np.eye(16)
    labels = (rng.random((12, 2)) < 0.5).astype(dtype.type(0).real.dtype)
    labels[:2] = [[0, 1], [1, 0]]
    pens = [("l1", {}), ("group_l1", {"blocks": np.repeat(np.arange(4), 4)})]
    if dtype.kind != "c":
        pens.append(("nonneg_l1", {}))
    for dense in (True, False):
        M = A if dense else CSC.from_dense(A)
        cases = [("squared", M, Y)]
        if dtype.kind != "c":
            Qm = Q.astype(dtype) if dense else CSC.from_dense(Q.astype(dtype))
            cases += [("logistic", M, labels), ("quadratic", Qm, Y[:16].real)]
        for loss, mat, b in cases:
            if loss == "quadratic":
                b = _random(rng, (16, 2), dtype)
            for name, kw in pens:
                for rule, size in (("gsl", 1), ("cyclic", 2)):
                    extra = {} if name == "group_l1" else {"block_size": size}
                    for rhs in (b[:, 0], b):
                        solve(mat, rhs, lam=0.1, loss=loss, penalty=name, rule=rule,
                              max_iter=3, **kw, **extra)  # fmt: skip
    from . import bcd as kernels

    saved, kernels.PARALLEL_MIN_WORK = kernels.PARALLEL_MIN_WORK, 0
    try:  # the threaded full gradient of large CSC matrices
        losses = ["squared"] + (["logistic"] if dtype.kind != "c" else [])
        for loss in losses:
            b = Y if loss == "squared" else labels
            solve(CSC.from_dense(A), b[:, 0], lam=0.1, loss=loss, max_iter=2)
    finally:
        kernels.PARALLEL_MIN_WORK = saved


#: topic name -> function warming its kernels for one dtype
def nn(dtype: np.dtype) -> None:
    """Sparse layers (CSR, 1x4 BSR, 2:4): forward, backward, serial and
    parallel, C- and Fortran-ordered input; real dtypes only."""
    if dtype.kind == "c":
        return
    from ...nn import SparseLinear

    rng = np.random.default_rng(0)
    W = _random(rng, (8, 16), dtype)
    X = _random(rng, (3, 16), dtype)
    layers = [
        SparseLinear.from_dense(W, format="csr"),
        SparseLinear.from_dense(W, format="bsr", blocksize=(1, 4)),
        SparseLinear.from_dense(W, format="nm", n=2, m=4),
    ]
    for _ in _paths():
        for layer in layers:
            Y = layer.forward(X)  # C-ordered input, Fortran-ordered output
            layer.backward(np.asfortranarray(Y))


def dictionary(dtype: np.dtype) -> None:
    """Dictionary learning: the online atom update and the code statistics
    (K-SVD and MOD run the OMP kernels)."""
    from ...solvers.dictionary import OnlineDictionaryLearning

    Y = _random(np.random.default_rng(0), (8, 40), dtype)
    OnlineDictionaryLearning(12, n_nonzero=2, random_state=0).partial_fit(
        Y
    ).partial_fit(Y)


TOPICS: dict[str, Callable[[np.dtype], None]] = {
    "sparse": sparse,
    "wht": wht,
    "sparse_wht": sparse_wht,
    "omp": omp,
    "prox": prox,
    "bcd": bcd,
    "nn": nn,
    "dictionary": dictionary,
}

#: topics that compile the same kernels (prox runs the sparse products,
#: sparse_wht the FWHT, bcd the penalty kernels, nn the format helpers,
#: dictionary the OMP kernels): ``sparsela compile`` runs each group in one
#: process, as two processes writing one function's cache index at once can
#: pair a signature with the other's machine code
GROUPS = (
    ("sparse", "prox", "bcd", "nn"),
    ("wht", "sparse_wht"),
    ("omp", "dictionary"),
)


def work_dtype(topic: str, dtype: str) -> str:
    """The dtype whose kernels ``topic`` compiles for inputs of ``dtype``: the
    sparse WHT decodes in float64 or complex128 whatever the input precision.

    Examples
    --------
    >>> from sparsela.kernels.cpu._warmup import work_dtype
    >>> work_dtype("sparse_wht", "float32"), work_dtype("wht", "float32")
    ('float64', 'float32')
    """
    if topic == "sparse_wht":
        return "complex128" if np.dtype(dtype).kind == "c" else "float64"
    return dtype


def run(topic: str, dtype) -> None:
    """Warm the kernels of ``topic`` for ``dtype`` in this process.

    Examples
    --------
    >>> from sparsela.kernels.cpu._warmup import run
    >>> run("wht", "float64")  # compiles on a cold cache, loads on a warm one
    """
    TOPICS[topic](np.dtype(dtype))


#: lock files created by this process (``sparsela compile`` removes them)
LOCK_FILES: set[str] = set()


def can_lock_cache_writes() -> bool:
    """Whether :func:`lock_cache_writes` works here (POSIX file locks and the
    Numba cache internals it wraps)."""
    try:
        import fcntl  # noqa: F401

        from numba.core.caching import IndexDataCacheFile
    except ImportError:
        return False
    return hasattr(IndexDataCacheFile, "save") and hasattr(
        IndexDataCacheFile, "_load_index"
    )


def lock_cache_writes() -> None:
    """Serialise the cache-index updates of this process with those of other
    processes that call it (an exclusive lock on a file next to each index).

    Numba updates a function's index by read, modify, write: two processes
    saving two signatures of one function at once can both pick the same data
    file name, and one signature then maps to the other's machine code. With
    the lock, ``sparsela compile`` runs one job per topic and dtype in
    parallel. Only its worker processes call this.
    """
    if not can_lock_cache_writes():
        return
    import fcntl

    from numba.core.caching import IndexDataCacheFile

    save = IndexDataCacheFile.save
    if getattr(save, "_sparsela_locked", False):
        return

    def locked_save(self, key, data):
        path = self._index_path + ".lock"
        LOCK_FILES.add(path)
        with open(path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                return save(self, key, data)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    locked_save._sparsela_locked = True
    IndexDataCacheFile.save = locked_save
