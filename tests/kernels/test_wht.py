"""Numba FWHT kernel (``sparsela.kernels.cpu.wht``) against its NumPy reference."""

import numpy as np
import pytest
from _utils import random_array, tol

from sparsela.kernels.cpu import wht
from sparsela.kernels.cpu.wht import (
    fwht_along_axis,
    fwht_rows_inplace,
    fwht_xp,
    ordering_permutation,
)
from sparsela.kernels.reference import fwht_reference


def _brute_bitrev(v, n_bits):
    return int(format(v, f"0{n_bits}b")[::-1], 2) if n_bits else 0


@pytest.mark.parametrize("n_bits", [0, 1, 3, 6])
def test_ordering_permutation(n_bits):
    n = 1 << n_bits
    np.testing.assert_array_equal(ordering_permutation(n_bits, "natural"), np.arange(n))
    seq = [_brute_bitrev(s ^ (s >> 1), n_bits) for s in range(n)]
    np.testing.assert_array_equal(ordering_permutation(n_bits, "sequency"), seq)
    dya = [_brute_bitrev(s, n_bits) for s in range(n)]
    np.testing.assert_array_equal(ordering_permutation(n_bits, "dyadic"), dya)
    with pytest.raises(ValueError, match="ordering"):
        ordering_permutation(n_bits, "bogus")


# shapes covering the unit-stride (real vector), pair-stride (complex vector)
# and generic inner-width paths, with and without a batch
SHAPES = [
    ((1 << 13,), 0),
    ((3, 1 << 11), 1),
    ((1 << 10, 3), 0),
    ((2, 1 << 9, 5), 1),
    ((4, 2), 0),
]


@pytest.mark.parametrize("shape,axis", SHAPES)
@pytest.mark.parametrize("ordering", ["natural", "sequency"])
def test_kernel_vs_reference(rng, dtype, shape, axis, ordering):
    x = random_array(rng, shape, dtype)
    keep = x.copy()
    for normalized in (False, True):
        y = fwht_along_axis(x, axis, normalized, ordering)
        ref = fwht_reference(x, axis, normalized, ordering)
        assert y.dtype == dtype and y.shape == x.shape
        np.testing.assert_allclose(y, ref, rtol=tol(dtype), atol=tol(dtype) * 10)
    np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize(
    "block_bytes,tile_bytes", [(64, 32), (256, 64), (1 << 15, 1 << 12), (8, 8)]
)
@pytest.mark.parametrize("n", [2, 8, 64, 1 << 12])
@pytest.mark.parametrize("q", [1, 2, 3])
def test_block_and_tile_passes(monkeypatch, rng, n, q, block_bytes, tile_bytes):
    # tiny blocks and tiles force several tile passes (and tile-only plans)
    monkeypatch.setattr(wht, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(wht, "TILE_BYTES", tile_bytes)
    x = rng.standard_normal((2, n, q))
    ref = fwht_reference(x, 1, True, "natural")
    for parallel in (False, True):
        a = np.ascontiguousarray(x).reshape(2, n * q).copy()
        fwht_rows_inplace(a, q=q, scale=1 / np.sqrt(n), parallel=parallel)
        np.testing.assert_allclose(a.reshape(x.shape), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fwht_along_axis(x, 1, True, "natural"), ref, atol=1e-12)


@pytest.mark.parametrize("tile_stages", [1, 2, 4])
def test_tile_group_sizes(monkeypatch, rng, tile_stages):
    monkeypatch.setattr(wht, "BLOCK_BYTES", 64)
    monkeypatch.setattr(wht, "TILE_BYTES", 64)
    monkeypatch.setattr(wht, "TILE_STAGES", tile_stages)
    for q in (1, 2, 5):
        x = rng.standard_normal((3, 1 << 9, q))
        np.testing.assert_allclose(
            fwht_along_axis(x, 1, False, "natural"),
            fwht_reference(x, 1),
            rtol=1e-12,
            atol=1e-10,
        )


def test_plan_passes():
    # 2**24 float64: 12 stages in 32 KiB blocks, then two tile passes of 6
    m, groups = wht._plan(24, 1, wht.BLOCK_BYTES // 8)
    assert m == 12
    np.testing.assert_array_equal(groups, [6, 6])
    m, groups = wht._plan(10, 1, 4096)
    assert m == 10 and groups.size == 0
    m, groups = wht._plan(5, 10_000, 4096)
    assert m == 0 and groups.sum() == 5
    m, groups = wht._plan(20, 1, 8, 4)
    assert m == 3
    np.testing.assert_array_equal(groups, [4, 4, 3, 3, 3])


@pytest.mark.parametrize("ordering", ["natural", "dyadic"])
def test_xp_path_matches_reference(rng, dtype, ordering):
    x = random_array(rng, (4, 32, 3), dtype)
    np.testing.assert_allclose(
        fwht_xp(x, 1, True, ordering),
        fwht_reference(x, 1, True, ordering),
        rtol=tol(dtype),
        atol=tol(dtype),
    )


def test_reference_matches_dense_hadamard(rng):
    from scipy.linalg import hadamard

    x = rng.standard_normal((16, 3))
    np.testing.assert_allclose(fwht_reference(x, 0), hadamard(16) @ x, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_fused_copy_and_prefetch_across_rows(rng, dtype):
    # many rows of few blocks each: the next block of a work item is often in the
    # next row, and the last one has none; out of place the first sweep reads x
    x = random_array(rng, (7, 1 << 13), dtype)
    keep = x.copy()
    ref = fwht_reference(x, 1)
    for parallel in (False, True):
        y = np.empty_like(x)
        view = (lambda a: a.view(a.real.dtype)) if x.dtype.kind == "c" else np.asarray
        src, dst = view(x), view(y)
        q = 2 if x.dtype.kind == "c" else 1
        wht._run(src, dst, q, 13, 1.0, True, parallel)
        np.testing.assert_allclose(y, ref, rtol=tol(dtype), atol=tol(dtype) * 10)
        np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("q", [1, 2, 3])
@pytest.mark.parametrize("normalized", [False, True])
def test_last_pass_reports_non_finite_entries(rng, parallel, q, normalized):
    # issue 13: the check of sparsela.fwht runs in the kernel's last pass (a
    # block pass or a tile pass, serial or parallel), wherever the bad entry is
    n_bits = 13
    scale = 1 / np.sqrt(1 << n_bits) if normalized else 1.0
    x = rng.standard_normal((3, (1 << n_bits) * q))
    a = x.copy()
    assert not wht._run(a, a, q, n_bits, scale, False, parallel, check=True)
    want = fwht_reference(x.reshape(3, -1, q), 1, normalized).reshape(a.shape)
    np.testing.assert_allclose(a, want, rtol=1e-12, atol=1e-9)
    for pos, value in [
        ((0, 0), np.nan),
        ((2, a.shape[1] - 1), np.inf),
        ((1, 77), -np.inf),
    ]:
        b = x.copy()
        b[pos] = value
        assert wht._run(b, b, q, n_bits, scale, False, parallel, check=True)
        # without the check the same kernel reports nothing
        c = x.copy()
        c[pos] = value
        assert not wht._run(c, c, q, n_bits, scale, False, parallel)


def test_last_pass_reports_overflow_of_finite_input():
    x = np.full(1 << 12, 1e305)  # finite, but H x overflows in the 12th stage
    y, bad = wht.fwht_checked(x, -1, False, "natural", False, True)
    assert bad and not np.isfinite(y).all()
    y, bad = wht.fwht_checked(x / 1e300, -1, False, "natural", False, True)
    assert bad is False and np.isfinite(y).all()
    assert wht.fwht_checked(x, -1, False, "natural", False, False)[1] is None


def test_kernel_address_is_cached_per_argument_types():
    from numba import njit

    @njit
    def twice(v):
        return 2 * v

    a = wht.kernel_address(twice, 3)
    assert a == wht.kernel_address(twice, 4) and a > 0
    assert wht.kernel_address(twice, np.int32(3)) != a  # another specialisation
    with pytest.raises(TypeError, match="must return int64"):
        wht.kernel_address(twice, 1.5)
