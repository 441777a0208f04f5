"""Coordination of BLAS threads with Numba's parallel kernels.

OpenBLAS keeps its worker threads spinning for about 0.1 s after every
multi-threaded call. On a machine with as many cores as threads, a parallel
Numba kernel that follows such a call (Batch-OMP after ``Aᴴ Y``) then shares
a core with a spinning worker and gains nothing from its second thread
(measured on 2 cores: the OMP kernel took 98 ms on 2 threads right after a
2-thread BLAS product, 53 ms after 1-thread ones, 111 ms on 1 thread).
:func:`rows_matmul` computes the products that feed such kernels as row
blocks on Python threads, BLAS on one thread per block: as fast as
multi-threaded BLAS, and no worker left spinning. Iterative solvers that mix
BLAS calls and parallel kernels in every iteration run their loop inside
:func:`blas_single_thread` (FISTA on a CSR matrix: 110 ms on 2 threads with
2-thread BLAS, 46 ms with 1-thread BLAS, 53 ms on 1 thread).
"""

from __future__ import annotations

import contextlib
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["blas_single_thread", "rows_matmul"]


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    # scanning the loaded libraries costs about 0.5 ms: once per process
    return ThreadpoolController()


@functools.lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1)


def blas_single_thread() -> Any:
    """Context manager: BLAS on one thread while Numba runs more than one
    (no-op with one Numba thread). Products that want several threads inside
    it go through :func:`rows_matmul`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._threads import blas_single_thread
    >>> with blas_single_thread():
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    if numba.get_num_threads() == 1:
        return contextlib.nullcontext()
    return _controller().limit(limits=1, user_api="blas")


def rows_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` (C-contiguous) computed as ``numba.get_num_threads()`` row
    blocks of ``A`` on Python threads, BLAS on one thread each.

    ``A`` ``(M, k)`` and ``B`` ``(k, N)``. With one Numba thread, or fewer
    than 64 rows per block, this is plain ``A @ B``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._threads import rows_matmul
    >>> A, B = np.arange(6.0).reshape(3, 2), np.eye(2)
    >>> np.array_equal(rows_matmul(A, B), A @ B)
    True
    """
    parts = numba.get_num_threads()
    M = A.shape[0]
    if M < 64 * parts or A.size == 0 or B.size == 0:
        parts = 1
    out = np.empty((M, B.shape[1]), dtype=np.result_type(A, B))
    bounds = [p * M // parts for p in range(parts + 1)]

    def block(p):
        r0, r1 = bounds[p], bounds[p + 1]
        if B.shape[1] == 1:  # a matrix-vector product (gemv, not a gemm)
            np.matmul(A[r0:r1], B[:, 0], out=out[r0:r1, 0])
        else:
            np.matmul(A[r0:r1], B, out=out[r0:r1])

    if parts == 1:
        block(0)
    else:
        with _controller().limit(limits=1, user_api="blas"):
            list(_executor().map(block, range(parts)))
    return out
