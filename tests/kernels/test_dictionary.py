"""Dictionary-learning kernels against their NumPy twins in ``kernels/reference.py``."""

import numpy as np
import pytest
from _utils import random_array, tol

from sparsela.kernels import reference as ref
from sparsela.kernels.cpu import dictionary as K


@pytest.mark.parametrize("shape", [(8, 12), (1, 3), (5, 1)])
def test_bcd_atoms(rng, dtype, shape):
    n, k = shape
    D = np.asfortranarray(random_array(rng, (n, k), dtype))
    X = random_array(rng, (k, 40), dtype)
    A = X @ X.conj().T / 40
    A[0, 0] = 0  # a dead atom: skipped and flagged
    A[0, 1:] = A[1:, 0] = 0
    B = np.asfortranarray(random_array(rng, (n, 40), dtype) @ X.conj().T / 40)
    got, want = D.copy(order="F"), D.copy()
    dead, dead_ref = np.ones(k, bool), np.zeros(k, bool)
    K.bcd_atoms(got, A, B, 1e-6, dead, np.empty(n, dtype))
    ref.bcd_atoms(want, A, B, 1e-6, dead_ref, None)
    assert got.dtype == dtype
    np.testing.assert_array_equal(dead, dead_ref)
    assert dead[0] and not dead[1:].any()
    np.testing.assert_allclose(got, want, rtol=10 * tol(dtype), atol=10 * tol(dtype))
    np.testing.assert_array_equal(got[:, 0], D[:, 0])
    assert (np.linalg.norm(got[:, 1:], axis=0) <= 1 + 10 * tol(dtype)).all()


def test_bcd_atoms_decreases_the_surrogate(rng):
    """Each atom minimises 1/2 tr(DᴴDA) - Re tr(DᴴB) over its unit ball."""
    n, k = 10, 15
    X = rng.standard_normal((k, 200))
    A, B = X @ X.T / 200, rng.standard_normal((n, 200)) @ X.T / 200
    D = np.asfortranarray(rng.standard_normal((n, k)))
    D /= np.linalg.norm(D, axis=0)

    def surrogate(D):
        return 0.5 * np.trace(D.T @ D @ A) - np.trace(D.T @ B)

    values = [surrogate(D)]
    for _ in range(5):
        K.bcd_atoms(D, A, B, 0.0, np.zeros(k, bool), np.empty(n))
        values.append(surrogate(D))
    assert np.all(np.diff(values) <= 1e-12)


def _codes(rng, dtype, k, b, t):
    X = np.zeros((k, b), dtype)
    for s in range(b):
        X[rng.choice(k, min(t, k), replace=False), s] = random_array(
            rng, min(t, k), dtype
        )
    X[:, 0] = 0  # a signal with no atoms
    sig, atoms = np.nonzero(X.T)
    ptr = np.concatenate(([0], np.cumsum(np.bincount(sig, minlength=b))))
    return X, ptr, atoms, X.T[sig, atoms]


@pytest.mark.parametrize("shape", [(8, 12, 30, 3), (1, 3, 4, 1), (5, 1, 7, 1)])
def test_accumulate_codes(rng, dtype, shape):
    n, k, b, t = shape
    X, ptr, atoms, coef = _codes(rng, dtype, k, b, t)
    Y = random_array(rng, (n, b), dtype)
    D = np.asfortranarray(random_array(rng, (n, k), dtype))
    A0 = random_array(rng, (k, k), dtype)
    B0 = np.asfortranarray(random_array(rng, (n, k), dtype))
    A, B, r2 = A0.copy(), B0.copy(order="F"), np.full(b, -1.0, X.real.dtype)
    K.accumulate_codes(ptr, atoms, coef, Y, D, A, B, 0.25, np.empty(n, dtype), r2)
    Ar, Br, r2r = A0.copy(), B0.copy(), np.empty(b, X.real.dtype)
    ref.accumulate_codes(ptr, atoms, coef, Y, D, Ar, Br, 0.25, None, r2r)
    assert A.dtype == dtype and B.dtype == dtype
    for got, want in ((A, Ar), (B, Br), (r2, r2r)):
        np.testing.assert_allclose(
            got, want, rtol=10 * tol(dtype), atol=10 * tol(dtype)
        )
    # the dense definition, independently of the reference
    np.testing.assert_allclose(A - A0, 0.25 * X @ X.conj().T, atol=10 * tol(dtype))
