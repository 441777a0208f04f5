"""Private kernels: pure functions on raw arrays, no classes.

``cpu/`` holds the Numba kernels (``@njit(cache=True)``), split by topic:
``sparse`` (format products), ``wht`` (Walsh-Hadamard), ``sparse_wht``, and
one module per solver family that needs compiled loops (``omp``, ``prox``).
GPU kernels, where they exist, live in ``gpu/`` under the same module and
function names, so that a caller picks the namespace once at the boundary.
Every kernel has an obviously-correct NumPy twin in
:mod:`sparsela.kernels.reference` that the tests compare against.
"""
