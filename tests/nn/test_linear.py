"""SparseLinear against the dense computation masked to the pattern."""

import numpy as np
import pytest
from _utils import REAL_DTYPES, tol

from sparsela.formats import BSR, CSR, NM
from sparsela.nn import SparseLinear

# (format, from_dense keywords, density of the random mask)
FORMATS = {
    "csr": ({}, 0.3),
    "bsr2x2": ({"blocksize": (2, 2)}, 0.3),
    "bsr1x4": ({"blocksize": (1, 4)}, 0.3),
    "nm2:4": ({"n": 2, "m": 4}, None),
    "nm1:3": ({"n": 1, "m": 3}, None),
}


def _layer(rng, name, dtype, out_f, in_f, bias=True):
    kw, density = FORMATS[name]
    fmt = name.rstrip("0123456789x:")
    W = rng.standard_normal((out_f, in_f)).astype(dtype)
    if fmt == "bsr":
        R, C = kw["blocksize"]
        blocks = rng.random((out_f // R, in_f // C)) < density
        W *= np.kron(blocks, np.ones((R, C), dtype=dtype))
    elif fmt == "csr":
        W *= rng.random(W.shape) < density
    b = rng.standard_normal(out_f).astype(dtype) if bias else None
    return SparseLinear.from_dense(W, b, format=fmt, **kw)


def _case(rng, name, dtype, out_f=12, in_f=24, batch=5):
    layer = _layer(rng, name, dtype, out_f, in_f)
    X = rng.standard_normal((batch, in_f)).astype(dtype)
    G = rng.standard_normal((batch, out_f)).astype(dtype)
    return layer, X, G


def _close(a, b, dtype):
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=tol(dtype), atol=tol(dtype) * scale)


@pytest.mark.parametrize("dtype", REAL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("size", ["small", "slabs", "parallel"])
def test_matches_masked_dense(rng, name, dtype, size, monkeypatch):
    # "parallel" exceeds PARALLEL_MIN_WORK, so the prange twins run; "slabs"
    # makes the products run a few input rows at a time
    if size == "slabs":
        monkeypatch.setattr("sparsela.nn._linear._SLAB_BYTES", 512)
    dims = (96, 192, 64) if size == "parallel" else (12, 24, 5)
    layer, X, G = _case(rng, name, dtype, *dims)
    W = layer.to_dense()
    mask = layer.mask
    b = layer.bias
    Y = layer.forward(X)
    assert Y.dtype == dtype and Y.shape == (dims[2], dims[0])
    _close(Y, X.astype(np.float64) @ W.T.astype(np.float64) + b, dtype)

    dX = layer.backward(G)
    assert dX.dtype == dtype and dX.shape == X.shape
    _close(dX, G.astype(np.float64) @ W.astype(np.float64), dtype)
    dvalues, dbias = layer.grads()
    dW = layer.weight.with_data(dvalues).todense()
    dW_dense = (G.astype(np.float64).T @ X.astype(np.float64)) * mask
    _close(dW, dW_dense, dtype)
    _close(dbias, G.astype(np.float64).sum(axis=0), dtype)


@pytest.mark.parametrize("name", list(FORMATS))
def test_finite_differences(rng, name):
    layer, X, G = _case(rng, name, np.float64, out_f=6, in_f=12, batch=3)

    def loss():
        return float((layer.forward(X) * G).sum())

    layer.forward(X)
    dX = layer.backward(G)
    dvalues, dbias = (g.copy() for g in layer.grads())
    h = 1e-6
    for param, grad in zip(layer.parameters(), (dvalues, dbias), strict=True):
        flat, gflat = param.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = loss()
            flat[i] = old - h
            down = loss()
            flat[i] = old
            assert abs((up - down) / (2 * h) - gflat[i]) < 1e-6
    X0 = X.copy()
    for i, j in np.ndindex(*X.shape):
        X[i, j] = X0[i, j] + h
        up = loss()
        X[i, j] = X0[i, j] - h
        down = loss()
        X[i, j] = X0[i, j]
        assert abs((up - down) / (2 * h) - dX[i, j]) < 1e-6


def test_constructors_and_conversions(rng):
    W = rng.standard_normal((4, 8))
    W[W < 0.3] = 0.0
    weights = (CSR.from_dense(W), BSR.from_dense(W, (2, 2)), NM.from_dense(W, 2, 4))
    for weight in weights:
        layer = SparseLinear(weight)
        np.testing.assert_array_equal(layer.to_dense(), weight.todense())
        assert layer.format == weight.format
        assert layer.weight.format == weight.format
        assert len(layer.parameters()) == 1
    # explicit zeros inside the mask stay trainable positions
    mask = np.zeros((4, 8), dtype=bool)
    mask[:, :2] = True
    layer = SparseLinear.from_dense(np.zeros((4, 8)), format="csr", mask=mask)
    assert layer.parameters()[0].size == 8
    np.testing.assert_array_equal(layer.mask, mask)
    # the layer owns its values: the caller's matrix is not written
    A = CSR.from_dense(np.eye(3))
    layer = SparseLinear(A)
    layer.parameters()[0][:] = 5.0
    np.testing.assert_array_equal(A.todense(), np.eye(3))


def test_sgd_loop_fits_a_sparse_target(rng):
    # a plain SGD loop on parameters()/grads() recovers a sparse linear map
    target = SparseLinear.from_dense(
        rng.standard_normal((6, 16)) * (rng.random((6, 16)) < 0.4)
    )
    layer = SparseLinear.from_dense(
        np.where(target.mask, 0.1, 0.0), format="csr", mask=target.mask
    )
    X = rng.standard_normal((128, 16))
    T = target.forward(X)
    for _ in range(300):
        dY = (layer.forward(X) - T) / X.shape[0]
        layer.backward(dY)
        for p, g in zip(layer.parameters(), layer.grads(), strict=True):
            p -= 0.5 * g
    np.testing.assert_allclose(layer.to_dense(), target.to_dense(), atol=1e-8)


def test_bad_inputs(rng):
    layer = SparseLinear.from_dense(np.eye(4), bias=np.zeros(4))
    with pytest.raises(ValueError, match="X must have shape"):
        layer.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="backward needs a forward"):
        layer.backward(np.ones((2, 4)))
    layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dY must have shape"):
        layer.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="dY must have 2 rows"):
        layer.backward(np.ones((3, 4)))
    with pytest.raises(ValueError, match="bias must have shape"):
        SparseLinear.from_dense(np.eye(4), bias=np.zeros(3))
    with pytest.raises(TypeError, match="weight must be"):
        SparseLinear(np.eye(3))
    with pytest.raises(TypeError, match="weight must be float32 or float64"):
        SparseLinear(CSR.from_dense(np.eye(2) * 1j))
    with pytest.raises(ValueError, match="X contains NaN"):
        layer.forward(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="blocksize"):
        SparseLinear.from_dense(np.eye(4), format="bsr", blocksize=(3, 3))
    with pytest.raises(ValueError, match="m must"):
        SparseLinear.from_dense(np.eye(6), format="nm", mask=np.eye(6) > 0, n=1, m=4)
    with pytest.raises(ValueError, match="exactly n=1"):
        SparseLinear.from_dense(
            np.eye(4), format="nm", mask=np.ones((4, 4), bool), n=1, m=2
        )
    with pytest.raises(ValueError, match="format"):
        SparseLinear.from_dense(np.eye(4), format="coo")
