"""The dictionary-learning gallery examples run (fast mode) and say what they
should."""

import re
import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def fast(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSELA_FAST_EXAMPLES", "1")
    monkeypatch.setenv("SPARSELA_SAVE_FIGURES", str(tmp_path))
    yield tmp_path
    plt.close("all")


def test_denoising_example(fast, capsys):
    ns = runpy.run_path(str(EXAMPLES / "plot_dictionary_denoising.py"))
    out = capsys.readouterr().out
    before = float(re.search(r"noisy image: ([\d.]+) dB", out).group(1))
    after = float(re.search(r"after denoising: ([\d.]+) dB", out).group(1))
    image, noisy, denoised = ns["image"], ns["noisy"], ns["denoised"]

    def psnr(x):  # recomputed here from the images the example made
        return 10 * np.log10(1 / np.mean((x - image) ** 2))

    assert before == pytest.approx(psnr(noisy), abs=0.006)
    assert after == pytest.approx(psnr(denoised), abs=0.006)
    # noise of sigma 0.1 on [0, 1] is 20 dB; the learned dictionary removes
    # a good part of it even in the tiny fast mode
    assert 19.5 < before < 20.5
    assert after > before + 2.0
    assert ns["res"].dictionary.shape == (64, 64)
    assert (fast / "dictionary_denoising.png").is_file()


def test_recovery_example(fast, capsys):
    ns = runpy.run_path(str(EXAMPLES / "plot_dictionary_recovery.py"))
    out = capsys.readouterr().out
    printed = {
        m: float(re.search(rf"^{m}: ([\d.]+) %", out, re.M).group(1))
        for m in ("ksvd", "mod", "online")
    }
    for method, curve in ns["curves"].items():
        assert curve.shape == (15,)
        assert printed[method] == pytest.approx(100 * curve[-1], abs=0.06)
        assert curve[-1] > curve[0]
    # after 15 iterations the batch methods are well on their way
    assert printed["ksvd"] >= 60 and printed["mod"] >= 60
    procrustes = float(re.search(r"Procrustes\): recovery ([\d.]+)", out).group(1))
    fw = float(re.search(r"Frank-Wolfe\): recovery ([\d.]+)", out).group(1))
    assert procrustes >= 0.99 and procrustes == pytest.approx(
        ns["procrustes"][-1], abs=1e-4
    )
    assert fw >= 0.97 and fw == pytest.approx(ns["frank_wolfe"][-1], abs=1e-4)
    assert (fast / "dictionary_recovery.png").is_file()
