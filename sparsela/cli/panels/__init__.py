"""The panels of ``sparsela demo``, one module each.

Every panel module exposes the same two names:

``TITLE`` : str
    The panel's title, printed before its summary and drawn above its axes.
``panel(ax=None, *, random_state=0) -> str``
    Runs the panel's problem, draws it on the matplotlib Axes ``ax``
    (nothing is drawn when ``ax`` is None) and returns a one-line summary.
    ``random_state`` seeds every random draw of the panel.

:data:`PANELS` is the one ordered list that :func:`sparsela.cli.demo` walks.
Panels call the library through its public API (``sparsela.omp``,
``sparsela.fista``, ...). To add a panel, add a module with ``TITLE`` and
``panel`` here and list it in :data:`PANELS`.

Examples
--------
>>> from sparsela.cli.panels import PANELS
>>> [p.__name__.rsplit(".", 1)[-1] for p in PANELS]  # doctest: +NORMALIZE_WHITESPACE
['fwht', 'csr', 'nm', 'kronecker', 'omp', 'lasso', 'bcd', 'kron_sbl',
 'sparse_wht', 'dictionary', 'sparse_layer']
"""

from __future__ import annotations

from . import (
    bcd,
    csr,
    dictionary,
    fwht,
    kron_sbl,
    kronecker,
    lasso,
    nm,
    omp,
    sparse_layer,
    sparse_wht,
)

__all__ = ["PANELS"]

#: The panels of ``sparsela demo``, in the order they are run and drawn.
PANELS = (
    fwht,
    csr,
    nm,
    kronecker,
    omp,
    lasso,
    bcd,
    kron_sbl,
    sparse_wht,
    dictionary,
    sparse_layer,
)
