"""Run the sparse WHT gallery example in fast mode."""

import os
import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plot_sparse_wht.py"


@pytest.mark.parametrize("path", [EXAMPLE], ids=lambda p: p.name)
def test_example_runs_fast(monkeypatch, tmp_path, path):
    monkeypatch.setenv("SPARSELA_FAST_EXAMPLES", "1")
    monkeypatch.setenv("SPARSELA_SAVE_FIGURES", str(tmp_path))
    plt.close("all")
    ns = runpy.run_path(str(path), run_name="__main__")
    # three figures, saved when asked
    assert sorted(os.listdir(tmp_path)) == [
        "sparse_wht_load.png",
        "sparse_wht_scaling.png",
        "sparse_wht_snr.png",
    ]
    # the load sweep shows the transition: success below 3.089, failure above
    assert ns["success"][4][0] == 1.0
    assert ns["success"][3][-1] == 0.0
    assert ns["success"][4][-1] == 0.0
    assert ns["p_exact"][0] == 1.0
    plt.close("all")
