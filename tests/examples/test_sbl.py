"""The SBL gallery examples and demo panel run (fast mode) and say what they should."""

import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("SPARSELA_FAST_EXAMPLES", "1")
    yield
    plt.close("all")


def test_synthetic_study_example(fast, capsys):
    ns = runpy.run_path(
        str(EXAMPLES / "plot_kron_sbl_synthetic.py"), run_name="__main__"
    )
    out = capsys.readouterr().out
    assert "sweep over SNR" in out and "sweep over K" in out
    for _, (values, points) in ns["sweeps"].items():
        assert len(points) == len(values)
        for pt in points:
            # oracle least squares knows the support; SVD-KroSBL gets close
            assert pt["oracle LS"][1] >= 0.8
            assert pt["oracle LS"][0] < 1e-3
            assert pt["SVD-KroSBL"][0] < 1e-2
    assert len(plt.get_fignums()) == 1


def test_irs_mimo_example(fast, capsys):
    ns = runpy.run_path(str(EXAMPLES / "plot_irs_mimo.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "channel NMSE" in out
    nmse = ns["nmse"]
    assert set(nmse) >= {"SVD-KroSBL", "AM-KroSBL", "PC-KroSBL β=0.5"}
    for values in nmse.values():
        assert np.all(np.isfinite(values)) and np.all(values > 0)
    # fast mode: one trial at 20 dB, where every KroSBL variant works
    assert max(v.mean() for v in nmse.values()) < 0.1


def test_demo_panel():
    from sparsela.cli.panels import kron_sbl

    fig, ax = plt.subplots()
    try:
        summary = kron_sbl.panel(ax).text
    finally:
        plt.close(fig)
    assert "NMSE" in summary and "support recovery" in summary
    assert len(ax.lines) == 2


def test_phase_diagram_example(fast, capsys):
    ns = runpy.run_path(
        str(EXAMPLES / "plot_sbl_phase_diagram.py"), run_name="__main__"
    )
    out = capsys.readouterr().out
    success = ns["success"]
    # every cell: SBL (EM) with its defaults recovers at least as often as l1
    # less one signal of the cell (the fast grid has 4 signals a cell)
    slack = 1 / ns["trials"] + 1e-12
    assert np.all(success["SBL (EM)"] >= success["l1"] - slack)
    # and over the grid strictly more signals than l1 and than OMP
    assert success["SBL (EM)"].sum() > success["l1"].sum()
    assert success["SBL (EM)"].sum() > success["OMP"].sum()
    # the easiest cell (fewest non-zeros, most measurements): l1 and both SBL
    # methods recover every signal
    for name in ("l1", "SBL (EM)", "SBL (fast)"):
        assert success[name][0, -1] == 1.0
    assert "at least as often as l1" in out
    assert len(plt.get_fignums()) == 1
