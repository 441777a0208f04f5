"""Units of the proximal-gradient problem: badly scaled data brought near 1.

``F(x) = 1/2 ||A x - y||^2 + g(x)`` is solved through squared norms (the
objective, the duality gap, the step tests, ``L ~ ||A||^2``), which over- or
underflow once ``y`` or ``A`` is far from unit size (``y`` near ``1e±154``
in float64, ``A`` near ``1e±77``): the solver would answer ``x = 0``, stop
on a non-finite objective or refuse a non-finite step. With ``y`` multiplied
by ``2**b`` (per signal) and ``A`` by ``2**-a`` (exact), ``u = 2**(a + b) x``
solves ``1/2 ||Ã u - ŷ||^2 + ĝ(u)`` with ``ĝ(u) = 2**(2 b) g(2**-(a + b) u)``:

* ``lam ||x||_1`` and its weighted, group and non-negative forms: ``lam``
  times ``2**(b - a)``;
* ``lam ||x||_0``: ``lam 2**(2 b)``;
* elastic net ``lam (r ||x||_1 + (1 - r)/2 ||x||^2)``: l1 weight
  ``lam r 2**(b - a)``, ridge weight ``lam (1 - r) 2**(-2 a)`` (a new
  ``l1_ratio``; one ``b`` for every signal);
* a box: the bounds times ``2**(a + b)`` (one ``b`` for every signal).

The scalings are powers of two, so they cost no rounding; ``x``, the
residual norm, the objective and the step are mapped back at the end. Only
data whose squares leave the safe range (checked on norms the solver
computes anyway) are touched. A penalty given as an object of the prox
protocol cannot be rescaled: its problem runs as given, and a
:class:`ValueError` says so where its squares are not representable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._scaling import ldexp, max_abs, normalise_columns, shifts, square_range
from ...penalties import L0, L1, Box, ElasticNet, GroupL1, NonNegL1, WeightedL1

__all__ = ["ScaledProducts", "Units"]

_DEGREE_ONE = (L1, WeightedL1, GroupL1, NonNegL1)
_COMMON = (ElasticNet, Box)  # one scale for every signal
_SCALABLE = (*_DEGREE_ONE, L0, *_COMMON)


def _sq_cols(Y: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore"):  # what the scaling fixes
        return np.einsum("ij,ij->j", Y.conj(), Y).real


def _exponent(v: np.ndarray) -> np.ndarray:
    """``e`` with ``v`` in ``[2**(e-1), 2**e)`` (int64; v > 0)."""
    return -shifts(v).astype(np.int64)


class ScaledProducts:
    """The products of ``2**-a A`` from those of ``A`` (one exact scaling of
    each result: an extra pass over the ``m x k`` or ``n x k`` output only)."""

    def __init__(self, inner: Any, a: int) -> None:
        self.inner = inner
        self.factor = math.ldexp(1.0, -a)  # a power of two: exact
        self.threaded_blas = getattr(inner, "threaded_blas", False)

    def matmat(self, X: np.ndarray) -> np.ndarray:
        out = self.inner.matmat(X)
        out *= out.real.dtype.type(self.factor)
        return out

    def rmatmat(self, R: np.ndarray) -> np.ndarray:
        out = self.inner.rmatmat(R)
        out *= out.real.dtype.type(self.factor)
        return out


class Units:
    """The signals, the operator and the penalty in the units the solver uses.

    Built in two steps: ``Units(Y, g, lams, X0)`` scales the signals (the
    squared norms of ``Y`` are at hand); :meth:`with_operator` then scales
    ``A`` from the first gradient ``A^H y``, which the solver needs anyway,
    and rescales the penalty and the start.

    Attributes
    ----------
    shift : ndarray of int32 or None
        ``b``: signal ``j`` was multiplied by ``2**shift[j]``.
    a : int
        ``A`` was multiplied by ``2**-a``.
    Y, g, lams, X0
        The scaled problem (the given objects where nothing is scaled).

    Raises
    ------
    ValueError
        Signals of very different scales with a penalty that takes one scale
        (elastic net, box), a weight that the scaling makes non-representable,
        ``A^H y`` overflowing, or badly scaled data with a penalty object.
    """

    def __init__(self, Y: np.ndarray, g: Any, lams: np.ndarray, X0: np.ndarray):
        self.shift, self.a = None, 0
        self.Y, self.g, self.lams, self.X0 = Y, g, lams, X0
        self._g0, self._lams0, self._X00 = g, lams, X0
        self.rdtype = np.finfo(Y.dtype).dtype
        self.scalable = type(g) in _SCALABLE
        sq = _sq_cols(Y)
        # ||y||^2 of the signals the solver sees (it needs them: no second pass)
        self.sq = sq.astype(np.float64)
        lo, hi = square_range(self.rdtype)
        if np.all((sq >= lo) & (sq <= hi)):
            return  # well scaled: nothing to do
        if not self.scalable:
            _refuse_if_broken(Y, sq, self.rdtype, "y")
            return
        if type(g) in _COMMON:
            self.shift, self.Y = _common_shift(Y)
            sq = _sq_cols(self.Y)
        else:
            self.shift, self.Y, sq = normalise_columns(Y, sq.astype(self.rdtype))
        self.sq = sq.astype(np.float64)

    def with_operator(self, prods: Any, G0: np.ndarray) -> tuple[Any, np.ndarray]:
        """Scale ``A`` if ``A^H y`` (``G0``, from the scaled signals) says it
        is far from unit size; rescale the penalty and the start.

        Returns the products to use and the first gradient ``-A^H y`` of the
        scaled problem at ``x = 0``.
        """
        if not np.all(np.isfinite(G0)):
            raise ValueError(
                "A^H y overflows: the entries of A are too large to be used as "
                "given; rescale A (by a power of two)"
            )
        gmax, ymax = max_abs(G0), max_abs(self.Y)
        ok = (gmax > 0) & (ymax > 0)
        if ok.any() and self.scalable:
            # ||A|| about 2**a; squares of A, of A^H y and of A^H A g must stay
            # representable next to those of y
            a = int(np.max(_exponent(gmax[ok]) - _exponent(ymax[ok])))
            if abs(a) > np.finfo(self.rdtype).maxexp // 10:
                self.a = a
                prods = ScaledProducts(prods, a)
                G0 = G0 * G0.real.dtype.type(math.ldexp(1.0, -a))
        elif ok.any():
            self._check_operator_unscalable(gmax[ok], ymax[ok])
        if self.shift is not None or self.a:
            self._rescale_penalty()
        return prods, G0

    def _check_operator_unscalable(self, gmax, ymax) -> None:
        ratio = _exponent(gmax) - _exponent(ymax)
        if np.max(np.abs(ratio)) > np.finfo(self.rdtype).maxexp // 4:
            raise ValueError(
                "A is too large or too small for the squares of the iteration "
                f"to be represented in {self.rdtype}; the solver rescales the "
                "data only for the built-in penalties (given by name or as their "
                "classes), not for a penalty object of the prox protocol: "
                "rescale A and the penalty"
            )

    def _rescale_penalty(self) -> None:
        g, a = self._g0, self.a
        b = np.zeros(self.Y.shape[1], dtype=np.int64)
        if self.shift is not None:
            b = self.shift.astype(np.int64)
        lams = np.asarray(self._lams0, dtype=np.float64)
        kind = type(g)
        if kind in _DEGREE_ONE:
            lams = np.ldexp(lams, (b - a).astype(np.int32))
        elif kind is L0:
            lams = np.ldexp(lams, (2 * b).astype(np.int32))
        elif kind is ElasticNet:
            g, lams = _elastic_net(g, lams, int(b[0]), a)
        else:  # Box
            e = int(b[0]) + a
            g = Box(lower=_bound(ldexp(g.lower, e)), upper=_bound(ldexp(g.upper, e)))
        if not np.all(np.isfinite(lams)):
            raise ValueError(
                "lam is not representable once y and A are brought to unit scale "
                "(it over- or underflows): rescale y, A and lam"
            )
        self.g, self.lams = g, lams
        X0 = self._X00
        if np.any(X0):
            self.X0 = ldexp(X0, (b + a).astype(np.int32)[None, :])

    # -- between the units ------------------------------------------------------------
    def lipschitz_in(self, L: np.ndarray) -> np.ndarray:
        """A Lipschitz constant of the caller's problem in the scaled units."""
        with np.errstate(over="ignore", under="ignore"):
            return np.ldexp(np.asarray(L, dtype=np.float64), -2 * self.a)

    def step_out(self, L: np.ndarray) -> np.ndarray:
        """The step ``1 / L`` of the caller's problem from a scaled ``L`` (a
        square of ``1 / A``'s units: ``inf`` or 0 where not representable)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.ldexp(1.0 / L, -2 * self.a)

    def coef(self, X: np.ndarray, check: bool = False) -> np.ndarray:
        """``x`` in the caller's units; with ``check``, :class:`ValueError`
        where a coefficient is not representable."""
        if self.shift is None and not self.a:
            return X
        b = 0 if self.shift is None else self.shift.astype(np.int64)
        e = -(np.zeros(X.shape[1], np.int64) + b + self.a)
        with np.errstate(over="ignore", under="ignore"):
            out = ldexp(X, np.clip(e, -(2**30), 2**30)[None, :])
        if check:
            lost = (X != 0) & ((out == 0) | ~np.isfinite(out))
            if lost.any():
                raise ValueError(
                    f"the solution is not representable in {self.rdtype}: y and "
                    "A are scaled too far apart (x = 2**k with k beyond the "
                    "exponent range); rescale A or y"
                )
        return out

    def norm(self, v: np.ndarray) -> np.ndarray:
        """A per-signal norm in the units of ``y``."""
        if self.shift is None:
            return v
        with np.errstate(under="ignore"):
            return np.ldexp(v, -self.shift)

    def energy(self, v: np.ndarray) -> np.ndarray:
        """A per-signal objective value in the caller's units (may overflow to
        ``inf`` or underflow to 0: ``F`` is a square of ``y``'s units)."""
        if self.shift is None:
            return v
        with np.errstate(over="ignore", under="ignore"):
            return np.ldexp(v, -2 * self.shift)


def _common_shift(Y: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """One power of two for every signal, bringing all of them into range."""
    amax = max_abs(Y)
    nz = amax > 0
    if not nz.any():
        return None, Y
    e = _exponent(amax[nz])
    mid = int((e.min() + e.max()) // 2)
    lo, hi = square_range(np.finfo(Y.dtype).dtype)
    # squared norms up to m 2**(2 (e - mid)) must stay inside square_range
    span = math.log2(hi) / 2 - math.log2(max(Y.shape[0], 1)) / 2 - 1
    if e.max() - mid > span or mid - e.min() > span:
        raise ValueError(
            "the signals (columns of y) differ in scale by a factor of about "
            f"1e{(e.max() - e.min()) * math.log10(2):.0f}, too much for one "
            "common scaling of this penalty (elastic net, box): solve them "
            "separately"
        )
    shift = np.full(Y.shape[1], -mid, dtype=np.int32)
    return shift, ldexp(Y, shift[None, :])


def _elastic_net(g: ElasticNet, lams: np.ndarray, b: int, a: int):
    # l1 weight lam r 2**(b - a), ridge weight lam (1 - r) 2**(-2 a):
    # lam' = lam (t1 + t2), l1_ratio' = t1 / (t1 + t2), the same for all signals
    r = g.l1_ratio
    with np.errstate(over="ignore", under="ignore"):
        t1 = float(np.ldexp(r, b - a))
        t2 = float(np.ldexp(1.0 - r, -2 * a))
        total = t1 + t2
        new = lams * total
    ratio = t1 / total if 0 < total < math.inf else (1.0 if t1 >= t2 else 0.0)
    lam0 = float(new[0]) if np.isfinite(new[0]) else math.inf
    if not math.isfinite(lam0):
        return g, new  # refused by the caller
    return ElasticNet(lam0, l1_ratio=min(max(ratio, 0.0), 1.0)), new


def _bound(b: np.ndarray) -> Any:
    return float(b) if np.ndim(b) == 0 else b


def _refuse_if_broken(Y: np.ndarray, sq: np.ndarray, rdt: Any, name: str) -> None:
    """A penalty object keeps the caller's units: refuse what cannot work."""
    nonzero = max_abs(Y) > 0
    broken = nonzero & ~((sq >= np.finfo(rdt).tiny) & np.isfinite(sq))
    if broken.any():
        j = int(np.flatnonzero(broken)[0])
        raise ValueError(
            f"{name} (signal {j}) is too large or too small for its squared norm "
            f"to be represented in {np.dtype(rdt)}; the solver rescales the data "
            "only for the built-in penalties (given by name or as their classes), "
            "not for a penalty object of the prox protocol: rescale y and the "
            "penalty"
        )
