"""Sparse autoencoders: k-sparse (top-k) and matching-pursuit (MP-SAE)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._threads import _controller
from .._validation import check_array, check_positive_int, check_scalar
from ..solvers.pursuit import mp_gram
from ._activations import TopK
from ._optim import Adam

__all__ = ["KSparseAutoencoder", "MatchingPursuitAutoencoder"]


def _check_sizes(n_features: Any, n_latents: Any, k: Any, k_name: str):
    n_features = check_positive_int(n_features, "n_features")
    n_latents = check_positive_int(n_latents, "n_latents")
    k = check_positive_int(k, k_name)
    return n_features, n_latents, k


def _check_data(X: Any, n_features: int, dtype: np.dtype) -> np.ndarray:
    X = check_array(X, "X", ndim=2, dtype_kinds="f", allow_int=True)
    if X.shape[1] != n_features:
        raise ValueError(
            f"X must have shape (n_samples, {n_features}) (n_features), got {X.shape}"
        )
    return np.ascontiguousarray(X, dtype=dtype)


def _small_blas():
    """BLAS on one thread: mini-batch products are too small to gain from
    more, and each multi-threaded call waits for every core it wakes."""
    return _controller().limit(limits=1, user_api="blas")


def _batches(rng: np.random.Generator, n: int, batch_size: int):
    order = rng.permutation(n)
    for s in range(0, n, batch_size):
        yield order[s : s + batch_size]


class KSparseAutoencoder:
    """k-sparse autoencoder: a linear autoencoder with a top-k bottleneck.

    Rows of ``X`` are samples. The encoder is ``Z = X W + b`` with ``W`` of
    shape ``(n_features, n_latents)``, the code ``H`` keeps the ``k``
    largest entries of each row of ``Z`` (:class:`TopK`), and the decoder is
    ``X_hat = H W.T + b_dec`` (tied) or ``H D + b_dec`` (untied).

    Parameters
    ----------
    n_features, n_latents : int
        Input width and number of latent units.
    k : int
        Units kept per sample, ``1 <= k <= n_latents``.
    tied : bool, default=True, keyword-only
        Decoder ``W.T`` (the paper's model) or a separate ``D``.
    random_state : int or numpy.random.Generator, optional, keyword-only
        Seed of the initial weights and of the batch order in :meth:`fit`.
    dtype : dtype, default=float32, keyword-only
        float32 or float64.

    Attributes
    ----------
    W, b, b_dec : ndarray
        Encoder weights and biases (``D`` too when untied).
    loss_ : list of float
        Mean squared reconstruction error of each epoch of :meth:`fit`.

    Notes
    -----
    Loss ``mean_i ||x_i - x_hat_i||^2``; the support of the top-k selection
    is treated as constant in the backward pass, so only the selected units
    receive gradient. :meth:`fit` anneals ``k`` linearly from ``k_start``
    down to ``k`` over the first half of the epochs (which keeps units from
    dying early) and trains with Adam. At inference :meth:`encode` may keep
    ``alpha * k`` units.

    References
    ----------
    .. [1] A. Makhzani and B. Frey, "k-sparse autoencoders", ICLR 2014,
       arXiv:1312.5663.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import KSparseAutoencoder
    >>> X = np.random.default_rng(0).standard_normal((64, 8))
    >>> ae = KSparseAutoencoder(8, 16, 3, random_state=0).fit(X, n_epochs=5)
    >>> ae.encode(X).shape, int((ae.encode(X) != 0).sum(axis=1).max())
    ((64, 16), 3)
    """

    def __init__(
        self,
        n_features: int,
        n_latents: int,
        k: int,
        *,
        tied: bool = True,
        random_state: Any = None,
        dtype: Any = np.float32,
    ) -> None:
        n_features, n_latents, k = _check_sizes(n_features, n_latents, k, "k")
        if k > n_latents:
            raise ValueError(f"k must be at most n_latents={n_latents}, got {k}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {self.dtype}")
        self.n_features, self.n_latents, self.k = n_features, n_latents, k
        self.tied = bool(tied)
        self._rng = np.random.default_rng(random_state)
        W = self._rng.standard_normal((n_features, n_latents))
        W /= np.linalg.norm(W, axis=0, keepdims=True)
        self.W = W.astype(self.dtype)
        self.b = np.zeros(n_latents, dtype=self.dtype)
        self.b_dec = np.zeros(n_features, dtype=self.dtype)
        self.D = None if self.tied else np.ascontiguousarray(self.W.T)
        self._grads = [np.zeros_like(p) for p in self.parameters()]
        self.loss_: list[float] = []

    def parameters(self) -> list[np.ndarray]:
        """``[W, b, b_dec]`` (and ``D`` when untied), updated in place."""
        base = [self.W, self.b, self.b_dec]
        return base if self.tied else [*base, self.D]

    def grads(self) -> list[np.ndarray]:
        """Gradients of :meth:`parameters` from the last :meth:`backward`."""
        return self._grads

    def _decoder(self) -> np.ndarray:
        return self.W.T if self.tied else self.D

    def encode(self, X: Any, *, alpha: float = 1.0) -> np.ndarray:
        """Codes ``(n_samples, n_latents)``: the ``alpha * k`` largest of ``Z``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.
        alpha : float, default=1.0, keyword-only
            Keep ``min(round(alpha * k), n_latents)`` units (``alpha >= 1``).
        """
        X = _check_data(X, self.n_features, self.dtype)
        a = check_scalar(alpha, "alpha", kind=numbers.Real, min_val=1.0)
        keep = min(int(round(a * self.k)), self.n_latents)
        return TopK(keep).forward(X @ self.W + self.b)

    def decode(self, H: Any) -> np.ndarray:
        """Reconstruction ``H W.T + b_dec`` (or ``H D + b_dec``)."""
        H = check_array(H, "H", ndim=2, dtype_kinds="f")
        if H.shape[1] != self.n_latents:
            raise ValueError(
                f"H must have shape (n_samples, {self.n_latents}), got {H.shape}"
            )
        return H @ self._decoder() + self.b_dec

    def forward(self, X: Any, *, k: int | None = None) -> np.ndarray:
        """Reconstruction of ``X`` with ``k`` units (default ``self.k``),
        keeping what :meth:`backward` needs."""
        X = _check_data(X, self.n_features, self.dtype)
        k = self.k if k is None else check_positive_int(k, "k")
        self._act = TopK(k)
        self._X = X
        self._H = self._act.forward(X @ self.W + self.b)
        return self._H @ self._decoder() + self.b_dec

    def backward(self, dXhat: Any) -> None:
        """Gradients for ``dL/dX_hat``, written to :meth:`grads`."""
        dXhat = np.asarray(dXhat, dtype=self.dtype)
        dW, db, db_dec = self._grads[:3]
        dH = dXhat @ (self.W if self.tied else self.D.T)
        dZ = self._act.backward(dH)
        np.matmul(self._X.T, dZ, out=dW)
        if self.tied:
            dW += dXhat.T @ self._H
        else:
            np.matmul(self._H.T, dXhat, out=self._grads[3])
        db[:] = dZ.sum(axis=0)
        db_dec[:] = dXhat.sum(axis=0)

    def fit(
        self,
        X: Any,
        *,
        n_epochs: int = 50,
        batch_size: int = 64,
        lr: float = 1e-3,
        k_start: int | None = None,
    ) -> KSparseAutoencoder:
        """Train with Adam on mini-batches, ``k`` annealed from ``k_start``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training samples in rows.
        n_epochs : int, default=50
            Passes over ``X``.
        batch_size : int, default=64
            Mini-batch size.
        lr : float, default=1e-3
            Adam step size.
        k_start : int, optional
            ``k`` of the first epoch, decreased linearly to ``k`` over the
            first half of the epochs; default ``min(4 k, n_latents)``.

        Returns
        -------
        KSparseAutoencoder
            ``self``, with ``loss_`` holding each epoch's mean loss.
        """
        X = _check_data(X, self.n_features, self.dtype)
        n_epochs = check_positive_int(n_epochs, "n_epochs")
        batch_size = check_positive_int(batch_size, "batch_size")
        k0 = min(4 * self.k, self.n_latents) if k_start is None else k_start
        k0 = check_positive_int(k0, "k_start")
        if k0 > self.n_latents:
            raise ValueError(
                f"k_start must be at most n_latents={self.n_latents}, got {k0}"
            )
        opt = Adam(self.parameters(), lr)
        half = max(1, n_epochs // 2)
        with _small_blas():
            self._epochs(X, n_epochs, batch_size, k0, half, opt)
        return self

    def _epochs(self, X, n_epochs, batch_size, k0, half, opt):
        for epoch in range(n_epochs):
            frac = min(epoch / half, 1.0)
            k = int(round(k0 + (self.k - k0) * frac))
            total = 0.0
            for idx in _batches(self._rng, X.shape[0], batch_size):
                E = self.forward(X[idx], k=k) - X[idx]
                total += float((E * E).sum())
                self.backward(2.0 * E / idx.size)
                opt.step(self._grads)
            self.loss_.append(total / X.shape[0])


class MatchingPursuitAutoencoder:
    """MP-SAE: a sparse autoencoder whose encoder is matching pursuit.

    Rows of ``X`` are samples. The dictionary ``D`` has ``n_latents``
    unit-norm rows (atoms). The encoder runs ``n_steps`` steps of matching
    pursuit on the residual of ``X - b_pre``, each picking the atom of
    largest (signed) correlation, so codes are non-negative; the decoder is
    ``X_hat = Z D + b_pre``.

    Parameters
    ----------
    n_features, n_latents : int
        Input width and number of atoms.
    n_steps : int
        Pursuit steps of the encoder (the sparsity budget; an atom may be
        picked more than once).
    random_state : int or numpy.random.Generator, optional, keyword-only
        Seed of the initial atoms and of the batch order.
    dtype : dtype, default=float32, keyword-only
        float32 or float64.

    Attributes
    ----------
    D : ndarray of shape (n_latents, n_features)
        The atoms, unit norm after every training step.
    b_pre : ndarray of shape (n_features,)
        Centre subtracted before the pursuit (the training mean after
        :meth:`fit`).
    loss_ : list of float
        Mean squared reconstruction error of each epoch of :meth:`fit`.

    Notes
    -----
    One step on the residual ``r`` (``c = D r``, ``j = argmax_i c_i``):
    ``z_j += c_j``, ``r -= c_j D_j``. With unit atoms ``||r||^2`` falls by
    ``c_j^2`` at every step, so the reconstruction error never increases
    with the number of steps. The pursuit is :func:`~sparsela.solvers.
    pursuit.mp_gram` on the precomputed Gram matrix ``D D^T`` (one ``O(h)``
    update per step and sample), with ``positive=True``. Training (Adam)
    follows the gradient of the reconstruction error with respect to ``D``
    at fixed codes, then renormalises the atoms; the pursuit itself is not
    differentiated through.

    References
    ----------
    .. [1] V. Costa, T. Fel, E. S. Lubana, B. Tolooshams, D. Ba, "From flat
       to hierarchical: extracting sparse representations with matching
       pursuit", NeurIPS 2025, arXiv:2506.03093.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.nn import MatchingPursuitAutoencoder
    >>> X = np.random.default_rng(0).standard_normal((32, 6))
    >>> sae = MatchingPursuitAutoencoder(6, 12, 3, random_state=0)
    >>> errs = [sae.reconstruction_error(X, n_steps=t) for t in (1, 2, 3)]
    >>> bool(errs[0] >= errs[1] >= errs[2])
    True
    """

    def __init__(
        self,
        n_features: int,
        n_latents: int,
        n_steps: int,
        *,
        random_state: Any = None,
        dtype: Any = np.float32,
    ) -> None:
        n_features, n_latents, n_steps = _check_sizes(
            n_features, n_latents, n_steps, "n_steps"
        )
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {self.dtype}")
        self.n_features, self.n_latents, self.n_steps = n_features, n_latents, n_steps
        self._rng = np.random.default_rng(random_state)
        D = self._rng.standard_normal((n_latents, n_features))
        self.D = (D / np.linalg.norm(D, axis=1, keepdims=True)).astype(self.dtype)
        self.b_pre = np.zeros(n_features, dtype=self.dtype)
        self.loss_: list[float] = []

    def encode(self, X: Any, *, n_steps: int | None = None) -> np.ndarray:
        """Non-negative codes ``(n_samples, n_latents)`` after ``n_steps``
        pursuit steps (default ``self.n_steps``)."""
        X = _check_data(X, self.n_features, self.dtype)
        steps = (
            self.n_steps if n_steps is None else check_positive_int(n_steps, "n_steps")
        )
        R = X - self.b_pre
        res = mp_gram(
            self.D @ self.D.T,
            self.D @ R.T,
            n_nonzero=self.n_latents,
            max_iter=steps,
            positive=True,
        )
        return np.ascontiguousarray(res.x.T)

    def decode(self, Z: Any) -> np.ndarray:
        """Reconstruction ``Z D + b_pre``."""
        Z = check_array(Z, "Z", ndim=2, dtype_kinds="f")
        if Z.shape[1] != self.n_latents:
            raise ValueError(
                f"Z must have shape (n_samples, {self.n_latents}), got {Z.shape}"
            )
        return Z @ self.D + self.b_pre

    def reconstruction_error(self, X: Any, *, n_steps: int | None = None) -> float:
        """Mean squared reconstruction error per sample after ``n_steps``."""
        X = _check_data(X, self.n_features, self.dtype)
        E = self.decode(self.encode(X, n_steps=n_steps)) - X
        return float((E.astype(np.float64) ** 2).sum() / X.shape[0])

    def fit(
        self,
        X: Any,
        *,
        n_epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-2,
        center: bool = True,
    ) -> MatchingPursuitAutoencoder:
        """Learn the atoms with Adam; atoms renormalised after every step.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training samples in rows.
        n_epochs : int, default=30
            Passes over ``X``.
        batch_size : int, default=64
            Mini-batch size.
        lr : float, default=1e-2
            Adam step size.
        center : bool, default=True
            Set ``b_pre`` to the mean of ``X`` (else 0): for data whose
            features all enter with positive weights the mean mixes every
            feature, and the pursuit is better run on ``X`` itself.

        Returns
        -------
        MatchingPursuitAutoencoder
            ``self``, with ``loss_`` holding each epoch's mean loss.
        """
        X = _check_data(X, self.n_features, self.dtype)
        n_epochs = check_positive_int(n_epochs, "n_epochs")
        batch_size = check_positive_int(batch_size, "batch_size")
        self.b_pre[:] = X.mean(axis=0) if center else 0
        with _small_blas():
            self._epochs(X, n_epochs, batch_size, Adam([self.D], lr))
        return self

    def _epochs(self, X, n_epochs, batch_size, opt):
        dD = np.zeros_like(self.D)
        for _ in range(n_epochs):
            total = 0.0
            for idx in _batches(self._rng, X.shape[0], batch_size):
                Z = self.encode(X[idx])
                E = self.decode(Z) - X[idx]
                total += float((E * E).sum())
                np.matmul(Z.T, E, out=dD)
                dD *= 2.0 / idx.size
                opt.step([dD])
                norms = np.linalg.norm(self.D, axis=1, keepdims=True)
                self.D /= np.maximum(norms, np.finfo(self.dtype).tiny)
            self.loss_.append(total / X.shape[0])
