"""Fixtures shared by the test files; plain helpers are in tests/_helpers.py.

Doctest collection and the summary of skipped tests, which concern the
package's doctests as well, are in the conftest.py at the root.
"""

import pytest


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
