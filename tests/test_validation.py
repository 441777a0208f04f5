"""Boundary helpers: errors name the argument; results behave like OptimizeResult."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsela._backend import get_namespace, to_numpy
from sparsela._result import OMPResult, SolverResult
from sparsela._validation import (
    check_array,
    check_index_array,
    check_positive_int,
    check_power_of_two,
    check_scalar,
    result_dtype,
)


def test_check_array_errors():
    with pytest.raises(TypeError, match="y must have a floating"):
        check_array(np.array([1, 2]), "y")
    assert check_array(np.array([1, 2]), "y", allow_int=True).dtype == np.float64
    with pytest.raises(TypeError, match="y must have a floating"):
        check_array(np.array(["a"], dtype=object), "y", allow_int=True)
    with pytest.raises(ValueError, match="y contains NaN or Inf"):
        check_array(np.array([1.0, np.inf]), "y")
    with pytest.raises(ValueError, match="y must be 1 or 2-dimensional"):
        check_array(np.ones((2, 2, 2)), "y", ndim=(1, 2))
    with pytest.raises(ValueError, match="y must not be empty"):
        check_array(np.ones(0), "y", allow_empty=False)
    with pytest.raises(TypeError, match="y must be an array"):
        check_array(None, "y")


def test_result_dtype():
    assert result_dtype(np.float32) == np.float32
    assert result_dtype(np.float32, np.complex64) == np.complex64
    assert result_dtype(np.int32) == np.float64
    assert result_dtype(np.bool_) == np.float64
    assert result_dtype(np.float32, np.float64) == np.float64


def test_check_scalar():
    assert check_scalar(1.5, "lam", min_val=0) == 1.5
    with pytest.raises(ValueError, match="lam must be >= 0"):
        check_scalar(-1.0, "lam", min_val=0)
    with pytest.raises(ValueError, match="lam must be > 0"):
        check_scalar(0.0, "lam", min_val=0, include_min=False)
    with pytest.raises(TypeError, match="lam must be a real number"):
        check_scalar("1", "lam")
    with pytest.raises(TypeError, match="lam must be a real number"):
        check_scalar(True, "lam")
    with pytest.raises(ValueError, match="lam must be finite"):
        check_scalar(float("nan"), "lam")
    with pytest.raises(TypeError, match="k must be a integer"):
        check_positive_int(2.0, "k")


@given(st.integers(min_value=1, max_value=2**40))
def test_power_of_two_property(n):
    if n & (n - 1) == 0:
        assert 2 ** check_power_of_two(n, "N") == n
    else:
        with pytest.raises(ValueError, match="N must be a power of two"):
            check_power_of_two(n, "N")


@given(st.lists(st.integers(min_value=-5, max_value=10), min_size=1, max_size=20))
def test_index_array_property(values):
    if min(values) < 0 or max(values) >= 6:
        with pytest.raises(ValueError, match=r"idx must lie in \[0, 6\)"):
            check_index_array(values, "idx", 6)
    else:
        np.testing.assert_array_equal(check_index_array(values, "idx", 6), values)


def test_result_object():
    r = OMPResult(x=np.zeros(3), converged=True, message="done", support=np.array([1]))
    assert r["support"].tolist() == [1]
    assert "support" in r.keys()
    assert "OMPResult(" in repr(r) and "support" in repr(r)
    with pytest.raises(KeyError):
        r["nope"]
    assert isinstance(r, SolverResult)


def test_backend_numpy():
    import numpy

    assert get_namespace(np.ones(2), None) is numpy
    np.testing.assert_array_equal(to_numpy([1, 2]), [1, 2])
