"""`sparsela demo` runs end to end and writes its figure; the panels share one API."""

import inspect
import pkgutil
import subprocess
import sys

import matplotlib.image

from sparsela.cli import main, panels
from sparsela.cli.panels._summary import Summary


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
    # the warm-up line (kernels compiled or loaded before any timing), one
    # line per panel in the order of PANELS, the table (a header and a row
    # per panel: method, error, time), then the figure line
    lines = printed.strip().splitlines()
    assert len(lines) == 2 * len(panels.PANELS) + 3
    header = lines[len(panels.PANELS) + 1].split()
    assert header[:2] == ["method", "error"] and header[-2:] == ["time", "[s]"]
    for row, panel in zip(
        lines[len(panels.PANELS) + 2 : -1], panels.PANELS, strict=True
    ):
        assert row.startswith(panel.TITLE)
        float(row[len(panel.TITLE) :].split()[0])  # the error, a number
    assert "Numba kernels of the panels" in lines[0]
    for line, panel in zip(lines[1:], panels.PANELS, strict=False):
        assert f"] {panel.TITLE}: " in line
        assert "compiling" not in line


def test_python_m_sparsela_help():
    proc = subprocess.run(
        [sys.executable, "-m", "sparsela", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "demo" in proc.stdout


def test_one_panel_per_module_with_one_signature():
    modules = sorted(
        m.name for m in pkgutil.iter_modules(panels.__path__) if not m.ispkg
    )
    public = [name for name in modules if not name.startswith("_")]
    listed = [p.__name__.rsplit(".", 1)[-1] for p in panels.PANELS]
    assert sorted(listed) == public
    assert len(set(listed)) == len(listed)
    expected = inspect.signature(lambda ax=None, *, random_state=0: "")
    for panel in panels.PANELS:
        assert isinstance(panel.TITLE, str) and panel.TITLE
        sig = inspect.signature(panel.panel)
        assert [(p.name, p.kind, p.default) for p in sig.parameters.values()] == [
            (p.name, p.kind, p.default) for p in expected.parameters.values()
        ]
        assert sig.return_annotation in ("Summary", Summary)
    assert len({p.TITLE for p in panels.PANELS}) == len(panels.PANELS)


def test_demo_checks_its_output_before_any_work(tmp_path, capsys, monkeypatch):
    assert main(["demo", "-o", str(tmp_path / "missing" / "demo.png")]) == 2
    err = capsys.readouterr()
    assert err.err.startswith("sparsela demo: error: output: no such folder")
    assert err.out == ""  # nothing ran
    assert main(["demo", "-o", str(tmp_path / "demo.jpg")]) == 2
    assert "must end in .png" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    assert main(["demo", "-o", str(tmp_path / "demo.png")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'sparsela[plot]'" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
