"""PyTorch adapter: a sparse linear ``torch.nn.Module`` on the CPU kernels.

Imported only on request (``import sparsela.nn.torch``) and only where
PyTorch is installed; ``import sparsela.nn`` never imports torch. The
autograd function calls the same Numba kernels as
:class:`sparsela.nn.SparseLinear` (CPU tensors, float32 or float64), so a
CSR, BSR or N:M layer sits inside a torch model, trains with torch
optimisers and passes :func:`torch.autograd.gradcheck`.

Examples
--------
>>> import numpy as np, torch
>>> from sparsela.formats import CSR
>>> from sparsela.nn.torch import SparseLinear
>>> layer = SparseLinear(CSR.from_dense(np.array([[1.0, 0.0], [0.0, 2.0]])))
>>> layer(torch.ones(1, 2, dtype=torch.float64))
tensor([[1., 2.]], dtype=torch.float64, grad_fn=<SparseLinearFunctionBackward>)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._linear import SparseLinear as _NumpyLayer
from ._linear import _feature_major

__all__ = ["SparseLinear", "SparseLinearFunction"]


def _array(t: torch.Tensor) -> np.ndarray:
    if t.device.type != "cpu":
        raise ValueError(f"tensors must be on the CPU, got device {t.device}")
    return t.detach().numpy()


class SparseLinearFunction(torch.autograd.Function):
    """``Y = X @ W.T + b`` with ``W`` the pattern of ``layer`` holding
    ``values``; gradients for ``X``, ``values`` (kept weights only) and
    ``bias``.

    ``layer`` is a :class:`sparsela.nn.SparseLinear` that supplies the
    pattern and its transposed plan; its own values are not used.
    """

    @staticmethod
    def forward(ctx: Any, X, values, bias, layer):  # noqa: D102
        Xn = _array(X)
        if Xn.dtype != layer.dtype:
            raise TypeError(f"X must have dtype {layer.dtype}, got {Xn.dtype}")
        layer._values = _array(values)
        Y = layer._forward_core(Xn)
        ctx.layer, ctx.Xt, ctx.values = layer, layer._Xt, layer._values
        out = torch.from_numpy(np.ascontiguousarray(Y))
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx: Any, dY):  # noqa: D102
        layer = ctx.layer
        layer._values, layer._Xt = ctx.values, ctx.Xt
        dYt = _feature_major(_array(dY), layer.dtype)
        need_x, need_v, need_b, _ = ctx.needs_input_grad
        dX = dv = db = None
        if need_x:
            dX = torch.from_numpy(np.ascontiguousarray(layer._input_grad(dYt)))
        if need_v:
            out = np.zeros_like(ctx.values)
            if dYt.shape[1] and out.size:
                layer._weight_grad(dYt, out)
            dv = torch.from_numpy(out)
        if need_b:
            db = dY.sum(dim=0)
        return dX, dv, db, None


class SparseLinear(torch.nn.Module):
    """``torch.nn.Module`` for ``Y = X @ W.T + b`` with a sparse ``W``.

    Parameters
    ----------
    weight : CSR, BSR, NM or sparsela.nn.SparseLinear
        The weight (pattern and initial values); float32 or float64. A
        :class:`sparsela.nn.SparseLinear` also gives its bias.
    bias : array_like of shape (out_features,), optional
        Bias (ignored when ``weight`` is a layer).

    Attributes
    ----------
    values : torch.nn.Parameter
        The kept weights, shaped as the format's value array.
    bias : torch.nn.Parameter or None
        The bias.

    Notes
    -----
    Rows of ``X`` are samples. CPU tensors only; the dtype of ``X`` must be
    the layer's. The products are those of :class:`sparsela.nn.SparseLinear`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sparsela.nn import SparseLinear as NumpyLayer
    >>> from sparsela.nn.torch import SparseLinear
    >>> W = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 3.0, 4.0, 0.0]])
    >>> m = SparseLinear(NumpyLayer.from_dense(W, format="nm", n=1, m=2))
    >>> y = m(torch.ones(3, 4, dtype=torch.float64)).sum()
    >>> y.backward(); m.values.grad
    tensor([[3., 3.],
            [3., 3.]], dtype=torch.float64)
    """

    def __init__(self, weight: Any, bias: Any = None) -> None:
        super().__init__()
        layer = weight if isinstance(weight, _NumpyLayer) else _NumpyLayer(weight, bias)
        b = layer.bias
        self._layer = _NumpyLayer(layer.weight)  # private copy of the pattern
        self.values = torch.nn.Parameter(torch.from_numpy(layer.parameters()[0].copy()))
        self.bias = (
            None if b is None else torch.nn.Parameter(torch.from_numpy(b.copy()))
        )
        self.in_features = layer.in_features
        self.out_features = layer.out_features

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """``X @ W.T + b`` for ``X`` of shape ``(batch, in_features)``."""
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise ValueError(
                f"X must have shape (batch, {self.in_features}), got {tuple(X.shape)}"
            )
        return self._apply_fn(X, self.values, self.bias)

    def _apply_fn(self, X, values, bias):
        return SparseLinearFunction.apply(X, values, bias, self._layer)

    def to_layer(self) -> _NumpyLayer:
        """The equivalent :class:`sparsela.nn.SparseLinear` (arrays copied)."""
        W = self._layer._pattern._with_data(self.values.detach().numpy().copy())
        b = None if self.bias is None else self.bias.detach().numpy().copy()
        return _NumpyLayer(W, b)

    def to_dense(self) -> torch.Tensor:
        """Dense weight ``(out_features, in_features)``."""
        return torch.from_numpy(self.to_layer().to_dense())

    def extra_repr(self) -> str:  # noqa: D102
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"format={self._layer.format!r}, bias={self.bias is not None}"
        )
