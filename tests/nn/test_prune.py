"""Pruning masks, schedules, TopK and SR-STE."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn._mlp import Dense, digits_split, init_weights, predict, train

from sparsela.formats import NM
from sparsela.nn import (
    GradualPruning,
    SRSTELinear,
    TopK,
    prune_magnitude,
    prune_nm,
    sparsity_schedule,
)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    m=st.integers(2, 9),
    groups=st.integers(1, 4),
    rows=st.integers(1, 5),
    axis=st.sampled_from([0, 1, -1]),
    ties=st.booleans(),
)
def test_prune_nm_keeps_exactly_n_per_group(data, m, groups, rows, axis, ties):
    n = data.draw(st.integers(1, m - 1))
    shape = [rows, rows]
    shape[axis] = groups * m
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    # few distinct values make ties common
    W = rng.integers(-2, 3, size=shape) if ties else rng.standard_normal(shape)
    keep = prune_nm(W.astype(float), n, m, axis=axis)
    G = np.moveaxis(keep, axis, -1).reshape(-1, groups, m)
    A = np.moveaxis(np.abs(W), axis, -1).reshape(-1, groups, m)
    assert (G.sum(axis=-1) == n).all()
    for g, a in zip(G.reshape(-1, m), A.reshape(-1, m), strict=True):
        # every kept magnitude >= every dropped one; on a tie at the boundary
        # the kept index comes first
        if (~g).any():
            assert a[g].min() >= a[~g].max()
            thr = a[g].min()
            tied = np.flatnonzero(a == thr)
            assert list(g[tied]) == sorted(g[tied], reverse=True)


def test_prune_nm_matches_the_nm_format(rng):
    W = rng.integers(-3, 4, size=(6, 16)).astype(float)  # many ties
    for n, m in [(1, 2), (2, 4), (3, 8)]:
        keep = prune_nm(W, n, m)
        expect = NM.from_dense(W, n, m).todense() != 0
        np.testing.assert_array_equal(keep & (W != 0), expect)
        np.testing.assert_array_equal(prune_nm(W.T, n, m, axis=0), keep.T)


def test_prune_magnitude(rng):
    W = rng.standard_normal((8, 12))
    keep = prune_magnitude(W, 0.9)
    assert keep.sum() == round(0.1 * W.size)
    assert np.abs(W[keep]).min() > np.abs(W[~keep]).max()
    keep = prune_magnitude(W, 0.75, structure=(1, 4))
    blocks = keep.reshape(8, 3, 4)
    assert (blocks.all(axis=-1) == blocks.any(axis=-1)).all()  # whole blocks
    norms = (W.reshape(8, 3, 4) ** 2).sum(axis=-1)
    kept = blocks.any(axis=-1)
    assert kept.sum() == 6 and norms[kept].min() > norms[~kept].max()
    assert prune_magnitude(W, 0.0).all() and not prune_magnitude(W, 1.0).any()
    # ties keep the lowest index
    np.testing.assert_array_equal(
        prune_magnitude(np.ones((1, 4)), 0.5), [[True, True, False, False]]
    )


def test_schedule_and_gradual_pruning(rng):
    s = [sparsity_schedule(t, 0.8, begin_step=10, end_step=20) for t in range(30)]
    assert s[:11] == [0.0] * 11 and s[20:] == [0.8] * 10
    assert all(a <= b for a, b in zip(s, s[1:], strict=False))
    np.testing.assert_allclose(s[15], 0.8 * (1 - 0.5**3))
    W = rng.standard_normal((10, 10))
    pruner = GradualPruning(0.8, begin_step=0, end_step=10, frequency=5)
    counts = [int(pruner.mask(W, t).sum()) for t in range(12)]
    assert counts[0] == 100 and counts[5] == 100 - round(100 * s[15])
    assert counts[5:10] == [counts[5]] * 5 and counts[10:] == [20, 20]
    # re-masking: a pruned weight that grows back is kept at the next update
    pruner = GradualPruning(0.8, begin_step=0, end_step=10, frequency=5)
    mask5 = pruner.mask(W, 5)
    W2 = W * mask5
    p = np.unravel_index(np.flatnonzero(~mask5)[0], W.shape)
    W2[p] = 100.0
    assert pruner.mask(W2, 6)[p] == mask5[p] == False  # noqa: E712 (kept mask)
    assert pruner.mask(W2, 10)[p]


def test_topk(rng):
    Z = rng.standard_normal((5, 9))
    act = TopK(3)
    H = act.forward(Z)
    for z, h in zip(Z, H, strict=True):
        top = np.sort(z)[-3:]
        np.testing.assert_array_equal(np.sort(h[h != 0]), top)
    G = rng.standard_normal(Z.shape)
    np.testing.assert_array_equal(act.backward(G), np.where(H != 0, G, 0))
    # finite differences of sum(H * G): the mask is constant near Z
    h = 1e-6
    dZ = act.backward(G)
    E = np.zeros_like(Z)
    E[1, 2] = h
    num = ((act.forward(Z + E) * G).sum() - (act.forward(Z - E) * G).sum()) / (2 * h)
    assert abs(num - dZ[1, 2]) < 1e-8
    assert (TopK(2).forward(np.array([[1.0, 1.0, 1.0]])) == [[1, 1, 0]]).all()
    assert (TopK(2, relu=True).forward(np.array([[-1.0, -2.0, 0.5]])) > 0).sum() == 1


def test_bad_inputs():
    W = np.ones((4, 8))
    with pytest.raises(ValueError, match="n must be smaller than m"):
        prune_nm(W, 4, 4)
    with pytest.raises(ValueError, match="m=3 must divide"):
        prune_nm(W, 1, 3)
    with pytest.raises(ValueError, match="m=8 must divide"):
        prune_nm(W, 1, 8, axis=0)
    with pytest.raises(ValueError, match="sparsity must lie"):
        prune_magnitude(W, 1.5)
    with pytest.raises(ValueError, match="structure"):
        prune_magnitude(W, 0.5, structure=(3, 1))
    with pytest.raises(ValueError, match="k must be at most"):
        TopK(9).forward(W)
    with pytest.raises(ValueError, match="k must be >= 1"):
        TopK(0)
    with pytest.raises(ValueError, match="n must be smaller than m"):
        SRSTELinear(W, n=4, m=4)
    with pytest.raises(ValueError, match="end_step must exceed"):
        GradualPruning(0.5, begin_step=3, end_step=3)


def test_srste_gradient_is_refined_straight_through(rng):
    W = rng.standard_normal((4, 8))
    layer = SRSTELinear(W, np.zeros(4), n=2, m=4, decay=0.1)
    X = rng.standard_normal((3, 8))
    G = rng.standard_normal((3, 4))
    E = prune_nm(W, 2, 4)
    np.testing.assert_allclose(layer.forward(X), X @ (W * E).T)
    np.testing.assert_allclose(layer.backward(G), G @ (W * E))
    dW, db = layer.grads()
    np.testing.assert_allclose(dW, G.T @ X + 0.1 * (~E) * W)
    np.testing.assert_allclose(db, G.sum(axis=0))
    sparse = layer.to_sparse()
    np.testing.assert_array_equal(sparse.to_dense(), W * E)


def test_srste_mlp_on_digits_matches_dense():
    Xtr, Xte, ytr, yte = digits_split()
    ws = init_weights(np.random.default_rng(0), [64, 64, 10])
    dense = train([Dense(W, b) for W, b in ws], Xtr, ytr, epochs=20)
    # one thread: these small products only wait for a busy second core
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        sparse = train([SRSTELinear(W, b) for W, b in ws], Xtr, ytr, epochs=20)
    finally:
        numba.set_num_threads(threads)
    acc_dense = (predict(dense, Xte) == yte).mean()
    acc_sparse = (predict(sparse, Xte) == yte).mean()
    assert acc_dense > 0.95
    assert acc_sparse >= acc_dense - 0.01, (acc_sparse, acc_dense)
    # the deployed 2:4 layers give the trained network's predictions
    deployed = [lay.to_sparse() for lay in sparse]
    np.testing.assert_array_equal(predict(deployed, Xte), predict(sparse, Xte))
