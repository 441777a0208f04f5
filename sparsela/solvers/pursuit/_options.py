"""Checks at the boundary of :func:`omp`, :func:`mp` and their Gram cores."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import check_positive_int, check_scalar

__all__ = [
    "check_precompute",
    "check_tol",
    "default_n_nonzero",
    "mp_budget",
    "omp_n_nonzero",
]


def check_tol(tol: Any) -> float | None:
    """``tol`` as a float ``>= 0``, or None."""
    if tol is None:
        return None
    return float(check_scalar(tol, "tol", min_val=0.0))


def check_precompute(precompute: Any) -> bool | str:
    """``"auto"``, True or False."""
    if isinstance(precompute, str):
        if precompute != "auto":
            raise ValueError(
                f"precompute must be 'auto', True or False, got {precompute!r}"
            )
        return precompute
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    raise TypeError(f"precompute must be 'auto', True or False, got {precompute!r}")


def default_n_nonzero(n_atoms: int) -> int:
    """10 % of the atoms, at least one (scikit-learn's default)."""
    return max(int(0.1 * n_atoms), 1)


def omp_n_nonzero(n_nonzero: Any, limit: int, what: str) -> int | None:
    """``n_nonzero`` checked in ``[1, limit]`` (``what`` describes the limit)."""
    if n_nonzero is None:
        return None
    n_nonzero = check_positive_int(n_nonzero, "n_nonzero")
    if n_nonzero > limit:
        raise ValueError(f"n_nonzero must be <= {what}, got {n_nonzero}")
    return n_nonzero


def mp_budget(
    n_nonzero: Any, tol: float | None, max_iter: Any, n_atoms: int, default_steps: int
) -> tuple[int | None, int, int]:
    """``(n_nonzero, max_iter, cap)`` of matching pursuit.

    ``max_iter`` defaults to ``n_nonzero`` without ``tol`` (a ``k``-step
    encoder) and to ``default_steps`` with it; ``cap`` is the largest number
    of distinct atoms a signal may hold.
    """
    if n_nonzero is None and tol is None and max_iter is None:
        n_nonzero = default_n_nonzero(n_atoms)
    n_nonzero = omp_n_nonzero(n_nonzero, n_atoms, f"the number of atoms {n_atoms}")
    if max_iter is not None:
        max_iter = check_positive_int(max_iter, "max_iter")
    else:
        max_iter = n_nonzero if tol is None else default_steps
    cap = n_nonzero if n_nonzero is not None else min(n_atoms, max_iter)
    return n_nonzero, max_iter, min(cap, max_iter)
