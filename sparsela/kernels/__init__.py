"""Private kernels: pure functions on raw arrays, no classes.

Each Numba kernel (``@njit(cache=True)``) has an obviously-correct NumPy twin in
:mod:`sparsela.kernels.reference` that the tests compare against. Modules are
split by topic: ``sparse`` (format products), ``wht`` (Walsh-Hadamard), and one
per solver family that needs compiled loops.
"""
