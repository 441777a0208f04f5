"""The penalty protocol, the shared helpers and the one registry of names.

A penalty ``g`` is an object with two methods (the *prox protocol*)::

    prox(v, step)  -> argmin_x  1/2 ||x - v||^2 + step * g(x)
    value(x)       -> g(x)

The built-in penalties (:mod:`~sparsela.penalties.separable`,
:mod:`~sparsela.penalties.group`) derive from :class:`Penalty`, which adds a
trusted fast path for solver loops and the per-block pieces of a coordinate
solver. :data:`PENALTIES` maps each name (``"l1"``, ...) to its class: the
solvers build a named penalty only through :func:`make_penalty`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .._validation import check_array, check_scalar
from ..kernels.cpu import prox as _k

__all__ = ["PENALTIES", "Penalty", "Prox", "make_penalty", "register"]

_NO_WEIGHTS = np.zeros(0, dtype=np.float64)


# ---- helpers ------------------------------------------------------------------
def _as2d(v: Any, name: str = "v") -> tuple[np.ndarray, bool]:
    """``(n, k)`` C-contiguous view of ``v`` and whether ``v`` was 1-D.

    ``v`` is validated as every public input is (:func:`check_array`): finite,
    numeric, in its working dtype (integers and booleans as float64).
    """
    v = check_array(v, name, ndim=(1, 2), allow_int=True)
    if v.ndim == 1:
        return np.ascontiguousarray(v).reshape(-1, 1), True
    return np.ascontiguousarray(v), False


def _steps(step: Any, k: int) -> np.ndarray:
    """Per-column steps as a float64 array of length ``k``."""
    if isinstance(step, (str, bytes)):
        raise TypeError(f"step must be a real number or an array of them, got {step!r}")
    try:
        s = np.asarray(step)
    except Exception as exc:  # ragged sequences
        raise TypeError(
            f"step must be a real number or an array of them: {exc}"
        ) from exc
    if s.dtype.kind not in "iuf":
        raise TypeError(
            f"step must be a real number or an array of them, got dtype {s.dtype}"
        )
    s = s.astype(np.float64)
    if s.ndim == 0:
        s = np.full(k, float(s))
    if s.shape != (k,):
        raise ValueError(f"step must be a scalar or have shape ({k},), got {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("step must be finite and non-negative")
    return s


def _out(x2: np.ndarray, was1d: bool) -> Any:
    """Per-column values back to a float (1-D input) or an array (2-D input)."""
    return float(x2[0]) if was1d else x2


def _soft(v2: np.ndarray, tau: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.empty_like(v2)
    if v2.dtype.kind == "c":
        _k.soft_threshold_complex(v2, tau, w, out)
    else:
        _k.soft_threshold(v2, tau, w, out)
    return out


def _abs_sum(x2: np.ndarray) -> np.ndarray:
    return np.abs(x2).sum(axis=0, dtype=np.float64)


# a float64 sum of squares in this range is accurate; outside it squares
# overflowed or lost bits to underflow (as in kernels.cpu.prox)
_SUMSQ_LO, _SUMSQ_HI = 2.0**-900, np.finfo(np.float64).max


def _times(c: Any, h: np.ndarray) -> np.ndarray:
    """``c * h`` with ``0 * inf = 0``: a zero weight drops a term that overflowed."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(np.asarray(c) == 0, 0.0, c * h)


def _sq_sum(x2: np.ndarray) -> np.ndarray:
    """``||x||_2^2`` per column in float64; ``inf`` only when it exceeds the range.

    Columns whose plain sum of squares overflowed or underflowed are summed
    again divided by their largest magnitude.
    """
    a = np.abs(x2).astype(np.float64, copy=False)
    with np.errstate(over="ignore"):
        out = (a * a).sum(axis=0)
    redo = ~((out >= _SUMSQ_LO) & (out <= _SUMSQ_HI))
    if redo.any():
        b = a[:, redo]
        amax = b.max(axis=0, initial=0.0)
        scale = np.where(amax > 0, amax, 1.0)
        with np.errstate(over="ignore"):
            out[redo] = amax**2 * ((b / scale) ** 2).sum(axis=0)
    return out


def _check_number(value: Any, name: str, what: str = "real number", **limits) -> Any:
    """:func:`check_scalar`, with an array reported by its shape, not its values."""
    if np.ndim(value) != 0:
        raise TypeError(
            f"{name} must be a {what}, got an array of shape {np.shape(value)}"
        )
    return check_scalar(value, name, **limits)


def _describe(value: Any) -> str:
    """``repr`` of a scalar option, the type of anything else (never an array)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return repr(value)
    return f"an object of type {type(value).__name__}"


def _check_lam(lam: Any) -> float:
    _check_number(lam, "lam", min_val=0.0)
    return float(lam)


def _scale_from_dual_norm(dn: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``min(1, lam / dn)`` column-wise (1 where ``dn`` is 0)."""
    s = np.ones_like(dn)
    big = dn > lam
    s[big] = lam[big] / dn[big]
    return s


def _require_real(x: np.ndarray, who: str, name: str = "v") -> None:
    if x.dtype.kind == "c":
        raise TypeError(f"{who} needs real data, got {name} of dtype {x.dtype}")


def _owner(cls: type, name: str) -> int:
    """Position in ``cls.__mro__`` of the class that defines ``name``."""
    for i, c in enumerate(cls.__mro__):
        if name in c.__dict__:
            return i
    return len(cls.__mro__)


# ---- the protocol -------------------------------------------------------------------
class Prox:
    """Base class of a penalty ``g`` with a cheap proximal operator.

    Subclasses implement :meth:`prox` and :meth:`value`; penalties whose
    Fenchel conjugate is cheap also implement :meth:`dual_scale`, which the
    solvers use for duality-gap stopping. Any object with ``prox`` and
    ``value`` methods of the same meaning can be passed to the solvers
    instead of a subclass.

    Attributes
    ----------
    lam : float or None
        Weight of the penalty (``None`` for pure constraints such as
        :class:`~sparsela.penalties.Box`).
    convex : bool
        Whether ``g`` is convex (``False`` for :class:`~sparsela.penalties.L0`).
    real_only : bool
        Whether the penalty is only defined for real coefficients.

    Notes
    -----
    The protocol, column by column for a batch ``v`` of shape ``(n, k)``:

    ``prox(v, step)``
        Returns ``argmin_x 1/2 ||x - v||_2^2 + step * g(x)``, an array shaped
        and typed like ``v``. ``step`` is a non-negative float, or for a 2-D
        ``v`` an array of shape ``(k,)`` (one step per column).
    ``value(x)``
        Returns ``g(x)``: a float for ``x`` of shape ``(n,)``, an array of
        shape ``(k,)`` for ``(n, k)``; ``inf`` outside the penalty's domain.
    ``dual_scale(z)`` (optional)
        For ``z = A^H r`` (``r = y - A x`` a residual) returns ``(s, c)``
        with ``s`` in ``[0, 1]`` such that ``s z`` lies in the domain of the
        conjugate ``g^*`` and ``c = g^*(s z)``, per column. The solvers then
        build the dual point ``theta = s r`` of
        ``min 1/2 ||A x - y||^2 + g(x)``, whose dual objective is
        ``<y, theta> - 1/2 ||theta||^2 - g^*(A^H theta)``.

    Examples
    --------
    A penalty written from scratch (a scaled squared norm):

    >>> import numpy as np
    >>> from sparsela.penalties import Prox
    >>> class Ridge(Prox):
    ...     def __init__(self, lam):
    ...         self.lam = lam
    ...     def prox(self, v, step):
    ...         return v / (1.0 + np.asarray(step) * self.lam)
    ...     def value(self, x):
    ...         return 0.5 * self.lam * (np.abs(x) ** 2).sum(axis=0)
    >>> Ridge(1.0).prox(np.array([2.0, 4.0]), 1.0)
    array([1., 2.])
    """

    lam: float | None = None
    convex: bool = True
    real_only: bool = False

    def prox(self, v: Any, step: Any) -> np.ndarray:
        """Proximal operator ``argmin_x 1/2 ||x - v||^2 + step * g(x)``."""
        raise NotImplementedError

    def value(self, x: Any) -> Any:
        """Penalty value ``g(x)`` (per column for a 2-D ``x``)."""
        raise NotImplementedError

    def dual_scale(self, z: Any) -> tuple[Any, Any]:
        """Dual scaling ``s`` and conjugate value ``g^*(s z)`` (see Notes)."""
        raise NotImplementedError

    def dual_norm(self, z: Any) -> Any:
        """Dual norm ``||z||_*`` of the penalty's gauge, per column."""
        raise NotImplementedError

    @property
    def has_dual(self) -> bool:
        """Whether :meth:`dual_scale` gives a usable duality gap."""
        return False

    def check_size(self, n: int) -> None:
        """Raise ``ValueError`` if per-coefficient parameters do not fit ``n``."""

    @classmethod
    def _has_fast_path(cls) -> bool:
        """Whether the trusted methods (``_prox``, ...) stand for the public ones.

        They do when each is defined at least as deep in the class hierarchy
        as its public counterpart: a subclass that overrides ``prox`` alone
        goes through its own ``prox``.
        """
        pairs = (("_prox", "prox"), ("_value", "value"), ("_dual_scale", "dual_scale"))
        return all(_owner(cls, fast) <= _owner(cls, slow) for fast, slow in pairs)

    def __call__(self, v: Any, step: Any) -> np.ndarray:
        return self.prox(v, step)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam!r})"


class Penalty(Prox):
    """Base of the built-in penalties: the public protocol on a trusted core.

    A subclass implements the trusted methods, which take validated
    C-contiguous 2-D arrays ``(n, k)``, float64 ``steps`` of shape ``(k,)``
    and one weight per column ``lam`` of shape ``(k,)`` (so that a batch of
    signals with different weights is one call):

    ``_prox(V, steps, lam)``, ``_value(X, lam)``, ``_dual_norm(Z)``,
    ``_dual_scale(Z, lam)`` and ``_has_dual(lam)``;

    and, for coordinate and block solvers, :meth:`block_kernels`,
    :meth:`block_params` and :meth:`blocks`. The public :meth:`prox`,
    :meth:`value`, :meth:`dual_scale`, :meth:`dual_norm` and
    :meth:`alpha_max` validate their input once and call the trusted core
    with ``lam`` repeated per column.

    Class attributes used by the registry: ``name`` (the solvers' name of the
    penalty), ``options`` (the solver keywords it takes), ``required`` (the
    ones it cannot do without) and ``takes_lam``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.penalties import L1
    >>> g = L1(0.5)
    >>> V = np.array([[2.0, 2.0], [-0.2, -1.0]])
    >>> g._prox(V, np.ones(2), np.array([0.5, 1.5]))  # one lam per column
    array([[1.5, 0.5],
           [0. , 0. ]])
    """

    name: ClassVar[str] = ""
    options: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    takes_lam: ClassVar[bool] = True

    # -- trusted core (subclasses) ---------------------------------------------------
    def _prox(self, V: np.ndarray, steps: np.ndarray, lam: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _value(self, X: np.ndarray, lam: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _dual_norm(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _dual_scale(self, Z: np.ndarray, lam: np.ndarray) -> tuple[Any, Any]:
        raise NotImplementedError

    def _has_dual(self, lam: np.ndarray) -> bool:
        return False

    def _check_input(self, x2: np.ndarray, name: str = "v") -> None:
        try:
            self.check_size(x2.shape[0])
        except ValueError as exc:  # say which input does not fit
            raise ValueError(f"{name} has {x2.shape[0]} coefficients: {exc}") from None
        if self.real_only:
            _require_real(x2, type(self).__name__, name)

    def _lams(self, k: int) -> np.ndarray:
        return np.full(k, 0.0 if self.lam is None else float(self.lam))

    # -- public protocol ---------------------------------------------------------------
    def prox(self, v: Any, step: Any) -> np.ndarray:
        """Proximal operator ``argmin_x 1/2 ||x - v||^2 + step * g(x)``.

        Parameters
        ----------
        v : array_like of shape (n,) or (n, k)
            Point(s), one per column; finite. Never modified.
        step : float or array_like of shape (k,)
            Non-negative finite step(s), one per column.

        Returns
        -------
        ndarray
            Shaped like ``v``, in its working dtype: ``v``'s own floating
            dtype, float64 for integer, boolean and ``longdouble`` input
            (complex128 for ``clongdouble``), float32 for float16.

        Raises
        ------
        ValueError
            ``v`` holds NaN or Inf, is not 1-D or 2-D, or ``step`` is
            negative, non-finite or of the wrong shape.
        TypeError
            ``v`` or ``step`` is not numeric (a string ``step`` included).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.penalties import L1
        >>> L1(1.0).prox(np.array([3.0, -0.5]), 0.5)
        array([2.5, 0. ])
        """
        v2, was1d = _as2d(v)
        self._check_input(v2)
        k = v2.shape[1]
        out = self._prox(v2, _steps(step, k), self._lams(k))
        return out[:, 0] if was1d else out

    def value(self, x: Any) -> Any:
        """Penalty value ``g(x)``: a float, or one per column of a 2-D ``x``.

        ``x`` must be finite; the value is ``inf`` outside the penalty's
        domain, and also where it exceeds the float64 range (``1e200 *
        ||x||_1`` with ``||x||_1 = 1e200``), never NaN.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.penalties import L1
        >>> L1(2.0).value(np.array([1.0, -0.5]))
        3.0
        """
        x2, was1d = _as2d(x, "x")
        self._check_input(x2, "x")
        with np.errstate(over="ignore"):  # a value beyond the range is inf
            return _out(self._value(x2, self._lams(x2.shape[1])), was1d)

    def dual_scale(self, z: Any) -> tuple[Any, Any]:
        """Dual scaling ``s`` and conjugate value ``g^*(s z)``, per column.

        See :class:`Prox` for the meaning. Always arrays of shape ``(k,)``
        (``k = 1`` for a 1-D ``z``).

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.penalties import L1
        >>> L1(1.0).dual_scale(np.array([4.0, -2.0]))
        (array([0.25]), array([0.]))
        """
        z2, _ = _as2d(z, "z")
        self._check_input(z2, "z")
        return self._dual_scale(z2, self._lams(z2.shape[1]))

    def dual_norm(self, z: Any) -> Any:
        """Dual norm ``||z||_*`` of the penalty's gauge, per column.

        ``x = 0`` minimises ``1/2 ||A x - y||^2 + g(x)`` exactly when
        ``lam >= ||A^H y||_*``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.penalties import L1
        >>> L1(1.0).dual_norm(np.array([4.0, -5.0]))
        5.0
        """
        z2, was1d = _as2d(z, "z")
        self.check_size(z2.shape[0])
        return _out(self._dual_norm(z2), was1d)

    def alpha_max(self, gradient_at_zero: Any) -> Any:
        """Smallest ``lam`` that makes ``x = 0`` optimal.

        For a smooth datafit ``f`` and ``g = lam h``, ``0`` is optimal when
        ``-grad f(0)`` lies in ``lam`` times the subdifferential of ``h`` at
        0, i.e. when ``lam >= ||-grad f(0)||_*`` (the dual norm).

        Parameters
        ----------
        gradient_at_zero : array_like of shape (n,) or (n, k)
            ``grad f(0)``; for least squares ``-A^H y``.

        Returns
        -------
        float or ndarray of shape (k,)

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.penalties import NonNegL1
        >>> NonNegL1(1.0).alpha_max(np.array([-3.0, 5.0]))  # only x_0 can grow
        3.0
        """
        g2, was1d = _as2d(gradient_at_zero, "gradient_at_zero")
        self.check_size(g2.shape[0])
        return _out(self._dual_norm(-g2), was1d)

    @property
    def has_dual(self) -> bool:
        """Whether :meth:`dual_scale` gives a usable duality gap."""
        return self._has_dual(self._lams(1))

    # -- per-block pieces for coordinate and block solvers ---------------------------
    def block_kernels(self) -> tuple[Callable, Callable]:
        """The Numba functions ``(prox_block, subdiff_distance)`` of the penalty.

        ``prox_block(v, step, params, j)`` overwrites the 1-D block ``v``
        (the values of block ``j``) with its prox at ``step``;
        ``subdiff_distance(x_j, grad_j, params, j)`` returns the distance of
        ``-grad_j`` to the subdifferential of ``g`` restricted to block ``j``
        at ``x_j`` (0 at a stationary block). ``params`` is
        :meth:`block_params`; the blocks are :meth:`blocks`. Both compile in
        ``nopython`` mode and can be passed to a Numba epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.penalties import L1
        >>> g = L1(1.0)
        >>> prox_block, dist = g.block_kernels()
        >>> v = np.array([3.0])
        >>> prox_block(v, 0.5, g.block_params(4), 2)
        >>> v
        array([2.5])
        """
        raise NotImplementedError

    def block_params(self, n: int, lam: float | None = None) -> np.ndarray:
        """The float64 parameter array read by :meth:`block_kernels`.

        Parameters
        ----------
        n : int
            Number of coefficients.
        lam : float, optional
            Weight to use instead of the penalty's own (a per-signal ``lam``).

        Examples
        --------
        >>> from sparsela.penalties import ElasticNet
        >>> ElasticNet(2.0, l1_ratio=0.25).block_params(3)
        array([2.  , 0.25])
        """
        raise NotImplementedError

    def blocks(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The blocks ``(perm, ptr)``: block ``j`` is ``perm[ptr[j]:ptr[j + 1]]``.

        Separable penalties have one block per coefficient.

        Examples
        --------
        >>> from sparsela.penalties import L1
        >>> L1(1.0).blocks(3)
        (array([0, 1, 2]), array([0, 1, 2, 3]))
        """
        self.check_size(n)
        return np.arange(n, dtype=np.int64), np.arange(n + 1, dtype=np.int64)


# ---- the registry ---------------------------------------------------------------
PENALTIES: dict[str, type[Penalty]] = {}


def register(cls: type[Penalty]) -> type[Penalty]:
    """Class decorator: add a :class:`Penalty` to :data:`PENALTIES` by its ``name``.

    The decorated class needs a unique, non-empty ``name``.

    Returns
    -------
    type
        The class itself, now listed in :data:`PENALTIES`.

    Examples
    --------
    >>> from sparsela.penalties import PENALTIES
    >>> sorted(PENALTIES)[:3]
    ['box', 'elastic_net', 'group_l1']
    """
    if not cls.name or cls.name in PENALTIES:
        raise ValueError(f"penalty name {cls.name!r} is empty or taken")
    PENALTIES[cls.name] = cls
    return cls


def lambda_max_names() -> list[str]:
    """Names of the penalties with a dual norm (for ``lambda_max``).

    Examples
    --------
    >>> from sparsela.penalties._base import lambda_max_names
    >>> "l1" in lambda_max_names(), "l0" in lambda_max_names()
    (True, False)
    """
    return [k for k, c in PENALTIES.items() if c._dual_norm is not Penalty._dual_norm]


def make_penalty(penalty: Any, lam: Any, params: dict[str, Any]) -> Prox:
    """The penalty a solver call describes: a name with its parameters, or an object.

    Parameters
    ----------
    penalty : str, Prox, object with ``prox`` and ``value``, or callable
        A name of :data:`PENALTIES`, or an object of the prox protocol, or a
        bare function ``prox(v, step)``.
    lam : float or None
        Weight for a named penalty (validated by the caller); must be
        ``None`` for an object, which holds its own, and for ``"box"``.
    params : dict
        The solver's penalty keywords (``weights``, ``groups``, ...); those
        that are ``None`` count as not given.

    Returns
    -------
    Prox

    Raises
    ------
    ValueError
        Unknown name, a keyword the penalty does not use, ``lam`` where
        there must be none.
    TypeError
        ``lam`` or a required keyword missing, or an object that is not a
        penalty.

    Examples
    --------
    >>> from sparsela.penalties import make_penalty
    >>> make_penalty("elastic_net", 0.5, {"l1_ratio": 0.3, "weights": None})
    ElasticNet(lam=0.5, l1_ratio=0.3)
    """
    given = {k: v for k, v in params.items() if v is not None}
    if isinstance(penalty, str):
        key = penalty.lower()
        cls = PENALTIES.get(key)
        if cls is None:
            raise ValueError(
                f"penalty must be one of {sorted(PENALTIES)} or a Prox, got "
                f"{_describe(penalty)}"
            )
        unused = sorted(set(given) - set(cls.options))
        if unused:
            raise ValueError(f"penalty {key!r} does not use {', '.join(unused)}")
        if not cls.takes_lam:
            if lam is not None:
                raise ValueError(
                    f"lam must be None for penalty {key!r} (a pure constraint)"
                )
            return cls(**given)
        if lam is None:
            raise TypeError(f"lam is required for penalty {key!r}")
        for name in cls.required:
            if name not in given:
                raise TypeError(f"penalty {key!r} needs {name}")
        return cls(lam, **given)
    if hasattr(penalty, "prox") and hasattr(penalty, "value"):
        obj = penalty if isinstance(penalty, Prox) else _DuckProx(penalty)
    elif callable(penalty):
        obj = _FunctionProx(penalty)
    else:
        raise TypeError(
            "penalty must be a name, a Prox instance, an object with prox(v, step) "
            "and value(x) methods, or a function prox(v, step); got "
            f"{type(penalty).__name__}"
        )
    if given:
        raise ValueError(
            f"{', '.join(sorted(given))} only apply to a named penalty; "
            "set them on the Prox instance instead"
        )
    if lam is not None:
        raise ValueError(
            "lam must be None when penalty is a Prox instance (it holds its own weight)"
        )
    return obj


class _DuckProx(Prox):
    """Adapter for an object with the prox protocol that is not a :class:`Prox`."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.lam = getattr(obj, "lam", None)
        self.convex = bool(getattr(obj, "convex", True))
        self.real_only = bool(getattr(obj, "real_only", False))

    def prox(self, v, step):
        return self.obj.prox(v, step)

    def value(self, x):
        return self.obj.value(x)

    def dual_scale(self, z):
        return self.obj.dual_scale(z)

    @property
    def has_dual(self) -> bool:
        return bool(getattr(self.obj, "has_dual", hasattr(self.obj, "dual_scale")))

    def check_size(self, n: int) -> None:
        if hasattr(self.obj, "check_size"):
            self.obj.check_size(n)


class _FunctionProx(Prox):
    """A bare function ``prox(v, step)``; its penalty value is unknown (taken as 0)."""

    _is_bare_function = True

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def prox(self, v, step):
        return self.fn(v, step)

    def value(self, x):
        x = np.asarray(x)
        return 0.0 if x.ndim == 1 else np.zeros(x.shape[1])
