"""Benchmarks run only with ``--benchmark-enable``; see benchmarks/RESULTS.md."""

import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("SPARSELA_FAST_EXAMPLES", "1")
