"""Block operators: BlockDiag, HStack, VStack."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import get_namespace
from ._base import LinearOperator
from ._convert import named_operator

__all__ = ["BlockDiag", "HStack", "VStack"]


def _as_ops(ops: Any, name: str) -> tuple[LinearOperator, ...]:
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = tuple(ops[0])
    if not ops:
        raise ValueError(f"{name} needs at least one operator")
    return tuple(named_operator(op, f"ops[{i}]") for i, op in enumerate(ops))


def _offsets(sizes):
    return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


class BlockDiag(LinearOperator):
    """Block-diagonal operator ``diag(A_1, ..., A_k)``.

    Parameters
    ----------
    *ops : array_like or LinearOperator
        The diagonal blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import BlockDiag
    >>> B = BlockDiag(np.eye(2), 3 * np.eye(1))
    >>> B @ np.ones(3)
    array([1., 1., 3.])
    """

    def __init__(self, *ops: Any) -> None:
        ops = _as_ops(ops, "BlockDiag")
        self.ops = ops
        self._row = _offsets([op.shape[0] for op in ops])
        self._col = _offsets([op.shape[1] for op in ops])
        super().__init__(
            (int(self._row[-1]), int(self._col[-1])),
            np.result_type(*[op.dtype for op in ops]),
        )

    def _apply(self, X, adjoint):
        xp = get_namespace(X)
        src, dst = (self._row, self._col) if adjoint else (self._col, self._row)
        parts = []
        for i, op in enumerate(self.ops):
            Xi = X[src[i] : src[i + 1]]
            parts.append(op._rmatmat(Xi) if adjoint else op._matmat(Xi))
        return xp.concatenate(parts, axis=0) if parts else X[:0]

    def _matmat(self, X):
        return self._apply(X, False)

    def _rmatmat(self, Y):
        return self._apply(Y, True)

    def _matvec(self, x):
        return self._apply(x[:, None], False)[:, 0]

    def _rmatvec(self, y):
        return self._apply(y[:, None], True)[:, 0]

    def _adjoint(self):
        return BlockDiag(*[op.H for op in self.ops])

    def normal(self):
        return BlockDiag(*[op.normal() for op in self.ops])


class HStack(LinearOperator):
    """Horizontal stack ``[A_1, A_2, ..., A_k]`` (same number of rows).

    Parameters
    ----------
    *ops : operator or array_like
        The blocks, left to right (anything :func:`aslinearoperator` takes).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import HStack
    >>> H = HStack(np.eye(2), 2 * np.eye(2))
    >>> H @ np.ones(4)
    array([3., 3.])
    """

    def __init__(self, *ops: Any) -> None:
        ops = _as_ops(ops, "HStack")
        rows = {op.shape[0] for op in ops}
        if len(rows) != 1:
            raise ValueError(
                "HStack operators must have the same number of rows, "
                f"got {sorted(rows)}"
            )
        self.ops = ops
        self._col = _offsets([op.shape[1] for op in ops])
        super().__init__(
            (ops[0].shape[0], int(self._col[-1])),
            np.result_type(*[op.dtype for op in ops]),
        )

    def _matmat(self, X):
        out = None
        for i, op in enumerate(self.ops):
            part = op._matmat(X[self._col[i] : self._col[i + 1]])
            out = part if out is None else out + part
        return out

    def _rmatmat(self, Y):
        xp = get_namespace(Y)
        return xp.concatenate([op._rmatmat(Y) for op in self.ops], axis=0)

    def _matvec(self, x):
        return self._matmat(x[:, None])[:, 0]

    def _rmatvec(self, y):
        return self._rmatmat(y[:, None])[:, 0]

    def _adjoint(self):
        return VStack(*[op.H for op in self.ops])


class VStack(LinearOperator):
    """Vertical stack ``[A_1; A_2; ...; A_k]`` (same number of columns).

    Parameters
    ----------
    *ops : operator or array_like
        The blocks, top to bottom (anything :func:`aslinearoperator` takes).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.operators import VStack
    >>> V = VStack(np.eye(2), 2 * np.eye(2))
    >>> V @ np.ones(2)
    array([1., 1., 2., 2.])
    """

    def __init__(self, *ops: Any) -> None:
        ops = _as_ops(ops, "VStack")
        cols = {op.shape[1] for op in ops}
        if len(cols) != 1:
            raise ValueError(
                "VStack operators must have the same number of columns, "
                f"got {sorted(cols)}"
            )
        self.ops = ops
        self._row = _offsets([op.shape[0] for op in ops])
        super().__init__(
            (int(self._row[-1]), ops[0].shape[1]),
            np.result_type(*[op.dtype for op in ops]),
        )

    def _matmat(self, X):
        xp = get_namespace(X)
        return xp.concatenate([op._matmat(X) for op in self.ops], axis=0)

    def _rmatmat(self, Y):
        out = None
        for i, op in enumerate(self.ops):
            part = op._rmatmat(Y[self._row[i] : self._row[i + 1]])
            out = part if out is None else out + part
        return out

    def _matvec(self, x):
        return self._matmat(x[:, None])[:, 0]

    def _rmatvec(self, y):
        return self._rmatmat(y[:, None])[:, 0]

    def _adjoint(self):
        return HStack(*[op.H for op in self.ops])
