"""Collect the doctests of optional modules only when their extra is installed.

CI also runs the suite with the core dependencies alone; the tests of these
modules skip themselves there, and their doctests are left out here.
"""

import importlib.util

import pytest

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
    listed with its reason in tests/test_common.py).
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


@pytest.fixture
def poison_parameters():
    """A skorch callback class that sets a net's first parameters to NaN.

    ``poison_parameters(event)`` poisons on ``"on_epoch_begin"`` (the loss of
    the first epoch is then NaN) or ``"on_train_end"`` (the fitted model
    then computes NaN): the deep models' tests of non-finite training.
    """
    torch = pytest.importorskip("torch")
    from skorch.callbacks import Callback

    class PoisonParameters(Callback):
        def __init__(self, event):
            self.event = event

        def _poison(self, net):
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))

        def on_epoch_begin(self, net, **kwargs):
            if self.event == "on_epoch_begin":
                self._poison(net)

        def on_train_end(self, net, **kwargs):
            if self.event == "on_train_end":
                self._poison(net)

    return PoisonParameters
