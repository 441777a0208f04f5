"""Serial and parallel paths of the kernels agree with the NumPy references
(issue 13: small products run serially, large ones on the Numba threads)."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from _utils import random_array, tol

import sparsela
from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import omp as komp
from sparsela.kernels.cpu import sparse as ks
from sparsela.kernels.cpu import sparse_wht, wht

uv = ks.unsigned_view
needs_threads = pytest.mark.skipif(
    numba.get_num_threads() < 2, reason="the parallel paths need 2 Numba threads"
)


def _close(a, b, dtype):
    np.testing.assert_allclose(a, b, rtol=tol(dtype), atol=tol(dtype) * 10)


def _pattern(rng, m, n, nnz):
    """CSR pattern with an empty row, unsorted indices and a duplicate."""
    rows = np.sort(rng.integers(0, m, nnz))
    rows[rows == 1] = 0
    cols = rng.integers(0, n, nnz)
    cols[-1], rows[-1] = cols[0], rows[0]
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    indptr = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
    return cols.astype(np.int32), indptr


# ---------------------------------------------------------------------------
# sparse products: every path against the reference
# ---------------------------------------------------------------------------
@needs_threads
@pytest.mark.parametrize("wide", [False, True], ids=["int32", "int64"])
def test_csr_gathers_serial_and_parallel(rng, dtype, wide):
    m, n, nnz = 37, 23, 200
    indices, indptr = _pattern(rng, m, n, nnz)
    if wide:
        indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
    data = random_array(rng, nnz, dtype)
    x, X = random_array(rng, n, dtype), random_array(rng, (n, 3), dtype)
    Xs, Yt = random_array(rng, (m, 4), dtype), random_array(rng, (n, 4), dtype)
    want_v = ref.csr_matvec(data, indices, indptr, x, np.zeros(m, dtype))
    want_m = ref.csr_matmat(data, indices, indptr, X, np.zeros((m, 3), dtype))
    want_s = ref.csr_sddmm(indices, indptr, Xs, Yt, np.zeros(nnz, dtype))
    got = {}
    for parallel in (False, True):
        args = (data, uv(indices), uv(indptr))
        v = ks.csr_matvec(*args, x, np.zeros(m, dtype), parallel=parallel)
        M = ks.csr_matmat(*args, X, np.zeros((m, 3), dtype), parallel=parallel)
        s = ks.csr_sddmm(*args[1:], Xs, Yt, np.zeros(nnz, dtype), parallel=parallel)
        _close(v, want_v, dtype)
        _close(M, want_m, dtype)
        _close(s, want_s, dtype)
        got[parallel] = (v, M, s)
    # a row is summed by one thread in the same order: bit for bit the same
    for a, b in zip(got[False], got[True], strict=True):
        np.testing.assert_array_equal(a, b)


@needs_threads
def test_csr_scatter_serial_and_chunked(rng, dtype):
    m, n, nnz = 41, 19, 300
    indices, indptr = _pattern(rng, m, n, nnz)
    data = random_array(rng, nnz, dtype)
    y, Y = random_array(rng, m, dtype), random_array(rng, (m, 2), dtype)
    want_v = ref.csr_tmatvec(data, indices, indptr, y, np.zeros(n, dtype))
    want_m = ref.csr_tmatmat(data, indices, indptr, Y, np.zeros((n, 2), dtype))
    for nchunks in (1, 2, 5):
        bounds = ks.row_partition(indptr, nchunks)
        args = (data, uv(indices), uv(indptr))
        _close(ks.csr_tmatvec(*args, y, np.zeros(n, dtype), bounds), want_v, dtype)
        got = ks.csr_tmatmat(*args, Y, np.zeros((n, 2), dtype), bounds)
        _close(got, want_m, dtype)


@needs_threads
def test_bsr_gathers_serial_and_parallel(rng, dtype):
    R, C, mb, nb = 2, 3, 9, 5
    indices, indptr = _pattern(rng, mb, nb, 25)
    data = random_array(rng, (25, R, C), dtype)
    m, n = mb * R, nb * C
    x, X = random_array(rng, n, dtype), random_array(rng, (n, 2), dtype)
    Xs, Yt = random_array(rng, (m, 3), dtype), random_array(rng, (n, 3), dtype)
    want_v = ref.bsr_matvec(data, indices, indptr, x, np.zeros(m, dtype))
    want_m = ref.bsr_matmat(data, indices, indptr, X, np.zeros((m, 2), dtype))
    want_s = ref.bsr_sddmm(indices, indptr, Xs, Yt, np.zeros(data.shape, dtype))
    got = {}
    for parallel in (False, True):
        args = (data, uv(indices), uv(indptr))
        v = ks.bsr_matvec(*args, x, np.zeros(m, dtype), parallel=parallel)
        M = ks.bsr_matmat(*args, X, np.zeros((m, 2), dtype), parallel=parallel)
        s = ks.bsr_sddmm(
            *args[1:], Xs, Yt, np.zeros(data.shape, dtype), parallel=parallel
        )
        _close(v, want_v, dtype)
        _close(M, want_m, dtype)
        _close(s, want_s, dtype)
        got[parallel] = (v, M, s)
    for a, b in zip(got[False], got[True], strict=True):
        np.testing.assert_array_equal(a, b)


@needs_threads
@pytest.mark.parametrize(("n", "m"), [(2, 4), (3, 8)])
def test_nm_products_serial_and_parallel(rng, dtype, n, m):
    rows, groups = 13, 6
    cols = groups * m
    pos = np.stack([np.sort(rng.permutation(m)[:n]) for _ in range(rows * groups)])
    pos = pos.reshape(rows, groups * n).astype(np.uint8)
    vals = random_array(rng, (rows, groups * n), dtype)
    x, X = random_array(rng, cols, dtype), random_array(rng, (cols, 2), dtype)
    y, Y = random_array(rng, rows, dtype), random_array(rng, (rows, 2), dtype)
    Xs, Yt = random_array(rng, (rows, 3), dtype), random_array(rng, (cols, 3), dtype)
    want = [
        ref.nm_matvec(vals, pos, n, m, x, np.zeros(rows, dtype)),
        ref.nm_matmat(vals, pos, n, m, X, np.zeros((rows, 2), dtype)),
        ref.nm_sddmm(pos, n, m, Xs, Yt, np.zeros(vals.shape, dtype)),
        ref.nm_tmatvec(vals, pos, n, m, y, np.zeros(cols, dtype)),
        ref.nm_tmatmat(vals, pos, n, m, Y, np.zeros((cols, 2), dtype)),
    ]
    got = {}
    for parallel, nchunks in ((False, 1), (True, 3)):
        out = [
            ks.nm_matvec(vals, pos, n, m, x, np.zeros(rows, dtype), parallel),
            ks.nm_matmat(vals, pos, n, m, X, np.zeros((rows, 2), dtype), parallel),
            ks.nm_sddmm(pos, n, m, Xs, Yt, np.zeros(vals.shape, dtype), parallel),
            ks.nm_tmatvec(vals, pos, n, m, y, np.zeros(cols, dtype), nchunks),
            ks.nm_tmatmat(vals, pos, n, m, Y, np.zeros((cols, 2), dtype), nchunks),
        ]
        for a, b in zip(out, want, strict=True):
            _close(a, b, dtype)
        got[parallel] = out
    # rows (and, transposed, column groups) are owned by one thread
    for a, b in zip(got[False], got[True], strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# the formats choose the path by size
# ---------------------------------------------------------------------------
def test_threshold_rules(monkeypatch):
    monkeypatch.setattr(ks.numba, "get_num_threads", lambda: 2)
    assert not ks.use_parallel(ks.PARALLEL_MIN_WORK - 1)
    assert ks.use_parallel(ks.PARALLEL_MIN_WORK)
    big = 100 * ks.PARALLEL_MIN_WORK
    assert ks.n_scatter_chunks(ks.PARALLEL_MIN_WORK - 1, 10, 8) == 1
    assert ks.n_scatter_chunks(big, 10, 8) == 2
    # one thread: large gathers still take the parallel kernel (it then runs
    # on the calling thread alone), a scatter never splits into buffers
    monkeypatch.setattr(ks.numba, "get_num_threads", lambda: 1)
    assert ks.use_parallel(big)
    assert ks.n_scatter_chunks(big, 10, 8) == 1


@needs_threads
@pytest.mark.parametrize("fmt", ["csr", "csc", "bsr", "nm"])
def test_formats_products_on_both_sides_of_the_threshold(monkeypatch, rng, fmt):
    D = rng.standard_normal((24, 32)) * (rng.random((24, 32)) < 0.5)
    make = {
        "csr": sparsela.CSR.from_dense,
        "csc": sparsela.CSC.from_dense,
        "bsr": lambda A: sparsela.BSR.from_dense(A, blocksize=(4, 4)),
        "nm": lambda A: sparsela.NM.from_dense(A, 2, 4),
    }[fmt]
    A = make(D)
    dense = A.todense()
    x, X = rng.standard_normal(32), rng.standard_normal((32, 3))
    y, Y = rng.standard_normal(24), rng.standard_normal((24, 3))
    L, R = rng.standard_normal((24, 2)), rng.standard_normal((2, 32))
    results = {}
    for threshold in (1 << 62, 0):  # every product serial, then parallel
        monkeypatch.setattr(ks, "PARALLEL_MIN_WORK", threshold)
        out = [A @ x, A @ X, A.T @ y, A.T @ Y, A.sddmm(L, R).todense()]
        want = [dense @ x, dense @ X, dense.T @ y, dense.T @ Y]
        for a, b in zip(out, want, strict=False):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        # SDDMM: X @ Y at the stored positions (BSR stores whole blocks)
        S, LR = out[4], L @ R
        assert np.all(S[dense != 0] != 0)
        np.testing.assert_allclose(S[S != 0], LR[S != 0], rtol=1e-12, atol=1e-12)
        results[threshold] = out
    for a, b in zip(results[1 << 62], results[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


@needs_threads
def test_small_sparse_fista_runs_no_parallel_kernel(monkeypatch, rng):
    """The 50 x 100 CSC FISTA of the issue: every product serial (none of the
    parallel kernels runs), the same solution as with them all."""
    A = sparsela.CSC.from_scipy(sp.random(50, 100, density=0.1, random_state=0))
    y = rng.standard_normal(50)
    lam = 0.05 * float(sparsela.lambda_max(A, y))
    monkeypatch.setattr(ks, "PARALLEL_MIN_WORK", 0)
    forced = sparsela.fista(A, y, lam=lam, tol=1e-10)
    monkeypatch.undo()

    def boom(*args):
        raise AssertionError("a parallel kernel ran on a small product")

    parallel_kernels = [
        name
        for name in dir(ks)
        if name.startswith("_")
        and (name.endswith("_par") or "_chunks" in name)
        and hasattr(getattr(ks, name), "py_func")  # the parallel Numba kernels
    ]
    assert "_csr_rows_par" in parallel_kernels and "_sum_chunks" in parallel_kernels
    for name in parallel_kernels:
        monkeypatch.setattr(ks, name, boom)
    res = sparsela.fista(A, y, lam=lam, tol=1e-10)
    assert res.converged and forced.converged
    np.testing.assert_allclose(res.x, forced.x, rtol=1e-10, atol=1e-12)
    dense = A.todense()
    grad = dense.T @ (dense @ res.x - y)  # lasso optimality: |grad| <= lam
    assert np.all(np.abs(grad) <= lam * (1 + 1e-6))


# ---------------------------------------------------------------------------
# pursuits: serial (calling thread) and parallel (blocks on the thread pool)
# ---------------------------------------------------------------------------
def _gram_problem(rng, dtype, m=20, n=40, s=11, k=3):
    A = random_array(rng, (m, n), dtype)
    A = A / np.linalg.norm(A, axis=0)
    X = np.zeros((n, s), dtype=dtype)
    for j in range(s):
        X[rng.choice(n, k, replace=False), j] = random_array(rng, k, dtype)
    Y = (A @ X + 1e-2 * random_array(rng, (m, s), dtype)).astype(dtype)
    G = np.ascontiguousarray(A.conj().T @ A)
    alpha0 = np.ascontiguousarray((A.conj().T @ Y).T)
    rdt = np.finfo(dtype).dtype
    norms2 = np.einsum("ij,ij->j", Y.conj(), Y).real.astype(rdt)
    return A, Y, G, alpha0, norms2


@needs_threads
def test_omp_gram_serial_and_parallel(rng, dtype):
    A, Y, G, alpha0, norms2 = _gram_problem(rng, dtype)
    S, T = alpha0.shape[0], 4
    rdt = norms2.dtype.type
    eps = np.finfo(norms2.dtype).eps
    got = {}
    for parallel in (False, True):
        out = dict(
            support=np.zeros((S, T), np.int64),
            coef=np.zeros((S, T), dtype),
            n_atoms=np.zeros(S, np.int64),
            res2=np.zeros(S, norms2.dtype),
            stop=np.zeros(S, np.int64),
        )
        komp.omp_gram(
            G, alpha0, norms2, T, rdt(0.0), False, rdt((100 * eps) ** 2),
            rdt(100 * eps), out["support"], out["coef"], out["n_atoms"],
            out["res2"], out["stop"], np.zeros((1, 1, 1), dtype), False, 4,
            parallel=parallel,
        )  # fmt: skip
        got[parallel] = out
    sup, coef, res2 = ref.omp_gram(G, alpha0, norms2, T)
    for out in got.values():
        for s in range(S):
            t = out["n_atoms"][s]
            np.testing.assert_array_equal(out["support"][s, :t], sup[s])
            _close(out["coef"][s, :t], coef[s], dtype)
        np.testing.assert_allclose(
            out["res2"], res2, rtol=10 * tol(dtype), atol=10 * tol(dtype)
        )
    for key in got[False]:  # each signal is one thread's, start to end
        np.testing.assert_array_equal(got[False][key], got[True][key])


@needs_threads
def test_mp_gram_and_residual_norms_serial_and_parallel(rng, dtype):
    A, Y, G, alpha0, norms2 = _gram_problem(rng, dtype)
    S, steps = alpha0.shape[0], 6
    rdt = norms2.dtype.type
    eps = np.finfo(norms2.dtype).eps
    got = {}
    for parallel in (False, True):
        out = dict(
            support=np.zeros((S, steps), np.int64),
            coef=np.zeros((S, steps), dtype),
            n_steps=np.zeros(S, np.int64),
            n_atoms=np.zeros(S, np.int64),
            res2=np.zeros(S, norms2.dtype),
            stop=np.zeros(S, np.int64),
            steps_k=np.zeros((S, steps), np.int64),
        )
        komp.mp_gram(
            G, alpha0, norms2, steps, steps, rdt(0.0), False, False,
            rdt((100 * eps) ** 2), out["support"], out["coef"], out["n_steps"],
            out["n_atoms"], out["res2"], out["stop"], out["steps_k"],
            np.zeros((S, steps), dtype), True, 3, parallel=parallel,
        )  # fmt: skip
        At = np.ascontiguousarray(A.T)
        Yt = np.ascontiguousarray(Y.T)
        norms = np.zeros(S, norms2.dtype)
        komp.sparse_residual_norms(
            At, Yt, out["support"], out["coef"], out["n_atoms"], norms, 3,
            parallel=parallel,
        )  # fmt: skip
        out["norms"] = norms
        want = ref.sparse_residual_norms(
            At, Yt, out["support"], out["coef"], out["n_atoms"]
        )
        np.testing.assert_allclose(
            norms, want, rtol=10 * tol(dtype), atol=10 * tol(dtype)
        )
        got[parallel] = out
    chosen, _, res2 = ref.mp_gram(G, alpha0, norms2, steps)
    for s in range(S):
        np.testing.assert_array_equal(got[False]["steps_k"][s], chosen[s])
    np.testing.assert_allclose(
        got[False]["res2"], res2, rtol=10 * tol(dtype), atol=10 * tol(dtype)
    )
    for key in got[False]:
        np.testing.assert_array_equal(got[False][key], got[True][key])


# ---------------------------------------------------------------------------
# dense FWHT: serial and threaded passes, every dtype and pass layout
# ---------------------------------------------------------------------------
@needs_threads
@pytest.mark.parametrize("shape", [(1 << 6,), (1 << 14,), (3, 1 << 11), (1 << 9, 3)])
def test_fwht_serial_and_parallel(rng, dtype, shape):
    x = random_array(rng, shape, dtype)
    keep = x.copy()
    axis = 0 if shape[-1] == 3 else -1
    want = ref.fwht_reference(x, axis)
    got = {}
    for threshold in (1 << 62, 0):
        saved = wht.PARALLEL_MIN_SIZE
        wht.PARALLEL_MIN_SIZE = threshold
        try:
            got[threshold] = wht.fwht_along_axis(x, axis, False, "natural")
        finally:
            wht.PARALLEL_MIN_SIZE = saved
        _close(got[threshold], want, dtype)
    np.testing.assert_array_equal(got[1 << 62], got[0])  # same arithmetic
    np.testing.assert_array_equal(x, keep)


def test_bin_observations_match_the_reference_and_keep_their_input(rng, dtype):
    C, P, B = 3, 5, 16
    vals = random_array(rng, (C, P + 2, B), dtype)
    keep = vals.copy()
    work = np.complex128 if dtype.kind == "c" else np.float64
    U = sparse_wht.bin_observations(vals, P, 0.5, work)
    want = 0.5 * ref.fwht_reference(vals[:, :P, :].astype(work), -1)
    np.testing.assert_allclose(U, want.transpose(0, 2, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(vals, keep)  # transformed in a copy
