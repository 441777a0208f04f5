"""Validation at the dictionary-learning boundary: data, dictionary, options.

Every helper raises a ``ValueError`` or ``TypeError`` that names the
argument, what was expected and what came. Below these checks the learners
trust their inputs.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..._validation import check_array, check_positive_int, check_scalar, result_dtype

__all__ = [
    "METHODS",
    "as_columns",
    "check_dict_init",
    "check_lam",
    "check_method",
    "check_n_nonzero",
    "check_rng",
    "check_signals",
    "check_signals_flag",
    "is_unitary",
]

METHODS = ("ksvd", "mod", "online", "orthogonal", "online_orthogonal")


def check_signals_flag(signals: Any) -> bool:
    """``signals`` is ``"columns"`` or ``"rows"``; True for rows."""
    if signals not in ("columns", "rows"):
        raise ValueError(f"signals must be 'columns' or 'rows', got {signals!r}")
    return signals == "rows"


def check_signals(Y: Any, name: str = "Y", *, rows: bool = False) -> np.ndarray:
    """``Y`` as a 2-D floating array with signals in columns.

    ``rows=True`` reads ``Y`` as ``(n_signals, n_features)`` (scikit-learn's
    layout) and returns the transpose, a view.
    """
    Y = check_array(Y, name, ndim=(1, 2), allow_int=True)
    if Y.ndim == 1:
        Y = Y[None, :] if rows else Y[:, None]
    if rows:
        Y = Y.T
    if Y.shape[0] == 0 or Y.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one signal of length >= 1, got "
            f"{'(n_signals, n_features)' if rows else '(n_features, n_signals)'}"
            f" = {Y.T.shape if rows else Y.shape}"
        )
    return Y


def as_columns(Y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``Y`` in ``dtype``, copied only when the dtype differs."""
    return Y if Y.dtype == dtype else Y.astype(dtype)


def check_method(method: Any, allowed: tuple[str, ...] = METHODS) -> str:
    if not isinstance(method, str) or method not in allowed:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, allowed))}; got {method!r}"
        )
    return method


def check_n_nonzero(n_nonzero: Any, n_atoms: int) -> int | None:
    """``None`` or an integer in ``[1, n_atoms]``."""
    if n_nonzero is None:
        return None
    n_nonzero = check_positive_int(n_nonzero, "n_nonzero")
    if n_nonzero > n_atoms:
        raise ValueError(
            f"n_nonzero must be <= n_atoms={n_atoms} (the number of atoms), "
            f"got {n_nonzero}"
        )
    return n_nonzero


def check_lam(lam: Any) -> float | None:
    """``None`` or a non-negative finite real."""
    if lam is None:
        return None
    return float(check_scalar(lam, "lam", min_val=0.0))


def check_rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, numbers.Integral)
        and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    raise TypeError(
        "random_state must be None, an int or a numpy Generator, got "
        f"{type(random_state).__name__}"
    )


def is_unitary(D: np.ndarray) -> bool:
    """``D`` square with ``||Dᴴ D - I||_max`` within a few hundred rounding
    units of its dtype (float32 input made orthogonal in float64 passes)."""
    n, K = D.shape
    if n != K:
        return False
    eps = np.finfo(D.real.dtype).eps
    err = np.abs(D.conj().T @ D - np.eye(n, dtype=D.dtype)).max()
    return bool(err <= 100 * np.sqrt(n) * eps)


def check_dict_init(
    dict_init: Any,
    n: int,
    n_atoms: int,
    dtype: np.dtype,
    *,
    rows: bool,
    unitary: bool,
) -> np.ndarray:
    """``dict_init`` as ``(n, n_atoms)`` in ``dtype`` (a copy, unit columns).

    With ``rows=True`` it is read as ``(n_atoms, n)``, scikit-learn's
    ``components_`` layout. ``unitary``: it must be orthogonal (unitary).
    """
    D = check_array(dict_init, "dict_init", ndim=2, allow_int=True)
    if rows:
        D = D.T
    want = (n_atoms, n) if rows else (n, n_atoms)
    got = D.T.shape if rows else D.shape
    if D.shape != (n, n_atoms):
        raise ValueError(
            f"dict_init must have shape {want} ("
            f"{'n_atoms, n_features' if rows else 'n_features, n_atoms'}), "
            f"got {got}"
        )
    if np.result_type(D.dtype, dtype) != dtype and D.dtype.kind == "c":
        raise TypeError(f"dict_init is complex ({D.dtype}) but Y is real ({dtype})")
    D = np.array(D, dtype=dtype, order="F")
    norms = np.linalg.norm(D, axis=0)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(f"dict_init has zero columns (atoms) {zero[:5].tolist()}")
    if unitary:
        if not is_unitary(D):
            raise ValueError(
                "dict_init must be an orthogonal (unitary) square matrix for the "
                "orthogonal methods: ||D^H D - I|| is too large"
            )
        return D
    D /= norms
    return D


def data_dtype(*arrays: np.ndarray) -> np.dtype:
    """Working dtype of the data (float32/64, complex64/128)."""
    return result_dtype(*[a.dtype for a in arrays])
