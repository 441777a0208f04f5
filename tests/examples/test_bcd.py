"""The block coordinate descent gallery example runs (fast mode) and holds."""

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


def test_bcd_rules_example(fast, capsys):
    ns = runpy.run_path(str(EXAMPLES / "plot_bcd_rules.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("after 150 iterations") == 2
    last = {key: F[-1] for key, F in ns["curves"].items()}
    for title in ["least squares", "logistic"]:
        for update in ["lipschitz", "matrix"]:
            greedy = last[title, update, "variable", "gsl"]
            for rule in ["cyclic", "random", "lipschitz", "gs"]:
                assert greedy < last[title, update, "variable", rule], (title, rule)
        # matrix updates beat gradient updates
        assert (
            last[title, "matrix", "variable", "gsl"]
            < last[title, "lipschitz", "variable", "gsl"]
        )
    assert len(plt.get_fignums()) == 1
