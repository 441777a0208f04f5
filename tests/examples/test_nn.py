"""The sparse-layer gallery examples run (fast mode) and say what they should."""

import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("SPARSELA_FAST_EXAMPLES", "1")
    yield
    plt.close("all")


def test_pruning_example(fast, capsys):
    ns = runpy.run_path(str(EXAMPLES / "plot_nn_pruning.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.startswith("dense: test accuracy")
    for line in ("unstructured 90%", "1x4 blocks 90%", "2:4 SR-STE"):
        assert line in out
    assert ns["acc_dense"] > 0.93
    # the deployed sparse networks keep most of the accuracy
    for name in ("unstructured", "1x4 blocks"):
        (s75, a75), (s90, a90) = ns["results"][name]
        assert abs(s75 - 0.75) < 1e-3 and abs(s90 - 0.9) < 1e-3  # rounding
        assert min(a75, a90) > ns["acc_dense"] - 0.06
    assert ns["acc_nm"] > ns["acc_dense"] - 0.02
    assert all(lay.format == "nm" for lay in ns["deployed"])
    assert len(plt.get_fignums()) == 1


def test_autoencoders_example(fast, capsys):
    ns = runpy.run_path(str(EXAMPLES / "plot_nn_autoencoders.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "k-sparse AE: explained variance" in out
    assert "monotone: True" in out
    assert ns["acc"] >= 0.9
    assert ns["r2"] > 0.85
    assert ns["errors"][-1] < ns["errors"][0]
    assert len(plt.get_fignums()) == 1
