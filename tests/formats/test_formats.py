"""Sparse formats against dense NumPy and scipy.sparse on random inputs.

Every case is built from random triplets; the dense reference is assembled
independently with ``np.add.at`` (so duplicates count once each), and the
products are also compared with ``scipy.sparse`` where SciPy has the format.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _utils import DTYPES, random_array, tol
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsela.formats import BSR, COO, CSC, CSR, NM, SparseFormat

FORMATS = ["csr", "csc", "coo", "bsr", "nm"]
BLOCK = (2, 2)  # BSR block size of the random cases
NM_PATTERN = (2, 4)  # N:M pattern of the random cases

# shapes divisible by the block size and by M; several have empty rows/columns
SHAPES = [(6, 8), (10, 4), (0, 8), (6, 0), (0, 0)]


def _fmt_dtypes(fmt):
    """Dtypes run per format.

    Each (kernel, dtype) pair costs one Numba compilation on a first run.
    CSR/CSC/COO run all four dtypes; BSR and N:M, whose kernels are the same
    generic loops, skip complex64 (float32, float64 and complex128 cover
    both precisions and real/complex).
    """
    dts = [np.dtype(d) for d in DTYPES]
    return [d for d in dts if fmt not in ("bsr", "nm") or d != np.complex64]


FMT_DTYPES = [
    pytest.param(f, d, id=f"{f}-{d.name}") for f in FORMATS for d in _fmt_dtypes(f)
]


def _triplets(rng, m, n, nnz):
    """Random (row, col) with duplicates; rows 0 and m-1 left empty."""
    if m == 0 or n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = (1, m - 1) if m > 2 else (0, m)
    row = rng.integers(lo, hi, nnz)
    col = rng.integers(0, n, nnz)
    if nnz > 3:
        row[-2:], col[-2:] = row[0], col[0]  # two duplicates of entry 0
    return row, col


def _compress(major, minor, data, n_major):
    """CSR-style arrays sorted by ``major`` only (minor stays unsorted)."""
    order = np.argsort(major, kind="stable")
    indptr = np.zeros(n_major + 1, dtype=np.int64)
    np.cumsum(np.bincount(major, minlength=n_major), out=indptr[1:])
    return data[order], minor[order], indptr


def make_case(fmt, rng, shape, dtype, *, nnz=None, canonical=False):
    """Random matrix in format ``fmt`` and its dense twin, built independently."""
    m, n = shape
    dense = np.zeros(shape, dtype=dtype)
    if fmt in ("csr", "csc", "coo"):
        nnz = (m * n) // 3 if nnz is None else nnz
        row, col = _triplets(rng, m, n, nnz)
        if canonical:
            keys = np.unique(row * max(n, 1) + col)
            row, col = keys // max(n, 1), keys % max(n, 1)
        data = random_array(rng, row.size, dtype)
        np.add.at(dense, (row, col), data)
        if fmt == "coo":
            return COO(data, row, col, shape), dense
        if fmt == "csr":
            return CSR(*_compress(row, col, data, m), shape), dense
        return CSC(*_compress(col, row, data, n), shape), dense
    if fmt == "bsr":
        R, C = BLOCK
        mb, nb = m // R, n // C
        nblocks = (mb * nb) // 3 if nnz is None else nnz
        brow, bcol = _triplets(rng, mb, nb, nblocks)
        if canonical:
            keys = np.unique(brow * max(nb, 1) + bcol)
            brow, bcol = keys // max(nb, 1), keys % max(nb, 1)
        blocks = random_array(rng, (brow.size, R, C), dtype)
        for b in range(brow.size):
            rs = slice(brow[b] * R, brow[b] * R + R)
            cs = slice(bcol[b] * C, bcol[b] * C + C)
            dense[rs, cs] += blocks[b]
        data, indices, indptr = _compress(brow, bcol, blocks, mb)
        return BSR(data, indices, indptr, shape, BLOCK), dense
    # N:M: random distinct in-group offsets
    nk, mk = NM_PATTERN
    groups = n // mk
    pos = np.zeros((m, groups * nk), dtype=np.int64)
    for i in range(m):
        for g in range(groups):
            pos[i, g * nk : (g + 1) * nk] = rng.permutation(mk)[:nk]
    values = random_array(rng, (m, groups * nk), dtype)
    for i in range(m):
        for q in range(groups * nk):
            dense[i, (q // nk) * mk + pos[i, q]] = values[i, q]
    return NM(values, pos, shape, nk, mk), dense


def _stored(A):
    return A.values if A.format == "nm" else A.data


def assert_close(got, want, dtype):
    want = np.asarray(want)
    scale = 1.0 + (np.abs(want).max() if want.size else 0.0)
    np.testing.assert_allclose(got, want, rtol=tol(dtype), atol=tol(dtype) * scale)


# ---------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("fmt", "dtype"), FMT_DTYPES)
def test_products_match_dense(fmt, shape, dtype, rng):
    A, D = make_case(fmt, rng, shape, dtype)
    m, n = shape
    x, X = random_array(rng, n, dtype), random_array(rng, (n, 3), dtype)
    y, Y = random_array(rng, m, dtype), random_array(rng, (m, 3), dtype)
    DH = D.conj().T

    results = {
        "matvec": (A.matvec(x), D @ x),
        "matmat": (A.matmat(X), D @ X),
        "rmatvec": (A.rmatvec(y), DH @ y),
        "rmatmat": (A.rmatmat(Y), DH @ Y),
        "@vec": (A @ x, D @ x),
        "@mat": (A @ X, D @ X),
        "T@": (A.T @ y, D.T @ y),
        "H@": (A.H @ Y, DH @ Y),
        "vec@": (y @ A, y @ D),
        "mat@": (Y.T @ A, Y.T @ D),
    }
    for name, (got, want) in results.items():
        assert got.shape == want.shape, name
        assert got.dtype == dtype, name
        assert_close(got, want, dtype)
    if fmt != "nm":  # the SciPy peer of the same format
        S = A.to_scipy()
        assert S.format == fmt
        assert_close(A @ x, S @ x, dtype)
        assert_close(A.T @ Y, S.T @ Y, dtype)
    np.testing.assert_array_equal(A.todense(), D)


@pytest.mark.parametrize("fmt", FORMATS)
def test_transpose_and_conjugate(fmt, rng):
    dtype = np.dtype(np.complex128)
    A, D = make_case(fmt, rng, (6, 8), dtype)
    np.testing.assert_array_equal(A.T.todense(), D.T)
    np.testing.assert_array_equal(A.conj().todense(), D.conj())
    np.testing.assert_array_equal(A.H.todense(), D.conj().T)
    np.testing.assert_array_equal(A.T.T.todense(), D)
    assert A.T.shape == (8, 6)
    # products with the transpose do not conjugate
    y = random_array(rng, 6, dtype)
    assert_close(A.T @ y, D.T @ y, dtype)
    assert_close(A.T.matvec(y), D.T @ y, dtype)
    z = random_array(rng, 8, dtype)
    assert_close(A.T.rmatvec(z), D.conj() @ z, dtype)


def test_csr_transpose_is_a_free_csc_view(rng):
    A, D = make_case("csr", rng, (6, 8), np.float64)
    AT = A.T
    assert isinstance(AT, CSC)
    assert AT.data is A.data and AT.indices is A.indices and AT.indptr is A.indptr
    assert isinstance(AT.T, CSR) and AT.T.data is A.data
    C = COO.from_dense(D)
    assert C.T.row is C.col


def test_real_conj_returns_self(rng):
    A, _ = make_case("csr", rng, (6, 8), np.float64)
    assert A.conj() is A


@pytest.mark.parametrize(("fmt", "dtype"), FMT_DTYPES)
def test_empty_pattern(fmt, dtype, rng):
    A, D = make_case(fmt, rng, (6, 8), dtype, nnz=0)
    assert A.nnz == 0 or fmt == "nm"
    x = random_array(rng, 8, dtype)
    assert_close(A @ x, D @ x, dtype)
    y = random_array(rng, 6, dtype)
    assert_close(A.rmatvec(y), D.T.conj() @ y, dtype)
    assert_close(
        A.sddmm(np.ones((6, 1), dtype), np.ones((1, 8), dtype)).todense(),
        (D != 0).astype(dtype),
        dtype,
    )


# ---------------------------------------------------------------------------
# result dtype
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("adt", "xdt"),
    [
        (np.float32, np.float32),
        (np.float32, np.float64),
        (np.float64, np.complex128),
        (np.complex64, np.float32),
    ],
)
def test_result_dtype_follows_numpy(adt, xdt, rng):
    # canonical: no duplicates summed in the low precision of the dense twin
    A, D = make_case("csr", rng, (6, 8), adt, canonical=True)
    x = random_array(rng, 8, xdt)
    want = np.result_type(adt, xdt)
    got = A @ x
    assert got.dtype == want
    assert_close(got, D.astype(want) @ x.astype(want), want)
    got = A.rmatvec(random_array(rng, 6, xdt))
    assert got.dtype == want


def test_float32_product_keeps_float32(rng):
    A, D = make_case("nm", rng, (6, 8), np.float32)
    X = random_array(rng, (8, 2), np.float32)
    assert (A @ X).dtype == np.float32
    assert A.sddmm(random_array(rng, (6, 2), np.float32), X.T).dtype == np.float32


def test_noncontiguous_operands(rng):
    A, D = make_case("csr", rng, (6, 8), np.float64)
    X = random_array(rng, (3, 8), np.float64).T  # Fortran-ordered (8, 3)
    x = random_array(rng, 16, np.float64)[::2]
    assert_close(A @ X, D @ X, np.float64)
    assert_close(A @ x, D @ x, np.float64)


# ---------------------------------------------------------------------------
# SDDMM
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "dtype"), FMT_DTYPES)
def test_sddmm_samples_the_dense_product(fmt, dtype, rng):
    A, D = make_case(fmt, rng, (6, 8), dtype, canonical=True)
    X, Y = random_array(rng, (6, 5), dtype), random_array(rng, (5, 8), dtype)
    out = A.sddmm(X, Y)
    assert type(out) is type(A) and out.shape == A.shape and out.nnz == A.nnz
    assert out.dtype == dtype
    pattern = A.with_data(np.ones_like(_stored(A))).todense() != 0
    assert_close(out.todense(), np.where(pattern, X @ Y, 0), dtype)


def test_sddmm_shares_the_pattern_and_fills_duplicates(rng):
    # entry (0, 1) stored twice: each copy gets the full value
    A = CSR([1.0, 2.0, 3.0], [1, 1, 0], [0, 2, 3], (2, 2))
    X, Y = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    out = A.sddmm(X, Y)
    assert out.indices is A.indices and out.indptr is A.indptr
    P = X @ Y
    np.testing.assert_allclose(out.data, [P[0, 1], P[0, 1], P[1, 0]], rtol=1e-12)


def test_sddmm_is_the_weight_gradient(rng):
    """d/dW of 0.5 ||W H - T||^2 on the kept entries equals sddmm(G, H.T)."""
    W, D = make_case("nm", rng, (6, 8), np.float64)
    H, T = rng.standard_normal((8, 4)), rng.standard_normal((6, 4))
    G = W @ H - T
    grad = W.sddmm(G, H.T).todense()
    full = G @ H.T
    keep = NM(np.ones_like(W.values), W.positions, W.shape, 2, 4).todense() != 0
    np.testing.assert_allclose(grad, np.where(keep, full, 0), rtol=1e-12)


def test_sddmm_rejects_bad_factors(rng):
    A, _ = make_case("csr", rng, (6, 8), np.float64)
    with pytest.raises(ValueError, match="X"):
        A.sddmm(np.ones((5, 2)), np.ones((2, 8)))
    with pytest.raises(ValueError, match="Y"):
        A.sddmm(np.ones((6, 2)), np.ones((3, 8)))
    with pytest.raises(ValueError, match="Y"):
        A.sddmm(np.ones((6, 2)), np.ones((2, 7)))


# ---------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("src", FORMATS)
@pytest.mark.parametrize("dst", FORMATS)
def test_asformat_roundtrip(src, dst, rng):
    A, D = make_case(src, rng, (6, 8), np.float64)
    kwargs = {"n": 2, "m": 4} if dst == "nm" and src != "nm" else {}
    if dst == "bsr":
        kwargs = {"blocksize": (2, 2)}
    B = A.asformat(dst, **kwargs)
    assert B.format == dst
    if dst == "nm" and src != "nm":  # pruned to 2:4 by magnitude
        want = NM.from_dense(D, 2, 4).todense()
    else:
        want = D
    np.testing.assert_allclose(B.todense(), want, rtol=1e-12, atol=1e-12)
    if src == dst:
        assert B is A


@pytest.mark.parametrize(("fmt", "dtype"), FMT_DTYPES)
def test_to_scipy_and_back(fmt, dtype, rng):
    A, D = make_case(fmt, rng, (6, 8), dtype)
    S = A.to_scipy()
    assert sp.issparse(S) and isinstance(S, sp.sparray)
    assert S.format == ("csr" if fmt == "nm" else fmt)
    assert S.dtype == dtype
    np.testing.assert_array_equal(S.toarray(), D)
    cls = type(A)
    B = cls.from_scipy(S, *NM_PATTERN) if fmt == "nm" else cls.from_scipy(S)
    np.testing.assert_array_equal(B.todense(), D)
    S.data[:] = 0  # to_scipy copies
    np.testing.assert_array_equal(A.todense(), D)


@pytest.mark.parametrize("cls", [CSR, CSC, COO, BSR])
@pytest.mark.parametrize("scipy_fmt", ["csr", "csc", "coo", "bsr", "dia"])
def test_from_scipy_any_input(cls, scipy_fmt, rng):
    D = sp.random_array((6, 8), density=0.4, rng=rng).toarray()
    S = sp.csr_matrix(D).asformat(scipy_fmt)  # old matrix API too
    A = cls.from_scipy(S)
    np.testing.assert_array_equal(A.todense(), D)


@pytest.mark.parametrize("cls", [CSR, CSC, COO, BSR])
def test_from_dense(cls, rng, dtype):
    D = random_array(rng, (6, 8), dtype)
    D[rng.random((6, 8)) < 0.6] = 0
    D[0] = 0  # empty row
    A = cls.from_dense(D)
    np.testing.assert_array_equal(A.todense(), D)
    assert A.dtype == dtype
    if cls is not BSR:
        assert A.nnz == np.count_nonzero(D)
        assert A.density == pytest.approx(np.count_nonzero(D) / D.size)


def test_from_dense_casts_integers_to_float64():
    A = CSR.from_dense(np.array([[1, 0], [0, 2]]))
    assert A.dtype == np.float64
    assert NM.from_dense(np.array([[1, 0, 3, 2]], dtype=bool), 1, 2).dtype == np.float64


def test_bsr_blocks(rng):
    D = np.kron(rng.random((3, 4)) < 0.4, np.ones((2, 3))) * rng.standard_normal(
        (6, 12)
    )
    A = BSR.from_dense(D, blocksize=(2, 3))
    assert A.blocksize == (2, 3) and A.data.shape[1:] == (2, 3)
    assert A.nblocks == np.count_nonzero(np.abs(D).reshape(3, 2, 4, 3).sum((1, 3)))
    np.testing.assert_array_equal(A.todense(), D)
    AT = A.T
    assert AT.blocksize == (3, 2)
    np.testing.assert_array_equal(AT.todense(), D.T)
    x = rng.standard_normal(12)
    assert_close(A @ x, D @ x, np.float64)
    assert_close(A.asformat("bsr", blocksize=(1, 1)).todense(), D, np.float64)


# ---------------------------------------------------------------------------
# duplicates, unsorted indices, canonical form
# ---------------------------------------------------------------------------
def test_coo_duplicates_are_summed(rng):
    row = np.array([0, 2, 0, 1, 0])
    col = np.array([1, 0, 1, 1, 1])
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    A = COO(data, row, col, (3, 2))
    want = np.array([[0, 9.0], [0, 4], [2, 0]])
    np.testing.assert_array_equal(A.todense(), want)
    x = rng.standard_normal(2)
    np.testing.assert_allclose(A @ x, want @ x, rtol=1e-12)
    np.testing.assert_allclose(A.rmatvec(np.ones(3)), want.T @ np.ones(3), rtol=1e-12)
    B = A.asformat("csr")
    assert B.nnz == 3 and B.has_canonical_format
    np.testing.assert_array_equal(B.todense(), want)
    C = A.sum_duplicates()
    assert C.nnz == 3
    np.testing.assert_array_equal(C.todense(), want)


def test_csr_unsorted_and_duplicate_indices(rng):
    # row 0: columns 3, 0, 3 (unsorted, duplicate); row 1 empty; row 2: 2, 1
    A = CSR([1.0, 2.0, 3.0, 4.0, 5.0], [3, 0, 3, 2, 1], [0, 3, 3, 5], (3, 4))
    want = np.array([[2.0, 0, 0, 4], [0, 0, 0, 0], [0, 5, 4, 0]])
    assert not A.has_canonical_format
    np.testing.assert_array_equal(A.todense(), want)
    x, y = rng.standard_normal(4), rng.standard_normal(3)
    np.testing.assert_allclose(A @ x, want @ x, rtol=1e-12)
    np.testing.assert_allclose(A.T @ y, want.T @ y, rtol=1e-12)
    np.testing.assert_allclose(A.T.T @ x, want @ x, rtol=1e-12)
    S = A.to_scipy()
    np.testing.assert_allclose(A @ x, S @ x, rtol=1e-12)
    B = A.sum_duplicates()
    assert B.has_canonical_format and B.nnz == 4
    np.testing.assert_array_equal(B.todense(), want)


# ---------------------------------------------------------------------------
# N:M
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "m"), [(1, 2), (2, 4), (3, 8), (4, 4), (1, 1), (5, 16)])
def test_nm_from_dense_keeps_largest(n, m, rng):
    D = rng.standard_normal((5, 4 * m))
    A = NM.from_dense(D, n, m)
    assert A.values.shape == (5, 4 * n) and A.positions.dtype == np.uint8
    assert A.density == pytest.approx(n / m)
    got = A.todense()
    for i in range(5):
        for g in range(4):
            grp = D[i, g * m : (g + 1) * m]
            keep = np.sort(np.argsort(-np.abs(grp))[:n])
            want = np.zeros(m)
            want[keep] = grp[keep]
            np.testing.assert_array_equal(got[i, g * m : (g + 1) * m], want)
    x = rng.standard_normal(4 * m)
    assert_close(A @ x, got @ x, np.float64)
    assert_close(A.rmatvec(np.ones(5)), got.T @ np.ones(5), np.float64)


def test_nm_ties_keep_lowest_index():
    D = np.array([[1.0, -1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0]])
    A = NM.from_dense(D, 2, 4)
    np.testing.assert_array_equal(A.positions, [[0, 1, 0, 1]])
    np.testing.assert_array_equal(A.values, [[1.0, -1.0, 0.0, 0.0]])


def test_nm_from_scipy_matches_from_dense(rng, monkeypatch):
    import sparsela.formats._nm as nm_mod

    monkeypatch.setattr(nm_mod, "_DENSE_CHUNK", 16)  # several row blocks
    D = sp.random_array((7, 12), density=0.5, rng=rng).toarray()
    A = NM.from_scipy(sp.csr_array(D), 2, 3)
    B = NM.from_dense(D, 2, 3)
    np.testing.assert_array_equal(A.values, B.values)
    np.testing.assert_array_equal(A.positions, B.positions)


def test_nm_transpose_is_csc(rng):
    A, D = make_case("nm", rng, (6, 8), np.float64)
    assert isinstance(A.T, CSC)
    np.testing.assert_array_equal(A.T.todense(), D.T)
    assert A.asformat("nm", n=2, m=4) is A


# ---------------------------------------------------------------------------
# index dtypes
# ---------------------------------------------------------------------------
def test_index_dtype_int32_when_it_fits():
    A = CSR([1.0], np.array([0], np.int64), np.array([0, 1, 1], np.int64), (2, 3))
    assert A.indices.dtype == np.int32 and A.indptr.dtype == np.int32
    B = CSR([1.0], [2**31], [0, 1, 1], (2, 2**31 + 5))  # column beyond int32
    assert B.indices.dtype == np.int64 and B.indptr.dtype == np.int64
    C = COO([1.0], [0], [2**31], (1, 2**31 + 1))
    assert C.row.dtype == np.int64


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_int64_index_path(fmt, rng):
    A, D = make_case(fmt, rng, (6, 8), np.float64)
    if fmt == "coo":
        row, col = A.row.astype(np.int64), A.col.astype(np.int64)
        B = COO(A.data, row, col, A.shape, check=False)
    else:
        B = type(A)(
            A.data,
            A.indices.astype(np.int64),
            A.indptr.astype(np.int64),
            A.shape,
            check=False,
        )
    x, y = rng.standard_normal(8), rng.standard_normal(6)
    assert_close(B @ x, D @ x, np.float64)
    assert_close(B.rmatvec(y), D.T @ y, np.float64)


# ---------------------------------------------------------------------------
# container behaviour
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_common_attributes(fmt, rng):
    A, D = make_case(fmt, rng, (6, 8), np.float32)
    assert isinstance(A, SparseFormat)
    assert A.ndim == 2 and A.shape == (6, 8) and A.dtype == np.float32
    assert A.format == fmt
    assert 0 <= A.density <= 1 and A.density == pytest.approx(A.nnz / 48)
    assert fmt in repr(A).lower()
    with pytest.raises(AttributeError):
        A._shape = (1, 1)
    with pytest.raises(AttributeError):
        A.foo = 1
    B = A.copy()
    np.testing.assert_array_equal(B.todense(), D)
    assert not np.shares_memory(_stored(B), _stored(A))
    assert A.astype(np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="imaginary"):
        A.astype(np.complex64).astype(np.float32)


def test_array_ufunc_defers_to_rmatmul(rng):
    A, D = make_case("csr", rng, (6, 8), np.float64)
    Y = rng.standard_normal((2, 6))
    assert_close(Y @ A, Y @ D, np.float64)
    with pytest.raises(TypeError):
        A @ A


# ---------------------------------------------------------------------------
# property tests (hypothesis)
# ---------------------------------------------------------------------------
@st.composite
def cases(draw):
    fmt = draw(st.sampled_from(FORMATS))
    dtype = draw(st.sampled_from(_fmt_dtypes(fmt)))
    if fmt == "bsr":
        shape = (2 * draw(st.integers(0, 5)), 2 * draw(st.integers(0, 5)))
    elif fmt == "nm":
        shape = (draw(st.integers(0, 8)), 4 * draw(st.integers(0, 3)))
    else:
        shape = (draw(st.integers(0, 9)), draw(st.integers(0, 9)))
    seed = draw(st.integers(0, 2**32 - 1))
    return fmt, shape, dtype, seed


_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_settings
@given(cases())
def test_property_products_equal_dense(case):
    fmt, shape, dtype, seed = case
    rng = np.random.default_rng(seed)
    A, D = make_case(fmt, rng, shape, dtype)
    m, n = shape
    X, Y = random_array(rng, (n, 2), dtype), random_array(rng, (m, 2), dtype)
    assert_close(A @ X[:, 0], D @ X[:, 0], dtype)
    assert_close(A @ X, D @ X, dtype)
    assert_close(A.rmatvec(Y[:, 0]), D.conj().T @ Y[:, 0], dtype)
    assert_close(A.rmatmat(Y), D.conj().T @ Y, dtype)
    np.testing.assert_array_equal(A.asformat("coo").todense(), D)


@_settings
@given(cases(), st.integers(-3, 3).filter(lambda d: d != 0))
def test_property_wrong_operand_shape(case, delta):
    fmt, shape, dtype, seed = case
    A, _ = make_case(fmt, np.random.default_rng(seed), shape, dtype)
    m, n = shape
    if n + delta >= 0:
        with pytest.raises(ValueError, match="x"):
            A.matvec(np.ones(n + delta, dtype))
        with pytest.raises(ValueError, match="X"):
            A.matmat(np.ones((n + delta, 2), dtype))
    if m + delta >= 0:
        with pytest.raises(ValueError, match="y"):
            A.rmatvec(np.ones(m + delta, dtype))
    with pytest.raises(ValueError, match="x"):
        A.matvec(np.ones((n, 1, 1), dtype))


@_settings
@given(cases(), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_property_nonfinite_operand(case, bad):
    fmt, shape, dtype, seed = case
    m, n = shape
    A, _ = make_case(fmt, np.random.default_rng(seed), shape, dtype)
    if n:
        x = np.ones(n, dtype)
        x[seed % n] = bad
        with pytest.raises(ValueError, match="x"):
            A @ x


@_settings
@given(
    st.sampled_from(["csr", "csc", "coo"]),
    st.integers(1, 6),
    st.integers(1, 6),
    st.sampled_from([np.nan, np.inf]),
    st.integers(0, 100),
)
def test_property_nonfinite_data(fmt, m, n, bad, k):
    rng = np.random.default_rng(k)
    A, _ = make_case(fmt, rng, (m, n), np.float64, nnz=3)
    data = A.data.copy()
    data[k % data.size] = bad
    with pytest.raises(ValueError, match="data"):
        A.with_data(data)
    if fmt == "coo":
        with pytest.raises(ValueError, match="data"):
            COO(data, A.row, A.col, A.shape)
    else:
        with pytest.raises(ValueError, match="data"):
            type(A)(data, A.indices, A.indptr, A.shape)


@_settings
@given(
    st.sampled_from(["csr", "csc", "coo", "bsr"]),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from(["negative", "too_large"]),
    st.integers(0, 100),
)
def test_property_bad_indices(fmt, mh, nh, kind, k):
    shape = (2 * mh, 2 * nh)
    rng = np.random.default_rng(k)
    A, _ = make_case(fmt, rng, shape, np.float64, nnz=3)
    if fmt == "coo":
        row, col = A.row.copy(), A.col.copy()
        if k % 2:
            target, name, upper = row, "row", shape[0]
        else:
            target, name, upper = col, "col", shape[1]
        target[k % target.size] = -1 if kind == "negative" else upper + k
        with pytest.raises(ValueError, match=name):
            COO(A.data, row, col, shape)
        return
    indices = A.indices.astype(np.int64)
    upper = {"csr": shape[1], "csc": shape[0], "bsr": shape[1] // 2}[fmt]
    indices[k % indices.size] = -1 - k if kind == "negative" else upper + k
    with pytest.raises(ValueError, match="indices"):
        if fmt == "bsr":
            BSR(A.data, indices, A.indptr, shape)
        else:
            type(A)(A.data, indices, A.indptr, shape)


@_settings
@given(
    st.sampled_from(FORMATS),
    st.sampled_from([np.int32, np.int64, np.uint8, bool, object, np.float16]),
)
def test_property_bad_data_dtype(fmt, bad):
    A, _ = make_case(fmt, np.random.default_rng(0), (4, 8), np.float64)
    data = _stored(A).astype(bad)
    name = "values" if fmt == "nm" else "data"
    with pytest.raises(TypeError, match=name):
        if fmt == "nm":
            NM(data, A.positions, A.shape, A.n, A.m)
        elif fmt == "coo":
            COO(data, A.row, A.col, A.shape)
        elif fmt == "bsr":
            BSR(data, A.indices, A.indptr, A.shape)
        else:
            type(A)(data, A.indices, A.indptr, A.shape)
    with pytest.raises(TypeError, match="x"):
        A @ np.ones(8, dtype=bad)


@_settings
@given(st.integers(1, 16), st.integers(1, 16), st.integers(1, 40))
def test_property_nm_m_must_divide_columns(n, m, cols):
    D = np.ones((2, cols))
    if n > m:
        with pytest.raises(ValueError, match="n"):
            NM.from_dense(D, n, m)
    elif cols % m:
        with pytest.raises(ValueError, match="m"):
            NM.from_dense(D, n, m)
        with pytest.raises(ValueError, match="m"):
            NM(
                np.ones((2, cols // m * n)),
                np.zeros((2, cols // m * n), np.uint8),
                (2, cols),
                n,
                m,
            )
    else:
        A = NM.from_dense(D, n, m)
        assert A.nnz == 2 * cols // m * n


def test_bad_nm_positions():
    vals = np.ones((1, 4))
    with pytest.raises(ValueError, match="positions"):
        NM(vals, [[0, 4, 0, 1]], (1, 8), 2, 4)
    with pytest.raises(ValueError, match="positions"):
        NM(vals, [[0, -1, 0, 1]], (1, 8), 2, 4)
    with pytest.raises(ValueError, match="distinct"):
        NM(vals, [[1, 1, 0, 1]], (1, 8), 2, 4)
    with pytest.raises(TypeError, match="positions"):
        NM(vals, [[0.0, 1.0, 0.0, 1.0]], (1, 8), 2, 4)
    with pytest.raises(ValueError, match="values"):
        NM(np.ones((1, 3)), [[0, 1, 0]], (1, 8), 2, 4)
    with pytest.raises(ValueError, match="m must be at most 256"):
        NM.from_dense(np.ones((1, 512)), 1, 512)


def test_bad_structure_messages():
    with pytest.raises(ValueError, match="indptr"):
        CSR([1.0], [0], [0, 1], (2, 2))  # wrong length
    with pytest.raises(ValueError, match="indptr"):
        CSR([1.0, 2.0], [0, 1], [0, 2, 1], (2, 2))  # decreasing / bad end
    with pytest.raises(ValueError, match="indptr"):
        CSR([1.0], [0], [1, 1, 1], (2, 2))  # does not start at 0
    with pytest.raises(ValueError, match="indices"):
        CSR([1.0], [0, 1], [0, 1, 1], (2, 2))
    with pytest.raises(TypeError, match="indices"):
        CSR([1.0], [0.5], [0, 1, 1], (2, 2))
    with pytest.raises(TypeError, match="shape"):
        CSR([1.0], [0], [0, 1, 1], (2.0, 2))
    with pytest.raises(ValueError, match="shape"):
        CSR([1.0], [0], [0, 1, 1], (2, 2, 2))
    with pytest.raises(ValueError, match="shape"):
        COO([], [], [], (-1, 2))
    with pytest.raises(ValueError, match="data"):
        CSR(np.ones((1, 1)), [0], [0, 1, 1], (2, 2))
    with pytest.raises(ValueError, match="row"):
        COO([1.0], [0, 0], [0], (2, 2))
    with pytest.raises(ValueError, match="blocksize"):
        BSR(np.ones((1, 2, 2)), [0], [0, 1], (3, 2))
    with pytest.raises(ValueError, match="blocksize|data"):
        BSR(np.ones((1, 2, 2)), [0], [0, 1, 1], (4, 4), blocksize=(1, 2))
    with pytest.raises(ValueError, match="blocksize"):
        BSR.from_dense(np.ones((4, 4)), blocksize=(3, 3))
    with pytest.raises(ValueError, match="A"):
        CSR.from_dense(np.ones(3))
    with pytest.raises(ValueError, match="A"):
        CSR.from_dense(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="A"):
        CSR.from_dense(np.array([["a"]], dtype=object))
    with pytest.raises(TypeError, match="S"):
        CSR.from_scipy(np.eye(2))
    with pytest.raises(ValueError, match="format"):
        CSR.from_dense(np.eye(2)).asformat("dia")
    with pytest.raises(ValueError, match="n and m"):
        CSR.from_dense(np.eye(2)).asformat("nm")
    with pytest.raises(ValueError, match="data"):
        CSR.from_dense(np.eye(2)).with_data(np.ones(3))
