"""Sparse linear layer ``Y = X @ W.T + b`` on a CSR, BSR or N:M weight."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._validation import check_array
from ..formats import BSR, CSR, NM, SparseFormat
from ..kernels.cpu import nn as kn
from ..kernels.cpu import sparse as ks

__all__ = ["SparseLinear"]

_uv = ks.unsigned_view
_REAL = (np.dtype(np.float32), np.dtype(np.float64))
# bytes of input rows a product keeps in cache at a time (half an L2 of
# 512 KiB leaves room for the output rows); see kernels.cpu.nn
_SLAB_BYTES = 128 * 1024


def _canonical(weight: SparseFormat) -> SparseFormat:
    """A copy of ``weight`` that owns its arrays, duplicates summed."""
    if isinstance(weight, CSR):
        return (
            weight.sum_duplicates()
            if not weight.has_canonical_format
            else (weight.copy())
        )
    if isinstance(weight, BSR):
        S = weight.to_scipy()
        S.sum_duplicates()
        return BSR(S.data, S.indices, S.indptr, S.shape, weight.blocksize)
    return weight.copy()


def _transpose_plan(weight: SparseFormat) -> tuple[Any, ...]:
    """Pattern of ``W.T`` and the permutation taking ``W``'s values to it.

    The values of a layer change at every step while the pattern does not,
    so the transposed pattern is built once (SciPy transposes a matrix whose
    values are the positions ``1 .. nnz``) and each backward pass only
    gathers ``values.ravel()[perm]``: the input gradient is then the same
    gather product as the forward pass, parallel over input features, with
    no scatter buffers. The transpose is CSR for every format: the ``(C, R)``
    blocks of a transposed BSR weight (4x1 for 1x4) are too narrow for the
    block kernel to pay.
    """
    tags = np.arange(1, weight.nnz + 1, dtype=np.float64)
    if isinstance(weight, BSR):
        R, C = weight.blocksize
        S = sp.bsr_array(
            (tags.reshape(-1, R, C), weight.indices, weight.indptr),
            shape=weight.shape,
            blocksize=(R, C),
        ).tocsr()
    else:
        A = weight.to_scipy()  # CSR arrays (N:M: explicit zeros kept)
        S = sp.csr_array((tags, A.indices, A.indptr), shape=weight.shape)
    St = S.T.tocsr()  # the tags never vanish: no stored entry is dropped
    St.sort_indices()  # the slab pointers need sorted rows
    data = St.data
    idt = np.int32 if weight.nnz < 2**31 and max(weight.shape) < 2**31 else np.int64
    perm = data.astype(np.int64) - 1
    return perm, _uv(St.indices.astype(idt)), _uv(St.indptr.astype(idt))


def _feature_major(X: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``X.T`` as a C-contiguous array of ``dtype`` (free for Fortran ``X``)."""
    if X.dtype != dtype:
        X = X.astype(dtype)
    if X.flags.f_contiguous:
        return X.T
    X = np.ascontiguousarray(X)  # one compiled layout for the kernel
    out = np.empty((X.shape[1], X.shape[0]), dtype=dtype)
    if X.size:
        kn.transpose(X, out)
    return out


class SparseLinear:
    """Linear layer ``Y = X @ W.T + b`` whose weight is CSR, BSR or N:M sparse.

    Rows of ``X`` are samples, as in every neural-network library (unlike
    the solvers, where signals are columns): ``X`` has shape
    ``(batch, in_features)`` and ``W`` shape ``(out_features, in_features)``.

    Parameters
    ----------
    weight : CSR, BSR or NM
        The weight matrix, real float32 or float64. Its sparsity pattern is
        fixed for the life of the layer; its stored values are the trainable
        parameters (the layer keeps its own copy).
    bias : array_like of shape (out_features,), optional
        Bias, cast to the weight's dtype; ``None`` for no bias.

    Attributes
    ----------
    in_features, out_features : int
        ``W.shape[1]`` and ``W.shape[0]``.
    dtype : numpy.dtype
        float32 or float64; inputs are cast to it.

    Notes
    -----
    Internally the products run feature-major, ``Y.T = W @ X.T``, so that the
    innermost loop of every kernel runs over contiguous samples:

    - forward: ``Y.T = W @ X.T`` (a gather product, parallel over outputs);
    - input gradient: ``dX.T = W.T @ dY.T``, the same gather product on the
      transposed pattern (built once, as CSR);
    - weight gradient: ``dW = (dY.T @ X)`` evaluated on the kept positions
      only, the sampled dense-dense product, ``O(nnz * batch)``;
    - bias gradient: ``db = dY.sum(axis=0)``.

    ``forward`` and ``backward`` therefore return Fortran-ordered arrays
    (views of the feature-major results); a following ``SparseLinear`` reads
    them without a copy, while C-ordered input is transposed once per call.
    ``backward`` overwrites the gradients of :meth:`grads` (it does not
    accumulate). Products below
    :data:`~sparsela.kernels.cpu.sparse.PARALLEL_MIN_WORK` updates run on
    the serial kernels.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.formats import CSR
    >>> from sparsela.nn import SparseLinear
    >>> W = CSR.from_dense(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    >>> layer = SparseLinear(W, bias=np.array([0.5, -0.5]))
    >>> X = np.array([[1.0, 1.0, 1.0]])
    >>> layer.forward(X)
    array([[3.5, 2.5]])
    >>> layer.backward(np.ones((1, 2)))
    array([[1., 3., 2.]])
    >>> layer.grads()[0]  # gradient of the three kept weights
    array([1., 1., 1.])
    """

    def __init__(self, weight: Any, bias: Any = None) -> None:
        if not isinstance(weight, (CSR, BSR, NM)):
            raise TypeError(
                "weight must be a sparsela CSR, BSR or NM matrix, "
                f"got {type(weight).__name__}"
            )
        if weight.dtype not in _REAL:
            raise TypeError(f"weight must be float32 or float64, got {weight.dtype}")
        self._pattern = _canonical(weight)
        self.dtype = self._pattern.dtype
        self.out_features, self.in_features = self._pattern.shape
        self._values = np.ascontiguousarray(self._pattern._data_array()).copy()
        self._dvalues = np.zeros_like(self._values)
        if bias is None:
            self._bias = None
            self._dbias = None
        else:
            b = check_array(bias, "bias", ndim=1, dtype_kinds="f", allow_int=True)
            if b.shape[0] != self.out_features:
                raise ValueError(
                    f"bias must have shape ({self.out_features},), got {b.shape}"
                )
            self._bias = np.array(b, dtype=self.dtype)
            self._dbias = np.zeros_like(self._bias)
        self._plan = _transpose_plan(self._pattern)
        self._slab_cache: dict[tuple[str, int], np.ndarray | None] = {}
        self._Xt: np.ndarray | None = None

    # -- construction ------------------------------------------------------
    @classmethod
    def from_dense(
        cls,
        W: Any,
        bias: Any = None,
        *,
        format: str = "csr",
        mask: Any = None,
        blocksize: tuple[int, int] | None = None,
        n: int | None = None,
        m: int | None = None,
    ) -> SparseLinear:
        """Layer from a dense ``(out_features, in_features)`` weight.

        Parameters
        ----------
        W : array_like of shape (out_features, in_features)
            Dense weight; float32 stays float32, other input becomes float64.
        bias : array_like of shape (out_features,), optional
            Bias.
        format : {"csr", "bsr", "nm"}, default="csr"
            Storage of the weight.
        mask : array_like of bool, same shape as ``W``, optional
            Positions to keep (explicit zeros included); default: the
            nonzeros of ``W`` (``"csr"``, ``"bsr"``) or the ``n`` largest
            magnitudes of every group of ``m`` (``"nm"``). For ``"bsr"``
            every block holding a kept position is stored whole; for
            ``"nm"`` the mask must keep exactly ``n`` of every ``m``
            consecutive inputs.
        blocksize : tuple of int, optional
            ``(R, C)`` for ``"bsr"`` (required).
        n, m : int, optional
            The N:M pattern for ``"nm"`` (required).

        Returns
        -------
        SparseLinear

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.nn import SparseLinear
        >>> W = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 3.0, 4.0, 0.0]])
        >>> SparseLinear.from_dense(W, format="nm", n=1, m=2).to_dense()
        array([[1., 0., 0., 2.],
               [0., 3., 4., 0.]])
        """
        W = check_array(W, "W", ndim=2, dtype_kinds="f", allow_int=True)
        if W.dtype not in _REAL:
            W = W.astype(np.float64)
        fmt = str(format).lower()
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_:
                raise TypeError(f"mask must be a boolean array, got dtype {mask.dtype}")
            if mask.shape != W.shape:
                raise ValueError(f"mask must have shape {W.shape}, got {mask.shape}")
        if fmt == "csr":
            keep = W != 0 if mask is None else mask
            rows, cols = np.nonzero(keep)
            indptr = np.zeros(W.shape[0] + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=W.shape[0]), out=indptr[1:])
            weight = CSR(W[rows, cols], cols, indptr, W.shape)
        elif fmt == "bsr":
            if blocksize is None:
                raise ValueError("blocksize must be given for format='bsr'")
            weight = _bsr_from_mask(W, W != 0 if mask is None else mask, blocksize)
        elif fmt == "nm":
            if n is None or m is None:
                raise ValueError("n and m must be given for format='nm'")
            if mask is None:
                weight = NM.from_dense(W, n, m)
            else:
                weight = _nm_from_mask(W, mask, n, m)
        else:
            raise ValueError(f"format must be 'csr', 'bsr' or 'nm', got {format!r}")
        return cls(weight, bias)

    def to_dense(self) -> np.ndarray:
        """Dense weight ``(out_features, in_features)`` (zeros off the pattern)."""
        return self.weight.todense()

    @property
    def weight(self) -> SparseFormat:
        """The current weight as a new matrix of the layer's format (a copy)."""
        return self._pattern._with_data(self._values.copy())

    @property
    def bias(self) -> np.ndarray | None:
        """The bias array (the parameter itself), or None."""
        return self._bias

    @property
    def format(self) -> str:
        """``"csr"``, ``"bsr"`` or ``"nm"``."""
        return self._pattern.format

    @property
    def mask(self) -> np.ndarray:
        """Boolean ``(out_features, in_features)`` array of the kept positions."""
        return self._pattern._with_data(np.ones_like(self._values)).todense() != 0

    def parameters(self) -> list[np.ndarray]:
        """Trainable arrays, updated in place by an optimiser.

        The stored weight values (shape of the format's value array: ``(nnz,)``
        for CSR, ``(nblocks, R, C)`` for BSR, ``(rows, cols // m * n)`` for
        N:M), then the bias if any. :meth:`grads` lists their gradients in
        the same order.
        """
        return [self._values] if self._bias is None else [self._values, self._bias]

    def grads(self) -> list[np.ndarray]:
        """Gradients of :meth:`parameters` from the last :meth:`backward`."""
        return [self._dvalues] if self._bias is None else [self._dvalues, self._dbias]

    # -- passes ------------------------------------------------------------
    def _check_rows(self, X: Any, name: str, width: int, what: str) -> np.ndarray:
        X = check_array(X, name, ndim=2, dtype_kinds="f", allow_int=True)
        if X.shape[1] != width:
            raise ValueError(
                f"{name} must have shape (batch, {width}) ({what}), got {X.shape}"
            )
        return X

    def forward(self, X: Any) -> np.ndarray:
        """``Y = X @ W.T + b`` for ``X`` of shape ``(batch, in_features)``.

        Rows of ``X`` are samples. ``X`` is cast to the layer's dtype and
        kept (transposed) for :meth:`backward`. Returns a Fortran-ordered
        array of shape ``(batch, out_features)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.nn import SparseLinear
        >>> layer = SparseLinear.from_dense(np.eye(2))
        >>> layer.forward(np.array([[1.0, 2.0]]))
        array([[1., 2.]])
        """
        Y = self._forward_core(X)
        if self._bias is not None:
            Y += self._bias  # in place on the Fortran-ordered result
        return Y

    def _forward_core(self, X: Any) -> np.ndarray:
        """``X @ W.T`` (no bias), keeping ``X.T`` for the backward pass."""
        X = self._check_rows(X, "X", self.in_features, "in_features")
        Xt = _feature_major(X, self.dtype)
        self._Xt = Xt
        Yt = np.zeros((self.out_features, Xt.shape[1]), dtype=self.dtype)
        if Xt.shape[1] and self._values.size:
            self._product(Xt, Yt)
        return Yt.T

    __call__ = forward

    def backward(self, dY: Any) -> np.ndarray:
        """Gradients for the upstream gradient ``dY = dL/dY``.

        Parameters
        ----------
        dY : array_like of shape (batch, out_features)
            Gradient of the loss with respect to the output of the last
            :meth:`forward` (same batch).

        Returns
        -------
        ndarray of shape (batch, in_features)
            ``dL/dX = dY @ W`` (Fortran-ordered). The gradients of the kept
            weights, ``(dY.T @ X)`` on the pattern, and of the bias,
            ``dY.sum(axis=0)``, are written to :meth:`grads`.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.nn import SparseLinear
        >>> layer = SparseLinear.from_dense(np.array([[2.0, 0.0]]))
        >>> _ = layer.forward(np.array([[3.0, 4.0]]))
        >>> layer.backward(np.array([[1.0]])), layer.grads()[0]
        (array([[2., 0.]]), array([3.]))
        """
        dYt = self._upstream(dY)
        self._dvalues[...] = 0
        if dYt.shape[1] and self._values.size:
            self._weight_grad(dYt, self._dvalues)
        if self._bias is not None:
            self._dbias[:] = dYt.sum(axis=1)
        return self._input_grad(dYt)

    def _upstream(self, dY: Any) -> np.ndarray:
        """Validated ``dY.T``, C-contiguous in the layer's dtype."""
        if self._Xt is None:
            raise ValueError("backward needs a forward pass first")
        dY = self._check_rows(dY, "dY", self.out_features, "out_features")
        batch = self._Xt.shape[1]
        if dY.shape[0] != batch:
            raise ValueError(
                f"dY must have {batch} rows (the batch of the last forward), "
                f"got {dY.shape[0]}"
            )
        return _feature_major(dY, self.dtype)

    # -- kernels -----------------------------------------------------------
    def _slabs(
        self, which: str, indices: np.ndarray, indptr: np.ndarray, n_cols: int,
        block: int, batch: int,
    ) -> np.ndarray | None:  # fmt: skip
        """Slab pointers for a product reading ``n_cols`` input rows of
        ``batch`` values (``block`` columns per stored index), cached per
        batch size; None when all rows fit in one slab."""
        width = max(16, _SLAB_BYTES // (batch * self.dtype.itemsize))
        key = (which, width)
        if key not in self._slab_cache:
            self._slab_cache[key] = (
                None
                if width >= n_cols
                else kn.slab_pointers(indices, indptr, max(1, width // block))
            )
        return self._slab_cache[key]

    def _product(self, Xt: np.ndarray, Yt: np.ndarray) -> None:
        P, v, b = self._pattern, self._values, Xt.shape[1]
        if isinstance(P, CSR):
            sl = self._slabs("fwd", P.indices, P.indptr, self.in_features, 1, b)
            kn.csr_forward(v, _uv(P.indices), _uv(P.indptr), Xt, Yt, slabs=sl)
        elif isinstance(P, BSR):
            C = P.blocksize[1]
            sl = self._slabs("fwd", P.indices, P.indptr, self.in_features, C, b)
            kn.bsr_forward(v, _uv(P.indices), _uv(P.indptr), Xt, Yt, slabs=sl)
        else:
            kn.nm_forward(v, P.positions, P.n, P.m, Xt, Yt)

    def _input_grad(self, dYt: np.ndarray) -> np.ndarray:
        """``dX = dY @ W`` from ``dYt = dY.T`` (Fortran-ordered result)."""
        v = self._values
        dXt = np.zeros((self.in_features, dYt.shape[1]), dtype=self.dtype)
        if not (dYt.shape[1] and v.size):
            return dXt.T
        perm, ind_t, ptr_t = self._plan
        sl = self._slabs("bwd", ind_t, ptr_t, self.out_features, 1, dYt.shape[1])
        kn.csr_forward(v.reshape(-1)[perm], ind_t, ptr_t, dYt, dXt, slabs=sl)
        return dXt.T

    def _weight_grad(self, dYt: np.ndarray, out: np.ndarray) -> None:
        """``out += (dY.T @ X)`` on the pattern (the sampled product)."""
        P, Xt = self._pattern, self._Xt
        if isinstance(P, CSR):
            kn.csr_sddmm(_uv(P.indices), _uv(P.indptr), dYt, Xt, out)
        elif isinstance(P, BSR):
            kn.bsr_sddmm(_uv(P.indices), _uv(P.indptr), dYt, Xt, out)
        else:
            kn.nm_sddmm(P.positions, P.n, P.m, dYt, Xt, out)

    def __repr__(self) -> str:
        return (
            f"SparseLinear(in_features={self.in_features}, "
            f"out_features={self.out_features}, format={self.format!r}, "
            f"density={self._pattern.density:.3g}, dtype={self.dtype}, "
            f"bias={self._bias is not None})"
        )


def _bsr_from_mask(W: np.ndarray, mask: np.ndarray, blocksize: Any) -> BSR:
    R, C = (int(b) for b in blocksize)
    rows, cols = W.shape
    if R < 1 or C < 1 or rows % R or cols % C:
        raise ValueError(
            f"blocksize must be positive and divide the shape {W.shape}, "
            f"got {blocksize!r}"
        )
    blocks = (W * mask).reshape(rows // R, R, cols // C, C).transpose(0, 2, 1, 3)
    keep = mask.reshape(rows // R, R, cols // C, C).any(axis=(1, 3))
    bi, bj = np.nonzero(keep)
    indptr = np.zeros(rows // R + 1, dtype=np.int64)
    np.cumsum(np.bincount(bi, minlength=rows // R), out=indptr[1:])
    data = np.ascontiguousarray(blocks[bi, bj]).reshape(-1, R, C)
    return BSR(data, bj, indptr, W.shape, (R, C))


def _nm_from_mask(W: np.ndarray, mask: np.ndarray, n: int, m: int) -> NM:
    rows, cols = W.shape
    if not isinstance(m, (int, np.integer)) or m < 1 or cols % m:
        raise ValueError(
            f"m must be a positive integer dividing in_features={cols}, got {m!r}"
        )
    M3 = mask.reshape(rows, cols // m, m)
    counts = M3.sum(axis=-1)
    if not bool((counts == n).all()):
        raise ValueError(
            f"mask must keep exactly n={n} of every m={m} consecutive inputs"
        )
    # stable argsort of ~mask lists the kept offsets first, in increasing order
    pos = np.argsort(~M3, axis=-1, kind="stable")[..., :n]
    vals = np.take_along_axis(W.reshape(rows, cols // m, m), pos, axis=-1)
    return NM(vals.reshape(rows, -1), pos.reshape(rows, -1), W.shape, n, m)
