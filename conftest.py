"""Collect the doctests of optional modules only when their extra is installed.

CI also runs the suite with the core dependencies alone; the tests of these
modules skip themselves there, and their doctests are left out here.
"""

import importlib.util

_OPTIONAL = {
    "skratio/deep": ("torch", "skorch", "zuko"),
    "skratio/io.py": ("skops",),
    "skratio/dask.py": ("dask", "distributed"),
    "skratio/_sir_dask.py": ("dask",),
}

collect_ignore = [
    path
    for path, modules in _OPTIONAL.items()
    if any(importlib.util.find_spec(module) is None for module in modules)
]


def _reason(report):
    """The reason a test was skipped or expected to fail, without its location."""
    if hasattr(report, "wasxfail"):
        return report.wasxfail or "no reason given"
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter):
    """One line per reason for the skipped and expected-to-fail tests.

    The short test summary lists failures and errors only (``-rfE`` in
    pyproject.toml); a line per skipped or expected-to-fail test would bury
    them under a couple of hundred lines that repeat a few reasons (most are
    scikit-learn's common checks that the estimators fail by design, each
    listed with its reason: the shared ones in tests/_helpers.py, the others
    in the estimator's test file).
    """
    counts = {}
    for kind in ("skipped", "xfailed"):
        for report in terminalreporter.stats.get(kind, []):
            key = (kind, _reason(report))
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return
    terminalreporter.section("skipped and expected failures, by reason", sep="-")
    for (kind, reason), count in sorted(counts.items(), key=lambda item: -item[1]):
        terminalreporter.line(f"{count:4d} {kind}: {reason}")
