"""Warnings raised by skratio."""

__all__ = ["PoorOverlapWarning", "WeightCollapseWarning"]


class WeightCollapseWarning(UserWarning):
    """Importance weights whose effective sample size is a small fraction of n.

    A few rows carry most of the weight, so weighted estimates and weighted
    training rest on those rows alone. Remedies: calibrate the classifier
    (:class:`skratio.CalibratedRatio`), flatten the weights (``power < 1``),
    bound them (``clip``), or use a simpler, better-regularised classifier.
    """


class PoorOverlapWarning(UserWarning):
    """The source and target samples barely overlap, or the ratio is wrong.

    Raised after cross-fitting when the held-out diagnostics say so: a domain
    classifier that tells the samples apart almost perfectly (held-out AUC near
    1), or a mean of the source rows' out-of-fold weights far from 1 (a correct
    ratio averages to 1 under the source). Remedies: a telescoping ratio
    (:class:`skratio.TelescopingRatio`), another classifier, fewer features,
    or more reference rows.
    """
