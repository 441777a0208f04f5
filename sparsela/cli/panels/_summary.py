"""What a demo panel returns: its line of text, and one error it measured."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Summary"]


class Summary(NamedTuple):
    """One panel's outcome.

    Attributes
    ----------
    text : str
        One-line summary, printed after the panel's title.
    error : float
        The error the panel measured (see ``measure``), for the demo's table.
    measure : str
        What ``error`` is, in a few words (``"relative error of x"``, ...).

    Examples
    --------
    >>> Summary("recovered", 1e-3, "relative error of x").error
    0.001
    """

    text: str
    error: float
    measure: str
