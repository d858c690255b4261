"""Sphinx configuration of the skratio documentation.

The build is offline: no intersphinx inventories are fetched, so references to
other projects' objects render as plain text (see ``nitpick_ignore_regex``).
Build with warnings as errors and nit-picky references::

    python -m sphinx -n -W --keep-going -b html docs docs/_build/html
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import skratio  # noqa: E402

project = "skratio"
author = "skratio developers"
copyright = "skratio developers"
release = skratio.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
root_doc = "index"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
# numpydoc renders the methods listed by the class template; it does not add
# its own (duplicate) member tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Nit-picky references ----------------------------------------------------
# No intersphinx (the build must run offline): names of other packages that
# skratio's docstrings mention cannot be resolved and are rendered as plain
# text. Only those external names are ignored; every reference to a skratio
# name must resolve.
_EXTERNAL = (
    "sklearn",
    "numpy",
    "np",
    "scipy",
    "matplotlib",
    "joblib",
    "torch",
    "skorch",
    "zuko",
    "dask",
    "distributed",
    "pandas",
    "polars",
    "skops",
    "imblearn",
    "pyarrow",
    "safetensors",
)
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", rf"{name}(\..*)?") for name in _EXTERNAL] + [
    # A label of scikit-learn's own documentation, in the docstring of
    # sklearn.base.ClassifierMixin.score that MLPDomainClassifier inherits.
    ("std:ref", "accuracy_score"),
]

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skratio {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "install": []}
html_static_path = []


# -- Gallery -------------------------------------------------------------------
def _text_extra_installed():
    """Whether the packaged sentence encoder of the ``text`` extra imports."""
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "all_minilm_l6_v2", "data_selection")
    )


# Examples run during the build. The embedding example needs the ``text``
# extra (a packaged sentence encoder); without it the example is rendered
# without being run.
_not_run = [] if _text_extra_installed() else ["plot_embedding_debiasing"]
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/"
    + "".join(rf"(?!{name}\.py)" for name in _not_run)
    + "plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    # An example that raises fails the build.
    "only_warn_on_example_error": False,
    "write_computation_times": False,
    # "Examples using X" at the end of each API page.
    "doc_module": ("skratio",),
    "backreferences_dir": "generated/backreferences",
}
