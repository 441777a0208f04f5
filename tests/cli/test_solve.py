"""`sparsela solve`: problems from files, the same answers as the Python calls,
one-line errors for bad files, nothing unpickled."""

import gzip
import shutil
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import sparsela
from sparsela.cli import main


@pytest.fixture
def problem(tmp_path):
    rng = np.random.default_rng(3)
    A = sp.random(60, 120, density=0.2, random_state=rng, format="coo")
    X = np.zeros((120, 3))
    for j in range(3):
        X[rng.choice(120, 4, replace=False), j] = rng.standard_normal(4)
    Y = A @ X
    scipy.io.mmwrite(tmp_path / "A.mtx", A)
    np.save(tmp_path / "y.npy", Y[:, 0])
    return tmp_path, A.tocsr(), X, Y


def _solve(capsys, *args):
    code = main(["solve", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_matrix_market_round_trip_matches_the_python_call(problem, capsys):
    d, A, X, Y = problem
    code, out, err = _solve(
        capsys, d / "A.mtx", d / "y.npy", "--n-nonzero", 4, "-o", d / "x.npy"
    )
    assert code == 0, err
    x = np.load(d / "x.npy")
    np.testing.assert_array_equal(x, sparsela.omp(A, Y[:, 0], n_nonzero=4).x)
    np.testing.assert_allclose(x, X[:, 0], atol=1e-10)
    assert "support size   4" in out and "1/1 converged" in out
    assert str(d / "x.npy") in out


@pytest.mark.parametrize("kind", ["mtx.gz", "npz", "npy"])
def test_every_matrix_format_gives_the_same_x(problem, capsys, kind):
    d, A, X, Y = problem
    path = d / f"A2.{kind}"
    if kind == "mtx.gz":
        with open(d / "A.mtx", "rb") as src, gzip.open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    elif kind == "npz":
        sp.save_npz(path, sp.csr_matrix(A))
    else:
        np.save(path, A.toarray())
    scipy.io.mmwrite(d / "Y.mtx", Y)  # three signals, dense Matrix Market
    code, out, err = _solve(
        capsys, path, d / "Y.mtx", "--n-nonzero", 4, "-o", d / "X.npy"
    )
    assert code == 0, err
    np.testing.assert_allclose(np.load(d / "X.npy"), X, atol=1e-10)
    assert "3/3 converged" in out


def test_fista_with_lam_ratio_and_sbl(problem, capsys):
    d, A, X, Y = problem
    code, out, err = _solve(
        capsys, d / "A.mtx", d / "y.npy", "--method", "fista", "--lam-ratio",
        0.01, "--tol", 1e-8, "-o", d / "xf.npy",
    )  # fmt: skip
    assert code == 0, err
    lam = 0.01 * sparsela.lambda_max(A, Y[:, 0])
    ref = sparsela.fista(A, Y[:, 0], lam=lam, tol=1e-8).x
    np.testing.assert_allclose(np.load(d / "xf.npy"), ref, rtol=1e-12, atol=1e-14)
    code, out, err = _solve(
        capsys, d / "A.mtx", d / "y.npy", "--method", "sbl", "-o", d / "xs.npy"
    )
    assert code in (0, 1), err
    np.testing.assert_array_equal(np.load(d / "xs.npy"), sparsela.sbl(A, Y[:, 0]).x)


def test_bcd_from_files(problem, capsys):
    d, A, X, Y = problem
    code, out, err = _solve(
        capsys, d / "A.mtx", d / "y.npy", "--method", "bcd", "--lam-ratio", 0.01,
        "--tol", 1e-10, "-o", d / "xb.npy",
    )  # fmt: skip
    assert code == 0, err
    lam = 0.01 * sparsela.lambda_max(A, Y[:, 0])
    ref = sparsela.bcd(A, Y[:, 0], lam=lam, tol=1e-10).x
    np.testing.assert_allclose(np.load(d / "xb.npy"), ref, rtol=1e-12, atol=1e-14)
    assert "1/1 converged" in out


def test_pickled_npy_is_refused_without_unpickling(problem, capsys):
    d, *_ = problem
    bad = d / "bad.npy"
    np.save(bad, np.array([{"payload": 1}], dtype=object), allow_pickle=True)
    for args in ((bad, d / "y.npy"), (d / "A.mtx", bad)):
        code, out, err = _solve(capsys, *args, "-o", d / "x.npy")
        assert code == 2
        assert "pickled" in err and "refusing" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (d / "x.npy").exists()


@pytest.mark.parametrize(
    "case, words",
    [
        ("missing", "no such file"),
        ("extension", "unknown file type"),
        ("garbage", "Matrix Market"),
        ("shapes", "y must have 60 rows"),
        ("option", "does not take --lam"),
        ("output", "--output must end in .npy"),
    ],
)
def test_bad_input_gives_one_line(problem, capsys, case, words):
    d, A, X, Y = problem
    A_path, y_path, extra = d / "A.mtx", d / "y.npy", []
    if case == "missing":
        A_path = d / "nothing.mtx"
    elif case == "extension":
        A_path = d / "A.csv"
        A_path.write_text("1,2\n")
    elif case == "garbage":
        A_path = d / "junk.mtx"
        A_path.write_text("not a matrix market file\n")
    elif case == "shapes":
        np.save(d / "short.npy", np.ones(7))
        y_path = d / "short.npy"
    elif case == "option":
        extra = ["--lam", "0.1"]
    else:
        extra = ["-o", str(d / "x.txt")]
    code, out, err = _solve(capsys, A_path, y_path, *extra)
    assert code == 2
    assert err.startswith("sparsela solve: error: ")
    assert words in err and len(err.strip().splitlines()) == 1


def test_python_m_sparsela_solve(problem):
    d, *_ = problem
    proc = subprocess.run(
        [sys.executable, "-m", "sparsela", "solve", str(d / "A.mtx"),
         str(d / "y.npy"), "--n-nonzero", "4", "-o", str(d / "x.npy")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (d / "x.npy").exists() and "converged" in proc.stdout
