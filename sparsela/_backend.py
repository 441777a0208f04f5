"""Array-namespace selection: NumPy always, CuPy when installed and used.

CuPy is imported lazily behind a guard so that the package imports, and passes
its tests, on machines without it.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

__all__ = ["cupy_available", "get_namespace", "is_cupy_array", "to_numpy"]

_cupy: types.ModuleType | None = None
_cupy_checked = False


def _import_cupy() -> types.ModuleType | None:
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:  # a broken CUDA install raises more than ImportError
            import cupy  # type: ignore[import-not-found]

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:
            _cupy = None
    return _cupy


def cupy_available() -> bool:
    """Return True when CuPy imports and sees at least one CUDA device.

    Examples
    --------
    >>> from sparsela._backend import cupy_available
    >>> isinstance(cupy_available(), bool)
    True
    """
    return _import_cupy() is not None


def is_cupy_array(x: Any) -> bool:
    """True when ``x`` is a CuPy array (without importing CuPy needlessly)."""
    mod = type(x).__module__
    return mod.startswith("cupy") and _import_cupy() is not None


def get_namespace(*arrays: Any) -> types.ModuleType:
    """Return the array module (``numpy`` or ``cupy``) the inputs live in.

    Parameters
    ----------
    *arrays : array_like
        Inputs; ``None`` entries are ignored.

    Returns
    -------
    module
        ``cupy`` if any input is a CuPy array, else ``numpy``.

    Raises
    ------
    TypeError
        If NumPy and CuPy arrays are mixed.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._backend import get_namespace
    >>> get_namespace(np.ones(3)).__name__
    'numpy'
    """
    kinds = {is_cupy_array(a) for a in arrays if a is not None}
    if kinds == {True, False}:
        raise TypeError(
            "inputs mix NumPy and CuPy arrays; move them to one device first"
        )
    if True in kinds:
        return _import_cupy()  # type: ignore[return-value]
    return np


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array, copying from the GPU if needed.

    Examples
    --------
    >>> from sparsela._backend import to_numpy
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)
