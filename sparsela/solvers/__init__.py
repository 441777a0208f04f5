"""Recovery solvers (public functions re-exported from :mod:`sparsela`)."""
