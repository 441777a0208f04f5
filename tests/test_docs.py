"""The documentation builds with warnings as errors (gallery in fast mode),
and every public function and class has a numpydoc docstring with an
example."""

import dataclasses
import enum
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = [
    "sparsela",
    "sparsela.operators",
    "sparsela.formats",
    "sparsela.penalties",
    "sparsela.datafits",
    "sparsela.metrics",
    "sparsela.datasets",
    "sparsela.testing",
    "sparsela.nn",
    "sparsela.estimators",
    "sparsela.cli",
]
# numpydoc codes every public callable must pass: a docstring (GL08), an
# Examples section (EX01), every parameter documented (PR01) and no unknown
# one (PR02); functions also document what they return (RT01)
RULES = {"GL08", "EX01", "PR01", "PR02"}


def _public_callables():
    seen = {}
    for mod in PUBLIC:
        module = importlib.import_module(mod)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return seen


def test_every_public_callable_has_a_numpydoc_docstring_with_an_example():
    validate = pytest.importorskip("numpydoc.validate").validate
    failures = []
    for name, obj in sorted(_public_callables().items()):
        rules = set(RULES)
        if inspect.isfunction(obj):
            rules.add("RT01")
        if isinstance(obj, type) and issubclass(obj, enum.Enum):
            rules -= {"PR01", "PR02"}  # the Enum constructor's arguments
        fields = _record_fields(obj)
        if fields is not None:  # results and problems: fields as Attributes
            rules -= {"PR01", "PR02", "EX01"}
            documented = inspect.getdoc(obj) or ""
            missing = [f for f in fields if f"{f} :" not in documented]
            if missing:
                failures.append(f"{name}: Attributes miss {missing}")
        for code, msg in validate(name)["errors"]:
            if code in rules:
                failures.append(f"{name}: {code} {msg}")
    assert not failures, "\n".join(failures)


def _record_fields(obj):
    """Own fields of a dataclass or a NamedTuple (None for anything else)."""
    if dataclasses.is_dataclass(obj):
        inherited = set()
        for base in obj.__mro__[1:]:
            if dataclasses.is_dataclass(base):
                inherited |= {f.name for f in dataclasses.fields(base)}
        return [f.name for f in dataclasses.fields(obj) if f.name not in inherited]
    if isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields"):
        return list(obj._fields)
    return None


def test_api_reference_lists_every_public_callable():
    text = (ROOT / "docs" / "api.rst").read_text()
    listed, module = set(), None
    for line in text.splitlines():
        if line.startswith(".. currentmodule:: "):
            module = line.split()[-1]
        elif module and line.startswith("   ") and not line.strip().startswith(":"):
            listed.add(f"{module}.{line.strip()}")  # an autosummary entry
    missing = []
    for mod in PUBLIC:
        module_obj = importlib.import_module(mod)
        for name in module_obj.__all__:
            obj = getattr(module_obj, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            short = mod.removeprefix("sparsela.")
            if (
                not {f"{mod}.{name}", f"sparsela.{name}", f"sparsela.{short}.{name}"}
                & listed
            ):
                missing.append(f"{mod}.{name}")
    assert not missing, missing


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("numpydoc")
    pytest.importorskip("myst_parser")
    pytest.importorskip("pydata_sphinx_theme")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q",
         "-b", "html", "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"),
         str(out)],
        capture_output=True, text=True, timeout=1200,
        env={**__import__("os").environ, "SPARSELA_FAST_EXAMPLES": "1",
             "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    home = (out / "index.html").read_text()
    assert "sparsela" in home and "User guide" in home
    gallery = sorted((out / "auto_examples").glob("plot_*.html"))
    scripts = sorted((ROOT / "examples").glob("plot_*.py"))
    assert [p.stem for p in gallery] == [p.stem for p in scripts]
    api = (out / "api.html").read_text()
    for name in ("sparsela.omp", "sparsela.fista", "sparsela.bcd", "sparsela.sbl"):
        assert name in api
