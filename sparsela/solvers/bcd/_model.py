"""One problem of block coordinate descent on raw arrays: the loss, the stored
matrix (dense column-major or CSC), the blocks and the penalty codes.

A :class:`Model` serves every signal of a call; the per-signal vectors (the
coefficients ``x`` and the fit ``R``) live in the signal's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...datafits import logistic_gap, logistic_value, logistic_weights
from ...kernels.cpu import bcd as _k

__all__ = ["Model", "Penalty", "stored_arrays"]


def stored_arrays(op: Any) -> tuple[Any, ...] | None:
    """``(A,)`` column-major for a dense operator, ``(data, indices, indptr)``
    of a canonical CSC copy for a sparse one, ``None`` for matrix-free."""
    dense = op.as_array()
    if dense is not None:
        return (np.asfortranarray(dense),)
    csc = op.as_csc()
    if csc is None:
        return None
    if not csc.has_canonical_format:
        csc = csc.sum_duplicates()
    return (csc.data, csc.indices, csc.indptr)


@dataclass
class Penalty:
    """The penalty as the kernels see it: a code, and the object for values
    and dual scaling (``obj`` is a :class:`~sparsela.penalties.Penalty`)."""

    obj: Any
    code: int  # kernels.cpu.bcd.PEN_*
    weights: np.ndarray  # per block (group l1), ones otherwise

    def value(self, x: np.ndarray, lam: float) -> float:
        if self.code == _k.PEN_NONE:
            return 0.0
        return float(self.obj._value(x.reshape(-1, 1), np.array([lam]))[0])

    def dual_scale(self, z: np.ndarray, lam: float) -> tuple[float, float]:
        s, conj = self.obj._dual_scale(z.reshape(-1, 1), np.array([lam]))
        return float(np.atleast_1d(s)[0]), float(np.atleast_1d(conj)[0])

    def distance(self, x, grad, lam, perm, ptr, weights=None) -> np.ndarray:
        """Distance of ``-grad_b`` to the subdifferential of ``g_b`` at ``x_b``,
        per block (``perm``/``ptr`` ``None``: per coordinate of ``x``);
        ``weights`` are the group weights of those blocks (default all)."""
        if self.code == _k.PEN_GROUP:
            xs, gs = x[perm], grad[perm]
            nx = np.sqrt(np.add.reduceat(np.abs(xs) ** 2, ptr[:-1]))
            t = lam * (self.weights if weights is None else weights)
            ng = np.sqrt(np.add.reduceat(np.abs(gs) ** 2, ptr[:-1]))
            out = np.maximum(ng - t, 0.0)
            on = nx > 0
            if on.any():
                nxe = np.repeat(nx, np.diff(ptr))
                te = np.repeat(t, np.diff(ptr))
                with np.errstate(invalid="ignore", divide="ignore"):
                    v = np.where(nxe > 0, gs + te * xs / np.where(nxe > 0, nxe, 1), 0)
                d = np.sqrt(np.add.reduceat(np.abs(v) ** 2, ptr[:-1]))
                out[on] = d[on]
            return out
        a = np.abs(grad)
        if self.code == _k.PEN_NONE or lam == 0 and self.code == _k.PEN_L1:
            d = a
        elif self.code == _k.PEN_L1:
            ax = np.abs(x)
            on = ax > 0
            d = np.maximum(a - lam, 0.0)
            d[on] = np.abs(grad[on] + lam * x[on] / ax[on])
        else:  # non-negative l1
            d = np.maximum(-grad.real - lam, 0.0)
            on = x.real > 0
            d[on] = np.abs(grad.real[on] + lam)
        if perm is None:
            return d
        return np.sqrt(np.add.reduceat(d[perm] ** 2, ptr[:-1]))

    def model_decrease(self, x, grad, lips, lam, perm, ptr, length=False):
        """GS-q score per block: the decrease of the prox-linear model
        ``g_b d + L_b/2 ||d||^2 + g(x_b + d) - g(x_b)`` at its minimiser
        ``d``; with ``length``, the GS-r score ``||d||`` instead."""
        L = lips if perm is None else np.repeat(lips, np.diff(ptr))
        xs = x if perm is None else x[perm]
        gs = grad if perm is None else grad[perm]
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(L > 0, xs - gs / np.where(L > 0, L, 1), xs)
            t = np.where(L > 0, lam / np.where(L > 0, L, 1), 0.0)
        if self.code == _k.PEN_GROUP:
            nv = np.sqrt(np.add.reduceat(np.abs(v) ** 2, ptr[:-1]))
            tb = t[ptr[:-1]] * self.weights
            sc = np.where(nv > tb, 1 - tb / np.where(nv > 0, nv, 1), 0.0)
            new = v * np.repeat(sc, np.diff(ptr))
            pen_new = lam * self.weights * nv * sc
            nx = np.sqrt(np.add.reduceat(np.abs(xs) ** 2, ptr[:-1]))
            pen_old = lam * self.weights * nx
        else:
            if self.code == _k.PEN_L1:
                av = np.abs(v)
                with np.errstate(divide="ignore", invalid="ignore"):
                    new = np.where(av > t, v * (1 - t / np.where(av > 0, av, 1)), 0)
            elif self.code == _k.PEN_NONNEG:
                new = np.maximum(v - t, 0.0)
            else:
                new = v
            w = 0.0 if self.code == _k.PEN_NONE else lam
            pen_new, pen_old = w * np.abs(new), w * np.abs(xs)
        d = new - xs
        if length:
            d2 = np.abs(d) ** 2
            return np.sqrt(d2 if perm is None else np.add.reduceat(d2, ptr[:-1]))
        lin = (np.conj(gs) * d).real + 0.5 * L * np.abs(d) ** 2
        if perm is not None:
            lin = np.add.reduceat(lin, ptr[:-1])
            if self.code != _k.PEN_GROUP:
                pen_new = np.add.reduceat(pen_new, ptr[:-1])
                pen_old = np.add.reduceat(pen_old, ptr[:-1])
        return np.maximum(-(lin + pen_new - pen_old), 0.0)


class Model:
    """The smooth part ``f`` on raw arrays, with its BCD epochs.

    Parameters
    ----------
    loss : int
        ``kernels.cpu.bcd.LOSS_*``.
    arrays : tuple
        :func:`stored_arrays` of ``A`` (of ``Q`` for the quadratic form).
    shape : tuple of int
        ``(m, n)``: rows and coefficients.
    perm, ptr : ndarray of int64 or None
        Blocks (``None``: single coordinates).
    lips : ndarray of float64
        Lipschitz constant per block (per coordinate without blocks).
    """

    def __init__(self, loss, arrays, shape, perm, ptr, lips, dtype) -> None:
        self.loss = loss
        self.m, n = shape
        self.arrays = arrays
        self.dense = len(arrays) == 1
        self.n = n
        self.perm, self.ptr = perm, ptr
        self.lips = lips
        self.dtype = dtype
        self.n_blocks = n if perm is None else ptr.size - 1
        self.buf = np.zeros(
            1 if ptr is None else max(int(np.diff(ptr).max()), 1), dtype=dtype
        )

    def coordinate_lipschitz(self) -> np.ndarray:
        """Squared column norms of the stored matrix (times 1/4 for the
        logistic loss), the diagonal for the quadratic form."""
        if self.dense:
            A = self.arrays[0]
            if self.loss == _k.LOSS_QUADRATIC:
                return np.ascontiguousarray(np.diag(A), dtype=np.float64)
            if A.dtype.kind == "c":
                sq = np.einsum("ij,ij->j", A.real, A.real)
                sq += np.einsum("ij,ij->j", A.imag, A.imag)
            else:
                sq = np.einsum("ij,ij->j", A, A)
        else:
            data, indices, indptr = self.arrays
            if self.loss == _k.LOSS_QUADRATIC:
                d = np.zeros(self.n)
                cols = np.repeat(np.arange(self.n), np.diff(indptr))
                on = indices == cols
                np.add.at(d, cols[on], data[on].real)
                return d
            sq = np.zeros(self.n)
            nz = np.diff(indptr) > 0
            if nz.any():
                sq[nz] = np.add.reduceat(np.abs(data) ** 2, indptr[:-1][nz])
        sq = sq.astype(np.float64)
        return 0.25 * sq if self.loss == _k.LOSS_LOGISTIC else sq

    # -- fit vector, gradient and value -------------------------------------------
    def fit(self, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``R``: ``A x - y`` (squared), ``A x`` (logistic), ``Q x`` (quadratic)."""
        if not np.any(x):
            Ax = np.zeros(self.m, dtype=self.dtype)
        else:
            Ax = self.matvec(x)
        if self.loss == _k.LOSS_SQUARED:
            return np.ascontiguousarray(Ax - b, dtype=self.dtype)
        return np.ascontiguousarray(Ax, dtype=self.dtype)

    def matvec(self, x: np.ndarray) -> np.ndarray:
        if self.dense:
            return self.arrays[0] @ x
        data, indices, indptr = self.arrays
        out = np.zeros(self._rows(), dtype=np.result_type(data, x))
        nz = np.flatnonzero(x)
        for j in nz:  # sparse iterates: through the support
            lo, hi = indptr[j], indptr[j + 1]
            out[indices[lo:hi]] += data[lo:hi] * x[j]
        return out

    def _rows(self) -> int:
        return self.m

    def weights(self, R: np.ndarray, aux: np.ndarray) -> np.ndarray:
        """The vector ``W`` with ``grad f = A^H W`` (squared and logistic)."""
        if self.loss == _k.LOSS_LOGISTIC:
            return logistic_weights(R, aux).astype(self.dtype)
        return R

    def gradient(self, R: np.ndarray, aux: np.ndarray, cols=None) -> np.ndarray:
        """``grad f`` at the coordinates ``cols`` (all of them for ``None``)."""
        if self.loss == _k.LOSS_QUADRATIC:
            return R - aux if cols is None else R[cols] - aux[cols]
        W = self.weights(R, aux)
        if cols is None and self.dense:
            A = self.arrays[0]
            if A.dtype.kind == "c":
                return (W.conj() @ A).conj()
            if W.dtype.kind == "c":
                return A.T @ W.real + 1j * (A.T @ W.imag)
            return A.T @ W
        if cols is None:
            cols = np.arange(self.n, dtype=np.int64)
        out = np.empty(cols.size, dtype=np.result_type(self.arrays[0], W))
        if self.dense:
            _k.col_dots_dense(self.arrays[0], W, cols, out)
        elif cols.size == self.n and self.arrays[0].size >= _k.PARALLEL_MIN_WORK:
            _k.col_dots_csc_parallel(*self.arrays, W, cols, out)
        else:
            _k.col_dots_csc(*self.arrays, W, cols, out)
        return out

    def value(self, R: np.ndarray, x: np.ndarray, aux: np.ndarray) -> float:
        """``f(x)`` from the fit ``R``."""
        if self.loss == _k.LOSS_SQUARED:
            return 0.5 * float(np.vdot(R, R).real)
        if self.loss == _k.LOSS_LOGISTIC:
            return logistic_value(R, aux)
        x64, R64 = x.astype(np.float64), R.astype(np.float64)
        return float(x64 @ (0.5 * R64 - aux))

    def gap(self, R, x, grad, aux, b, pen: Penalty, lam: float, P: float) -> float:
        """Duality gap (squared and logistic losses, penalties with a dual)."""
        s, conj = pen.dual_scale(-grad, lam)
        if self.loss == _k.LOSS_LOGISTIC:
            return logistic_gap(R, aux, grad, P - logistic_value(R, aux), (s, conj))
        # 1/2 (1 - s)^2 ||r||^2 + g(x) + g^*(s z) - s Re <z, x>, z = -grad
        nR = float(np.vdot(R, R).real)
        zx = -float(np.vdot(x.astype(np.complex128 if x.dtype.kind == "c" else
                                      np.float64), grad).real)  # fmt: skip
        gx = pen.value(x, lam)
        return 0.5 * (1.0 - s) ** 2 * nR + (gx + conj - s * zx)

    # -- epochs ---------------------------------------------------------------------
    def epochs(self, R, x, ws, n_epochs, pen: Penalty, lam, aux) -> None:
        """``n_epochs`` passes over the blocks ``ws`` (overwrite ``x``, ``R``)."""
        n_epochs = np.int64(n_epochs)
        if self.perm is None:
            if self.dense:
                _k.cd_epochs_dense(
                    self.arrays[0], R, x, self.lips, ws, n_epochs, self.loss,
                    pen.code, float(lam), aux,
                )  # fmt: skip
            else:
                _k.cd_epochs_csc(
                    *self.arrays, R, x, self.lips, ws, n_epochs, self.loss,
                    pen.code, float(lam), aux,
                )  # fmt: skip
            return
        if self.dense:
            _k.bcd_epochs_dense(
                self.arrays[0], R, x, self.perm, self.ptr, self.lips, ws, n_epochs,
                self.loss, pen.code, float(lam), pen.weights, aux, self.buf,
            )  # fmt: skip
        else:
            _k.bcd_epochs_csc(
                *self.arrays, R, x, self.perm, self.ptr, self.lips, ws, n_epochs,
                self.loss, pen.code, float(lam), pen.weights, aux, self.buf,
            )  # fmt: skip

    def columns(self, coords: np.ndarray) -> np.ndarray:
        """Dense copy of the stored columns ``coords``."""
        if self.dense:
            return self.arrays[0][:, coords]
        data, indices, indptr = self.arrays
        out = np.zeros((self.m, coords.size), dtype=data.dtype)
        for k, j in enumerate(coords):
            lo, hi = indptr[j], indptr[j + 1]
            out[indices[lo:hi], k] = data[lo:hi]
        return out

    def block_bound(self, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(columns, H_b)``: the block's columns and the matrix bound
        ``H_b >= grad^2_bb f`` (``A_b^H A_b``, ``A_b^T A_b / 4`` or ``Q_bb``)."""
        C = self.columns(coords)
        if self.loss == _k.LOSS_QUADRATIC:
            return C, np.ascontiguousarray(C[coords, :])
        H = C.conj().T @ C
        return C, (0.25 * H if self.loss == _k.LOSS_LOGISTIC else H)

    def epochs_with(self, loss, R, x, ws, n_epochs, pen, lam, aux, lips) -> None:
        """Coordinate passes for another loss code and constants (the
        proximal Newton model of the logistic loss)."""
        n_epochs = np.int64(n_epochs)
        if self.dense:
            _k.cd_epochs_dense(self.arrays[0], R, x, lips, ws, n_epochs, loss,
                               pen.code, float(lam), aux)  # fmt: skip
        else:
            _k.cd_epochs_csc(*self.arrays, R, x, lips, ws, n_epochs, loss, pen.code,
                             float(lam), aux)  # fmt: skip

    def block_coords(self, ws: np.ndarray) -> np.ndarray:
        """The coordinates of the blocks ``ws``."""
        if self.perm is None:
            return ws
        return np.concatenate([self.perm[self.ptr[b] : self.ptr[b + 1]] for b in ws])
