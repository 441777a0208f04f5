"""The PyTorch adapter (skipped without torch).

Run with ``pip install torch==2.13.0`` (CPU build) and
``python -m pytest tests/nn/test_torch.py``.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sparsela.nn import SparseLinear as NumpyLayer  # noqa: E402
from sparsela.nn.torch import SparseLinear  # noqa: E402

CASES = {
    "csr": {"format": "csr"},
    "bsr1x4": {"format": "bsr", "blocksize": (1, 4)},
    "nm2:4": {"format": "nm", "n": 2, "m": 4},
}


def _numpy_layer(rng, name, dtype, out_f=6, in_f=8):
    W = rng.standard_normal((out_f, in_f)).astype(dtype)
    if name == "csr":
        W *= rng.random(W.shape) < 0.4
    elif name == "bsr1x4":
        W *= np.kron(rng.random((out_f, in_f // 4)) < 0.5, np.ones((1, 4)))
    return NumpyLayer.from_dense(W, rng.standard_normal(out_f), **CASES[name])


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(rng, name):
    layer = SparseLinear(_numpy_layer(rng, name, np.float64))
    X = torch.tensor(rng.standard_normal((3, 8)), requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, v, b: layer._apply_fn(x, v, b), (X, layer.values, layer.bias)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_numpy_layer(rng, name, dtype):
    ref = _numpy_layer(rng, name, dtype)
    mod = SparseLinear(ref)
    X = rng.standard_normal((5, 8)).astype(dtype)
    G = rng.standard_normal((5, 6)).astype(dtype)
    Xt = torch.tensor(X, requires_grad=True)
    Y = mod(Xt)
    Y.backward(torch.tensor(G))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Y.detach().numpy(), ref.forward(X), rtol=rtol)
    dX = ref.backward(G)
    dv, db = ref.grads()
    np.testing.assert_allclose(Xt.grad.numpy(), dX, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(mod.values.grad.numpy(), dv, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(mod.bias.grad.numpy(), db, rtol=rtol, atol=rtol)


def test_trains_inside_a_torch_model(rng):
    # a torch MLP with a sparse first layer fits a fixed random target; the
    # sparse layer's pattern never changes
    torch.manual_seed(0)
    sparse = SparseLinear(_numpy_layer(rng, "csr", np.float32, 32, 16))
    model = torch.nn.Sequential(sparse, torch.nn.ReLU(), torch.nn.Linear(32, 1))
    X = torch.tensor(rng.standard_normal((256, 16)).astype(np.float32))
    y = torch.sin(X[:, :1]) + X[:, 1:2] ** 2
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    mask = sparse.to_layer().mask
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = torch.mean((model(X) - y) ** 2)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    np.testing.assert_array_equal(sparse.to_layer().mask, mask)


def test_bad_inputs(rng):
    mod = SparseLinear(_numpy_layer(rng, "csr", np.float64))
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 8\)"):
        mod(torch.ones(2, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="X must have dtype float64"):
        mod(torch.ones(2, 8, dtype=torch.float32))
