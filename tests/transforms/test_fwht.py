"""Tests of the public dense FWHT (``sparsela.transforms.fwht.fwht``)."""

import numpy as np
import pytest
from _utils import random_array, tol
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import hadamard

from sparsela.transforms.fwht import fwht


def _hadamard_along(x, axis, normalized=False):
    n = x.shape[axis]
    H = hadamard(n).astype(np.float64)
    if normalized:
        H = H / np.sqrt(n)
    y = np.tensordot(H, np.moveaxis(x.astype(np.complex128), axis, 0), axes=1)
    return np.moveaxis(y, 0, axis)


def _sign_changes(row):
    return int(np.count_nonzero(np.diff(np.sign(row)) != 0))


@pytest.mark.parametrize("n", [1, 2, 4, 8, 64, 256, 1024])
def test_matches_scipy_hadamard(rng, dtype, n):
    x = random_array(rng, n, dtype)
    X = fwht(x)
    assert X.dtype == dtype
    assert X.shape == (n,)
    np.testing.assert_allclose(
        X, _hadamard_along(x, 0), rtol=tol(dtype), atol=tol(dtype) * np.sqrt(n)
    )


@pytest.mark.parametrize("n", [2, 16, 512])
def test_involution(rng, dtype, n):
    x = random_array(rng, (3, n), dtype)
    np.testing.assert_allclose(
        fwht(fwht(x)), n * x, rtol=tol(dtype), atol=tol(dtype) * n
    )
    y = fwht(fwht(x, normalized=True), normalized=True)
    np.testing.assert_allclose(y, x, rtol=tol(dtype), atol=tol(dtype))


def test_normalized_is_orthonormal(rng, real_dtype):
    n = 64
    W = fwht(np.eye(n, dtype=real_dtype), axis=0, normalized=True)
    assert W.dtype == real_dtype
    np.testing.assert_allclose(W @ W.T, np.eye(n), atol=tol(real_dtype))
    x = random_array(rng, n, real_dtype)
    np.testing.assert_allclose(
        np.linalg.norm(fwht(x, normalized=True)),
        np.linalg.norm(x),
        rtol=tol(real_dtype),
    )


@pytest.mark.parametrize("ordering", ["natural", "sequency", "dyadic"])
@pytest.mark.parametrize("n", [2, 8, 32, 256])
def test_ordering_matrices(n, ordering):
    W = fwht(np.eye(n), axis=0, ordering=ordering)
    H = hadamard(n)
    n_bits = n.bit_length() - 1
    # every row of W is a row of H, each used once
    rows = {tuple(r) for r in H.astype(float)}
    assert {tuple(r) for r in W} == rows
    changes = [_sign_changes(r) for r in W]
    if ordering == "sequency":
        assert changes == list(range(n))
    elif ordering == "natural":
        np.testing.assert_array_equal(W, H)
    else:
        # Paley order: row s is the product of the Rademacher functions
        # r_j(t) = (-1)**bit_{n-1-j}(t) selected by the bits of s, with the
        # least significant bit of s picking the coarsest function
        t = np.arange(n)
        for s in range(n):
            expect = np.ones(n)
            for j in range(n_bits):
                if (s >> j) & 1:
                    expect *= (-1.0) ** ((t >> (n_bits - 1 - j)) & 1)
            np.testing.assert_array_equal(W[s], expect)


def test_sequency_matches_walsh_recursion():
    # Walsh (sequency) functions from the classical recursion
    # w_{2k+q}(t) = w_k(2t) (-1)^{k+q} w_k(2t - 1): independent construction
    n = 32

    def walsh(k, m):
        if m == 1:
            return np.ones(1)
        half = walsh(k // 2, m // 2)
        q = k % 2
        sign = (-1.0) ** ((k // 2) + q)
        return np.concatenate([half, sign * half])

    W = np.array([walsh(k, n) for k in range(n)])
    np.testing.assert_array_equal(fwht(np.eye(n), axis=0, ordering="sequency"), W)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_batched_any_axis(rng, dtype, axis):
    shape = [8, 16, 4]
    x = random_array(rng, shape, dtype)
    X = fwht(x, axis=axis)
    assert X.shape == x.shape and X.dtype == dtype
    np.testing.assert_allclose(X, _hadamard_along(x, axis), rtol=tol(dtype), atol=1e-4)
    # ordering and normalisation along the same axis
    Xs = fwht(x, axis=axis, ordering="sequency", normalized=True)
    n = x.shape[axis]
    from sparsela.kernels.cpu.wht import ordering_permutation

    perm = ordering_permutation(n.bit_length() - 1, "sequency")
    np.testing.assert_allclose(
        Xs,
        np.take(_hadamard_along(x, axis, normalized=True), perm, axis=axis),
        rtol=tol(dtype),
        atol=1e-5,
    )


def test_non_contiguous_input_and_no_mutation(rng):
    base = rng.standard_normal((64, 10))
    x = base[::2, ::3]  # (32, 4) strided view
    keep = x.copy()
    X = fwht(x, axis=0)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(X, _hadamard_along(keep, 0).real, rtol=1e-12)
    xf = np.asfortranarray(rng.standard_normal((16, 8)))
    np.testing.assert_allclose(
        fwht(xf, axis=1), _hadamard_along(xf, 1).real, atol=1e-12
    )


def test_integer_and_bool_inputs_cast_to_float64():
    x = np.arange(8)
    X = fwht(x)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X, hadamard(8) @ x)
    assert fwht(np.ones(4, dtype=bool)).dtype == np.float64
    assert fwht([1, 2, 3, 4]).dtype == np.float64


def test_float32_stays_float32_and_complex_stays_complex(rng):
    assert fwht(np.ones(8, np.float32)).dtype == np.float32
    assert fwht(np.ones(8, np.complex64), normalized=True).dtype == np.complex64
    z = random_array(rng, 16, np.complex128)
    np.testing.assert_allclose(fwht(z), fwht(z.real) + 1j * fwht(z.imag), rtol=1e-12)


@pytest.mark.parametrize("ordering", ["natural", "sequency", "dyadic"])
def test_large_vector_matches_reference(ordering):
    from sparsela.kernels.reference import fwht_reference

    rng = np.random.default_rng(7)
    n = 1 << 20
    for dtype in (np.float64, np.complex64):
        x = random_array(rng, n, dtype)
        X = fwht(x, ordering=ordering, normalized=True)
        ref = fwht_reference(x, ordering=ordering, normalized=True)
        assert X.dtype == dtype
        np.testing.assert_allclose(X, ref, rtol=tol(dtype), atol=tol(dtype) * 10)


def test_length_one_is_identity():
    np.testing.assert_array_equal(fwht(np.array([3.0])), [3.0])
    np.testing.assert_array_equal(fwht(np.array([3.0]), normalized=True), [3.0])


def test_empty_batch():
    X = fwht(np.zeros((0, 8)))
    assert X.shape == (0, 8)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=5000).filter(lambda v: v & (v - 1) != 0),
    batch=st.integers(min_value=1, max_value=3),
)
def test_non_power_of_two_length_rejected(n, batch):
    x = np.ones((batch, n))
    with pytest.raises(ValueError, match=r"x must have a power-of-two length"):
        fwht(x)
    with pytest.raises(ValueError, match="axis 0"):
        fwht(np.ones((n, 4)), axis=0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="ordering"):
        fwht(np.ones(4), ordering="walsh")
    with pytest.raises(ValueError, match="x contains NaN"):
        fwht(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="x contains NaN or Inf"):
        fwht(np.array([1.0, np.inf, 0.0, 1.0]))
    with pytest.raises(TypeError, match="x"):
        fwht(np.array([1, "a"], dtype=object))
    with pytest.raises(TypeError, match="x"):
        fwht(np.array(["ab", "cd"]))
    with pytest.raises(ValueError, match="axis"):
        fwht(np.ones((4, 4)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        fwht(np.ones(4), axis=0.0)
    with pytest.raises(ValueError, match="x must be at least 1-dimensional"):
        fwht(np.float64(1.0))
    with pytest.raises(TypeError, match="normalized"):
        fwht(np.ones(4), normalized="yes")
    with pytest.raises(ValueError, match="power-of-two length along axis 0"):
        fwht(np.ones(0))


@pytest.mark.parametrize("ordering", ["natural", "sequency", "dyadic"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_overwrite_x_matches_out_of_place(dtype, axis, ordering):
    x = random_array(np.random.default_rng(axis), (4, 8, 2), dtype)
    expected = fwht(x, axis=axis, ordering=ordering, normalized=True)
    y = x.copy()
    out = fwht(y, axis=axis, ordering=ordering, normalized=True, overwrite_x=True)
    np.testing.assert_allclose(out, expected, rtol=tol(dtype), atol=tol(dtype))
    assert out.dtype == x.dtype
    if ordering == "natural":
        assert out is y  # transformed in the memory of y


def test_overwrite_x_falls_back_to_a_copy():
    # a strided view or an integer array cannot hold the result: x is kept
    x = np.arange(16.0).reshape(2, 8)
    view = x[:, ::2]
    out = fwht(view, overwrite_x=True)
    np.testing.assert_allclose(out, view @ hadamard(4).T)
    np.testing.assert_array_equal(x, np.arange(16.0).reshape(2, 8))
    xi = np.arange(4)
    np.testing.assert_array_equal(fwht(xi, overwrite_x=True), hadamard(4) @ xi)
    np.testing.assert_array_equal(xi, np.arange(4))
    with pytest.raises(TypeError, match="overwrite_x"):
        fwht(np.ones(4), overwrite_x=1)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_detected_anywhere(axis, bad):
    # the check reads the whole output: a bad value in any signal, at any
    # position, must be caught, in place or not
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal((8, 16))
        x[rng.integers(8), rng.integers(16)] = bad
        with pytest.raises(ValueError, match="x contains NaN or Inf"):
            fwht(x, axis=axis)
        with pytest.raises(ValueError, match="x contains NaN or Inf"):
            fwht(x.copy(), axis=axis, overwrite_x=True)
    x = np.zeros(4, dtype=np.complex128)
    x[2] = complex(0.0, bad)
    with pytest.raises(ValueError, match="x contains NaN or Inf"):
        fwht(x)


def test_overflow_is_an_error_naming_the_transform():
    # issue 13: finite input whose transform overflows used to return inf/NaN
    # silently (the check read output row 0 only); it is an error, told apart
    # from bad input, wherever in the output the overflow lands
    with pytest.raises(ValueError, match="transform of x overflows"):
        fwht(np.full(16, 1e308))
    x = np.zeros((4, 8))
    x[2, [3, 5]] = 1e308  # row 0 of signals 0, 1, 3 is fine; signal 2 is not
    with pytest.raises(ValueError, match="transform of x overflows"):
        fwht(x)


def test_intermediate_overflow_gives_the_representable_result():
    # H x / sqrt(N) is within range although H x (and the first butterfly,
    # x0 + x1 = 2e308) is not: computed on x scaled by a power of two, the
    # result is the exact one
    x = np.array([1e308, 1e308, -1e308, 0.5e308])
    want = (hadamard(4) @ (x / 4.0)) * 2.0  # H x / sqrt(4), no overflow
    np.testing.assert_allclose(fwht(x, normalized=True), want, rtol=1e-15)
    np.testing.assert_allclose(
        fwht(x, normalized=True, ordering="sequency"),
        want[[0, 2, 3, 1]],
        rtol=1e-15,
    )
    with pytest.raises(ValueError, match="overflows"):
        fwht(x)  # H x itself: 2.5e308
    x32 = np.array([3e38, 3e38, 0.0, 0.0], dtype=np.float32)  # H x: 6e38 > max
    out = fwht(x32, normalized=True)
    assert out.dtype == np.float32
    want32 = hadamard(4) @ x32.astype(np.float64) / 2.0
    np.testing.assert_allclose(out, want32, rtol=tol(np.float32))
