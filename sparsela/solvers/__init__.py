"""Recovery solvers, one module per family.

The public functions are re-exported from :mod:`sparsela` (``sparsela.omp``,
``sparsela.fista``, ...); the modules here keep their own names, so
``sparsela.solvers.omp`` is the module and ``sparsela.omp`` the function.
"""
