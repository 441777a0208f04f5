"""Numba CPU kernels on raw arrays (``@njit(cache=True)``), one module a topic."""
