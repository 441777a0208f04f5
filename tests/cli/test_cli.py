"""`sparsela demo` runs end to end and writes its figure."""

import matplotlib.image

from sparsela.cli import main


def test_demo_writes_figure(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "-o", str(out)]) == 0
    img = matplotlib.image.imread(out)
    assert img.shape[0] > 200 and img.shape[1] > 200
    printed = capsys.readouterr().out
    for word in ("Walsh-Hadamard", "CSR", "Kronecker", "OMP", "FISTA", "KroSBL"):
        assert word in printed
    assert "SPRIGHT" in printed and "exact recovery" in printed
    assert "figure written to" in printed
