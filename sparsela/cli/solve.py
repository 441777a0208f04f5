"""``sparsela solve A y --method ...``: a sparse recovery problem from files.

The matrix ``A`` is read from Matrix Market (``.mtx``, ``.mtx.gz``), a SciPy
sparse ``.npz`` (:func:`scipy.sparse.save_npz`) or a NumPy ``.npy`` file; the
signals ``y`` from ``.npy`` or ``.mtx`` (one signal per column). Nothing is
ever unpickled: a pickled (object) array is refused. The solution ``x`` is
written as ``.npy`` and a summary is printed.
"""

from __future__ import annotations

import argparse
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["METHODS", "add_parser", "load_matrix", "load_signals", "run"]

#: solver name -> the command-line options it takes (beyond A and y)
METHODS: dict[str, tuple[str, ...]] = {
    "omp": ("n_nonzero", "tol"),
    "mp": ("n_nonzero", "tol", "max_iter"),
    "fista": ("lam", "lam_ratio", "tol", "max_iter"),
    "ista": ("lam", "lam_ratio", "tol", "max_iter"),
    "bcd": ("lam", "lam_ratio", "tol", "max_iter"),
    "sbl": ("noise_var", "tol", "max_iter"),
}


class InputError(ValueError):
    """A file that cannot be read as the command needs (one-line message)."""


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".mtx.gz" if name.endswith(".mtx.gz") else path.suffix.lower()


def _load_npy(path: Path, what: str) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise InputError(
                f"{what}: {path} holds a pickled (object) array; refusing to "
                "unpickle it (save a numeric array with numpy.save)"
            ) from None
        raise InputError(f"{what}: {path} is not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{what}: cannot read {path} as .npy ({exc})") from None
    if not isinstance(arr, np.ndarray):  # np.load gives an NpzFile for .npz
        raise InputError(f"{what}: {path} is an .npz archive, not an .npy file")
    if arr.dtype.kind not in "biufc":
        raise InputError(f"{what}: {path} holds dtype {arr.dtype}, not numbers")
    return arr


def _load_mtx(path: Path, what: str) -> Any:
    import scipy.io

    try:
        return scipy.io.mmread(str(path))
    except (ValueError, OSError, EOFError, IndexError) as exc:
        raise InputError(
            f"{what}: cannot read {path} as Matrix Market ({exc})"
        ) from None


def _check_exists(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what}: no such file: {p}")
    return p


def load_matrix(path: str | Path) -> Any:
    """Read the matrix ``A``: a SciPy sparse array or a 2-D ndarray.

    Parameters
    ----------
    path : str or Path
        ``.mtx`` or ``.mtx.gz`` (Matrix Market), ``.npz`` (SciPy sparse,
        :func:`scipy.sparse.save_npz`) or ``.npy`` (dense, not pickled).

    Returns
    -------
    scipy.sparse array or ndarray

    Raises
    ------
    ValueError
        A missing file, an unknown extension, a file that is not what its
        extension says, a pickled array, or an array that is not 2-D.

    Examples
    --------
    >>> import numpy as np, scipy.io, scipy.sparse as sp, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "A.mtx")
    >>> scipy.io.mmwrite(path, sp.eye(3, format="coo"))
    >>> load_matrix(path).shape
    (3, 3)
    """
    import scipy.sparse as sp

    p = _check_exists(path, "A")
    kind = _suffix(p)
    if kind in (".mtx", ".mtx.gz"):
        A = _load_mtx(p, "A")
    elif kind == ".npz":
        try:
            A = sp.load_npz(p)
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise InputError(
                f"A: {p} is not a SciPy sparse .npz file (scipy.sparse.save_npz): {exc}"
            ) from None
    elif kind == ".npy":
        A = _load_npy(p, "A")
    else:
        raise InputError(
            f"A: unknown file type {p.name!r}; use .mtx, .mtx.gz, .npz or .npy"
        )
    if A.ndim != 2:
        raise InputError(f"A: {p} holds a {A.ndim}-D array, expected a matrix")
    return A


def load_signals(path: str | Path) -> np.ndarray:
    """Read the signals ``y``: ``(m,)`` or ``(m, n_signals)`` (signals are columns).

    Parameters
    ----------
    path : str or Path
        ``.npy`` (not pickled) or ``.mtx`` / ``.mtx.gz`` (Matrix Market; a
        single-column matrix becomes a vector).

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "y.npy")
    >>> np.save(path, np.ones(4))
    >>> load_signals(path).shape
    (4,)
    """
    import scipy.sparse as sp

    p = _check_exists(path, "y")
    kind = _suffix(p)
    if kind == ".npy":
        y = _load_npy(p, "y")
    elif kind in (".mtx", ".mtx.gz"):
        y = _load_mtx(p, "y")
        y = y.toarray() if sp.issparse(y) else np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
    else:
        raise InputError(f"y: unknown file type {p.name!r}; use .npy, .mtx or .mtx.gz")
    if y.ndim not in (1, 2):
        raise InputError(f"y: {p} holds a {y.ndim}-D array, expected 1-D or 2-D")
    return y


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``solve`` sub-command to the ``sparsela`` argument parser."""
    p = sub.add_parser(
        "solve",
        help="solve y = A x for a sparse x, from files",
        description="Recover a sparse x from y = A x (+ noise). A: .mtx, .mtx.gz, "
        ".npz (scipy.sparse.save_npz) or .npy; y: .npy or .mtx, one signal per "
        "column. Pickled files are refused. Writes x as .npy.",
    )
    p.add_argument("A", help="the matrix (.mtx, .mtx.gz, .npz, .npy)")
    p.add_argument("y", help="the signals (.npy, .mtx); columns are signals")
    p.add_argument("--method", choices=sorted(METHODS), default="omp")
    p.add_argument("-o", "--output", default="x.npy", help="where to write x (.npy)")
    p.add_argument("--n-nonzero", type=int, help="omp, mp: nonzeros per signal")
    p.add_argument("--tol", type=float, help="stopping tolerance of the solver")
    p.add_argument("--max-iter", type=int, help="iteration limit")
    p.add_argument("--lam", type=float, help="fista, ista, bcd: l1 weight")
    p.add_argument(
        "--lam-ratio",
        type=float,
        help="fista, ista, bcd: l1 weight as a fraction of lambda_max(A, y)",
    )
    p.add_argument("--noise-var", type=float, help="sbl: known noise variance")
    return p


def _options(args: argparse.Namespace) -> dict[str, Any]:
    taken = METHODS[args.method]
    given = {
        name: getattr(args, name)
        for name in ("n_nonzero", "tol", "max_iter", "lam", "lam_ratio", "noise_var")
        if getattr(args, name) is not None
    }
    extra = sorted(set(given) - set(taken))
    if extra:
        flags = ", ".join("--" + name.replace("_", "-") for name in extra)
        raise InputError(f"--method {args.method} does not take {flags}")
    if "lam" in given and "lam_ratio" in given:
        raise InputError("give --lam or --lam-ratio, not both")
    return given


def run(args: argparse.Namespace) -> int:
    """Run ``sparsela solve`` for parsed arguments; print a summary.

    Returns the exit status: 0 when every signal converged, 1 when a solver
    stopped early (the summary says why), 2 for bad input (a one-line
    ``sparsela solve: error: ...`` on standard error).
    """
    import sparsela

    opts = _options(args)
    out = Path(args.output)
    if out.suffix.lower() != ".npy":
        raise InputError(f"--output must end in .npy, got {str(out)!r}")
    if not out.parent.is_dir():
        raise InputError(f"--output: no such folder: {out.parent}")
    A = load_matrix(args.A)
    y = load_signals(args.y)
    if args.method in ("fista", "ista", "bcd"):
        ratio = opts.pop("lam_ratio", None)
        if ratio is not None:
            opts["lam"] = ratio * sparsela.lambda_max(A, y)
    from . import _compile_time

    solver = getattr(sparsela, args.method)
    with _compile_time() as compiling:
        t0 = time.perf_counter()
        res = solver(A, y, **opts)
        elapsed = time.perf_counter() - t0
    np.save(out, np.asarray(res.x), allow_pickle=False)
    conv = np.atleast_1d(res.converged)
    sizes = [len(s) for s in (res.support if y.ndim == 2 else [res.support])]
    resid = np.atleast_1d(res.residual_norm)
    print(f"sparsela solve: {args.method} on A {A.shape[0]} x {A.shape[1]}, ", end="")
    print(f"{conv.size} signal{'s' if conv.size > 1 else ''}")
    print(f"  support size   {min(sizes)}" + (f"..{max(sizes)}" if y.ndim == 2 else ""))
    print(f"  residual norm  {resid.max():.3g}" + (" (largest)" if y.ndim == 2 else ""))
    print(f"  status         {int(conv.sum())}/{conv.size} converged: {res.message}")
    c = compiling.total
    extra = f" (+{c:.1f} s compiling, cached for next time)" if c > 0.05 else ""
    print(f"  time           {elapsed - c:.3f} s{extra}")
    print(f"  x written to   {out}")
    return 0 if conv.all() else 1
