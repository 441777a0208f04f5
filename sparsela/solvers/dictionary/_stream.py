"""Dictionary learning and coding over Dask arrays of signals.

``sparse_encode`` of a Dask array codes each chunk of columns where it lives
(the dictionary and its Gram matrix scattered once) and returns a lazy Dask
array. ``OnlineDictionaryLearning.partial_fit`` and
``dictionary_learning(method="online" | "online_orthogonal")`` stream over the
chunks: one chunk is computed, fed to the learner in mini-batches and
dropped, so that memory is bounded by a chunk, whatever the number of
signals. The other methods need every signal at once and refuse a Dask array.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..._dask import share

__all__ = ["encode_chunks", "iter_batches", "stream_learn"]


def iter_batches(Y: Any, rows: bool, batch_size: int | None) -> Iterator[np.ndarray]:
    """Mini-batches of a 2-D Dask array of signals (columns, or rows with
    ``rows=True``), in order and in the array's layout: one chunk is computed
    at a time, then cut into batches of at most ``batch_size`` signals (the
    whole chunk when None)."""
    axis = 0 if rows else 1
    feat = 1 - axis
    if len(Y.chunks[feat]) > 1:
        Y = Y.rechunk({feat: -1})  # a chunk holds whole signals
    blocks = Y.to_delayed()[:, 0] if rows else Y.to_delayed()[0]
    for block in blocks:
        chunk = np.asarray(block.compute())
        step = chunk.shape[axis] if batch_size is None else batch_size
        for lo in range(0, chunk.shape[axis], max(step, 1)):
            yield chunk[lo : lo + step] if rows else chunk[:, lo : lo + step]


def _encode_block(func: Callable, block: np.ndarray, D: Any, kwargs: dict) -> Any:
    return func(block, D, **kwargs)


def encode_chunks(func: Callable, Y: Any, D: np.ndarray, kwargs: dict) -> Any:
    """``func(Y, D, **kwargs)`` (``sparse_encode``) chunk by chunk, lazily.

    ``D`` has been validated by the caller (atoms in columns); its Gram
    matrix, when the method uses one and none is given, is computed once
    here and shared with every task.
    """
    import dask
    import dask.array as da

    rows = kwargs.get("signals", "columns") == "rows"
    single = Y.ndim == 1
    Yc = Y[:, None] if single else (Y.T if rows else Y)
    if len(Yc.chunks[0]) > 1:
        Yc = Yc.rechunk({0: -1})
    kw = dict(kwargs, signals="columns")
    if kw.get("method", "omp") in ("omp", "mp") and kw.get("gram") is None:
        kw["gram"] = share(D.conj().T @ D)
    d_ref = share(D)
    dtype = np.result_type(D.dtype, Yc.dtype)
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    task = dask.delayed(_encode_block, pure=True)
    parts = [
        da.from_delayed(task(func, b, d_ref, kw), shape=(D.shape[1], w), dtype=dtype)
        for b, w in zip(Yc.to_delayed()[0], Yc.chunks[1], strict=True)
    ]
    X = da.concatenate(parts, axis=1)
    if single:
        return X[:, 0]
    return X.T if rows else X


def stream_learn(
    learner: Any,
    Y: Any,
    *,
    rows: bool,
    max_iter: int,
    batch_size: int,
    tol: float,
    callback: Callable | None,
) -> tuple[np.ndarray, dict, int, int]:
    """Epochs of ``learner.partial_fit`` over the chunks of ``Y`` in
    mini-batches; returns ``(D, history, n_iter, status)``.

    Stops when the dictionary moves by at most ``tol`` over an epoch
    (``||D_k - D_{k-1}||_F / sqrt(n_atoms)``), after ``max_iter`` epochs, or
    when ``callback(D)`` returns True.
    """
    from ..._result import Status

    history: dict[str, list] = {"change": [], "time": []}
    t0 = time.perf_counter()
    D_prev = None
    status = int(Status.MAX_ITER)
    n_iter = 0
    for epoch in range(max_iter):
        for batch in iter_batches(Y, rows, batch_size):
            learner.partial_fit(batch)
        n_iter = epoch + 1
        D = learner._current().copy()
        change = (
            np.inf
            if D_prev is None
            else float(np.linalg.norm(D - D_prev) / np.sqrt(D.shape[1]))
        )
        history["change"].append(change)
        history["time"].append(time.perf_counter() - t0)
        D_prev = D
        if callback is not None and callback(D.copy()):
            status = int(Status.CALLBACK)
            break
        if change <= tol:
            status = int(Status.CONVERGED)
            break
    return D_prev, history, n_iter, status
