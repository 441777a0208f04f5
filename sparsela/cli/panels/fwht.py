"""Panel of ``sparsela demo``: the sequency spectrum of a noisy signal (FWHT)."""

from __future__ import annotations

from typing import Any

import numpy as np

import sparsela

from ._summary import Summary

__all__ = ["TITLE", "panel"]

TITLE = "Walsh-Hadamard transform (sequency order)"


def panel(ax: Any = None, *, random_state: int = 0) -> Summary:
    """Find the four planted sequencies of a noisy signal of 1024 samples.

    The signal is the inverse orthonormal, sequency-ordered Walsh-Hadamard
    transform of four planted coefficients plus white noise of standard
    deviation 0.05; :func:`sparsela.fwht` takes it back to the sequency
    domain. Draws the signal and its spectrum on ``ax`` (a matplotlib Axes;
    nothing is drawn when ``ax`` is None).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    random_state : int, default=0
        Seed of the noise.

    Returns
    -------
    Summary
        One-line summary.

    Examples
    --------
    >>> from sparsela.cli.panels import fwht
    >>> fwht.panel().text
    'N=1024: largest sequencies [3, 40, 200, 777] (planted [3, 40, 200, 777])'
    """
    N = 1024
    rng = np.random.default_rng(random_state)
    support = np.array([3, 40, 200, 777])
    coefs = np.zeros(N)
    coefs[support] = [4.0, -3.0, 2.5, 2.0]
    # time signal whose sequency-ordered orthonormal spectrum is `coefs`
    signal = sparsela.fwht(
        coefs, normalized=True, ordering="sequency"
    ) + 0.05 * rng.standard_normal(N)
    spectrum = sparsela.fwht(signal, normalized=True, ordering="sequency")
    found = np.sort(np.argsort(np.abs(spectrum))[-4:])

    if ax is not None:
        ax.plot(signal, lw=0.6, color="0.6", label="signal")
        markers, _, _ = ax.stem(spectrum, linefmt="C0-", markerfmt=" ", basefmt=" ")
        markers.set_label("sequency spectrum")
        ax.set_xlabel("index / sequency")
        ax.legend(fontsize=8, loc="upper right")
    err = np.linalg.norm(spectrum[support] - coefs[support]) / np.linalg.norm(coefs)
    text = f"N={N}: largest sequencies {found.tolist()} (planted {support.tolist()})"
    return Summary(text, float(err), "rel. error of the planted spectrum")
