"""Sphinx configuration of the skratio documentation."""

import skratio

project = "skratio"
author = "skratio developers"
release = skratio.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
