"""Numba sparse kernels against their NumPy twins in kernels.reference."""

import numpy as np
import pytest
from _utils import random_array, tol

from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import sparse as ks

uv = ks.unsigned_view


def _pattern(rng, m, n, nnz, *, dup=True):
    """Random CSR pattern with empty rows, unsorted indices and duplicates."""
    rows = rng.integers(0, m, nnz) if m else np.zeros(0, np.int64)
    rows[: nnz // 3] = rows[0] if nnz else 0  # one heavy row
    if m > 2:
        rows[rows == 1] = 0  # row 1 stays empty
    cols = rng.integers(0, n, nnz)
    if dup and nnz > 4:
        rows[-2:] = rows[0]
        cols[-2:] = cols[0]  # two duplicates of the first entry
    order = np.argsort(rows, kind="stable")  # within a row: unsorted columns
    rows, cols = rows[order], cols[order]
    indptr = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
    return cols.astype(np.int32), indptr


# Each (kernel, dtype) pair costs one Numba compilation on a first run. The
# CSR and COO kernels run all four dtypes; the chunked (parallel) scatter path
# runs float64 and complex128, and the BSR and N:M kernels skip complex64: the
# loops are dtype-generic, and the kept dtypes cover both precisions and
# real/complex.
CHUNK_DTYPES = [np.dtype(np.float64), np.dtype(np.complex128)]
BLOCK_DTYPES = [np.dtype(d) for d in (np.float32, np.float64, np.complex128)]


def _close(a, b, dtype):
    np.testing.assert_allclose(a, b, rtol=tol(dtype), atol=tol(dtype) * 10)


def _csr_case(rng, dtype):
    m, n, nnz = 23, 17, 90
    indices, indptr = _pattern(rng, m, n, nnz)
    return m, n, nnz, indices, indptr, random_array(rng, nnz, dtype)


def test_csr_kernels_match_reference(rng, dtype):
    m, n, nnz, indices, indptr, data = _csr_case(rng, dtype)
    x, y = random_array(rng, n, dtype), random_array(rng, m, dtype)
    X, Y = random_array(rng, (n, 3), dtype), random_array(rng, (m, 3), dtype)
    ii, ip = uv(indices), uv(indptr)

    out = np.zeros(m, dtype)
    ks.csr_matvec(data, ii, ip, x, out)
    _close(out, ref.csr_matvec(data, indices, indptr, x, np.zeros(m, dtype)), dtype)
    out = np.zeros((m, 3), dtype)
    ks.csr_matmat(data, ii, ip, X, out)
    want = ref.csr_matmat(data, indices, indptr, X, np.zeros((m, 3), dtype))
    _close(out, want, dtype)
    Xs, Yt = random_array(rng, (m, 4), dtype), random_array(rng, (n, 4), dtype)
    out = np.zeros(nnz, dtype)
    ks.csr_sddmm(ii, ip, Xs, Yt, out)
    _close(out, ref.csr_sddmm(indices, indptr, Xs, Yt, np.zeros(nnz, dtype)), dtype)

    bounds = ks.row_partition(indptr, 1)  # serial scatter
    out = np.zeros(n, dtype)
    ks.csr_tmatvec(data, ii, ip, y, out, bounds)
    want = ref.csr_tmatvec(data, indices, indptr, y, np.zeros(n, dtype))
    _close(out, want, dtype)
    out = np.zeros((n, 3), dtype)
    ks.csr_tmatmat(data, ii, ip, Y, out, bounds)
    want = ref.csr_tmatmat(data, indices, indptr, Y, np.zeros((n, 3), dtype))
    _close(out, want, dtype)


@pytest.mark.parametrize("nchunks", [2, 3])
@pytest.mark.parametrize("dtype", CHUNK_DTYPES, ids=str)
def test_csr_chunked_scatter_match_reference(rng, dtype, nchunks):
    m, n, nnz, indices, indptr, data = _csr_case(rng, dtype)
    y, Y = random_array(rng, m, dtype), random_array(rng, (m, 3), dtype)
    bounds = ks.row_partition(indptr, nchunks)
    assert bounds.shape == (nchunks + 1,)
    out = np.zeros(n, dtype)
    ks.csr_tmatvec(data, uv(indices), uv(indptr), y, out, bounds)
    want = ref.csr_tmatvec(data, indices, indptr, y, np.zeros(n, dtype))
    _close(out, want, dtype)
    out = np.zeros((n, 3), dtype)
    ks.csr_tmatmat(data, uv(indices), uv(indptr), Y, out, bounds)
    want = ref.csr_tmatmat(data, indices, indptr, Y, np.zeros((n, 3), dtype))
    _close(out, want, dtype)


def test_kernels_accumulate_into_out(rng):
    indices, indptr = _pattern(rng, 9, 7, 30)
    data, x = rng.standard_normal(30), rng.standard_normal(7)
    start = rng.standard_normal(9)
    out = start.copy()
    ks.csr_matvec(data, uv(indices), uv(indptr), x, out)
    want = ref.csr_matvec(data, indices, indptr, x, np.zeros(9))
    np.testing.assert_allclose(out - start, want, rtol=1e-12, atol=1e-12)


def test_reference_matches_dense(rng):
    """The oracle itself against an independent dense computation."""
    indices, indptr = _pattern(rng, 8, 6, 25)
    data = rng.standard_normal(25)
    dense = np.zeros((8, 6))
    for i in range(8):
        for k in range(indptr[i], indptr[i + 1]):
            dense[i, indices[k]] += data[k]
    x, y = rng.standard_normal(6), rng.standard_normal(8)
    got = ref.csr_matvec(data, indices, indptr, x, np.zeros(8))
    np.testing.assert_allclose(got, dense @ x, rtol=1e-12)
    got = ref.csr_tmatvec(data, indices, indptr, y, np.zeros(6))
    np.testing.assert_allclose(got, dense.T @ y, rtol=1e-12)


def test_signed_and_unsigned_indices_agree(rng):
    indices, indptr = _pattern(rng, 31, 29, 120)
    data, x = rng.standard_normal(120), rng.standard_normal(29)
    a, b = np.zeros(31), np.zeros(31)
    ks.csr_matvec(data, indices, indptr, x, a)
    ks.csr_matvec(data, uv(indices), uv(indptr), x, b)
    np.testing.assert_array_equal(a, b)
    # int64 indices read through uint64 views
    c = np.zeros(31)
    ks.csr_matvec(data, uv(indices.astype(np.int64)), uv(indptr.astype(np.int64)), x, c)
    np.testing.assert_array_equal(a, c)


def test_coo_kernels_match_reference(rng, dtype):
    m, n, nnz = 11, 13, 60
    row = rng.integers(0, m, nnz).astype(np.int32)
    col = rng.integers(0, n, nnz).astype(np.int32)
    row[:3], col[:3] = row[3], col[3]  # duplicates
    data = random_array(rng, nnz, dtype)
    x, X = random_array(rng, n, dtype), random_array(rng, (n, 2), dtype)
    out = np.zeros(m, dtype)
    ks.coo_matvec(data, uv(row), uv(col), x, out)
    _close(out, ref.coo_matvec(data, row, col, x, np.zeros(m, dtype)), dtype)
    out = np.zeros((m, 2), dtype)
    ks.coo_matmat(data, uv(row), uv(col), X, out)
    _close(out, ref.coo_matmat(data, row, col, X, np.zeros((m, 2), dtype)), dtype)
    Xs, Yt = random_array(rng, (m, 3), dtype), random_array(rng, (n, 3), dtype)
    out = np.zeros(nnz, dtype)
    ks.coo_sddmm(uv(row), uv(col), Xs, Yt, out)
    _close(out, ref.coo_sddmm(row, col, Xs, Yt, np.zeros(nnz, dtype)), dtype)


BSR_CASES = [pytest.param(d, 1, id=f"{d}-serial") for d in BLOCK_DTYPES] + [
    pytest.param(d, 3, id=f"{d}-chunked") for d in CHUNK_DTYPES
]


@pytest.mark.parametrize(("dtype", "nchunks"), BSR_CASES)
def test_bsr_kernels_match_reference(rng, dtype, nchunks):
    R, C, mb, nb = 2, 3, 7, 5
    indices, indptr = _pattern(rng, mb, nb, 20)
    data = random_array(rng, (20, R, C), dtype)
    m, n = mb * R, nb * C
    bounds = ks.row_partition(indptr, nchunks)
    x, y = random_array(rng, n, dtype), random_array(rng, m, dtype)
    X, Y = random_array(rng, (n, 2), dtype), random_array(rng, (m, 2), dtype)
    ii, ip = uv(indices), uv(indptr)
    if nchunks == 1:
        out = np.zeros(m, dtype)
        ks.bsr_matvec(data, ii, ip, x, out)
        _close(out, ref.bsr_matvec(data, indices, indptr, x, np.zeros(m, dtype)), dtype)
        out = np.zeros((m, 2), dtype)
        ks.bsr_matmat(data, ii, ip, X, out)
        want = ref.bsr_matmat(data, indices, indptr, X, np.zeros((m, 2), dtype))
        _close(out, want, dtype)
        Xs, Yt = random_array(rng, (m, 4), dtype), random_array(rng, (n, 4), dtype)
        out = np.zeros(data.shape, dtype)
        ks.bsr_sddmm(ii, ip, Xs, Yt, out)
        want = ref.bsr_sddmm(indices, indptr, Xs, Yt, np.zeros(data.shape, dtype))
        _close(out, want, dtype)
    out = np.zeros(n, dtype)
    ks.bsr_tmatvec(data, ii, ip, y, out, bounds)
    _close(out, ref.bsr_tmatvec(data, indices, indptr, y, np.zeros(n, dtype)), dtype)
    out = np.zeros((n, 2), dtype)
    ks.bsr_tmatmat(data, ii, ip, Y, out, bounds)
    want = ref.bsr_tmatmat(data, indices, indptr, Y, np.zeros((n, 2), dtype))
    _close(out, want, dtype)


@pytest.mark.parametrize(("n", "m"), [(2, 4), (1, 3), (3, 8)])
@pytest.mark.parametrize("dtype", BLOCK_DTYPES, ids=str)
def test_nm_kernels_match_reference(rng, dtype, n, m):
    rows, groups = 9, 5
    cols = groups * m
    pos = np.stack(
        [
            np.sort(rng.permutation(m)[:n])
            for _ in range(rows * groups)  # distinct offsets per group
        ]
    ).reshape(rows, groups * n)
    pos = pos.astype(np.uint8)
    vals = random_array(rng, (rows, groups * n), dtype)
    x, y = random_array(rng, cols, dtype), random_array(rng, rows, dtype)
    X, Y = random_array(rng, (cols, 2), dtype), random_array(rng, (rows, 2), dtype)
    out = np.zeros(rows, dtype)
    ks.nm_matvec(vals, pos, n, m, x, out)
    _close(out, ref.nm_matvec(vals, pos, n, m, x, np.zeros(rows, dtype)), dtype)
    out = np.zeros((rows, 2), dtype)
    ks.nm_matmat(vals, pos, n, m, X, out)
    _close(out, ref.nm_matmat(vals, pos, n, m, X, np.zeros((rows, 2), dtype)), dtype)
    for nchunks in (1, 2, groups):
        out = np.zeros(cols, dtype)
        ks.nm_tmatvec(vals, pos, n, m, y, out, nchunks)
        _close(out, ref.nm_tmatvec(vals, pos, n, m, y, np.zeros(cols, dtype)), dtype)
        out = np.zeros((cols, 2), dtype)
        ks.nm_tmatmat(vals, pos, n, m, Y, out, nchunks)
        want = ref.nm_tmatmat(vals, pos, n, m, Y, np.zeros((cols, 2), dtype))
        _close(out, want, dtype)
    Xs, Yt = random_array(rng, (rows, 3), dtype), random_array(rng, (cols, 3), dtype)
    out = np.zeros(vals.shape, dtype)
    ks.nm_sddmm(pos, n, m, Xs, Yt, out)
    _close(out, ref.nm_sddmm(pos, n, m, Xs, Yt, np.zeros(vals.shape, dtype)), dtype)


def test_row_partition_balances_nnz():
    indptr = np.array([0, 100, 101, 102, 103, 200])
    bounds = ks.row_partition(indptr, 2)
    assert bounds[0] == 0 and bounds[-1] == 5
    assert np.all(np.diff(bounds) >= 0)
    assert bounds[1] == 1  # the heavy first row alone in the first chunk
    # more chunks than rows: still a valid partition
    bounds = ks.row_partition(np.array([0, 2, 4]), 5)
    assert bounds[0] == 0 and bounds[-1] == 2 and np.all(np.diff(bounds) >= 0)


def test_n_scatter_chunks(monkeypatch):
    monkeypatch.setattr(ks.numba, "get_num_threads", lambda: 4)
    assert ks.n_scatter_chunks(work=10**7, out_size=10**6, itemsize=8) == 4
    assert ks.n_scatter_chunks(work=10**6, out_size=10**6, itemsize=8) == 1
    assert ks.n_scatter_chunks(work=10**10, out_size=10**8, itemsize=8) == 1
    monkeypatch.setattr(ks.numba, "get_num_threads", lambda: 1)
    assert ks.n_scatter_chunks(work=10**7, out_size=10**6, itemsize=8) == 1


@pytest.mark.parametrize("idt", [np.int32, np.int64])
def test_is_canonical_matches_reference(idt):
    from sparsela.kernels.cpu.sparse import is_canonical
    from sparsela.kernels.reference import is_canonical_reference

    rng = np.random.default_rng(5)
    for trial in range(60):
        counts = rng.integers(0, 5, size=rng.integers(1, 8))
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(idt)
        indices = np.concatenate(
            [np.sort(rng.choice(10, c, replace=False)) for c in counts]
        ).astype(idt)
        if trial % 3 == 1 and indices.size > 1:  # a duplicate or a swap
            k = rng.integers(1, indices.size)
            indices[k] = indices[k - 1]
        elif trial % 3 == 2 and indices.size > 1:
            indices = rng.permutation(indices)
        assert is_canonical(indices, indptr) == is_canonical_reference(indices, indptr)
