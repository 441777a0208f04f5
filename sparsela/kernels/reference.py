"""Slow, obviously-correct NumPy versions of every kernel: the test oracle.

Nothing here is used on a hot path. Each section mirrors one kernel module.
"""

from __future__ import annotations

import numpy as np

# ---- sparse formats (mirrors kernels/sparse.py) -----------------------------
# [section: sparse]

# ---- Walsh-Hadamard (mirrors kernels/wht.py) ---------------------------------
# [section: wht]

# ---- greedy pursuit (mirrors kernels/omp.py) ---------------------------------
# [section: omp]

# ---- thresholds / prox (mirrors kernels/prox.py) ------------------------------
# [section: prox]

# ---- sparse WHT peeling (mirrors kernels/sparse_wht.py) -----------------------
# [section: sparse_wht]
