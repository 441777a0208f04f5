"""LLVM intrinsics of ``sparsela.kernels.cpu._llvm`` against plain Python/NumPy."""

import platform

import numpy as np
import pytest
from _utils import random_array, tol
from numba import njit
from numba.core.errors import TypingError

from sparsela.kernels.cpu._llvm import popcount, prefetch


def test_prefetch_intrinsic_is_a_pure_hint(rng):
    @njit
    def prefetched_sum(a, ahead):
        s = 0.0
        for i in range(a.size):
            if i + ahead < a.size:
                prefetch(a, i + ahead)
            s += a[i]
        return s

    for dtype in (np.float32, np.float64, np.complex128):
        a = random_array(rng, (1000,), dtype)
        np.testing.assert_allclose(prefetched_sum(a, 64), a.sum(), rtol=tol(dtype))
    if platform.machine() in ("x86_64", "AMD64"):
        asm = prefetched_sum.inspect_asm(prefetched_sum.signatures[0])
        assert "prefetch" in asm
    with pytest.raises(TypingError):
        njit(lambda a: prefetch(a, 0))(np.zeros((2, 2)))
    with pytest.raises(TypingError):
        njit(lambda a: prefetch(a, 0.5))(np.zeros(4))


@njit
def _popcounts(v):
    out = np.empty(v.size, dtype=np.int64)
    for i in range(v.size):
        out[i] = popcount(v[i])
    return out


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint64, np.uint32])
def test_popcount_matches_python(rng, dtype):
    info = np.iinfo(dtype)
    v = rng.integers(info.min, info.max, size=500, dtype=dtype, endpoint=True)
    v[:4] = [0, info.max, info.min, 1]
    bits = info.bits
    expected = [bin(int(x) & ((1 << bits) - 1)).count("1") for x in v]
    np.testing.assert_array_equal(_popcounts(v), expected)
    with pytest.raises(TypingError):
        njit(lambda x: popcount(x))(1.5)
