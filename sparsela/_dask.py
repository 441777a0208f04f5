"""Solvers over a Dask array of signals: one task per chunk of columns.

A solver decorated with :func:`over_dask_signals` accepts, in place of ``y``,
a Dask array of shape ``(m, n_signals)`` whose columns are chunked (rows are
made whole first). Each chunk is solved by the in-memory solver where it
lives, and the result's arrays are Dask arrays assembled from the chunks:
``x`` is ``(n, n_signals)``, the per-signal fields (``converged``,
``status``, ``n_iter``, ``residual_norm``, ...) have length ``n_signals``,
and list fields (``support``, ``selection``) are one ``dask.delayed`` object
that computes to the list. Nothing is computed until the caller asks.

``A`` is sent to the workers once: scattered to every worker when a
``dask.distributed`` client is active, else a single key of the graph that
every task shares. Dask is imported only when a Dask array comes in.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import check_problem, result_dtype

__all__ = ["is_dask_array", "over_dask_signals", "share"]

# per-signal fields of the result classes and the kind of their values:
# "real" follows the precision of the data
_VECTORS = {
    "converged": np.dtype(bool),
    "status": np.dtype(np.int64),
    "n_iter": np.dtype(np.int64),
    "residual_norm": "real",
    "objective": "real",
    "gap": "real",
    "step": "real",
    "noise_var": "real",
}
_MATRICES = {"x": "data", "gamma": "real", "codes": "data"}
_LISTS = ("support", "selection")


def is_dask_array(obj: Any) -> bool:
    """Whether ``obj`` is a Dask array (checked without importing Dask).

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_array(np.ones(3))
    False
    """
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "chunks")


def share(obj: Any) -> Any:
    """``obj`` as one graph input shared by every task: a Future scattered to
    every worker under an active ``dask.distributed`` client, else a delayed
    key of the graph (held once, whatever the number of tasks).

    Examples
    --------
    >>> import numpy as np
    >>> ref = share(np.eye(2))
    >>> ref.compute().shape
    (2, 2)
    """
    import dask

    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):  # no distributed, or no client running
        client = None
    if client is not None:
        return client.scatter(obj, broadcast=True, hash=False)
    return dask.delayed(obj, pure=True, traverse=False)


def _solve_block(func: Callable, A: Any, block: np.ndarray, kwargs: dict) -> Any:
    return func(A, block, **kwargs)


# options that may hold one value per signal: split with the chunks
_PER_SIGNAL_OPTIONS = ("lam", "tol")


def _chunk_options(kwargs: dict, lo: int, hi: int, n_signals: int) -> dict:
    out = dict(kwargs)
    for name in _PER_SIGNAL_OPTIONS:
        value = kwargs.get(name)
        if value is not None and np.ndim(value) == 1 and len(value) == n_signals:
            out[name] = np.asarray(value)[lo:hi]
    return out


def _field(res: Any, name: str) -> Any:
    return getattr(res, name)


def _lists(parts: list) -> list:
    return [item for part in parts for item in part]


def _dask_result(func, A, Y, kwargs, result_cls, n_cols: int, dtype) -> Any:
    import dask
    import dask.array as da

    real = np.finfo(dtype).dtype
    a_ref = share(A)
    blocks = Y.to_delayed()[0]
    widths = Y.chunks[1]
    solve = dask.delayed(_solve_block, pure=True)
    field = dask.delayed(_field, pure=True)
    bounds = np.cumsum((0, *widths))
    parts = [
        solve(func, a_ref, b, _chunk_options(kwargs, lo, hi, Y.shape[1]))
        for b, lo, hi in zip(blocks, bounds[:-1], bounds[1:], strict=True)
    ]
    names = {f.name for f in dataclasses.fields(result_cls)}
    values: dict[str, Any] = {}
    for name, kind in _MATRICES.items():
        if name in names:
            dt = dtype if kind == "data" else real
            values[name] = da.concatenate(
                [
                    da.from_delayed(field(p, name), shape=(n_cols, w), dtype=dt)
                    for p, w in zip(parts, widths, strict=True)
                ],
                axis=1,
            )
    for name, dt in _VECTORS.items():
        if name in names:
            dt = real if dt == "real" else dt
            values[name] = da.concatenate(
                [
                    da.from_delayed(field(p, name), shape=(w,), dtype=dt)
                    for p, w in zip(parts, widths, strict=True)
                ]
            )
    for name in _LISTS:
        if name in names:
            values[name] = dask.delayed(_lists, pure=True)(
                [field(p, name) for p in parts]
            )
    values["message"] = (
        f"lazy Dask result over {len(parts)} chunk(s) of signals: compute "
        "`status` for each signal's sparsela.Status"
    )
    return result_cls(**values)


def _single(res: Any) -> Any:
    """The fields of a one-column Dask result, for a 1-D ``y``."""
    import dask

    for name in _MATRICES:
        if getattr(res, name, None) is not None:
            setattr(res, name, getattr(res, name)[:, 0])
    for name in _VECTORS:
        if getattr(res, name, None) is not None:
            setattr(res, name, getattr(res, name)[0])
    for name in _LISTS:
        if getattr(res, name, None) is not None:
            setattr(res, name, dask.delayed(_first, pure=True)(getattr(res, name)))
    return res


def _first(items: list) -> Any:
    return items[0]


def over_dask_signals(
    result_cls: type,
    *,
    couples: Callable[[dict], bool] | None = None,
    refuse: tuple[str, ...] = ("callback",),
) -> Callable:
    """Decorate a solver ``func(A, y, **options)`` so that ``y`` may be a Dask
    array of signals (see the module docstring).

    Parameters
    ----------
    result_cls : type
        The solver's result class (fields of the lazy result).
    couples : callable, optional
        ``couples(options)`` is True when the options couple the signals
        (``joint=True``): then ``y`` must be one chunk along its columns, and
        the coupled problem is solved as one task.
    refuse : tuple of str
        Options that cannot cross to the workers (a callback runs where the
        signals are); refused with a ``ValueError`` when given.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela._result import SolverResult
    >>> @over_dask_signals(SolverResult)
    ... def solver(A, y):
    ...     return SolverResult(x=np.linalg.lstsq(A, y, rcond=None)[0])
    >>> solver(np.eye(2), np.ones(2)).x
    array([1., 1.])
    """

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def inner(A: Any, y: Any, *args: Any, **kwargs: Any) -> Any:
            if not is_dask_array(y):
                return func(A, y, *args, **kwargs)
            if args:
                raise TypeError(f"{func.__name__}() takes options as keywords only")
            return _dispatch(A, y, kwargs)

        def _dispatch(A, y, kwargs):
            for name in refuse:
                if kwargs.get(name) not in (None, False):
                    raise ValueError(
                        f"{name} is not supported when y is a Dask array "
                        "(the chunks are solved on the workers)"
                    )
            if y.ndim not in (1, 2):
                raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}")
            # validate A and the shapes on the client, before any task runs
            probe = np.zeros((y.shape[0], 1), dtype=result_dtype(y.dtype))
            op = check_problem(A, probe).A
            dtype = result_dtype(op.dtype, y.dtype)
            single = y.ndim == 1
            Y = y[:, None] if single else y
            if len(Y.chunks[0]) > 1:
                Y = Y.rechunk({0: -1})  # rows whole: a chunk is whole signals
            if couples is not None and couples(kwargs):
                if len(Y.chunks[1]) > 1:
                    raise ValueError(
                        f"joint=True couples the signals: y must not be chunked "
                        f"along its columns (got {len(Y.chunks[1])} chunks; use "
                        "y.rechunk({1: -1}))"
                    )
                return func(A, y.compute(), **kwargs)
            # the tasks call the public function (importable by name on the
            # workers); there it gets NumPy blocks and takes the usual path
            res = _dask_result(inner, A, Y, kwargs, result_cls, op.shape[1], dtype)
            return _single(res) if single else res

        return inner

    return wrap
