"""Shared fixtures: seeds, dtypes with their tolerances, plotting backend."""

import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("SPARSELA_FAST_EXAMPLES", "1")

from _utils import DTYPES, REAL_DTYPES


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(params=REAL_DTYPES, ids=lambda d: np.dtype(d).name)
def real_dtype(request):
    return np.dtype(request.param)
