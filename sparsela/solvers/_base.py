"""The iteration skeleton every iterative solver runs on.

A solver keeps its per-signal working arrays in a state object and lets
:func:`run` drive it:

* ``state.active`` -- an :class:`ActiveSet`: which signals still run, with
  their status and iteration counts;
* ``state.step()`` -- one iteration for every running signal; may return a
  boolean mask (over the running signals) of those that hit a numerical stop;
* ``state.converged()`` -- mask of the running signals that meet the rule;
* ``state.stalled()`` (optional) -- mask of running signals that cannot make
  progress in the working precision, checked after ``converged``;
* ``state.retire(done)`` -- write out the running signals flagged ``done``
  and drop them from the working arrays (``state.active.index`` still maps
  the running signals to the caller's columns when it is called);
* ``state.solution()`` -- the current ``x`` of every signal, ``(n, n_signals)``;
* ``state.record()`` (optional) -- values for the history of this iteration.

Finished signals cost no more work, the callback sees ``x`` shaped as the
result's ``x``, and every solver reports through the same :class:`Status`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._result import Status

__all__ = ["ActiveSet", "History", "IterativeState", "run"]


class ActiveSet:
    """The running signals of a batch, with per-signal status and iterations.

    Parameters
    ----------
    n_signals : int
        Size of the batch.

    Attributes
    ----------
    index : ndarray of int
        Columns (in the caller's numbering) of the signals still running, in
        the order of the state's working arrays.
    status : ndarray of int
        Final :class:`~sparsela.Status` of every signal
        (``MAX_ITER`` until a signal stops).
    n_iter : ndarray of int
        Iterations done by every signal.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers._base import ActiveSet
    >>> act = ActiveSet(3)
    >>> act.stop(np.array([False, True, False]), 0)
    >>> act.index, act.status
    (array([0, 2]), array([1, 0, 1]))
    """

    def __init__(self, n_signals: int) -> None:
        self.index = np.arange(n_signals)
        self.status = np.full(n_signals, int(Status.MAX_ITER), dtype=np.int64)
        self.n_iter = np.zeros(n_signals, dtype=np.int64)

    @property
    def size(self) -> int:
        """Number of running signals."""
        return int(self.index.size)

    def stop(self, done: np.ndarray, status: int) -> None:
        """Give the running signals flagged ``done`` their status; drop them."""
        self.status[self.index[done]] = int(status)
        self.index = self.index[~done]


class History:
    """Per-iteration records: named values and the elapsed time.

    Examples
    --------
    >>> from sparsela.solvers._base import History
    >>> h = History()
    >>> h.record(objective=1.0)
    >>> sorted(h.as_dict())
    ['objective', 'time']
    """

    def __init__(self, start: float | None = None) -> None:
        self.start = time.perf_counter() if start is None else start
        self.values: dict[str, list] = {}

    def record(self, **values: Any) -> None:
        """Append one iteration's values (and the time since ``start``)."""
        for key, value in values.items():
            self.values.setdefault(key, []).append(value)
        self.values.setdefault("time", []).append(time.perf_counter() - self.start)

    def as_dict(self) -> dict[str, list]:
        """The records as a dict of lists (the result's ``history``)."""
        return self.values


class IterativeState:
    """Base of the solver states: the optional hooks with their defaults.

    A subclass sets ``active`` and implements ``step``, ``converged``,
    ``retire`` and ``solution`` (see the module docstring).
    """

    active: ActiveSet

    def step(self) -> np.ndarray | None:  # pragma: no cover - interface
        raise NotImplementedError

    def converged(self) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def stalled(self) -> np.ndarray | None:
        return None

    def retire(self, done: np.ndarray) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def solution(self) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def record(self) -> dict[str, Any] | None:
        return None


def _stop(state: IterativeState, done: np.ndarray | None, status: int) -> None:
    if done is None:
        return
    done = np.asarray(done, dtype=bool)
    if done.any():
        state.retire(done)
        state.active.stop(done, status)


def run(
    state: IterativeState,
    *,
    max_iter: int,
    callback: Any = None,
    single: bool = False,
    history: History | None = None,
    check_start: bool = True,
) -> None:
    """Drive ``state`` until every signal has stopped or ``max_iter`` is spent.

    Parameters
    ----------
    state : IterativeState
        The solver's state; its ``active`` set ends with every signal's
        status and iteration count.
    max_iter : int
        Largest number of iterations of any signal.
    callback : callable, optional
        ``callback(xk)`` after each iteration, ``xk`` shaped as the result's
        ``x`` (``(n,)`` when ``single``); returning True stops every running
        signal with ``Status.CALLBACK``.
    single : bool, default=False
        The caller passed one 1-D signal.
    history : History, optional
        Receives ``state.record()`` after each iteration.
    check_start : bool, default=True
        Test the stopping rule before the first iteration (``x0`` may be
        optimal already).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.solvers._base import ActiveSet, IterativeState, run
    >>> class Halve(IterativeState):  # x <- x / 2 until |x| <= 1
    ...     def __init__(self, x):
    ...         self.x, self.active = np.array(x, float), ActiveSet(len(x))
    ...     def step(self):
    ...         self.x[self.active.index] /= 2
    ...     def converged(self):
    ...         return np.abs(self.x[self.active.index]) <= 1
    ...     def retire(self, done):
    ...         pass
    ...     def solution(self):
    ...         return self.x[None, :]
    >>> s = Halve([8.0, 0.5, 3.0])
    >>> run(s, max_iter=10)
    >>> s.active.n_iter, s.active.status
    (array([3, 0, 2]), array([0, 0, 0]))
    """
    active = state.active
    if check_start:
        _stop(state, state.converged(), Status.CONVERGED)
    for _ in range(max_iter):
        if active.size == 0:
            break
        numerical = state.step()
        active.n_iter[active.index] += 1
        if history is not None:
            history.record(**(state.record() or {}))
        stop = False
        if callback is not None:
            x = state.solution()
            stop = callback(x[:, 0] if single else x) is True
        _stop(state, numerical, Status.NUMERICAL)
        _stop(state, state.converged(), Status.CONVERGED)
        _stop(state, state.stalled(), Status.NUMERICAL)
        if stop:
            _stop(state, np.ones(active.size, dtype=bool), Status.CALLBACK)
    _stop(state, np.ones(active.size, dtype=bool), Status.MAX_ITER)
