"""Warnings raised by skratio."""

__all__ = ["WeightCollapseWarning"]


class WeightCollapseWarning(UserWarning):
    """Importance weights whose effective sample size is a small fraction of n.

    A few rows carry most of the weight, so weighted estimates and weighted
    training rest on those rows alone. Remedies: calibrate the classifier
    (:class:`skratio.CalibratedRatio`), flatten the weights (``power < 1``),
    bound them (``clip``), or use a simpler, better-regularised classifier.
    """
