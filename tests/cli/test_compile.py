"""`sparsela compile` fills the Numba cache that later first calls read; `import
sparsela` compiles and loads nothing heavy (first use, issue 13)."""

import os
import subprocess
import sys

import pytest

import sparsela

# Counts the compilations of sparsela kernels during the snippet that follows.
_COUNT = """
import collections
from numba.core import event
compiled = collections.Counter()
class Count(event.Listener):
    def on_start(self, ev):
        func = ev.data["dispatcher"].py_func
        if func.__module__.startswith("sparsela"):
            compiled[func.__qualname__] += 1
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())
"""


def _run(args, cache_dir, timeout=300):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _cache_files(cache_dir, suffix):
    return sorted(
        name
        for _, _, files in os.walk(cache_dir)
        for name in files
        if name.endswith(suffix)
    )


def test_compile_fills_the_cache_that_first_calls_read(tmp_path):
    cache = tmp_path / "numba-cache"
    proc = _run(
        ["-m", "sparsela", "compile", "--only", "wht", "--dtype", "float64"], cache
    )
    assert proc.returncode == 0, proc.stderr
    assert "wht: float64" in proc.stdout and "Numba cache filled" in proc.stdout
    index = _cache_files(cache, ".nbi")
    assert any(name.startswith("wht._blocks-") for name in index), index
    assert any(name.startswith("wht._tiles-") for name in index), index
    assert _cache_files(cache, ".nbc")  # the machine code itself
    assert not _cache_files(cache, ".lock")  # the workers' locks are removed

    # a fresh process: float64 transforms of every pass layout load, compile
    # nothing; a float32 one (not compiled above) does compile
    snippet = _COUNT + (
        "import numpy as np, sparsela\n"
        "rng = np.random.default_rng(1)\n"
        "for n in (8, 1024, 1 << 15):\n"
        "    sparsela.fwht(rng.standard_normal(n), normalized=True)\n"
        "sparsela.fwht(rng.standard_normal((32, 3)), axis=0)\n"
        "sparsela.fwht(rng.standard_normal(256) + 1j)\n"
        "print('float64', sum(compiled.values()))\n"
        "sparsela.fwht(rng.standard_normal(64).astype(np.float32))\n"
        "print('float32', sum(compiled.values()))\n"
    )
    proc = _run(["-c", snippet], cache)
    assert proc.returncode == 0, proc.stderr
    counts = dict(line.split() for line in proc.stdout.splitlines())
    assert counts["float64"] == "0"
    assert int(counts["float32"]) > 0


def test_compile_covers_online_dictionary_learning(tmp_path):
    cache = tmp_path / "numba-cache"
    proc = _run(
        ["-m", "sparsela", "compile", "--only", "dictionary", "--dtype", "float64"],
        cache,
    )
    assert proc.returncode == 0, proc.stderr
    snippet = _COUNT + (
        "import numpy as np, sparsela\n"
        "Y = np.random.default_rng(2).standard_normal((10, 300))\n"
        "sparsela.OnlineDictionaryLearning(15, n_nonzero=3, random_state=1)"
        ".partial_fit(Y[:, :150]).partial_fit(Y[:, 150:])\n"
        "print(sum(compiled.values()), dict(compiled))\n"
    )
    proc = _run(["-c", snippet], cache)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "0", proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "nope"], "only must name topics among"),
        (["--dtype", "int8"], "dtypes must be among"),
    ],
)
def test_compile_rejects_unknown_topics_and_dtypes(tmp_path, args, message):
    proc = _run(["-m", "sparsela", "compile", *args], tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_compile_is_listed_in_the_help(tmp_path):
    proc = _run(["-m", "sparsela", "--help"], tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "compile" in proc.stdout and "demo" in proc.stdout


def test_import_loads_no_submodule_and_compiles_nothing(tmp_path):
    snippet = (
        "import sys\nimport sparsela\n"
        "heavy = [m for m in ('numba', 'scipy', 'sparsela.solvers', "
        "'sparsela.kernels') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    proc = _run(["-c", snippet], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert not _cache_files(tmp_path, ".nbi")


def test_every_public_name_resolves_lazily():
    assert set(sparsela.__all__) <= set(dir(sparsela))
    for name in sparsela.__all__:
        assert getattr(sparsela, name) is not None, name
    assert sparsela.CSR is sparsela.formats.CSR
    assert sparsela.omp.__module__ == "sparsela.solvers.pursuit._omp"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        sparsela.not_a_name  # noqa: B018


def test_demo_warm_up_covers_every_panel(tmp_path):
    """With an empty cache, the demo's warm-up compiles everything its panels
    run: no panel time (nor a time a panel prints) includes compilation."""
    snippet = _COUNT + (
        "from sparsela.cli import _warm_up_panels\n"
        "from sparsela.cli.panels import PANELS\n"
        "_warm_up_panels()\n"
        "warm = sum(compiled.values())\n"
        "compiled.clear()\n"
        "for panel in PANELS:\n"
        "    panel.panel()\n"
        "print(warm, dict(compiled))\n"
    )
    proc = _run(["-c", snippet], tmp_path / "numba-cache", timeout=600)
    assert proc.returncode == 0, proc.stderr
    warm, after = proc.stdout.split(maxsplit=1)
    assert int(warm) > 0  # the cache was empty: the warm-up compiled
    assert after.strip() == "{}"
