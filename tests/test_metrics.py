"""Recovery metrics against direct formulas."""

import numpy as np
import pytest

from sparsela.metrics import (
    estimated_support,
    nmse,
    nmse_db,
    support_f1,
    support_recovery,
)


def test_nmse_matches_formula(rng, dtype):
    x = rng.standard_normal(50).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(50).astype(dtype)
    e = 0.1 * rng.standard_normal(50)
    xh = x + e
    ref = np.sum(np.abs(xh - x) ** 2) / np.sum(np.abs(x) ** 2)
    assert nmse(x, xh) == pytest.approx(ref, rel=1e-5)
    assert nmse_db(x, xh) == pytest.approx(10 * np.log10(ref), rel=1e-5)


def test_nmse_per_signal(rng):
    X = rng.standard_normal((20, 3))
    Xh = X + 0.1 * rng.standard_normal((20, 3))
    per = nmse(X, Xh, per_signal=True)
    ref = np.sum((Xh - X) ** 2, axis=0) / np.sum(X**2, axis=0)
    np.testing.assert_allclose(per, ref)
    total = np.sum((Xh - X) ** 2) / np.sum(X**2)
    assert nmse(X, Xh) == pytest.approx(total)


def test_nmse_zero_reference():
    assert nmse(np.zeros(3), np.zeros(3)) == 0.0
    assert nmse(np.zeros(3), np.ones(3)) == np.inf
    assert nmse_db(np.ones(3), np.ones(3)) == -np.inf


def test_support_recovery_jaccard():
    x = np.zeros(10)
    x[[1, 3, 5]] = [1.0, -2.0, 0.5]
    xh = np.zeros(10)
    xh[[1, 3, 7]] = [1.0, -2.0, 1.0]
    xh[9] = 1e-4  # below 1e-3 * max |xh|: not in the estimated support
    # S = {1, 3, 5}, S_hat = {1, 3, 7}: |∩| = 2, |∪| = 4
    assert support_recovery(x, xh) == pytest.approx(0.5)
    assert support_f1(x, xh) == pytest.approx(2 * 2 / 6)
    np.testing.assert_array_equal(estimated_support(xh), [1, 3, 7])
    assert support_recovery(x, x) == 1.0
    assert support_recovery(np.zeros(4), np.zeros(4)) == 1.0


def test_support_recovery_rows_for_several_signals():
    X = np.zeros((6, 2))
    X[[0, 4]] = 1.0
    Xh = np.zeros((6, 2))
    Xh[0, 1] = 1.0
    Xh[4, 0] = 2.0
    assert support_recovery(X, Xh) == 1.0


@pytest.mark.parametrize(
    "a, b, err",
    [
        (np.ones(3), np.ones(4), ValueError),
        (np.ones(3), np.array([1.0, np.nan, 0.0]), ValueError),
        (np.ones((2, 2, 2)), np.ones((2, 2, 2)), ValueError),
        (np.array(["a"]), np.array(["b"]), TypeError),
    ],
)
def test_bad_inputs(a, b, err):
    with pytest.raises(err):
        nmse(a, b)
    with pytest.raises(err):
        support_recovery(a, b)
