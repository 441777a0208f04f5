"""Numba prox kernels against their NumPy twins in ``kernels/reference.py``."""

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import random_array, tol

from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import prox as K


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


# ---- per-block prox and subdifferential distance --------------------------------
N_BLOCK = 12
_W = np.linspace(0.0, 2.0, N_BLOCK)
_LO, _HI = np.full(N_BLOCK, -0.5), np.linspace(0.1, 1.0, N_BLOCK)
# name -> (params, real only, block length)
BLOCK_KERNELS = {
    "l1": (np.array([0.7]), False, 1),
    "weighted_l1": (np.concatenate([[0.7], _W]), False, 1),
    "l0": (np.array([0.7]), False, 1),
    "nonneg_l1": (np.array([0.7]), True, 1),
    "elastic_net": (np.array([0.7, 0.3]), False, 1),
    "box": (np.concatenate([_LO, _HI]), True, 1),
    "group_l1": (np.array([0.7, 1.0, 0.0, 2.5]), False, 4),
}


def _block_cases(rng, name, dtype):
    params, real_only, size = BLOCK_KERNELS[name]
    if real_only and np.dtype(dtype).kind == "c":
        pytest.skip("real-only penalty")
    n_blocks = 3 if name == "group_l1" else N_BLOCK
    for j in range(n_blocks):
        for scale in (0.05, 0.5, 3.0):
            yield j, params, scale * random_array(rng, size, dtype)
        yield j, params, np.zeros(size, dtype=dtype)  # exact zeros: no 0/0


@pytest.mark.parametrize("name", list(BLOCK_KERNELS))
def test_prox_block_kernels(rng, dtype, name):
    kern = getattr(K, f"{name}_prox_block")
    twin = getattr(ref, f"{name}_prox_block")
    for step in (0.4, 2.0):
        for j, params, v in _block_cases(rng, name, dtype):
            want = twin(v.copy(), step, params, j)
            got = v.copy()
            assert kern(got, step, params, j) is None  # in place
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=tol(dtype), atol=tol(dtype))


@pytest.mark.parametrize("name", list(BLOCK_KERNELS))
def test_subdiff_distance_kernels(rng, dtype, name):
    kern = getattr(K, f"{name}_subdiff_distance")
    twin = getattr(ref, f"{name}_subdiff_distance")
    prox = getattr(K, f"{name}_prox_block")
    for j, params, x in _block_cases(rng, name, dtype):
        grad = random_array(rng, x.shape, dtype)
        assert kern(x, grad, params, j) == pytest.approx(
            twin(x, grad, params, j), rel=10 * tol(dtype), abs=10 * tol(dtype)
        )
        # the prox point of v at step s is stationary for the gradient (x - v) / s
        if name != "l0":  # (l0: the limiting subdifferential, checked in the solver)
            v = x + 0.3 * grad
            p = v.copy()
            prox(p, 0.5, params, j)
            d = kern(p, ((p - v) / 0.5).astype(dtype), params, j)
            assert d <= 100 * tol(dtype) * (1 + np.abs(v).max()), name


def test_subdiff_distance_closed_forms():
    one = np.array([0.0])
    lam = np.array([1.0])
    # |x| at 0: the subdifferential is [-lam, lam]
    assert K.l1_subdiff_distance(one, np.array([0.4]), lam, 0) == 0.0
    assert K.l1_subdiff_distance(one, np.array([-1.5]), lam, 0) == pytest.approx(0.5)
    assert K.l1_subdiff_distance(np.array([2.0]), np.array([-1.0]), lam, 0) == 0.0
    assert K.l1_subdiff_distance(np.array([2.0]), np.array([1.0]), lam, 0) == 2.0
    # x >= 0 with lam x: at 0 any gradient >= -lam is optimal
    assert K.nonneg_l1_subdiff_distance(one, np.array([5.0]), lam, 0) == 0.0
    assert K.nonneg_l1_subdiff_distance(one, np.array([-3.0]), lam, 0) == 2.0
    assert K.nonneg_l1_subdiff_distance(np.array([-1.0]), one, lam, 0) == np.inf
    # box [0, 1]: at the lower bound the gradient may point up, not down
    box = np.array([0.0, 1.0])
    assert K.box_subdiff_distance(one, np.array([3.0]), box, 0) == 0.0
    assert K.box_subdiff_distance(one, np.array([-3.0]), box, 0) == 3.0
    assert K.box_subdiff_distance(np.array([1.0]), np.array([-3.0]), box, 0) == 0.0
    assert K.box_subdiff_distance(np.array([0.5]), np.array([-3.0]), box, 0) == 3.0
    assert K.box_subdiff_distance(np.array([2.0]), one, box, 0) == np.inf
    # group: ||grad|| <= lam w at 0
    gp = np.array([1.0, 2.0])
    z = np.zeros(2)
    assert K.group_l1_subdiff_distance(z, np.array([1.2, 1.6]), gp, 0) == 0.0
    assert K.group_l1_subdiff_distance(z, np.array([3.0, 4.0]), gp, 0) == 3.0
