"""Sphinx configuration of the sparsela documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are
errors). The gallery runs every example of ``examples/`` in its fast mode
(``SPARSELA_FAST_EXAMPLES=1``) unless ``SPARSELA_DOCS_FULL=1`` is set.
"""

import os

import sparsela

os.environ.setdefault("MPLBACKEND", "Agg")
if os.environ.get("SPARSELA_DOCS_FULL", "0") != "1":
    os.environ["SPARSELA_FAST_EXAMPLES"] = "1"

project = "sparsela"
author = "the sparsela developers"
copyright = "2026, the sparsela developers"
version = release = sparsela.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}  # no network on the build machines

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sparsela {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
myst_heading_anchors = 3
