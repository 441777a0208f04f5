"""The proximal-solver gallery examples and demo panel run (fast mode) and hold."""

import os
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


def test_penalties_example(fast, capsys):
    ns = runpy.run_path(
        str(EXAMPLES / "plot_sparsity_penalties.py"), run_name="__main__"
    )
    out = capsys.readouterr().out
    assert out.count("best NMSE") == 3
    best = {name: e.min() for name, e in ns["errors"].items()}
    # the block structure and the unshrunk l0 fit both beat the plain lasso
    assert best["group l1 (blocks)"] < best["l1 (lasso)"]
    assert best["l0 (hard threshold)"] < best["l1 (lasso)"]
    assert best["group l1 (blocks)"] < 0.05
    for results in ns["paths"].values():
        assert all(r.converged for r in results)
    assert len(plt.get_fignums()) == 1


def test_convergence_example(fast):
    ns = runpy.run_path(
        str(EXAMPLES / "plot_fista_convergence.py"), run_name="__main__"
    )
    runs, star, L = ns["runs"], ns["star"], ns["L"]
    # FISTA stays under its bound; restart and the default need fewer iterations
    F = np.asarray(runs["FISTA"].history["objective"])
    k = np.arange(1, F.size + 1)
    assert np.all((F - star.objective) * (k + 1) ** 2 <= 2 * L * np.sum(star.x**2))
    assert runs["FISTA + restart"].n_iter < runs["FISTA"].n_iter
    assert (
        runs["FISTA default (restart + adaptive step)"].n_iter
        < runs["FISTA + restart"].n_iter
    )
    for name in ("FISTA + restart", "FISTA default (restart + adaptive step)"):
        assert runs[name].converged
        assert runs[name].objective == pytest.approx(star.objective, rel=1e-9)
    assert len(plt.get_fignums()) == 1


def test_demo_panel():
    from sparsela.cli.panels import lasso

    fig, ax = plt.subplots()
    try:
        summary = lasso.panel(ax).text
    finally:
        plt.close(fig)
    assert summary.startswith("lasso n=256, m=96, k=8: support recovered")
    assert "\n" not in summary
    assert len(ax.lines) + len(ax.collections) > 0
    rel = float(summary.split("relative error ")[1])
    assert rel < 0.02
    assert os.environ.get("SPARSELA_FAST_EXAMPLES") == "1"  # set by conftest
