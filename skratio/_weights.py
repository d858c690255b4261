"""Checks on importance weights shared by the estimators."""

import warnings

from .exceptions import WeightCollapseWarning
from .metrics import effective_sample_size

# Below this fraction of n, the effective sample size signals collapsed weights.
# 0.1 means the weighted sample is worth fewer than one row in ten: weighted
# estimates then have at least ten times the variance of unweighted ones.
MIN_ESS_FRACTION = 0.1


def warn_if_weights_collapse(weights, *, min_ess_fraction=MIN_ESS_FRACTION, stacklevel=3):
    """Warn with :class:`WeightCollapseWarning` when ESS < min_ess_fraction * n.

    Returns the effective sample size.
    """
    ess = effective_sample_size(weights)
    n = len(weights)
    if ess < min_ess_fraction * n:
        warnings.warn(
            f"The importance weights have collapsed: effective sample size {ess:.1f} "
            f"of {n} rows ({ess / n:.1%} < {min_ess_fraction:.0%}). A few rows carry "
            "most of the weight. Calibrate the classifier (skratio.CalibratedRatio), "
            "flatten the weights (power < 1), bound them (clip=...), or use a simpler, "
            "better-regularised classifier.",
            WeightCollapseWarning,
            stacklevel=stacklevel,
        )
    return ess
