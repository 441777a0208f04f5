"""Greedy-pursuit kernels against their NumPy twins in ``kernels.reference``."""

import numpy as np
import pytest
from _utils import random_array, tol

from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import omp as K


def _problem(rng, dtype, m=24, n=40, s=9, k=4, noise=1e-2):
    A = random_array(rng, (m, n), dtype)
    A = A / np.linalg.norm(A, axis=0)
    X = np.zeros((n, s), dtype=dtype)
    for j in range(s):
        X[rng.choice(n, k, replace=False), j] = random_array(rng, k, dtype)
    Y = (A @ X + noise * random_array(rng, (m, s), dtype)).astype(dtype)
    G = np.ascontiguousarray(A.conj().T @ A)
    alpha0 = np.ascontiguousarray((A.conj().T @ Y).T)
    norms2 = np.einsum("ij,ij->j", Y.conj(), Y).real.astype(np.finfo(dtype).dtype)
    return A, Y, G, alpha0, norms2


def _run_omp(G, alpha0, norms2, T, tol_=None, store_path=False, n_blocks=3):
    S = alpha0.shape[0]
    dt = alpha0.dtype
    rdt = norms2.dtype.type
    eps = np.finfo(norms2.dtype).eps
    out = dict(
        support=np.zeros((S, T), np.int64),
        coef=np.zeros((S, T), dt),
        n_atoms=np.zeros(S, np.int64),
        res2=np.zeros(S, norms2.dtype),
        stop=np.zeros(S, np.int64),
        path=np.zeros((S, T, T) if store_path else (1, 1, 1), dt),
    )
    K.omp_gram(
        G, alpha0, norms2, T, rdt(0.0 if tol_ is None else tol_), tol_ is not None,
        rdt((100 * eps) ** 2), rdt(100 * eps), out["support"], out["coef"],
        out["n_atoms"], out["res2"], out["stop"], out["path"], store_path, n_blocks,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("mode", ["n_nonzero", "tol"])
def test_omp_gram_matches_reference(rng, dtype, mode):
    A, Y, G, alpha0, norms2 = _problem(rng, dtype)
    T, tol_ = (5, None) if mode == "n_nonzero" else (A.shape[0], 0.05)
    out = _run_omp(G, alpha0, norms2, T, tol_)
    sup_ref, coef_ref, res_ref = ref.omp_gram(
        G.astype(np.complex128), alpha0.astype(np.complex128), norms2, T, tol_
    )
    rtol = tol(dtype)
    for s in range(alpha0.shape[0]):
        t = out["n_atoms"][s]
        np.testing.assert_array_equal(out["support"][s, :t], sup_ref[s])
        np.testing.assert_allclose(
            out["coef"][s, :t], coef_ref[s], rtol=rtol, atol=rtol
        )
    np.testing.assert_allclose(out["res2"], res_ref, rtol=10 * rtol, atol=rtol)
    expected = K.STOP_BUDGET if mode == "n_nonzero" else K.STOP_TOL
    assert (out["stop"] == expected).all()


def test_omp_gram_path(rng, dtype):
    A, Y, G, alpha0, norms2 = _problem(rng, dtype)
    T = 5
    out = _run_omp(G, alpha0, norms2, T, store_path=True)
    for t in range(1, T + 1):
        short = _run_omp(G, alpha0, norms2, t)
        np.testing.assert_allclose(
            out["path"][:, t - 1, :t], short["coef"], rtol=tol(dtype), atol=tol(dtype)
        )
    np.testing.assert_allclose(out["path"][:, T - 1], out["coef"])


def test_omp_gram_block_count_irrelevant(rng):
    A, Y, G, alpha0, norms2 = _problem(rng, np.float64, s=23)
    a = _run_omp(G, alpha0, norms2, 6, n_blocks=1)
    b = _run_omp(G, alpha0, norms2, 6, n_blocks=50)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_omp_gram_dependent_atom_stops(rng):
    # atom 1 = atom 0 + 1e-9 v with v orthogonal to atom 0, y = atom 0 + v:
    # after atom 0 the residual is v, atom 1 has the largest correlation
    # (1e-9, far above rounding) but lies within 1e-9 of atom 0's span; the
    # kernel must refuse it rather than divide by a vanishing pivot
    m = 10
    a0 = rng.standard_normal(m)
    a0 /= np.linalg.norm(a0)
    v = rng.standard_normal(m)
    v -= (v @ a0) * a0
    v /= np.linalg.norm(v)
    A = np.stack([a0, a0 + 1e-9 * v], axis=1)
    A /= np.linalg.norm(A, axis=0)
    G = np.ascontiguousarray(A.T @ A)
    y = 2.0 * a0 + v
    alpha0 = (A.T @ y)[None, :].copy()
    out = _run_omp(G, alpha0, np.array([y @ y]), 2)
    assert out["n_atoms"][0] == 1
    assert out["stop"][0] == K.STOP_DEPENDENT
    assert np.isfinite(out["coef"]).all() and np.isfinite(out["res2"]).all()


def test_omp_gram_zero_signal(rng):
    A, Y, G, alpha0, norms2 = _problem(rng, np.float64, s=2)
    alpha0[1] = 0.0
    norms2[1] = 0.0
    out = _run_omp(G, alpha0, norms2, 4)
    assert out["n_atoms"][1] == 0 and out["stop"][1] == K.STOP_ORTHOGONAL
    out = _run_omp(G, alpha0, norms2, 4, tol_=0.0)
    assert out["n_atoms"][1] == 0 and out["stop"][1] == K.STOP_TOL


def _run_mp(G, alpha0, norms2, steps, atoms, tol_=None, positive=False, store=True):
    S = alpha0.shape[0]
    rdt = norms2.dtype.type
    eps = np.finfo(norms2.dtype).eps
    out = dict(
        support=np.zeros((S, atoms), np.int64),
        coef=np.zeros((S, atoms), alpha0.dtype),
        n_steps=np.zeros(S, np.int64),
        n_atoms=np.zeros(S, np.int64),
        res2=np.zeros(S, norms2.dtype),
        stop=np.zeros(S, np.int64),
        steps_k=np.zeros((S, steps) if store else (1, 1), np.int64),
        steps_v=np.zeros((S, steps) if store else (1, 1), alpha0.dtype),
    )
    K.mp_gram(
        G, alpha0, norms2, steps, atoms, rdt(0.0 if tol_ is None else tol_),
        tol_ is not None, positive, rdt((100 * eps) ** 2), out["support"],
        out["coef"], out["n_steps"], out["n_atoms"], out["res2"], out["stop"],
        out["steps_k"], out["steps_v"], store, 4,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("tol_", [None, 0.05])
def test_mp_gram_matches_reference(rng, dtype, tol_):
    A, Y, G, alpha0, norms2 = _problem(rng, dtype)
    steps = 12
    out = _run_mp(G, alpha0, norms2, steps, A.shape[1], tol_)
    st_ref, x_ref, res_ref = ref.mp_gram(G, alpha0, norms2, steps, tol_)
    rtol = tol(dtype)
    for s in range(alpha0.shape[0]):
        ns = out["n_steps"][s]
        np.testing.assert_array_equal(out["steps_k"][s, :ns], st_ref[s])
        x = np.zeros(A.shape[1], alpha0.dtype)
        na = out["n_atoms"][s]
        x[out["support"][s, :na]] = out["coef"][s, :na]
        np.testing.assert_allclose(x, x_ref[s], rtol=rtol, atol=rtol)
        # support = distinct atoms in order of first selection
        _, first = np.unique(st_ref[s], return_index=True)
        np.testing.assert_array_equal(out["support"][s, :na], st_ref[s][np.sort(first)])
    np.testing.assert_allclose(out["res2"], res_ref, rtol=10 * rtol, atol=rtol)


def test_mp_gram_positive_and_cap(rng, real_dtype):
    A, Y, G, alpha0, norms2 = _problem(rng, real_dtype)
    out = _run_mp(G, alpha0, norms2, 10, A.shape[1], positive=True)
    st_ref, x_ref, _ = ref.mp_gram(G, alpha0, norms2, 10, positive=True)
    for s in range(alpha0.shape[0]):
        ns = out["n_steps"][s]
        np.testing.assert_array_equal(out["steps_k"][s, :ns], st_ref[s])
        assert (out["coef"][s, : out["n_atoms"][s]] > 0).all()
    capped = _run_mp(G, alpha0, norms2, 10, 2)
    assert (capped["n_atoms"] <= 2).all()
    hit = capped["stop"] == K.STOP_SUPPORT_FULL
    assert hit.any() and (capped["n_atoms"][hit] == 2).all()


def test_sparse_residual_norms(rng, dtype):
    m, n, s, t = 12, 20, 7, 3
    At = random_array(rng, (n, m), dtype)
    Yt = random_array(rng, (s, m), dtype)
    support = rng.integers(0, n, (s, t))
    coef = random_array(rng, (s, t), dtype)
    n_atoms = rng.integers(0, t + 1, s)
    out = np.zeros(s, np.finfo(dtype).dtype)
    K.sparse_residual_norms(At, Yt, support, coef, n_atoms, out, 3)
    expected = ref.sparse_residual_norms(At, Yt, support, coef, n_atoms)
    np.testing.assert_allclose(out, expected, rtol=tol(dtype))


@pytest.mark.parametrize("size", [1, 5, 31, 32, 33, 64, 100, 1024])
def test_argmax_first_index(rng, size, real_dtype):
    score = rng.standard_normal(size).astype(real_dtype)
    assert K._argmax(score) == np.argmax(score)
    tied = np.zeros(size, real_dtype)
    tied[size // 2 :] = 1.0
    assert K._argmax(tied) == np.argmax(tied)
    assert K._argmax(np.full(size, -1.0, real_dtype)) == 0
