"""The OMP gallery example and demo panel run (fast mode) and say what they should."""

import os
import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plot_omp_recovery.py"


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("SPARSELA_FAST_EXAMPLES", "1")
    yield
    plt.close("all")


def test_recovery_example_runs(fast, capsys):
    ns = runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "support found: True" in out
    success = ns["success"]
    assert success.shape == (ns["rhos"].size, ns["deltas"].size)
    # very sparse signals are always recovered, dense ones never
    assert (success[0] == 1.0).all()
    assert (success[-1] == 0.0).all()
    assert len(plt.get_fignums()) == 2


def _stojnic_rho(delta):
    """Weak l1 threshold from Stojnic (2009), an independent characterisation:
    beta solves (1-beta)/delta sqrt(2/pi) exp(-e^2) = sqrt(2) e with
    e = erfinv((1-delta)/(1-beta)); rho = beta / delta."""
    from scipy.optimize import brentq
    from scipy.special import erfinv

    def f(beta):
        e = erfinv((1 - delta) / (1 - beta))
        return (1 - beta) / delta * np.sqrt(2 / np.pi) * np.exp(-e * e) - np.sqrt(2) * e

    return brentq(f, 1e-12, delta - 1e-12) / delta


def test_donoho_tanner_curve(fast):
    ns = runpy.run_path(str(EXAMPLE), run_name="__main__")
    rho = ns["donoho_tanner_rho"]
    deltas = (0.05, 0.1, 0.3, 0.5, 0.7, 0.9)
    values = [rho(d) for d in deltas]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    expected = [_stojnic_rho(d) for d in deltas]
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_demo_panel():
    from sparsela.cli.panels import omp

    fig, ax = plt.subplots()
    try:
        summary = omp.panel(ax).text
    finally:
        plt.close(fig)
    assert summary.startswith("n=256, m=96, k=8: support recovered")
    assert "\n" not in summary
    assert len(ax.lines) + len(ax.collections) > 0
    assert os.environ.get("SPARSELA_FAST_EXAMPLES") == "1"  # set by conftest
    assert np.isfinite(float(summary.split("relative error ")[1].split(";")[0]))
