"""The problem families of ``sparsela bench``: sizes, sparsela and its peers.

Each family is a :class:`Family` with its problem sizes (quick and full) and a
``make(size, rng)`` that builds one problem and returns the contenders: a
mapping from the library's name to a zero-argument callable that solves it
and returns its answer. Peers that are not installed are left out (the report
says so). Every contender's answer is checked against sparsela's (``check``)
so that a ratio never compares different work.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FAMILIES", "Family", "PEERS", "installed"]

#: peer name -> module imported to decide whether it is installed
PEERS = {
    "scikit-learn": "sklearn",
    "SPAMS": "spams",
    "PyLops": "pylops",
    "skglm": "skglm",
    "celer": "celer",
    "SciPy": "scipy",
}


def installed(peer: str) -> bool:
    """Whether the peer library can be imported (imported on first ask)."""
    try:
        importlib.import_module(PEERS[peer])
    except Exception:  # a broken install counts as missing
        return False
    return True


@dataclass(frozen=True)
class Family:
    """One problem family: what ``sparsela bench`` times across sizes."""

    name: str
    title: str
    size_label: str
    quick: tuple[int, ...]
    full: tuple[int, ...]
    make: Callable[[int, np.random.Generator], dict[str, Callable[[], Any]]]
    peers: tuple[str, ...]
    check: Callable[[Any, Any], float]


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _objective_gap(objective: Callable[[Any], float]) -> Callable[[Any, Any], float]:
    """Relative excess of a peer's objective over sparsela's (negative: better)."""

    def check(x: Any, ref: Any) -> float:
        f, f0 = objective(x), objective(ref)
        return float((f - f0) / max(abs(f0), 1e-300))

    return check


# -- OMP ---------------------------------------------------------------------
def _omp(n_signals: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela

    m, n, k = 64, 256, 8
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    X = np.zeros((n, n_signals))
    rows = np.argsort(rng.random((n, n_signals)), axis=0)[:k]
    X[rows, np.arange(n_signals)] = rng.standard_normal((k, n_signals))
    Y = A @ X
    out = {"sparsela": lambda: sparsela.omp(A, Y, n_nonzero=k).x}
    if installed("scikit-learn"):
        from sklearn.linear_model import orthogonal_mp

        out["scikit-learn"] = lambda: orthogonal_mp(
            A, Y, n_nonzero_coefs=k, precompute=True
        )
    if installed("SPAMS"):
        import scipy.sparse as sp
        import spams

        Af, Yf = np.asfortranarray(A), np.asfortranarray(Y)
        out["SPAMS"] = lambda: sp.csc_matrix(spams.omp(Yf, Af, L=k)).toarray()
    return out


# -- lasso -------------------------------------------------------------------
_LASSO: dict[str, Any] = {}


def _lasso(n: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela

    m, k = n // 10, n // 100
    A = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    y = A @ x + 0.01 * rng.standard_normal(m)
    lam = 0.1 * float(sparsela.lambda_max(A, y))
    _LASSO["problem"] = (A, y, lam)
    _LASSO["objective"] = lambda z: (
        0.5 * np.sum((A @ np.ravel(z) - y) ** 2) + lam * np.abs(z).sum()
    )
    out = {"sparsela": lambda: sparsela.fista(A, y, lam=lam, tol=1e-8).x}
    alpha = lam / m  # scikit-learn and its kin scale the datafit by 1/m
    if installed("scikit-learn"):
        from sklearn.linear_model import Lasso

        out["scikit-learn"] = lambda: Lasso(
            alpha=alpha, fit_intercept=False, tol=1e-8, max_iter=100_000
        ).fit(A, y).coef_  # fmt: skip
    if installed("skglm"):
        from skglm import Lasso as SkglmLasso

        out["skglm"] = lambda: SkglmLasso(
            alpha=alpha, fit_intercept=False, tol=1e-8
        ).fit(A, y).coef_  # fmt: skip
    if installed("celer"):
        from celer import Lasso as CelerLasso

        out["celer"] = lambda: CelerLasso(
            alpha=alpha, fit_intercept=False, tol=1e-8
        ).fit(A, y).coef_  # fmt: skip
    if installed("PyLops"):
        import pylops
        from pylops.optimization.sparsity import fista as pylops_fista

        Op = pylops.MatrixMult(A)
        out["PyLops"] = lambda: pylops_fista(Op, y, niter=2000, eps=2 * lam, tol=1e-10)[
            0
        ]
    return out


def _lasso_check(x: Any, ref: Any) -> float:
    return _objective_gap(_LASSO["objective"])(x, ref)


def _bcd(n: int, rng: np.random.Generator) -> dict[str, Callable]:
    """The lasso of :func:`_lasso` solved by block coordinate descent."""
    import sparsela

    out = _lasso(n, rng)
    A, y, lam = _LASSO["problem"]
    out["sparsela"] = lambda: sparsela.bcd(A, y, lam=lam, tol=1e-8).x
    out.pop("PyLops", None)
    return {"sparsela": out.pop("sparsela"), **out}


# -- sparse coding -------------------------------------------------------------
def _encode(n_signals: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela

    m, n, k = 64, 256, 8
    D = rng.standard_normal((m, n))
    D /= np.linalg.norm(D, axis=0)
    X = np.zeros((n, n_signals))
    rows = np.argsort(rng.random((n, n_signals)), axis=0)[:k]
    X[rows, np.arange(n_signals)] = rng.standard_normal((k, n_signals))
    Y = D @ X
    out = {"sparsela": lambda: sparsela.sparse_encode(Y, D, n_nonzero=k)}
    if installed("scikit-learn"):
        from sklearn.decomposition import sparse_encode

        Yt, Dt = np.ascontiguousarray(Y.T), np.ascontiguousarray(D.T)
        out["scikit-learn"] = lambda: (
            sparse_encode(Yt, Dt, algorithm="omp", n_nonzero_coefs=k).T
        )
    return out


# -- sparse layer --------------------------------------------------------------
def _layer(batch: int, rng: np.random.Generator) -> dict[str, Callable]:
    from sparsela.nn import SparseLinear, prune_magnitude

    W = rng.standard_normal((3072, 768)).astype(np.float32)
    W = np.where(prune_magnitude(W, 0.9), W, np.float32(0.0))
    layer = SparseLinear.from_dense(W, format="csr")
    X = rng.standard_normal((batch, 768)).astype(np.float32)
    Wt = np.ascontiguousarray(W.T)
    return {
        "sparsela": lambda: np.asarray(layer.forward(X)),
        "NumPy (dense X @ W.T)": lambda: X @ Wt,
    }


# -- dense fast WHT ----------------------------------------------------------
def _fwht(log2n: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela
    from sparsela.kernels.reference import fwht_reference

    x = rng.standard_normal(1 << log2n)
    out = {
        "sparsela": lambda: sparsela.fwht(x),
        "NumPy butterfly": lambda: fwht_reference(x),
    }
    if installed("SciPy") and log2n <= 12:
        from scipy.linalg import hadamard

        H = hadamard(1 << log2n).astype(np.float64)
        out["SciPy"] = lambda: H @ x
    return out


# -- CSR products ------------------------------------------------------------
def _csr(n: int, rng: np.random.Generator) -> dict[str, Callable]:
    import scipy.sparse as sp

    import sparsela

    S = sp.random(n, n, density=10.0 / n, format="csr", random_state=rng)
    A = sparsela.CSR.from_scipy(S)
    x = rng.standard_normal(n)
    return {"sparsela": lambda: A @ x, "SciPy": lambda: S @ x}


# -- Kronecker ---------------------------------------------------------------
def _kron(s: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela

    factors = [rng.standard_normal((s, s)) for _ in range(3)]
    K = sparsela.Kronecker(*factors)
    x = rng.standard_normal(s**3)
    out = {"sparsela": lambda: K @ x}
    if installed("PyLops"):
        import pylops

        P = pylops.MatrixMult(factors[0])
        for f in factors[1:]:
            P = pylops.Kronecker(P, pylops.MatrixMult(f))
        out["PyLops"] = lambda: P @ x
    if s <= 16:
        D = np.kron(np.kron(factors[0], factors[1]), factors[2])
        out["NumPy (dense kron)"] = lambda: D @ x
    return out


# -- SBL ---------------------------------------------------------------------
def _sbl(n: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela

    m, k = n // 2, max(n // 40, 2)
    A = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    y = A @ x + 0.01 * rng.standard_normal(m)
    out = {"sparsela": lambda: sparsela.sbl(A, y).x}
    if installed("scikit-learn"):
        from sklearn.linear_model import ARDRegression

        out["scikit-learn"] = lambda: ARDRegression(fit_intercept=False).fit(A, y).coef_
    return out


# -- sparse WHT --------------------------------------------------------------
def _sparse_wht(log2n: int, rng: np.random.Generator) -> dict[str, Callable]:
    import sparsela

    N, K = 1 << log2n, 16
    X = np.zeros(N)
    X[rng.choice(N, K, replace=False)] = rng.choice([-1.0, 1.0], K) * (
        1 + rng.random(K)
    )
    x = sparsela.fwht(X) / N  # the time signal whose WHT is K-sparse

    def sparse() -> np.ndarray:
        res = sparsela.sparse_wht(x, sparsity=K, random_state=0)
        out = np.zeros(N)
        out[res.support] = res.coefficients
        return out

    # x = H X / N, so the dense transform H x gives X itself
    return {"sparsela": sparse, "sparsela fwht (dense)": lambda: sparsela.fwht(x)}


FAMILIES: tuple[Family, ...] = (
    Family("omp", "OMP, A 64 x 256, k = 8", "signals", (1000, 4000),
           (1000, 4000, 16000, 64000), _omp, ("scikit-learn", "SPAMS"), _rel),
    Family("lasso", "lasso (FISTA), dense Gaussian n/10 x n, lam = 0.1 lam_max",
           "n", (1000, 2000), (1000, 2000, 5000, 10000), _lasso,
           ("scikit-learn", "skglm", "celer", "PyLops"), _lasso_check),
    Family("bcd", "lasso (BCD), dense Gaussian n/10 x n, lam = 0.1 lam_max",
           "n", (1000, 2000), (1000, 2000, 5000, 10000), _bcd,
           ("scikit-learn", "skglm", "celer"), _lasso_check),
    Family("encode", "sparse coding (OMP), D 64 x 256, 8 atoms per signal",
           "signals", (500, 2000), (500, 2000, 8000), _encode, ("scikit-learn",),
           _rel),
    Family("layer", "sparse layer forward, 768 -> 3072, 90% pruned, float32",
           "batch", (64, 256), (16, 64, 256, 1024), _layer, (), _rel),
    Family("fwht", "dense fast Walsh-Hadamard transform, float64", "log2 N",
           (12, 16, 20), (10, 12, 16, 20, 22), _fwht, ("SciPy",), _rel),
    Family("csr", "CSR matvec, n x n, 10 nonzeros per row", "n",
           (10_000, 100_000), (10_000, 100_000, 1_000_000), _csr, ("SciPy",),
           _rel),
    Family("kronecker", "Kronecker of three s x s factors, matvec", "s",
           (8, 15), (8, 15, 25, 40), _kron, ("PyLops",), _rel),
    Family("sbl", "SBL (EM), n/2 x n, n/40 coefficients, 40 dB", "n",
           (100, 200), (100, 200, 400), _sbl, ("scikit-learn",), _rel),
    Family("sparse_wht", "sparse WHT (SPRIGHT), K = 16 of N", "log2 N",
           (14, 18), (14, 18, 22), _sparse_wht, (), _rel),
)  # fmt: skip
