"""`sparsela bench`: times every family against the installed peers and
writes a report with one figure per family."""

import re

import matplotlib.image
import pytest

from sparsela.cli import main
from sparsela.cli.bench import time_call
from sparsela.cli.bench._cases import FAMILIES, installed


def test_quick_report_covers_every_family(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "## Machine" in text and "GB/s" in text and "GFLOP/s" in text
    assert "## Versions" in text and "- numpy " in text
    for fam in FAMILIES:
        img = matplotlib.image.imread(out / f"{fam.name}.png")
        assert img.shape[0] > 200 and img.shape[1] > 300
        assert f"## {fam.title}" in text
        section = text.split(f"## {fam.title}")[1].split("\n## ")[0]
        rows = [r for r in section.splitlines() if re.match(r"\| \d", r)]
        assert [int(r.split("|")[1]) for r in rows] == list(fam.quick)
        for peer in fam.peers:
            assert (f" {peer} |" in section) == installed(peer)
    printed = capsys.readouterr().out
    assert "report written to" in printed


def test_ratios_and_differences_are_real(tmp_path):
    from sparsela.cli.bench import run_bench

    rows = run_bench(tmp_path, quick=True, only="csr", verbose=False)["csr"]
    assert {r["library"] for r in rows} == {"sparsela", "SciPy"}
    for r in rows:
        assert 0 < r["best"] <= r["first"] + 1.0
        assert r["difference"] < 1e-12  # the same product as SciPy's
    text = (tmp_path / "report.md").read_text()
    for r in rows:
        if r["library"] == "SciPy":
            sparsela_best = next(
                s["best"] for s in rows if s["size"] == r["size"] and s is not r
            )
            assert f"{r['best'] / sparsela_best:.2f}x" in text


def test_bad_arguments_give_one_line(tmp_path, capsys):
    assert main(["bench", "--only", "nothing-like-this", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparsela bench: error: --only") and "omp" in err
    f = tmp_path / "file"
    f.write_text("")
    assert main(["bench", "--quick", "--out", str(f)]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_time_call_counts_the_first_call_apart():
    calls = []
    first, best, out = time_call(lambda: calls.append(1) or len(calls), budget=0.0)
    assert out == 1 and len(calls) == 4  # one untimed, three timed
    assert best >= 0 and first >= 0
    with pytest.raises(ZeroDivisionError):
        time_call(lambda: 1 / 0)
