"""Numba prox kernels against their NumPy twins in ``kernels/reference.py``."""

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import random_array, tol

from sparsela.kernels.cpu import prox as K
from sparsela.kernels import reference as ref


def _soft(v, tau, w):
    out = np.empty_like(v)
    kern = K.soft_threshold_complex if v.dtype.kind == "c" else K.soft_threshold
    kern(v, tau, w, out)
    return out


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_soft_threshold(rng, dtype, k, weighted):
    v = random_array(rng, (50, k), dtype)
    v[::7] = 0  # exact zeros must stay zero (no 0/0)
    tau = rng.uniform(0.2, 1.0, size=k)
    w = rng.uniform(0.0, 2.0, size=50) if weighted else np.zeros(0)
    got = _soft(v, tau, w)
    want = ref.soft_threshold(v, tau, w if weighted else None)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=tol(dtype), atol=tol(dtype))
    # complex entries keep their phase, moduli shrink by exactly tau * w
    kept = np.abs(got) > 0
    scale = tau[None, :] * (w[:, None] if weighted else 1.0)
    shrink = np.abs(v) - np.abs(got)
    np.testing.assert_allclose(
        shrink[kept], np.broadcast_to(scale, v.shape)[kept], rtol=1e-3, atol=1e-5
    )


def test_soft_threshold_in_place(rng, dtype):
    v = random_array(rng, (40, 2), dtype)
    want = ref.soft_threshold(v, np.array([0.5, 0.1]))
    kern = K.soft_threshold_complex if v.dtype.kind == "c" else K.soft_threshold
    kern(v, np.array([0.5, 0.1]), np.zeros(0), v)
    np.testing.assert_allclose(v, want, rtol=tol(dtype), atol=tol(dtype))


def test_nonneg_soft_threshold(rng, real_dtype):
    v = random_array(rng, (60, 2), real_dtype)
    tau = np.array([0.3, 0.0])
    out = np.empty_like(v)
    K.nonneg_soft_threshold(v, tau, out)
    np.testing.assert_allclose(
        out, ref.nonneg_soft_threshold(v, tau), rtol=tol(real_dtype)
    )
    assert out.min() >= 0


def test_hard_threshold(rng, dtype):
    v = random_array(rng, (60, 3), dtype)
    thr = np.array([0.5, 1.0, 0.0])
    out = np.empty_like(v)
    K.hard_threshold(v, thr, out)
    np.testing.assert_array_equal(out, ref.hard_threshold(v, thr))


def _groups(rng, n, n_groups):
    labels = rng.integers(0, n_groups, size=n)
    labels[:n_groups] = np.arange(n_groups)  # no empty group
    groups = [np.flatnonzero(labels == g) for g in range(n_groups)]
    perm = np.concatenate(groups).astype(np.int64)
    gptr = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    return groups, perm, gptr


def test_group_kernels(rng, dtype):
    groups, perm, gptr = _groups(rng, 40, 7)
    v = random_array(rng, (40, 3), dtype)
    v[groups[2]] = 0  # an all-zero group
    norms = np.empty((7, 3))
    K.group_norms(v, perm, gptr, norms)
    np.testing.assert_allclose(norms, ref.group_norms(v, groups), rtol=tol(dtype))
    tau = np.array([0.2, 1.0, 3.0])
    gw = rng.uniform(0.5, 2.0, size=7)
    out = np.empty_like(v)
    K.group_soft_threshold(v, tau, perm, gptr, gw, out)
    want = ref.group_soft_threshold(v, tau, groups, gw)
    np.testing.assert_allclose(out, want, rtol=tol(dtype), atol=tol(dtype))
    assert np.all(out[groups[2]] == 0)


def test_support_rows(rng):
    X = np.zeros((30, 3))
    X[[2, 5, 29], [0, 2, 1]] = 1.0
    np.testing.assert_array_equal(K.support_rows(X), ref.support_rows(X))
    assert K.support_rows(np.zeros((4, 2))).size == 0


@pytest.mark.parametrize("k", [1, 4])
def test_restricted_products(rng, dtype, k):
    A = random_array(rng, (25, 40), dtype)
    cols = np.array([0, 3, 17, 39])
    P = random_array(rng, (cols.size, k), dtype)
    want = ref.cols_matmat(A, cols, P)
    outT = np.empty((k, 25), dtype=dtype)
    K.rows_tmatmat(np.ascontiguousarray(A.T), cols, P, outT)
    np.testing.assert_allclose(outT.T, want, rtol=tol(dtype), atol=tol(dtype))
    S = sp.random(25, 40, density=0.2, random_state=1, format="csc").astype(dtype)
    out = np.empty((25, k), dtype=dtype)
    K.csc_cols_matmat(S.data, S.indices, S.indptr, cols, P, out)
    np.testing.assert_allclose(
        out, ref.cols_matmat(S, cols, P), rtol=tol(dtype), atol=tol(dtype)
    )


@pytest.mark.parametrize("k", [1, 3])
def test_fused_iteration_kernels(rng, dtype, k):
    X, Xp, G, Gp = (random_array(rng, (30, k), dtype) for _ in range(4))
    beta, step = rng.uniform(0, 1, k), rng.uniform(0.1, 2, k)
    V, W = np.empty_like(X), np.empty_like(X)
    K.extrapolate_step(X, Xp, G, Gp, beta, step, V, W)
    V_ref, W_ref = ref.extrapolate_step(X, Xp, G, Gp, beta, step)
    np.testing.assert_allclose(V, V_ref, rtol=tol(dtype), atol=tol(dtype))
    np.testing.assert_allclose(W, W_ref, rtol=tol(dtype), atol=tol(dtype))
    out = np.empty_like(X)
    K.extrapolate(X, Xp, beta, out)
    np.testing.assert_allclose(out, V_ref, rtol=tol(dtype), atol=tol(dtype))
    stats = np.empty((4, k))
    K.pair_stats(G, V, X, stats)
    np.testing.assert_allclose(stats, ref.pair_stats(G, V, X), rtol=10 * tol(dtype))
    R, rstats = np.empty_like(X), np.empty((3, k))
    K.residual_stats(G, V, X, R, rstats)
    R_ref, rstats_ref = ref.residual_stats(G, V, X)
    np.testing.assert_allclose(R, R_ref, rtol=tol(dtype), atol=tol(dtype))
    np.testing.assert_allclose(rstats, rstats_ref, rtol=10 * tol(dtype))
