"""Fuzz suite of the public API (issue 13): hostile inputs to every public call.

Each case ends in one of two ways:

* a ``ValueError`` or ``TypeError`` whose message names the offending
  argument (never a Numba ``TypingError``, ``ZeroDivisionError``,
  ``OverflowError``, ``IndexError`` or ``LinAlgError``, never a warning:
  the test configuration turns warnings into errors);
* a finite answer; for valid data in another storage (big-endian,
  ``longdouble``, Fortran order, strided, read-only) the answer of the same
  values in plain float64; for a problem in other units (``1e+-300``) the
  answer of the unscaled problem, scaled.

Inputs are never modified (every array argument is compared with a copy
after the call). The examples are bounded and derandomised, so the suite is
deterministic and takes well under a minute. Kernel cases that could crash
the interpreter (a segfault in compiled code) run in a subprocess, where a
crash is a test failure instead of the end of the test run.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sparsela
from sparsela import penalties as pen
from sparsela.datafits import Quadratic
from sparsela.datasets import (
    irs_mimo_channel,
    make_kron_problem,
    make_sparse_problem,
    steering_dictionary,
)
from sparsela.metrics import (
    estimated_support,
    nmse,
    nmse_db,
    support_f1,
    support_recovery,
)
from sparsela.operators import LinearOperator


def _settings(n):
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


# ---- hostile variants of a valid float64 array ----------------------------------
SAME = ("bigendian", "fortran", "strided", "readonly", "longdouble")
CAST = ("float32", "complex", "int", "bool", "float16")
BAD = ("nan", "inf", "-inf")
NOT_NUMERIC = ("object", "str")
EMPTY = ("empty",)  # no rows: a clear error, or an (empty) finite answer
KINDS = SAME + CAST + BAD + NOT_NUMERIC + EMPTY


def mutate(base: np.ndarray, kind: str, pos: int = 0) -> np.ndarray:
    """A fresh array holding ``base`` in the storage (or with the defect) ``kind``."""
    a = np.array(base)
    cplx = a.dtype.kind == "c"
    if kind == "float32":
        return a.astype(np.complex64 if cplx else np.float32)
    if kind == "complex":
        return a.astype(np.complex128)
    if kind == "int":
        return np.round(4 * a.real).astype(np.int64)
    if kind == "bool":
        return a.real > 0
    if kind == "float16":
        return a.real.astype(np.float16)
    if kind == "longdouble":
        return a.astype(np.clongdouble if cplx else np.longdouble)
    if kind == "bigendian":
        return a.astype(a.dtype.newbyteorder(">"))
    if kind == "fortran":
        if a.ndim == 2:
            return np.asfortranarray(a)
        kind = "strided"
    if kind == "strided":
        big = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
        big[::2] = a
        return big[::2]
    if kind == "readonly":
        a.setflags(write=False)
        return a
    if kind in BAD:
        a = a.astype(np.result_type(a.dtype, np.float64))
        a.flat[pos % a.size] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[kind]
        return a
    if kind == "empty":
        return a[:0]
    if kind == "object":
        return a.astype(object)
    if kind == "str":
        return a.astype(str)
    return a


# ---- the outcome of one call --------------------------------------------------------
_BANNED = (np.linalg.LinAlgError,)


def _arrays(obj, out):
    if isinstance(obj, np.ndarray):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _arrays(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _arrays(o, out)
    return out


def _same_array(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


# result fields in squared units (variances, objective values, the step 1/L
# = 1/||A||^2): at 1e+-300 the answer x is representable but these are not,
# and inf (or 0) is their honest value
SQUARED = ("objective", "gamma", "gammas", "noise_var", "step")


def _finite(obj, where="result", skip=()):
    """Assert that every number in ``obj`` (but the fields ``skip``) is finite."""
    if obj is None or isinstance(obj, (str, bool, np.bool_)):
        return
    if isinstance(obj, sparsela.SolverResult):
        for f in dataclasses.fields(obj):
            if f.name not in ("history", "message") + tuple(skip):
                _finite(getattr(obj, f.name), f"{where}.{f.name}")
        return
    if isinstance(obj, sparsela.formats.SparseFormat):
        _finite(obj.todense(), where)
        return
    if isinstance(obj, (list, tuple)):
        for i, o in enumerate(obj):
            _finite(o, f"{where}[{i}]")
        return
    if dataclasses.is_dataclass(obj) or hasattr(obj, "_fields"):
        items = obj._asdict() if hasattr(obj, "_fields") else vars(obj)
        for k, v in items.items():
            _finite(v, f"{where}.{k}")
        return
    if isinstance(obj, (int, float, complex, np.number, np.ndarray)):
        arr = np.asarray(obj)
        if arr.dtype.kind in "fc":
            assert np.isfinite(arr).all(), f"{where} is not finite: {arr}"


def outcome(fn, name, kind, *args, allow_inf=False, same=SAME, **kwargs):
    """Call ``fn``; check the error (naming ``name``) or the finite answer.

    Returns the answer, or None when a clear error was raised. ``allow_inf``:
    the answer may be ``inf`` (never NaN), as a constraint's value outside
    its domain is.
    """
    skip = SQUARED if kind == "scale" else ()
    inputs = _arrays([args, kwargs], [])
    before = [(a, a.copy(), a.flags.writeable) for a in inputs]
    try:
        out = fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        assert not isinstance(exc, _BANNED), f"{type(exc).__name__} leaked: {exc}"
        assert kind not in same, f"valid data ({kind}) refused: {exc}"
        msg = str(exc)
        assert re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", msg), (
            f"the message does not name {name!r}: {msg}"
        )
        out = None
    finally:
        for a, saved, writeable in before:
            assert _same_array(a, saved), "an input was modified"
            assert a.flags.writeable == writeable, "an input's flags were changed"
    if out is not None:
        assert kind not in BAD + NOT_NUMERIC + ("bad",), f"{kind} accepted: {out!r}"
        if allow_inf:
            assert not np.isnan(np.asarray(out, dtype=float)).any(), out
        else:
            _finite(out, skip=skip)
    return out


def _outcome_any(fn, names, kind):
    """:func:`outcome` where any of ``names`` may be the one the message names."""
    try:
        return outcome(fn, names[0], kind)
    except AssertionError as first:
        if "does not name" not in str(first):
            raise
        for name in names[1:]:
            try:
                return outcome(fn, name, kind)
            except AssertionError as exc:
                if "does not name" not in str(exc):
                    raise
        raise


def _x(out):
    return out.x if isinstance(out, sparsela.SolverResult) else np.asarray(out)


def assert_close(got, want, rtol=1e-9):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    scale = max(np.abs(want).max(initial=0.0), np.finfo(float).tiny)
    err = np.abs(got - want).max(initial=0.0)
    assert err <= rtol * scale, f"relative error {err / scale:.3e} > {rtol:.1e}"


# ---- the problem every solver case is built on -----------------------------------
M, N = 12, 24


def _A():
    rng = np.random.default_rng(0)
    return rng.standard_normal((M, N))


def _Y(n_signals):
    A = _A()
    X = np.zeros((N, 2))
    X[[2, 7, 11], 0] = [1.0, -2.0, 0.5]
    X[[1, 5, 20], 1] = [-1.5, 1.0, 0.75]
    Y = A @ X
    return Y[:, 0] if n_signals is None else Y[:, :n_signals]


SOLVERS = {
    "omp": lambda A, y: sparsela.omp(A, y, n_nonzero=3),
    "mp": lambda A, y: sparsela.mp(A, y, n_nonzero=3),
    "ista": lambda A, y: sparsela.ista(A, y, lam=0.5, max_iter=300),
    "fista": lambda A, y: sparsela.fista(A, y, lam=0.5, max_iter=300),
    "lambda_max": lambda A, y: sparsela.lambda_max(A, y),
    "sbl": lambda A, y: sparsela.sbl(A, y, max_iter=60),
    "sbl_fast": lambda A, y: sparsela.sbl(A, y, method="fast", max_iter=60),
}
_REF: dict = {}


def _reference(solver, n_signals):
    key = (solver, n_signals)
    if key not in _REF:
        _REF[key] = SOLVERS[solver](_A(), _Y(n_signals))
    return _REF[key]


@_settings(300)
@given(
    solver=st.sampled_from(sorted(SOLVERS)),
    where=st.sampled_from(["A", "y"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
    n_signals=st.sampled_from([None, 2]),
)
def test_solvers_hostile_arrays(solver, where, kind, pos, n_signals):
    A, y = _A(), _Y(n_signals)
    if where == "A":
        A = mutate(A, kind, pos)
    else:
        y = mutate(y, kind, pos)
    out = outcome(SOLVERS[solver], where, kind, A, y)
    if out is not None and kind in SAME:
        assert_close(_x(out), _x(_reference(solver, n_signals)))


@_settings(100)
@given(
    solver=st.sampled_from(sorted(SOLVERS)),
    container=st.sampled_from(["scipy_csr", "scipy_coo", "csr", "csc", "coo"]),
    kind=st.sampled_from(("float32", "int", "bool", "longdouble", "nan", "inf")),
    pos=st.integers(0, 10**6),
)
def test_solvers_hostile_sparse_A(solver, container, kind, pos):
    # sparse A with stored values of each kind (NaN among them)
    D = _A()
    D[np.abs(D) < 0.5] = 0.0
    data = mutate(sp.csr_array(D).data, kind, pos)
    S = sp.csr_array((data, sp.csr_array(D).indices, sp.csr_array(D).indptr), D.shape)
    y = _Y(None)

    def build_and_solve():
        if container == "scipy_csr":
            A = S
        elif container == "scipy_coo":
            A = S.tocoo()
        else:
            cls = {"csr": sparsela.CSR, "csc": sparsela.CSC, "coo": sparsela.COO}
            A = cls[container].from_scipy(S)
        return SOLVERS[solver](A, y)

    names = {"scipy_csr": "A", "scipy_coo": "A"}
    # a format refuses bad data in its constructor (naming S or data)
    out = _outcome_any(build_and_solve, (names.get(container, "S"), "A", "data"), kind)
    if out is not None and kind == "longdouble":
        assert_close(_x(out), _x(SOLVERS[solver](sp.csr_array(D), y)))


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize(
    "shape_A, shape_y, name",
    [
        ((0, N), (0,), "A"),
        ((M, 0), (M,), "A"),
        ((M, N), (M, 0), "y"),
        ((M, N), (M + 1,), "y"),
        ((M, N), (M, 2, 1), "y"),
        ((M, N), (), "y"),
    ],
)
def test_solvers_empty_and_misshaped(solver, shape_A, shape_y, name):
    A = np.ones(shape_A)
    y = np.ones(shape_y)
    outcome(SOLVERS[solver], name, "shape", A, y)


SCALE_SOLVERS = {
    # name: (call(A, y, lam_scale), power of c by which the answer scales when
    # A is scaled by c (when y is scaled by c, every answer scales by c), mark)
    "omp": (lambda A, y, c: sparsela.omp(A, y, n_nonzero=3), -1, None),
    "mp": (lambda A, y, c: sparsela.mp(A, y, n_nonzero=3), -1, None),
    "fista": (
        lambda A, y, c: sparsela.fista(A, y, lam=0.5 * np.asarray(c), tol=1e-10),
        -1,
        None,
    ),
    "ista": (
        lambda A, y, c: sparsela.ista(
            A, y, lam=0.5 * np.asarray(c), tol=1e-10, max_iter=20000
        ),
        -1,
        None,
    ),
    "lambda_max": (lambda A, y, c: sparsela.lambda_max(A, y), 1, None),
    "sbl": (lambda A, y, c: sparsela.sbl(A, y), -1, None),
    "sbl_fast": (lambda A, y, c: sparsela.sbl(A, y, method="fast"), -1, None),
}


def _scale_params():
    out = []
    for name, (_, _, mark) in sorted(SCALE_SOLVERS.items()):
        out.append(pytest.param(name, marks=mark) if mark else name)
    return out


@pytest.mark.parametrize("solver", _scale_params())
@_settings(12)
@given(
    exponent=st.sampled_from([300, -300, 200, -200, 150, -150]),
    where=st.sampled_from(["A", "y", "column"]),
)
def test_solvers_scale_equivariant(solver, exponent, where):
    # the answer must not depend on the units: scaled problem, scaled answer
    fn, power_A, _ = SCALE_SOLVERS[solver]
    c = 10.0**exponent
    A = _A()
    if where == "column":  # one signal of a batch in other units
        Y = _Y(2)
        ref = _x(fn(A, Y, np.ones(2)))
        Yc = Y.copy()
        Yc[:, 1] *= c
        got = _x(outcome(fn, "y", "scale", A, Yc, np.array([1.0, c])))
        assert_close(got[..., 0], ref[..., 0], rtol=1e-7)
        assert_close(got[..., 1] / c, ref[..., 1], rtol=1e-7)
        return
    y = _Y(None)
    ref = _x(fn(A, y, 1.0))
    if where == "A":  # lam scales as A^H y does
        got = _x(outcome(fn, "A", "scale", A * c, y, c)) / c**power_A
    else:
        got = _x(outcome(fn, "y", "scale", A, y * c, c)) / c
    assert_close(got, ref, rtol=1e-7)


# ---- omp_gram / mp_gram -------------------------------------------------------------
@_settings(100)
@given(
    solver=st.sampled_from(["omp_gram", "mp_gram"]),
    where=st.sampled_from(["G", "AhY"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_gram_solvers_hostile_arrays(solver, where, kind, pos):
    A, y = _A(), _Y(None)
    G, AhY = A.T @ A, A.T @ y
    if where == "G":
        G = mutate(G, kind, pos)
    else:
        AhY = mutate(AhY, kind, pos)
    fn = getattr(sparsela, solver)
    out = outcome(fn, where, kind, G, AhY, n_nonzero=3, norms_squared=y @ y)
    if out is not None and kind in SAME:
        assert_close(out.x, fn(A.T @ A, A.T @ y, n_nonzero=3).x)


@pytest.mark.parametrize("solver", ["omp_gram", "mp_gram"])
@pytest.mark.parametrize("exponent", [150, -150])
def test_gram_solvers_scale_equivariant(solver, exponent):
    c = 10.0**exponent
    A, y = _A(), _Y(None)
    fn = getattr(sparsela, solver)
    G, AhY, yy = A.T @ A, A.T @ y, y @ y
    ref = fn(G, AhY, n_nonzero=3).x
    got = outcome(fn, "AhY", "scale", G, AhY * c, n_nonzero=3, norms_squared=yy * c**2)
    assert_close(got.x / c, ref, rtol=1e-7)
    got = outcome(fn, "G", "scale", G * c**2, AhY * c, n_nonzero=3, norms_squared=yy)
    assert_close(got.x * c, ref, rtol=1e-7)


# ---- kron_sbl ---------------------------------------------------------------------
def _kron_problem():
    p = make_kron_problem(((4, 6), (5, 7)), 2, snr_db=None, random_state=1)
    return p.factors, p.y


@_settings(80)
@given(
    where=st.sampled_from([0, 1, "y"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_kron_sbl_hostile_arrays(where, kind, pos):
    factors, y = _kron_problem()
    factors = list(factors)
    if where == "y":
        y = mutate(y, kind, pos)
        name = "y"
    else:
        factors[where] = mutate(factors[where], kind, pos)
        name = f"factors[{where}]"  # a factor is named by its position
    out = outcome(
        lambda f, v: sparsela.kron_sbl(f, v, max_iter=40), name, kind, factors, y
    )
    if out is not None and kind in SAME:
        f0, y0 = _kron_problem()
        assert_close(out.x, sparsela.kron_sbl(f0, y0, max_iter=40).x, rtol=1e-6)


@pytest.mark.parametrize("exponent", [200, -200, 100, -100])
@pytest.mark.parametrize("where", ["y", "factor"])
def test_kron_sbl_scale_equivariant(exponent, where):
    c = 10.0**exponent
    factors, y = _kron_problem()
    ref = sparsela.kron_sbl(factors, y).x
    if where == "y":
        got = outcome(sparsela.kron_sbl, "y", "scale", factors, y * c).x / c
    else:
        scaled = [factors[0] * c, factors[1]]
        got = outcome(sparsela.kron_sbl, "factors[0]", "scale", scaled, y).x * c
    assert_close(got, ref, rtol=1e-6)


# ---- transforms ---------------------------------------------------------------------
def _wht_signal():
    X = np.zeros(64)
    X[[3, 40]] = [4.0, -2.0]
    return sparsela.fwht(X) / 64.0, X


@_settings(150)
@given(
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
    shape=st.sampled_from([(16,), (4, 8), (8, 2)]),
    axis=st.sampled_from([0, -1]),
    normalized=st.booleans(),
)
def test_fwht_hostile_arrays(kind, pos, shape, axis, normalized):
    x = np.random.default_rng(pos % 7).standard_normal(shape)
    if shape[axis] & (shape[axis] - 1):
        axis = -1
    xm = mutate(x, kind, pos)
    out = outcome(sparsela.fwht, "x", kind, xm, axis=axis, normalized=normalized)
    if out is not None and kind in SAME + ("int", "bool", "float16"):
        rtol = 1e-6 if kind == "float16" else 1e-12  # float16 computes in float32
        ref = np.moveaxis(
            np.moveaxis(xm.astype(np.float64), axis, -1) @ _H(shape[axis]), -1, axis
        )
        if normalized:
            ref = ref / np.sqrt(shape[axis])
        assert_close(out, ref, rtol=rtol)


def _H(n):
    from scipy.linalg import hadamard

    return hadamard(n).astype(float)


@_settings(20)
@given(exponent=st.sampled_from([300, -300, 305, -305]), normalized=st.booleans())
def test_fwht_scale_equivariant(exponent, normalized):
    c = 10.0**exponent
    x = np.random.default_rng(0).standard_normal(32)
    ref = sparsela.fwht(x, normalized=normalized)
    got = outcome(sparsela.fwht, "x", "scale", x * c, normalized=normalized)
    if got is None:  # beyond the range: only where the answer is not representable
        assert np.abs(ref).max() * c > np.finfo(float).max / 2
        return
    assert_close(got / c, ref, rtol=1e-12)


@_settings(60)
@given(kind=st.sampled_from(KINDS), pos=st.integers(0, 10**6))
def test_sparse_wht_hostile_signal(kind, pos):
    x, X = _wht_signal()
    # NaN/Inf are detected among the samples read (the transform is
    # sub-linear): one elsewhere may go unseen, the answer must stay finite
    out = outcome(
        lambda s: sparsela.sparse_wht(s, sparsity=2, random_state=0),
        "signal",
        "sampled" if kind in BAD else kind,
        mutate(x, kind, pos),
    )
    if out is not None and kind in SAME + ("float16",):
        np.testing.assert_array_equal(out.support, [3, 40])
        assert_close(out.coefficients, X[[3, 40]], rtol=1e-3)


@pytest.mark.parametrize("exponent", [200, -200, 300, -300])
def test_sparse_wht_scale_equivariant(exponent):
    c = 10.0**exponent
    x, X = _wht_signal()
    out = outcome(
        lambda s: sparsela.sparse_wht(s, sparsity=2, random_state=0),
        "signal",
        "scale",
        x * c,
    )
    np.testing.assert_array_equal(out.support, [3, 40])
    assert_close(out.coefficients / c, X[[3, 40]], rtol=1e-9)


# ---- formats -------------------------------------------------------------------------
_D = np.array(
    [[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 4.0], [5.0, 0.0, 0.0, 6.0], [0, 7.0, 8.0, 0]]
)


def _build(fmt, D):
    if fmt == "bsr":
        return sparsela.BSR.from_dense(D, (2, 2))
    if fmt == "nm":
        return sparsela.NM.from_dense(D, 2, 4)
    return getattr(sparsela, fmt.upper()).from_dense(D)


FORMATS = ["csr", "csc", "coo", "bsr", "nm"]
# the formats' constructors and products take the four working dtypes only
# (documented: cast first); other storage of the same values must work
FORMAT_SAME = ("bigendian", "fortran", "strided", "readonly")


@_settings(120)
@given(
    fmt=st.sampled_from(FORMATS),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_formats_from_dense_hostile(fmt, kind, pos):
    out = outcome(lambda A: _build(fmt, A), "A", kind, mutate(_D, kind, pos))
    if out is not None and kind in SAME:
        np.testing.assert_array_equal(out.todense(), _D)


def _parts(fmt):
    M = _build(fmt, _D)
    if fmt == "coo":
        return {"data": M.data, "row": M.row, "col": M.col}
    if fmt == "nm":
        return {"values": M.values, "positions": M.positions}
    return {"data": M.data, "indices": M.indices, "indptr": M.indptr}


def _construct(fmt, parts):
    shape = _D.shape
    if fmt == "coo":
        return sparsela.COO(parts["data"], parts["row"], parts["col"], shape)
    if fmt == "nm":
        return sparsela.NM(parts["values"], parts["positions"], shape, 2, 4)
    if fmt == "bsr":
        return sparsela.BSR(parts["data"], parts["indices"], parts["indptr"], shape)
    cls = getattr(sparsela, fmt.upper())
    return cls(parts["data"], parts["indices"], parts["indptr"], shape)


@_settings(200)
@given(
    fmt=st.sampled_from(FORMATS),
    part=st.integers(0, 2),
    kind=st.sampled_from(KINDS + ("negative", "too_big", "float_index")),
    pos=st.integers(0, 10**6),
)
def test_formats_constructor_hostile(fmt, part, kind, pos):
    parts = {k: v.copy() for k, v in _parts(fmt).items()}
    name = sorted(parts)[part % len(parts)]
    arr = parts[name]
    is_index = arr.dtype.kind in "iu"
    if kind == "negative" and is_index:
        arr = arr.astype(np.int64)
        arr.flat[pos % arr.size] = -1 - pos % 5
    elif kind == "too_big" and is_index:
        arr = arr.astype(np.int64)
        arr.flat[pos % arr.size] = 10**9 + pos
    elif kind == "float_index" and is_index:
        arr = arr.astype(np.float64)
    elif kind in KINDS:
        arr = mutate(arr, kind, pos)
    else:
        return
    parts[name] = arr
    # an index made float is a TypeError naming it; the constructors store
    # the data they get, so only the four working dtypes are taken (cast first)
    out = outcome(lambda: _construct(fmt, parts), name, kind, same=FORMAT_SAME)
    if out is not None and kind in ("bigendian", "strided", "readonly"):
        np.testing.assert_array_equal(out.todense(), _D)


@_settings(150)
@given(
    fmt=st.sampled_from(FORMATS),
    op=st.sampled_from(["matvec", "rmatvec", "matmat", "rmatmat", "@", "r@"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_formats_products_hostile(fmt, op, kind, pos):
    M = _build(fmt, _D)
    rng = np.random.default_rng(pos % 5)
    vec = op in ("matvec", "rmatvec", "@", "r@")
    x = rng.standard_normal(4) if vec else rng.standard_normal((4, 3))
    name = "x" if vec else ("X" if op == "matmat" else "Y")
    if op == "rmatvec":
        name = "y"
    calls = {
        "matvec": (M.matvec, _D),
        "rmatvec": (M.rmatvec, _D.T),
        "matmat": (M.matmat, _D),
        "rmatmat": (M.rmatmat, _D.T),
        "@": (lambda v: M @ v, _D),
        "r@": (lambda v: v @ M, _D.T),
    }
    fn, dense = calls[op]
    xm = mutate(x, kind, pos)
    out = outcome(fn, name, kind, xm, same=FORMAT_SAME)
    if out is not None and kind in SAME:
        assert_close(out, dense @ x, rtol=1e-12)


@_settings(40)
@given(
    fmt=st.sampled_from(FORMATS),
    dtype=st.sampled_from([np.float32, np.float64, np.complex64, np.complex128]),
    protocol=st.integers(0, pickle.HIGHEST_PROTOCOL),
    transpose=st.booleans(),
)
def test_formats_pickle_and_copy(fmt, dtype, protocol, transpose):
    M = _build(fmt, _D.astype(dtype))
    if transpose:
        M = M.T
    for B in (pickle.loads(pickle.dumps(M, protocol=protocol)), copy.deepcopy(M)):
        assert type(B) is type(M) and B.dtype == M.dtype and B.shape == M.shape
        np.testing.assert_array_equal(B.todense(), M.todense())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("exponent", [300, -300])
def test_formats_scale_equivariant(fmt, exponent):
    c = 10.0**exponent
    M = _build(fmt, _D * c)
    x = np.array([1.0, -0.5, 0.25, 2.0])
    assert_close(outcome(M.matvec, "x", "scale", x) / c, _D @ x, rtol=1e-14)
    assert_close(outcome(M.rmatvec, "y", "scale", x) / c, _D.T @ x, rtol=1e-14)


# ---- operators ---------------------------------------------------------------------
def _operator_cases():
    rng = np.random.default_rng(4)
    B = rng.standard_normal((3, 4))
    d = rng.standard_normal(4)
    return {
        # name: (builder from one array, the array, dense matrix of the operator)
        "Dense": (sparsela.Dense, B, lambda a: a),
        "Diagonal": (sparsela.Diagonal, d, np.diag),
        "Kronecker0": (
            lambda a: sparsela.Kronecker(a, np.eye(2)),
            B,
            lambda a: np.kron(a, np.eye(2)),
        ),
        "Kronecker1": (
            lambda a: sparsela.Kronecker(np.eye(2), a),
            B,
            lambda a: np.kron(np.eye(2), a),
        ),
        "HStack": (
            lambda a: sparsela.HStack(a, np.eye(3)),
            B,
            lambda a: np.hstack([a, np.eye(3)]),
        ),
        "BlockDiag": (
            lambda a: sparsela.BlockDiag(a, np.eye(2)),
            B,
            lambda a: np.block([[a, np.zeros((3, 2))], [np.zeros((2, 4)), np.eye(2)]]),
        ),
        "aslinearoperator": (sparsela.aslinearoperator, B, lambda a: a),
    }


_OPERATOR_NAMES = {  # a part of a composite is named by its position
    "Dense": ("A",),
    "Diagonal": ("d",),
    "Kronecker0": ("factors[0]",),
    "Kronecker1": ("factors[1]",),
    "HStack": ("ops[0]", "HStack"),  # or the mismatch of the parts
    "BlockDiag": ("ops[0]", "BlockDiag"),
    "aslinearoperator": ("A",),
}


@_settings(150)
@given(
    case=st.sampled_from(sorted(_operator_cases())),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_operator_constructors_hostile(case, kind, pos):
    build, base, dense_of = _operator_cases()[case]
    am = mutate(base, kind, pos)
    op = _outcome_any(lambda: build(am), _OPERATOR_NAMES[case], kind)
    if op is not None and kind not in EMPTY:
        dense = dense_of(np.asarray(am.astype(np.result_type(am.dtype, np.float64))))
        n = op.shape[1]
        x = np.linspace(-1.0, 1.0, n)
        got = outcome(op.matvec, "x", "float64", x)
        assert_close(got, dense @ x, rtol=1e-5)
        yv = np.linspace(1.0, 2.0, op.shape[0])
        assert_close(outcome(op.rmatvec, "y", "float64", yv), dense.conj().T @ yv, 1e-5)


@_settings(150)
@given(
    case=st.sampled_from(sorted(_operator_cases()) + ["Sparse", "WalshHadamard"]),
    op_name=st.sampled_from(["matvec", "rmatvec", "matmat", "rmatmat", "@"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_operator_products_hostile(case, op_name, kind, pos):
    if case == "Sparse":
        op, dense = sparsela.SparseMatrix(sparsela.CSR.from_dense(_D)), _D
    elif case == "WalshHadamard":
        op, dense = sparsela.WalshHadamard(4), _H(4)
    else:
        build, base, dense_of = _operator_cases()[case]
        op, dense = build(base), dense_of(base)
    rows = op.shape[0] if op_name.startswith("r") else op.shape[1]
    rng = np.random.default_rng(pos % 3)
    vec = op_name in ("matvec", "rmatvec", "@")
    x = rng.standard_normal(rows) if vec else rng.standard_normal((rows, 2))
    name = {"matvec": "x", "rmatvec": "y", "matmat": "X", "rmatmat": "Y", "@": "x"}
    fn = (lambda v: op @ v) if op_name == "@" else getattr(op, op_name)
    if kind in BAD:
        # operator products are thin (the solvers call them every iteration):
        # NaN/Inf in x propagate as in NumPy's ``dense @ x`` (or raise)
        xm = mutate(x, kind, pos)
        try:
            with np.errstate(invalid="ignore", over="ignore"):  # NumPy's own
                out = fn(xm)
        except ValueError as exc:
            assert name[op_name] in str(exc)
            return
        # (where exactly depends on the structure; that it shows does not)
        assert not np.isfinite(out).all(), "a NaN/Inf of x vanished"
        return
    out = outcome(fn, name[op_name], kind, mutate(x, kind, pos))
    if out is not None and kind in SAME:
        want = (dense.conj().T if op_name.startswith("r") else dense) @ x
        assert_close(out, want, rtol=1e-12)


@_settings(20)
@given(
    exponent=st.sampled_from([300, -300, 200, -200]),
    case=st.sampled_from(["Dense", "Sparse", "Kronecker0", "scaled"]),
)
def test_norm_est_scale_equivariant(exponent, case):
    c = 10.0**exponent
    B = np.random.default_rng(5).standard_normal((6, 4))
    if case == "Dense":
        op = sparsela.Dense(B * c)
    elif case == "Sparse":
        op = sparsela.SparseMatrix(sparsela.CSR.from_dense(B * c))
    elif case == "Kronecker0":
        op = sparsela.Kronecker(B * c, np.eye(2))
    else:
        op = sparsela.Dense(B) * c
    est = outcome(lambda: op.norm_est(tol=1e-12, max_iter=1000), "A", "scale")
    np.testing.assert_allclose(est / c, np.linalg.norm(B, 2), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
@pytest.mark.parametrize("factor", [2, 0.5, -1, 3j, np.float32(2)])
def test_scaled_operators_keep_precision(dtype, factor):
    D = np.arange(1.0, 7.0).reshape(2, 3).astype(dtype)
    A = sparsela.Dense(D)
    for op, dense in (
        (factor * A, factor * D),
        ((factor * A).H, (factor * D).conj().T),
        ((A / factor).T, (D / factor).T),
    ):
        assert op.dtype == dense.dtype
        v = np.ones(op.shape[1], dtype=dtype)
        out = op @ v
        assert out.dtype == (dense @ v).dtype
        np.testing.assert_allclose(out, dense @ v, rtol=1e-5)


@_settings(80)
@given(
    case=st.sampled_from(
        ["Identity", "WalshHadamard", "Restriction_n", "Restriction_idx"]
    ),
    value=st.sampled_from(
        [
            0,
            -1,
            3,
            4,
            2.0,
            "4",
            None,
            True,
            np.int64(8),
            10**20,
            [0, 1],
            [5, -1],
            [1.5],
            [[0, 1]],
            np.array([0, 2], dtype=">i4"),
            np.array([], dtype=float),
        ]
    ),
)
def test_operator_parameters_hostile(case, value):
    if case == "Identity":
        fn, name = (lambda: sparsela.Identity(value)), "n"
    elif case == "WalshHadamard":
        fn, name = (lambda: sparsela.WalshHadamard(value)), "N"
    elif case == "Restriction_n":  # n too small for idx: either may be named
        fn, name = (lambda: sparsela.Restriction(value, [0, 1])), ("n", "idx")
    else:
        fn, name = (lambda: sparsela.Restriction(4, value)), "idx"
    if isinstance(value, int) and value == 10**20 and case != "Restriction_idx":
        return  # a valid size: no memory is allocated, nothing to validate
    names = name if isinstance(name, tuple) else (name,)
    op = _outcome_any(fn, names, "param")
    if op is not None:
        n = op.shape[1]
        x = np.arange(1.0, n + 1.0)
        _finite(outcome(op.matvec, "x", "float64", x))
        if case == "Restriction_idx":
            idx = np.asarray(value).astype(np.int64).ravel()
            np.testing.assert_array_equal(op @ x, x[idx])


# ---- penalties ---------------------------------------------------------------
PENALTY_CASES = {
    "L1": lambda: pen.L1(0.5),
    "L0": lambda: pen.L0(0.5),
    "NonNegL1": lambda: pen.NonNegL1(0.5),
    "ElasticNet": lambda: pen.ElasticNet(0.5, l1_ratio=0.3),
    "WeightedL1": lambda: pen.WeightedL1(0.5, weights=np.arange(6.0) / 3),
    "GroupL1": lambda: pen.GroupL1(0.5, groups=[[0, 1, 2], [3], [4, 5]]),
    "Box": lambda: pen.Box(-0.5, 0.75),
}


def _prox_ref(name, v, step):
    """Dense NumPy reference of each penalty's prox."""
    t = 0.5 * step
    if name == "L1":
        return np.sign(v) * np.maximum(np.abs(v) - t, 0)
    if name == "L0":
        return np.where(np.abs(v) > np.sqrt(2 * t), v, 0)
    if name == "NonNegL1":
        return np.maximum(v - t, 0)
    if name == "ElasticNet":
        return np.sign(v) * np.maximum(np.abs(v) - 0.3 * t, 0) / (1 + 0.7 * t)
    if name == "WeightedL1":
        w = (np.arange(6.0) / 3)[:, None] if v.ndim == 2 else np.arange(6.0) / 3
        return np.sign(v) * np.maximum(np.abs(v) - t * w, 0)
    if name == "GroupL1":
        out = np.zeros_like(v)
        for g in ([0, 1, 2], [3], [4, 5]):
            nrm = np.linalg.norm(v[g], axis=0)
            out[g] = v[g] * np.maximum(
                0, 1 - t * np.sqrt(len(g)) / np.maximum(nrm, 1e-300)
            )
        return out
    return np.clip(v, -0.5, 0.75)


@_settings(300)
@given(
    name=st.sampled_from(sorted(PENALTY_CASES)),
    where=st.sampled_from(["v", "step", "x"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
    two_d=st.booleans(),
)
def test_penalties_hostile(name, where, kind, pos, two_d):
    g = PENALTY_CASES[name]()
    rng = np.random.default_rng(pos % 11)
    v = rng.standard_normal((6, 2) if two_d else 6)
    step = np.array([0.5, 1.5]) if two_d else np.array([0.75])
    if where == "x":
        # inside the domain (inf outside it is the value of a constraint)
        v = np.clip(v, -0.5, 0.75) if name == "Box" else v
        v = np.abs(v) if name == "NonNegL1" else v
        constraint = name in ("Box", "NonNegL1")  # inf outside the domain
        out = outcome(g.value, "x", kind, mutate(v, kind, pos), allow_inf=constraint)
        if out is not None and kind in SAME:
            np.testing.assert_allclose(out, g.value(v), rtol=1e-14)
        return
    if where == "v":
        v_in, step_in = mutate(v, kind, pos), float(step[0]) if not two_d else step
    else:
        v_in, step_in = v, mutate(step, kind, pos)
    out = outcome(g.prox, where, kind, v_in, step_in)
    if out is not None and kind in SAME:
        assert out.shape == v.shape
        assert_close(out, _prox_ref(name, v, step), rtol=1e-12)


@_settings(40)
@given(
    name=st.sampled_from(["L1", "GroupL1", "Box", "NonNegL1", "WeightedL1"]),
    exponent=st.sampled_from([300, -300, 200, -200]),
)
def test_penalties_scale_equivariant(name, exponent):
    # prox of lam c at c v is c times the prox of lam at v (bounds scaled
    # for the box); the gauge values scale with c
    c = 10.0**exponent
    v = np.random.default_rng(6).standard_normal(6)
    g = PENALTY_CASES[name]()
    if name == "Box":
        gc = pen.Box(-0.5 * c, 0.75 * c)
    elif name == "WeightedL1":
        gc = pen.WeightedL1(0.5 * c, weights=np.arange(6.0) / 3)
    elif name == "GroupL1":
        gc = pen.GroupL1(0.5 * c, groups=[[0, 1, 2], [3], [4, 5]])
    else:
        gc = type(g)(0.5 * c)
    got = outcome(gc.prox, "v", "scale", v * c, 1.0)
    assert_close(got / c, g.prox(v, 1.0), rtol=1e-12)
    if name != "Box":
        val = outcome(g.value, "x", "scale", np.abs(v) * c)
        np.testing.assert_allclose(val / c, g.value(np.abs(v)), rtol=1e-12)


@_settings(100)
@given(
    name=st.sampled_from(["WeightedL1", "GroupL1", "Box", "ElasticNet", "L1"]),
    kind=st.sampled_from(KINDS + ("negative", "none", "wrong_size")),
    pos=st.integers(0, 10**6),
)
def test_penalty_parameters_hostile(name, kind, pos):
    base = np.arange(1.0, 4.0)
    val = (
        None
        if kind == "none"
        else np.ones(5)
        if kind == "wrong_size"
        else -base
        if kind == "negative"
        else mutate(base, kind, pos)
    )
    build = {
        "WeightedL1": (
            "weights",
            lambda w: pen.WeightedL1(1.0, weights=w).prox(np.ones(3), 1.0),
        ),
        "GroupL1": (
            "weights",
            lambda w: pen.GroupL1(1.0, groups=[[0], [1], [2]], weights=w).prox(
                np.ones(3), 1.0
            ),
        ),
        "Box": ("upper", lambda b: pen.Box(lower=None, upper=b).prox(np.ones(3), 1.0)),
        "ElasticNet": ("lam", lambda lam: pen.ElasticNet(lam)),
        "L1": ("lam", lambda lam: pen.L1(lam)),
    }
    arg, fn = build[name]
    if arg == "lam" and val is not None and kind != "wrong_size":
        val = val[pos % 3] if val.ndim and val.size else val
        if kind == "object":
            val = np.array(val, dtype=object)  # a 0-d object array, not a float
    if kind == "none" and name in ("Box", "ElasticNet", "L1", "GroupL1"):
        return  # None is a documented default there (no bound, sqrt sizes, L1())
    final = kind if kind in KINDS else "bad"
    if name == "Box" and kind in ("inf", "negative"):
        final = "param"  # an infinite upper bound is no bound; a negative one valid
    outcome(fn, arg, final, val)


# ---- metrics -----------------------------------------------------------------------
METRICS = {
    "nmse": nmse,
    "nmse_db": nmse_db,
    "support_recovery": support_recovery,
    "support_f1": support_f1,
}


@_settings(150)
@given(
    metric=st.sampled_from(sorted(METRICS) + ["estimated_support"]),
    where=st.sampled_from(["x_true", "x_hat"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
    two_d=st.booleans(),
)
def test_metrics_hostile(metric, where, kind, pos, two_d):
    rng = np.random.default_rng(pos % 13)
    t = rng.standard_normal((5, 3) if two_d else 5)
    h = t + 0.1 * rng.standard_normal(t.shape)
    if metric == "estimated_support":
        out = outcome(estimated_support, "x_hat", kind, mutate(h, kind, pos))
        if out is not None and kind in SAME:
            np.testing.assert_array_equal(out, estimated_support(h))
        return
    args = {"x_true": t, "x_hat": h}
    args[where] = mutate(args[where], kind, pos)
    # nmse is inf (nmse_db +-inf) where x_true is 0 and x_hat is not: documented
    out = outcome(
        METRICS[metric],
        where,
        kind,
        args["x_true"],
        args["x_hat"],
        allow_inf="nmse" in metric,
    )
    if out is not None and kind in SAME:
        np.testing.assert_allclose(out, METRICS[metric](t, h), rtol=1e-14)


@pytest.mark.parametrize("metric", sorted(METRICS))
@pytest.mark.parametrize("shapes", [((0,), (0,)), ((3,), (4,)), ((2, 2, 2),) * 2])
def test_metrics_shapes(metric, shapes):
    t, h = np.zeros(shapes[0]), np.zeros(shapes[1])
    if shapes[0] == (0,):  # empty signals: defined (0 error, full recovery)
        out = METRICS[metric](t, h)
        assert out == (
            -np.inf if metric == "nmse_db" else 0.0 if "nmse" in metric else 1.0
        )
        return
    outcome(METRICS[metric], "x_true", "shape", t, h)


@_settings(20)
@given(exponent=st.sampled_from([300, -300, 250, -250]), per_signal=st.booleans())
def test_nmse_scale_invariant(exponent, per_signal):
    c = 10.0**exponent
    rng = np.random.default_rng(7)
    t = rng.standard_normal((6, 2))
    h = t + 0.1 * rng.standard_normal(t.shape)
    got = outcome(nmse, "x_true", "scale", t * c, h * c, per_signal=per_signal)
    want = (
        np.sum((h - t) ** 2, axis=0) / np.sum(t**2, axis=0)
        if per_signal
        else np.sum((h - t) ** 2) / np.sum(t**2)
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ---- datasets -----------------------------------------------------------------------
_BAD_NUMBERS = [0, -3, 2.5, "7", None, True, np.nan, 10**30, 1e400]


@_settings(80)
@given(
    param=st.sampled_from(
        [
            "n_samples",
            "n_features",
            "n_nonzero",
            "n_signals",
            "snr_db",
            "dtype",
            "random_state",
        ]
    ),
    value=st.sampled_from(
        _BAD_NUMBERS
        + [
            1e6,
            -1e6,
            1e300,
            -400.0,
            np.int64(3),
            np.float16,
            np.longdouble,
            ">f8",
            "int64",
        ]
    ),
)
def test_make_sparse_problem_hostile(param, value):
    kw = {"n_samples": 8, "n_features": 12, "n_nonzero": 2, "random_state": 0}
    kw[param] = value
    if param == "n_features" and value == 10**30:
        return  # a valid request for 1e30 columns: memory, not validation
    if param in ("n_samples", "n_signals") and value == 10**30:
        return
    outcome(lambda: make_sparse_problem(**kw), param, "param")


@_settings(40)
@given(
    param=st.sampled_from(["snr_db", "n_nonzero", "shapes", "dtype"]),
    value=st.sampled_from(
        [
            1e6,
            -1e6,
            0,
            -1,
            2.5,
            "x",
            None,
            [(3, 0)],
            [(2, 3, 4)],
            [],
            np.complex64,
            object,
        ]
    ),
)
def test_make_kron_problem_hostile(param, value):
    kw = {"shapes": ((3, 4), (3, 5)), "n_nonzero": 1, "random_state": 0}
    kw[param] = value
    outcome(lambda: make_kron_problem(**kw), param, "param")


@_settings(60)
@given(
    param=st.sampled_from(["snr_db", "pilots", "irs_phases", "grid", "angle_spread"]),
    kind=st.sampled_from(KINDS + ("scalar",)),
    pos=st.integers(0, 10**6),
)
def test_irs_mimo_channel_hostile(param, kind, pos):
    kw = {
        "n_ms": 2,
        "n_bs": 4,
        "n_irs": 8,
        "grid": 6,
        "n_pilots": 2,
        "n_configs": 3,
        "random_state": 0,
    }
    if param in ("pilots", "irs_phases"):
        base = np.ones((2, 2)) if param == "pilots" else np.ones((8, 3)) / np.sqrt(8)
        kw[param] = 3.0 if kind == "scalar" else mutate(base, kind, pos)
    else:
        bad = {"nan": np.nan, "inf": np.inf, "str": "3"}
        default = 1e6 if param == "snr_db" else 99  # valid / out of range
        kw[param] = bad.get(kind, default)
        kind = kind if kind in bad else "param"
    outcome(lambda: irs_mimo_channel(**kw), param, kind)
    outcome(lambda: steering_dictionary(4, 0), "grid", "param")


# ---- datafits -----------------------------------------------------------------------
@_settings(80)
@given(
    where=st.sampled_from(["A", "y", "x"]),
    kind=st.sampled_from(KINDS),
    pos=st.integers(0, 10**6),
)
def test_quadratic_datafit_hostile(where, kind, pos):
    A, y = _A(), _Y(None)
    x = np.linspace(-1, 1, N)
    if where == "x":
        f = Quadratic(A, y)
        out = outcome(f.value, "x", kind, mutate(x, kind, pos))
        if out is not None and kind in SAME:
            np.testing.assert_allclose(out, 0.5 * np.sum((A @ x - y) ** 2), rtol=1e-12)
        return
    args = {"A": A, "y": y}
    args[where] = mutate(args[where], kind, pos)
    f = outcome(Quadratic, where, kind, args["A"], args["y"])
    if f is not None:
        _finite(f.value(x))


# ---- a user LinearOperator with an odd dtype -----------------------------------------
class _OddDtypeOperator(LinearOperator):
    def __init__(self, dtype):
        super().__init__((M, N), dtype=dtype)
        self.D = _A()

    def _matvec(self, x):
        return self.D @ x

    def _rmatvec(self, y):
        return self.D.T @ y


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, np.int64, ">f8"])
@pytest.mark.parametrize("solver", ["omp", "fista", "lambda_max", "sbl"])
def test_solvers_on_an_operator_with_an_odd_dtype(dtype, solver):
    out = outcome(
        SOLVERS[solver], "A", "longdouble", _OddDtypeOperator(dtype), _Y(None)
    )
    assert_close(_x(out), _x(_reference(solver, None)), rtol=1e-6)


# ---- kernels that could crash: in a subprocess --------------------------------
_RISKY = r"""
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.linalg import hadamard

import sparsela
from sparsela import penalties as pen

warnings.simplefilter("error")
warnings.simplefilter("ignore", DeprecationWarning)
rng = np.random.default_rng(0)
fails = []


def expect_error(fn, name):
    try:
        fn()
    except (ValueError, TypeError) as exc:
        if name not in str(exc):
            fails.append(f"{name} not named: {exc}")
    else:
        fails.append(f"no error for a bad {name}")


# validated constructors with inconsistent index arrays: the checks must stop
# them before any kernel reads out of bounds
D = sp.random(300, 200, density=0.05, random_state=1, format="csr")
for cls in (sparsela.CSR, sparsela.CSC):
    S = D if cls is sparsela.CSR else D.tocsc()
    bad = S.indices.astype(np.int64)
    bad[-1] = 10**12
    expect_error(lambda: cls(S.data, bad, S.indptr, S.shape), "indices")
    ptr = S.indptr.astype(np.int64)
    ptr[5] = ptr[6] + 7
    expect_error(lambda: cls(S.data, S.indices, ptr, S.shape), "indptr")
    ptr = S.indptr.astype(np.int64)
    ptr[-1] += 3
    expect_error(lambda: cls(S.data, S.indices, ptr, S.shape), "indptr")
C = D.tocoo()
row = C.row.astype(np.int64)
row[3] = -2
expect_error(lambda: sparsela.COO(C.data, row, C.col, C.shape), "row")
expect_error(lambda: sparsela.COO(C.data, C.row[:-1], C.col, C.shape), "row")
B = sp.bsr_array(D.toarray(), blocksize=(2, 2))
ind = B.indices.astype(np.int64)
ind[0] = 10**6
expect_error(lambda: sparsela.BSR(B.data, ind, B.indptr, B.shape), "indices")
Dn = np.zeros((64, 64))
Dn[:, ::4] = rng.standard_normal((64, 16))
Mn = sparsela.NM.from_dense(Dn, 1, 4)
pos = Mn.positions.astype(np.int64)
pos.flat[0] = 99
expect_error(lambda: sparsela.NM(Mn.values, pos, Mn.shape, 1, 4), "positions")

# big arrays in odd storage into every family of Numba kernel, against
# NumPy/SciPy: H_(2^16) = H_(2^8) kron H_(2^8)
x = rng.standard_normal(1 << 16)
H8 = hadamard(256).astype(float)
for dt in (">f8", np.longdouble, np.float16, ">c16", ">f4"):
    xs = x.astype(dt)
    want = (H8 @ xs.astype(complex).reshape(256, 256) @ H8.T).ravel() / 256.0
    got = sparsela.fwht(xs, normalized=True)
    if not np.allclose(got, want if np.dtype(dt).kind == "c" else want.real,
                       rtol=1e-4, atol=1e-4):
        fails.append(f"fwht {dt}")
M = sparsela.CSR.from_scipy(D)
v = rng.standard_normal(200)
for variant in (v.astype(">f8"), v[::-1].copy()[::-1], np.repeat(v, 3)[::3]):
    if not np.allclose(M @ variant, D @ v):
        fails.append("CSR @ variant")
ro = v.copy()
ro.setflags(write=False)
if not np.allclose(sparsela.CSC.from_scipy(D.tocsc()) @ ro, D @ v):
    fails.append("CSC @ read-only")
V = rng.standard_normal((5000, 3))
labels = np.arange(5000) % 50
out = pen.GroupL1(0.1, groups=labels).prox(V.astype(np.longdouble), [0.5, 1.0, 2.0])
want = np.empty_like(V)
for g in range(50):
    rows = labels == g
    nrm = np.linalg.norm(V[rows], axis=0)
    tau = 0.1 * np.array([0.5, 1.0, 2.0]) * np.sqrt(rows.sum())
    want[rows] = V[rows] * np.maximum(0, 1 - tau / nrm)
if out.dtype != np.float64 or not np.allclose(out, want):
    fails.append("GroupL1 longdouble")
out = pen.L1(0.1).prox(np.asfortranarray(V.astype(">f8")), [0.5, 1.0, 2.0])
tau = 0.1 * np.array([0.5, 1.0, 2.0])
if not np.allclose(out, np.sign(V) * np.maximum(np.abs(V) - tau, 0)):
    fails.append("L1 big-endian Fortran")
A = rng.standard_normal((80, 160))
y = A[:, :4].sum(1)
res = sparsela.omp(A.astype(np.float16), y.astype(">f8"), n_nonzero=4)
ref = sparsela.omp(A.astype(np.float16).astype(np.float32), y, n_nonzero=4)
if not np.array_equal(res.x, ref.x):
    fails.append("omp float16 / big-endian")
res = sparsela.fista(np.asfortranarray(A), y.astype(np.longdouble), lam=0.5)
ref = sparsela.fista(A, y, lam=0.5)
if not np.allclose(res.x, ref.x, rtol=1e-10, atol=1e-12):
    fails.append("fista longdouble")
print("FAILS", fails)
assert not fails, fails
"""


def test_risky_kernel_cases_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_RISKY)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode >= 0, (
        f"the subprocess crashed (signal {-proc.returncode}): {proc.stderr[-2000:]}"
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
