"""Progress of long runs: a tqdm bar when tqdm is installed, lines otherwise.

Used by the solvers' ``verbose=True`` and by the long commands of the
``sparsela`` command line (quiet when the output is not a terminal).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress"]


class _Quiet:
    def update(self, **values: Any) -> None:
        pass

    def close(self) -> None:
        pass


class _Lines:
    """Fallback without tqdm: one line per iteration on stderr."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.n = total, desc, 0

    def update(self, **values: Any) -> None:
        self.n += 1
        shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
        print(f"{self.desc}: {self.n}/{self.total} {shown}", file=sys.stderr)

    def close(self) -> None:
        pass


class _Bar:
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def update(self, **values: Any) -> None:
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def progress(total: int, desc: str, enabled: bool) -> Any:
    """An object with ``update(**values)`` (one iteration done) and
    ``close()``: silent, a tqdm bar, or plain lines when tqdm is missing.

    Parameters
    ----------
    total : int
        Number of iterations expected.
    desc : str
        Label of the bar (or prefix of the lines).
    enabled : bool
        False gives the silent object; so does a standard error that is not
        a terminal (a log file, a pipe).

    Returns
    -------
    object
        With ``update(**values)`` and ``close()``.

    Examples
    --------
    >>> bar = progress(3, "work", enabled=False)
    >>> bar.update(loss=0.5); bar.close()
    """
    if not enabled or not _on_terminal():
        return _Quiet()  # no bars in logs and pipes
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional
        return _Lines(total, desc)
    return _Bar(tqdm(total=total, desc=desc, file=sys.stderr))


def _on_terminal() -> bool:
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())
