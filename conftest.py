"""Collect the doctests of optional modules only when their extra is installed.

CI also runs the suite with the core dependencies alone; the tests of these
modules skip themselves there, and their doctests are left out here.
"""

import importlib.util

_OPTIONAL = {
    "skratio/deep": ("torch", "skorch", "zuko"),
    "skratio/io.py": ("skops",),
    "skratio/dask.py": ("dask", "distributed"),
}

collect_ignore = [
    path
    for path, modules in _OPTIONAL.items()
    if any(importlib.util.find_spec(module) is None for module in modules)
]
